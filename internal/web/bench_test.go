package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/cache"
	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/internal/store/sqlite"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

// benchSIMs is the mirror size of the page benchmarks (SPEC §13: pages render in < 100 ms).
const benchSIMs = 100_000

// benchDays of usage for every SIM: a month of daily rows (3,000,000 for 100,000 SIMs).
const benchDays = 30

// fixedJobs stands in for the job runner's list (kept in memory by the runner; not a query).
type fixedJobs struct{}

func (fixedJobs) Jobs(context.Context, int) ([]jobs.Status, error) {
	ok := true
	end := time.Now().UTC()
	return []jobs.Status{{Name: "sync_sims", Interval: 15 * time.Minute, Runs: []fleet.JobRun{{Job: "sync_sims", StartedAt: end.Add(-time.Minute), FinishedAt: &end, OK: &ok}}}}, nil
}

// benchServer seeds a SQLite mirror of benchSIMs SIMs with a month of usage each and returns
// the dashboard over it and the store.
func benchServer(b *testing.B) (*Server, *sqlite.Store) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	sims := storetest.BenchSIMs(benchSIMs)
	for i := range sims {
		// A fleet that looks like one: some disabled, some online, quotas spread out.
		if i%10 == 0 {
			sims[i].Status = "Disabled"
		}
		left := int64(i%500) << 20
		sims[i].DataVolumeLeft = &left
		if left == 0 {
			sims[i].DataQuotaStatus = "EXHAUSTED"
		}
		if i%3 == 0 {
			sims[i].Online, sims[i].LastSeenAt = true, time.Now().UTC()
		}
	}
	for i := 0; i < len(sims); i += 10_000 {
		if err := st.UpsertSIMs(ctx, sims[i:min(i+10_000, len(sims))]); err != nil {
			b.Fatal(err)
		}
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	rows := make([]fleet.Usage, 0, 10_000)
	flush := func() {
		if err := st.UpsertUsage(ctx, rows); err != nil {
			b.Fatal(err)
		}
		rows = rows[:0]
	}
	for i, s := range sims {
		for d := range benchDays {
			v := int64((i%97+1)*(d+1)) << 10
			rows = append(rows, fleet.Usage{ICCID: s.ICCID, Day: today.AddDate(0, 0, -d), VolumeRx: v / 2, VolumeTx: v - v/2, VolumeTotal: v, Source: fleet.UsageFromStreamer})
			if len(rows) == cap(rows) {
				flush()
			}
		}
	}
	flush()
	// No cache in front of the store: every page pays its queries, as the first view of a
	// filter does (the server's cache then answers repeats of it for five minutes).
	svc, err := control.New(control.Options{Store: st, Cache: noCache{}})
	if err != nil {
		b.Fatal(err)
	}
	pages, err := parseTemplates()
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{cfg: Config{Control: svc, Store: st, Jobs: fixedJobs{}}, log: slog.New(slog.DiscardHandler), pages: pages, events: newHub()}
	return s, st
}

func render(b *testing.B, h handler, target string) {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	w := httptest.NewRecorder()
	h(w, r, viewer{CSRF: "bench-csrf-token-0123456789"})
	if w.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", target, w.Code, w.Body.String())
	}
}

// noCache caches nothing: every read loads.
type noCache struct{}

func (noCache) Get(context.Context, string) ([]byte, bool, error)        { return nil, false, nil }
func (noCache) Set(context.Context, string, []byte, time.Duration) error { return nil }
func (noCache) Delete(context.Context, ...string) error                  { return nil }
func (noCache) DeletePrefix(context.Context, string) error               { return nil }
func (noCache) Ping(context.Context) error                               { return nil }
func (noCache) Close() error                                             { return nil }
func (noCache) GetOrLoad(ctx context.Context, _ string, _ time.Duration, load cache.LoadFunc) ([]byte, error) {
	return load(ctx)
}

// BenchmarkPages measures the server time to render the overview and the SIM table over a
// 100,000-SIM SQLite mirror (page = queries + template), beside the store queries alone
// (store: the same queries, nothing rendered) in the same run.
func BenchmarkPages(b *testing.B) {
	s, st := benchServer(b)
	ctx := context.Background()
	// The overview reads the fleet-wide sums from the snapshot the background loop keeps;
	// refreshing it is measured on its own below.
	s.refreshSnapshot(ctx, time.Now().UTC())
	if v := s.snap.view(); !v.Ready || v.Err != "" {
		b.Fatalf("snapshot: %+v", v.Err)
	}
	b.Run("overview/page", func(b *testing.B) {
		for b.Loop() {
			render(b, s.overview, "/")
		}
	})
	b.Run("overview/store", func(b *testing.B) {
		// The queries the page runs per request (indexed counts, open alerts), nothing rendered.
		yes := true
		for b.Loop() {
			if _, err := st.CountSIMsByStatus(ctx); err != nil {
				b.Fatal(err)
			}
			for _, f := range []fleet.SIMFilter{{Online: &yes, PageSize: 1}, {DataQuotaStatus: "EXHAUSTED", PageSize: 1}} {
				if _, err := st.ListSIMs(ctx, f); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := st.StreamHealth(ctx); err != nil {
				b.Fatal(err)
			}
			if _, _, err := st.ListAlerts(ctx, fleet.AlertFilter{OpenOnly: true, Limit: 1}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("overview/snapshot-minutely", func(b *testing.B) {
		// Today's usage and the quota risks (every minute, in the background).
		for b.Loop() {
			s.refreshSnapshot(ctx, time.Now().UTC())
		}
	})
	b.Run("overview/snapshot-hourly", func(b *testing.B) {
		// The closed days of the month: the 30-day usage scan (hourly, in the background).
		today := time.Now().UTC().Truncate(24 * time.Hour)
		for b.Loop() {
			if _, err := st.DailyUsageTotals(ctx, today.AddDate(0, 0, -30), today.AddDate(0, 0, -1)); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, tc := range []struct{ name, query string }{
		{"first", ""},
		{"status-sorted-deep", "status=Disabled&sort=-data_volume_left&page=40&size=100"},
		{"iccid-prefix", "q=89882806660000421"},
		{"label-search", "q=pump-4242"},
	} {
		q, err := parseTableQuery(mustQuery(tc.query))
		if err != nil {
			b.Fatal(err)
		}
		b.Run("table-"+tc.name+"/page", func(b *testing.B) {
			for b.Loop() {
				render(b, s.simTable, "/sims?"+tc.query)
			}
		})
		b.Run("table-"+tc.name+"/store", func(b *testing.B) {
			for b.Loop() {
				if _, err := st.ListSIMs(ctx, q.filter()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func mustQuery(s string) map[string][]string {
	r := httptest.NewRequest(http.MethodGet, "/sims?"+s, nil)
	return r.URL.Query()
}
