package once

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"time"
)

// APIMode selects which Management API generation the client speaks.
type APIMode string

// API modes.
const (
	// APIAuto speaks v2 first and v1 only for operations v2 lacks, until 1NCE shows the account
	// has no v1 any more. The default.
	APIAuto APIMode = "auto"
	// APIV1 prefers v1 for operations both generations have.
	APIV1 APIMode = "v1"
	// APIV2 speaks v2 only: v1-only operations fail with ErrUnsupported without a network call.
	APIV2 APIMode = "v2"
)

// RetryPolicy controls retries of failed attempts (exponential backoff with jitter).
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts per call, first included. 1 disables retries.
	MaxAttempts int
	// InitialInterval is the first backoff wait; each later one grows by Multiplier up to
	// MaxInterval, randomised by ±50 %.
	InitialInterval time.Duration
	// MaxInterval caps a single backoff wait.
	MaxInterval time.Duration
	// Multiplier is the growth factor between waits.
	Multiplier float64
	// MaxElapsed caps the whole call including waits; 0 means no cap beyond the context.
	MaxElapsed time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits out by itself; a 429 asking
	// for longer is returned at once as *RateLimitError so interactive callers are not parked.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy returns the policy New uses unless WithRetryPolicy says otherwise: 4
// attempts, waits from 250ms doubling up to 5s, at most 60s per call, Retry-After up to 30s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:     4,
		InitialInterval: 250 * time.Millisecond,
		MaxInterval:     5 * time.Second,
		Multiplier:      2,
		MaxElapsed:      60 * time.Second,
		MaxRetryAfter:   30 * time.Second,
	}
}

// BreakerSettings controls the circuit breaker kept per upstream host.
type BreakerSettings struct {
	// ConsecutiveFailures opens the breaker (5xx, timeouts, connection errors; 4xx never count).
	ConsecutiveFailures uint32
	// OpenFor is how long the breaker stays open before letting probe requests through.
	OpenFor time.Duration
	// HalfOpenRequests is how many probes may run while half-open; that many successes close it.
	HalfOpenRequests uint32
}

// DefaultBreakerSettings returns what New uses unless WithBreaker says otherwise: open after
// 10 consecutive failures, probe with one request after 30s.
func DefaultBreakerSettings() BreakerSettings {
	return BreakerSettings{ConsecutiveFailures: 10, OpenFor: 30 * time.Second, HalfOpenRequests: 1}
}

// Defaults of the remaining options.
const (
	// DefaultRate is 1NCE's default Management API budget per customer account.
	DefaultRate = 10.0
	// DefaultBurst is half of 1NCE's own burst: requests leave the client spaced by the
	// rate but reach 1NCE with network jitter, and the unused half of 1NCE's bucket absorbs
	// it (with equal bursts, two requests arriving closer than 100ms after a full burst
	// would meet a 429).
	DefaultBurst = 5
	// DefaultTimeout bounds one attempt (connect, send, read the whole answer).
	DefaultTimeout = 30 * time.Second
	// DefaultCommerceLimit and DefaultCommercePeriod are 1NCE's limit for orders, products
	// and support: 100 requests per IP per 5 minutes.
	DefaultCommerceLimit  = 100
	DefaultCommercePeriod = 5 * time.Minute
)

// config collects options before New validates them.
type config struct {
	baseURL     string
	httpClient  *http.Client
	mode        APIMode
	tokenStore  TokenStore
	budgetStore BudgetStore
	rate        float64
	burst       int
	logger      *slog.Logger
	hooks       Hooks
	retry       RetryPolicy
	timeout     time.Duration
	breaker     BreakerSettings
	commerceN   int
	commerceP   time.Duration
	now         func() time.Time
}

// Option configures a Client. Options are checked by New, which reports the first bad one.
type Option func(*config) error

// WithBaseURL sets the API base URL (default DefaultBaseURL). It must be an absolute http or
// https URL; a trailing slash is ignored.
func WithBaseURL(u string) Option {
	return func(c *config) error { c.baseURL = u; return nil }
}

// WithHTTPClient sets the HTTP client used for every call (default: a client of its own with
// a clone of http.DefaultTransport, so other users of the default client cannot change it).
// Its Timeout should be 0 or larger than WithTimeout: the client bounds each attempt itself.
func WithHTTPClient(h *http.Client) Option {
	return func(c *config) error {
		if h == nil {
			return errors.New("WithHTTPClient: nil client")
		}
		c.httpClient = h
		return nil
	}
}

// WithAPI sets the API generation mode (default APIAuto).
func WithAPI(m APIMode) Option {
	return func(c *config) error {
		switch m {
		case APIAuto, APIV1, APIV2:
			c.mode = m
			return nil
		}
		return fmt.Errorf("WithAPI: unknown mode %q (want auto, v1 or v2)", m)
	}
}

// WithTokenStore shares the OAuth token through s (default: in this process only). With a
// shared store every replica of a server uses one token and one replica fetches a new one.
func WithTokenStore(s TokenStore) Option {
	return func(c *config) error {
		if s == nil {
			return errors.New("WithTokenStore: nil store")
		}
		c.tokenStore = s
		return nil
	}
}

// WithBudget shares the request budget through s (default: in this process only). Every
// client of one 1NCE account should use the same store so together they stay within the
// account's rate.
func WithBudget(s BudgetStore) Option {
	return func(c *config) error {
		if s == nil {
			return errors.New("WithBudget: nil store")
		}
		c.budgetStore = s
		return nil
	}
}

// WithRate sets the account's request budget: perSecond requests per second with bursts of
// up to burst requests (default DefaultRate with DefaultBurst). Keep burst below the
// account's own burst (its rate) so network jitter cannot trip 1NCE's limiter. math.Inf(1)
// turns the budget off, for local test servers only.
func WithRate(perSecond float64, burst int) Option {
	return func(c *config) error {
		if math.IsInf(perSecond, 1) {
			c.rate, c.burst = perSecond, 0
			return nil
		}
		if !(perSecond > 0) || burst < 1 {
			return fmt.Errorf("WithRate: rate must be > 0 and burst >= 1, got %v/s burst %d", perSecond, burst)
		}
		c.rate, c.burst = perSecond, burst
		return nil
	}
}

// WithLogger sets where request logs go (default: discarded). Authorization headers, the
// client secret, tokens and SMS payloads are redacted before logging.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithHooks sets observability callbacks (default: none).
func WithHooks(h Hooks) Option { return func(c *config) error { c.hooks = h; return nil } }

// WithRetryPolicy replaces DefaultRetryPolicy().
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		if p.MaxAttempts < 1 || p.InitialInterval < 0 || p.MaxInterval < p.InitialInterval || p.Multiplier < 1 || p.MaxElapsed < 0 || p.MaxRetryAfter < 0 {
			return fmt.Errorf("WithRetryPolicy: invalid policy %+v", p)
		}
		c.retry = p
		return nil
	}
}

// WithTimeout bounds each attempt of a call (default DefaultTimeout). The caller's context
// bounds the whole call, retries included.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithTimeout: must be > 0, got %s", d)
		}
		c.timeout = d
		return nil
	}
}

// WithBreaker replaces DefaultBreakerSettings().
func WithBreaker(s BreakerSettings) Option {
	return func(c *config) error {
		if s.ConsecutiveFailures < 1 || s.OpenFor <= 0 || s.HalfOpenRequests < 1 {
			return fmt.Errorf("WithBreaker: invalid settings %+v", s)
		}
		c.breaker = s
		return nil
	}
}

// WithCommerceLimit sets the client-side limit for orders, products and support (default
// DefaultCommerceLimit per DefaultCommercePeriod, 1NCE's own limit).
func WithCommerceLimit(n int, per time.Duration) Option {
	return func(c *config) error {
		if n < 1 || per <= 0 {
			return fmt.Errorf("WithCommerceLimit: need n >= 1 and per > 0, got %d per %s", n, per)
		}
		c.commerceN, c.commerceP = n, per
		return nil
	}
}
