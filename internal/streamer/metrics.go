package streamer

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// Metrics are the receiver's Prometheus series. They are registered on the Registerer given to
// NewMetrics, never on the global registry, so tests and several servers in one process do not
// collide.
type Metrics struct {
	received   *prometheus.CounterVec
	duplicates *prometheus.CounterVec
	rejected   *prometheus.CounterVec
	applied    *prometheus.CounterVec
	applyLag   prometheus.Gauge
	ack        *prometheus.HistogramVec
	lastRecord *prometheus.GaugeVec
	silent     *prometheus.GaugeVec
}

// NewMetrics creates and registers the receiver's metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamer_records_received_total",
			Help: "Data Streamer records in acknowledged batches, duplicates included.",
		}, []string{"stream"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamer_records_duplicate_total",
			Help: "Data Streamer records acknowledged again: already stored or repeated in their batch.",
		}, []string{"stream"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamer_records_rejected_total",
			Help: "Data Streamer records refused: 1 for a malformed batch or a body over the byte limit, every record of a batch the database refused, the limit plus one for a batch over the record limit; labelled with the endpoint's stream (unknown on the combined endpoint).",
		}, []string{"stream"}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamer_records_applied_total",
			Help: "Data Streamer records applied to usage, events and the SIM mirror.",
		}, []string{"stream"}),
		applyLag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "streamer_apply_lag_seconds",
			Help: "Age of the oldest record in the last batch applied; 0 when nothing is pending.",
		}),
		ack: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "streamer_ack_duration_seconds",
			Help:    "Time from request start to the response of a Data Streamer POST.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"endpoint", "code"}),
		lastRecord: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "streamer_last_received_timestamp_seconds",
			Help: "Unix time of the newest receipt among applied records, per stream type.",
		}, []string{"stream"}),
		silent: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "streamer_stream_silent",
			Help: "1 while a stream type has received nothing for longer than the silence threshold.",
		}, []string{"stream"}),
	}
	for _, c := range []prometheus.Collector{m.received, m.duplicates, m.rejected, m.applied, m.applyLag, m.ack, m.lastRecord, m.silent} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// Expose both streams from the start so dashboards and rate() see zeros, not gaps.
	for _, s := range []string{string(record.StreamUsage), string(record.StreamEvent)} {
		m.received.WithLabelValues(s)
		m.duplicates.WithLabelValues(s)
		m.rejected.WithLabelValues(s)
		m.applied.WithLabelValues(s)
	}
	return m, nil
}

func (m *Metrics) saved(res record.SaveResult) {
	if m == nil {
		return
	}
	for _, s := range []record.Stream{record.StreamUsage, record.StreamEvent} {
		if n := res.Inserted.Get(s) + res.Duplicates.Get(s); n > 0 {
			m.received.WithLabelValues(string(s)).Add(float64(n))
		}
		if n := res.Duplicates.Get(s); n > 0 {
			m.duplicates.WithLabelValues(string(s)).Add(float64(n))
		}
	}
}

func (m *Metrics) reject(stream string, n int) {
	if m == nil || n <= 0 {
		return
	}
	if stream == "" {
		stream = "unknown"
	}
	m.rejected.WithLabelValues(stream).Add(float64(n))
}
