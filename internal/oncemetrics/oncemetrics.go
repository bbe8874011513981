// Package oncemetrics implements the once SDK's observability hooks with Prometheus: the
// upstream metrics of SPEC §10 (once_api_requests_total, once_api_errors_total,
// once_api_latency_seconds, token_refresh_count) plus the budget and breaker signals an operator
// needs to see whether background work queues behind users or 1NCE is pushing back.
package oncemetrics

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oncefleet/oncefleet/once"
)

// Metrics holds the collectors; Hooks returns the callbacks to give once.WithHooks.
type Metrics struct {
	requests     *prometheus.CounterVec
	errs         *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	tokens       *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
	budgetWait   *prometheus.HistogramVec
	breakerState *prometheus.GaugeVec
}

// New registers the collectors on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "once_api_requests_total", Help: "HTTP exchanges with the 1NCE API, by operation and status (0: no answer).",
		}, []string{"op", "status"}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "once_api_errors_total", Help: "Failed exchanges with the 1NCE API, by operation and kind.",
		}, []string{"op", "kind"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "once_api_latency_seconds", Help: "Duration of exchanges with the 1NCE API.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"op"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "token_refresh_count", Help: "1NCE token fetches, by result.",
		}, []string{"result"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "once_api_rate_limited_total", Help: "429 answers from 1NCE, by operation.",
		}, []string{"op"}),
		budgetWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "once_budget_wait_seconds", Help: "Time calls waited for the shared 1NCE request budget, by priority.",
			Buckets: []float64{.001, .01, .05, .1, .5, 1, 5, 30, 120},
		}, []string{"priority"}),
		breakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "once_breaker_open", Help: "1 while the circuit breaker to a 1NCE host is open, 0.5 half-open, 0 closed.",
		}, []string{"host"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.errs, m.latency, m.tokens, m.rateLimited, m.budgetWait, m.breakerState} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.init()
	return m, nil
}

// tokenOp is the operation of the token request, the first exchange of every client.
const tokenOp = "oauth.token"

// init exposes, at zero, the series whose label values are known before any exchange: the
// token results, the budget priorities and the token operation's series. Dashboards and alert
// expressions (rate, increase, absent) then see zeros from the first scrape rather than gaps,
// and a fresh replica's /metrics lists every upstream family.
func (m *Metrics) init() {
	for _, result := range []string{"ok", "error"} {
		m.tokens.WithLabelValues(result)
	}
	for p := once.PriorityInteractive; p <= once.PriorityBackfill; p++ {
		m.budgetWait.WithLabelValues(p.String())
	}
	m.requests.WithLabelValues(tokenOp, "200")
	m.latency.WithLabelValues(tokenOp)
	m.rateLimited.WithLabelValues(tokenOp)
	for _, kind := range []string{"timeout", "transport", "rate_limited", "auth", "server", "client"} {
		m.errs.WithLabelValues(tokenOp, kind)
	}
}

// WatchHost exposes the breaker of host (the client's base URL host) as closed until it
// changes state, so "is the breaker open" has an answer before the first failure.
func (m *Metrics) WatchHost(host string) {
	m.breakerState.WithLabelValues(host).Set(0)
}

// Hooks returns the SDK callbacks feeding these metrics.
func (m *Metrics) Hooks() once.Hooks {
	return once.Hooks{
		Request: func(ri once.RequestInfo) {
			m.requests.WithLabelValues(ri.Op, strconv.Itoa(ri.Status)).Inc()
			m.latency.WithLabelValues(ri.Op).Observe(ri.Duration.Seconds())
			if ri.Err != nil {
				m.errs.WithLabelValues(ri.Op, errorKind(ri.Status, ri.Err)).Inc()
			}
		},
		TokenRefresh: func(err error) {
			result := "ok"
			if err != nil {
				result = "error"
			}
			m.tokens.WithLabelValues(result).Inc()
		},
		RateLimited: func(op string, _ time.Duration) { m.rateLimited.WithLabelValues(op).Inc() },
		BudgetWait: func(p once.Priority, waited time.Duration) {
			m.budgetWait.WithLabelValues(p.String()).Observe(waited.Seconds())
		},
		BreakerStateChange: func(host, _, to string) {
			v := map[string]float64{"open": 1, "half-open": 0.5}[to]
			m.breakerState.WithLabelValues(host).Set(v)
		},
	}
}

// errorKind buckets an error into a bounded label set.
func errorKind(status int, err error) string {
	switch {
	case errors.Is(err, once.ErrTimeout):
		return "timeout"
	case status == 0:
		return "transport"
	case status == 429:
		return "rate_limited"
	case status == 401 || status == 403:
		return "auth"
	case status >= 500:
		return "server"
	default:
		return "client"
	}
}
