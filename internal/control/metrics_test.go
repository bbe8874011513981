package control

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/oncefleet/oncefleet/internal/cache"
)

// TestMetricsBeforeTraffic checks what a fresh replica exposes: sms_sent_total and every
// reason × outcome of topups_total, at zero, so the alert on top-ups with an unknown outcome
// sees the first one (increase() cannot see a counter's first step from nothing).
func TestMetricsBeforeTraffic(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	s, err := New(Options{Store: struct{ Store }{}, Cache: struct{ cache.Cache }{}, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 2 {
		t.Errorf("%d families before traffic, want sms_sent_total and topups_total", len(families))
	}
	if n := testutil.CollectAndCount(s.topups); n != 9 {
		t.Errorf("topups_total has %d series, want 9 (manual, bulk, auto × sent, failed, unknown)", n)
	}
	for _, reason := range []string{"manual", "bulk", "auto"} {
		for _, state := range []string{"sent", "failed", "unknown"} {
			if v := testutil.ToFloat64(s.topups.WithLabelValues(reason, state)); v != 0 {
				t.Errorf("topups_total{reason=%q,state=%q} = %v, want 0", reason, state, v)
			}
		}
	}
	if n := testutil.CollectAndCount(s.topups); n != 9 {
		t.Errorf("reading the series made new ones: %d, want 9", n)
	}
}
