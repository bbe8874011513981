package jobs

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Run results, the result label of job_runs_total.
const (
	resultOK      = "ok"
	resultFailed  = "failed"
	resultSkipped = "skipped"
)

// metrics are the per-job Prometheus series (SPEC §10: job runs, durations, failures).
type metrics struct {
	runs        *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	items       *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer, names []string) (*metrics, error) {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "job_runs_total", Help: "Runs of background jobs by job and result (ok, failed, skipped).",
		}, []string{"job_name", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "job_duration_seconds", Help: "Duration of background job runs.",
			Buckets: []float64{0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600},
		}, []string{"job_name"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "job_items_total", Help: "Items processed by background job runs (SIMs synced, SIMs read, rows deleted, …).",
		}, []string{"job_name"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "job_last_success_timestamp_seconds", Help: "When each background job last finished a run successfully (Unix time).",
		}, []string{"job_name"}),
	}
	// Every job's series exist from the start, so a job that never succeeded is visible.
	for _, n := range names {
		for _, r := range []string{resultOK, resultFailed, resultSkipped} {
			m.runs.WithLabelValues(n, r)
		}
		m.items.WithLabelValues(n)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.runs, m.duration, m.items, m.lastSuccess} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("jobs: metrics registered twice: %w", err)
			}
			return nil, fmt.Errorf("jobs: metrics: %w", err)
		}
	}
	return m, nil
}
