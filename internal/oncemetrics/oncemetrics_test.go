package oncemetrics

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/oncefleet/oncefleet/once"
	"github.com/oncefleet/oncefleet/oncesim"
)

func TestHooksCountRealTraffic(t *testing.T) {
	sim, err := oncesim.New(oncesim.Options{Sims: 20, ClientID: "id", ClientSecret: "secret", RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	srv := httptest.NewServer(sim)
	defer srv.Close()

	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := once.New("id", "secret", once.WithBaseURL(srv.URL), once.WithHooks(m.Hooks()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	iccid := sim.ICCIDs()[0]
	for range 3 {
		if _, err := c.GetSIM(ctx, iccid); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.GetSIM(ctx, "8988280666999999999"); err == nil {
		t.Fatal("unknown SIM found")
	}

	if got := testutil.ToFloat64(m.tokens.WithLabelValues("ok")); got != 1 {
		t.Errorf("token_refresh_count{ok} = %v, want 1", got)
	}
	const op = "v2.getSim"
	ok := testutil.ToFloat64(m.requests.WithLabelValues(op, "200"))
	notFound := testutil.ToFloat64(m.requests.WithLabelValues(op, "404"))
	if ok != 3 || notFound != 1 {
		t.Errorf("requests ok=%v notFound=%v (%d series)", ok, notFound, testutil.CollectAndCount(m.requests))
	}
	if n := testutil.ToFloat64(m.errs.WithLabelValues(op, "client")); n != 1 {
		t.Errorf("once_api_errors_total{op=%q,kind=client} = %v, want 1 (the 404)", op, n)
	}
	// Every SPEC §10 upstream metric is exposed under its fixed name.
	names, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, mf := range names {
		all.WriteString(mf.GetName() + " ")
	}
	for _, want := range []string{"once_api_requests_total", "once_api_errors_total", "once_api_latency_seconds", "token_refresh_count"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("metric %s missing (have %s)", want, all.String())
		}
	}
}

func TestErrorKind(t *testing.T) {
	tests := []struct {
		status int
		err    error
		want   string
	}{
		{0, once.ErrTimeout, "timeout"},
		{0, context.Canceled, "transport"},
		{429, &once.RateLimitError{}, "rate_limited"},
		{401, once.ErrAuth, "auth"},
		{502, &once.APIError{Status: 502}, "server"},
		{404, once.ErrNotFound, "client"},
	}
	for _, tt := range tests {
		if got := errorKind(tt.status, tt.err); got != tt.want {
			t.Errorf("errorKind(%d, %v) = %q, want %q", tt.status, tt.err, got, tt.want)
		}
	}
}

// TestSeriesBeforeTraffic checks what a fresh replica exposes: every upstream family, at zero,
// so dashboards and alerts see zeros rather than gaps.
func TestSeriesBeforeTraffic(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.WatchHost("api.1nce.com")
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 7 {
		t.Errorf("%d families before traffic, want all 7", len(families))
	}
	if got := testutil.ToFloat64(m.breakerState.WithLabelValues("api.1nce.com")); got != 0 {
		t.Errorf("breaker of the watched host = %v, want 0 (closed)", got)
	}
	if n := testutil.CollectAndCount(m.budgetWait); n != 4 {
		t.Errorf("budget wait series = %d, want one per priority (4)", n)
	}
}
