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
	active    prometheus.Gauge
	byStatus  *prometheus.GaugeVec
	today     prometheus.Gauge
	online    prometheus.Gauge
	exhausted prometheus.Gauge
	alerts    prometheus.Gauge
}

func newFleetMetrics(reg prometheus.Registerer) (*fleetMetrics, error) {
	m := &fleetMetrics{
		active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "active_sims_count", Help: "Mirrored SIMs in status Enabled."}),
		byStatus: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "sims_count",
			Help: "Mirrored SIMs by status."}, []string{"status"}),
		today: prometheus.NewGauge(prometheus.GaugeOpts{Name: "daily_data_usage_bytes",
			Help: "Data the fleet used today (UTC) so far, from the mirror (Data Streamer and usage sync)."}),
		online: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sims_online_count",
			Help: "Mirrored SIMs with a data session open, as the Data Streamer and 1NCE last told."}),
		exhausted: prometheus.NewGauge(prometheus.GaugeOpts{Name: "sims_data_quota_exhausted_count",
			Help: "Mirrored SIMs whose data quota 1NCE reports EXHAUSTED (no data until a top-up)."}),
		alerts: prometheus.NewGauge(prometheus.GaugeOpts{Name: "alerts_open_count",
			Help: "Alerts raised and not yet resolved (acknowledged ones included)."}),
	}
	for _, c := range []prometheus.Collector{m.active, m.byStatus, m.today, m.online, m.exhausted, m.alerts} {
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
	ListSIMs(ctx context.Context, f fleet.SIMFilter) (fleet.Page[fleet.SIM], error)
	ListAlerts(ctx context.Context, f fleet.AlertFilter) ([]fleet.Alert, int, error)
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
	// Counts only: a page of one carries the filter's total.
	yes := true
	for _, c := range []struct {
		g prometheus.Gauge
		f fleet.SIMFilter
	}{{m.online, fleet.SIMFilter{Online: &yes, PageSize: 1}}, {m.exhausted, fleet.SIMFilter{DataQuotaStatus: "EXHAUSTED", PageSize: 1}}} {
		page, err := st.ListSIMs(ctx, c.f)
		if err != nil {
			if ctx.Err() == nil {
				log.WarnContext(ctx, "fleet metrics: count sims", "err", err)
			}
			return
		}
		c.g.Set(float64(page.Total))
	}
	if _, open, err := st.ListAlerts(ctx, fleet.AlertFilter{OpenOnly: true, Limit: 1}); err != nil {
		if ctx.Err() == nil {
			log.WarnContext(ctx, "fleet metrics: open alerts", "err", err)
		}
	} else {
		m.alerts.Set(float64(open))
	}
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
