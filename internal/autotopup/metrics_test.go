package autotopup

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetricsBeforeChecks checks what a fresh replica exposes: auto_topup_checks_total for
// every outcome, at zero, so the alert on capped checks sees the first one (increase() cannot
// see a counter's first step from nothing).
func TestMetricsBeforeChecks(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	e, err := New(Options{Store: struct{ Store }{}, Control: struct{ Controller }{}, Locker: struct{ Locker }{}, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"no_policy", "enough", "sim_capped", "fleet_capped", "topped_up", "failed"}
	if n := testutil.CollectAndCount(e.checks, "auto_topup_checks_total"); n != len(want) {
		t.Errorf("auto_topup_checks_total has %d series before any check, want %d", n, len(want))
	}
	for _, out := range want {
		if v := testutil.ToFloat64(e.checks.WithLabelValues(out)); v != 0 {
			t.Errorf("auto_topup_checks_total{outcome=%q} = %v, want 0", out, v)
		}
	}
	if n := testutil.CollectAndCount(e.checks); n != len(want) {
		t.Errorf("%d series after reading the expected ones, want %d: an outcome is missing from the list", n, len(want))
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
}
