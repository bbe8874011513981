package app

import (
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/sqlite"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

func TestFleetMetricsCountFromTheMirror(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sims := storetest.BenchSIMs(10)
	seen := time.Now().UTC()
	for i := range sims {
		if i < 3 { // three with a data session open
			sims[i].Online, sims[i].LastSeenAt = true, seen
		}
		if i >= 8 { // two out of data
			sims[i].DataQuotaStatus = "EXHAUSTED"
		}
	}
	if err := st.UpsertSIMs(ctx, sims); err != nil {
		t.Fatal(err)
	}
	for _, iccid := range []string{sims[0].ICCID, sims[1].ICCID} {
		a := &fleet.Alert{Kind: fleet.AlertStatusChanged, ICCID: iccid, DedupKey: "test:" + iccid, Message: "changed"}
		if _, err := st.InsertAlert(ctx, a, 0); err != nil {
			t.Fatal(err)
		}
	}
	m, err := newFleetMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	m.refresh(ctx, st, slog.New(slog.DiscardHandler))
	for _, c := range []struct {
		name string
		g    prometheus.Gauge
		want float64
	}{
		{"sims_online_count", m.online, 3},
		{"sims_data_quota_exhausted_count", m.exhausted, 2},
		{"alerts_open_count", m.alerts, 2},
	} {
		if got := testutil.ToFloat64(c.g); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
}
