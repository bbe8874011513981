package app

import (
	"context"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// fleetMetricsEvery is how often the fleet gauges are refreshed from the mirror: they are
// read from indexed counts, but a scrape must never wait for the database.
const fleetMetricsEvery = time.Minute

// fleetMetrics are the fleet gauges of SPEC §10, refreshed in the background.
type fleetMetrics struct {
	active   prometheus.Gauge
	byStatus *prometheus.GaugeVec
	today    prometheus.Gauge
}

func newFleetMetrics(reg prometheus.Registerer) (*fleetMetrics, error) {
	m := &fleetMetrics{
		active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "active_sims_count", Help: "Mirrored SIMs in status Enabled."}),
		byStatus: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "sims_count",
			Help: "Mirrored SIMs by status."}, []string{"status"}),
		today: prometheus.NewGauge(prometheus.GaugeOpts{Name: "daily_data_usage_bytes",
			Help: "Data the fleet used today (UTC) so far, from the mirror (Data Streamer and usage sync)."}),
	}
	for _, c := range []prometheus.Collector{m.active, m.byStatus, m.today} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// fleetCounter is what the fleet gauges read.
type fleetCounter interface {
	CountSIMsByStatus(ctx context.Context) ([]fleet.StatusCount, error)
	DailyUsageTotals(ctx context.Context, from, to time.Time) ([]fleet.DailyTotal, error)
}

// run refreshes the gauges until ctx ends.
func (m *fleetMetrics) run(ctx context.Context, st fleetCounter, log interface {
	WarnContext(ctx context.Context, msg string, args ...any)
}) error {
	t := time.NewTicker(fleetMetricsEvery)
	defer t.Stop()
	for {
		m.refresh(ctx, st, log)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (m *fleetMetrics) refresh(ctx context.Context, st fleetCounter, log interface {
	WarnContext(ctx context.Context, msg string, args ...any)
}) {
	counts, err := st.CountSIMsByStatus(ctx)
	if err != nil {
		if ctx.Err() == nil {
			log.WarnContext(ctx, "fleet metrics: count sims", "err", err)
		}
		return
	}
	m.byStatus.Reset()
	var active int64
	for _, c := range counts {
		m.byStatus.WithLabelValues(c.Status).Set(float64(c.Count))
		if strings.EqualFold(c.Status, "Enabled") {
			active += c.Count
		}
	}
	m.active.Set(float64(active))
	today := fleet.Day(time.Now())
	totals, err := st.DailyUsageTotals(ctx, today, today)
	if err != nil {
		if ctx.Err() == nil {
			log.WarnContext(ctx, "fleet metrics: today's usage", "err", err)
		}
		return
	}
	var used int64
	for _, d := range totals {
		used += d.VolumeTotal
	}
	m.today.Set(float64(used))
}
