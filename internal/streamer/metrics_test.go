package streamer_test

import (
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/oncefleet/oncefleet/internal/streamer"
)

// metricValue sums the samples of family name whose labels include want.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metrics
				}
			}
			total += value(m)
		}
	}
	return total
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

func TestMetricsCountReceivedDuplicateRejected(t *testing.T) {
	s, _ := openBackend(t, "sqlite")
	reg := prometheus.NewRegistry()
	m, err := streamer.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := streamer.NewMetrics(reg); err == nil {
		t.Fatal("registering twice on one registry must fail, not panic")
	}
	srv := httptest.NewServer(streamer.NewHandler(streamer.HandlerConfig{Store: s, Credential: cred, Metrics: m}))
	defer srv.Close()
	post(t, srv.URL+streamer.Prefix+"/usage", cred.Username, cred.Password, fixture(t, "v1_usage.json"))
	post(t, srv.URL+streamer.Prefix+"/usage", cred.Username, cred.Password, fixture(t, "v1_usage.json"))
	post(t, srv.URL+streamer.Prefix+"/events", cred.Username, cred.Password, fixture(t, "v1_event.json"))
	post(t, srv.URL+streamer.Prefix+"/events", cred.Username, cred.Password, `[{"id":1}]`)

	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"streamer_records_received_total", map[string]string{"stream": "usage"}, 4},
		{"streamer_records_duplicate_total", map[string]string{"stream": "usage"}, 2},
		{"streamer_records_received_total", map[string]string{"stream": "event"}, 2},
		{"streamer_records_duplicate_total", map[string]string{"stream": "event"}, 0},
		{"streamer_records_rejected_total", map[string]string{"stream": "event"}, 1},
		{"streamer_ack_duration_seconds", map[string]string{"endpoint": "usage", "code": "200"}, 2},
		{"streamer_ack_duration_seconds", map[string]string{"endpoint": "events", "code": "400"}, 1},
	} {
		if got := metricValue(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	a := streamer.NewApplier(streamer.ApplierConfig{Store: s, Metrics: m})
	applyAll(t, a)
	if got := metricValue(t, reg, "streamer_records_applied_total", map[string]string{"stream": "usage"}); got != 2 {
		t.Errorf("applied usage = %v, want 2", got)
	}
	if got := metricValue(t, reg, "streamer_apply_lag_seconds", nil); got != 0 {
		t.Errorf("apply lag with nothing pending = %v, want 0", got)
	}
	if got := metricValue(t, reg, "streamer_last_received_timestamp_seconds", map[string]string{"stream": "event"}); got == 0 {
		t.Errorf("last received time of the event stream not set")
	}
}
