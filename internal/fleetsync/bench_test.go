package fleetsync_test

import (
	"context"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleetsync"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
	"github.com/oncefleet/oncefleet/once"
	"github.com/oncefleet/oncefleet/oncesim"
)

// Full-sync benchmarks (SPEC §13): the time to sync a whole fleet from the simulator into the
// mirror, beside the time to only fetch the same pages (the baseline, same run). They run only
// with -bench (bench/run.sh sync): a limited 100,000-SIM sync takes 100 s by design.
//
//	go test -run '^$' -bench 'BenchmarkFullSync' -benchtime 1x ./internal/fleetsync/

// benchSim serves a simulator of n SIMs over loopback; rate < 0 turns its limit off.
func benchSim(b *testing.B, n int, rate float64) string {
	b.Helper()
	sim, err := oncesim.New(oncesim.Options{Sims: n, Seed: 3, ClientID: clientID, ClientSecret: clientSecret, RateLimit: rate})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	b.Cleanup(func() { srv.Close(); sim.Close() })
	return srv.URL
}

func benchClient(b *testing.B, url string, limited bool) *once.Client {
	b.Helper()
	rate := once.WithRate(math.Inf(1), 0)
	if limited {
		rate = once.WithRate(once.DefaultRate, once.DefaultBurst)
	}
	c, err := once.New(clientID, clientSecret, once.WithBaseURL(url), rate)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// fetchOnly walks every page as the sync does, storing nothing.
func fetchOnly(ctx context.Context, c *once.Client, concurrency int) (int, error) {
	n := 0
	for _, err := range c.ListSIMs(once.WithPriority(ctx, once.PrioritySync), once.SIMListOptions{ListOptions: once.ListOptions{Concurrency: concurrency}}) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func benchFullSync(b *testing.B, n int, limited bool, stores map[string]func(b *testing.B) storetest.SyncStore) {
	simRate := -1.0
	if limited {
		simRate = oncesim.DefaultRateLimit
	}
	url := benchSim(b, n, simRate)
	const concurrency = 8
	report := func(b *testing.B, d time.Duration) {
		b.ReportMetric(float64(n)/d.Seconds(), "sims/s")
		b.ReportMetric(d.Seconds(), "s/sync")
		if limited {
			bound := float64(n) / once.MaxPageSize / oncesim.DefaultRateLimit
			b.ReportMetric(d.Seconds()/bound, "x-limit-bound")
		}
	}
	b.Run("fetch-only", func(b *testing.B) {
		for b.Loop() {
			c := benchClient(b, url, limited)
			t0 := time.Now()
			got, err := fetchOnly(b.Context(), c, concurrency)
			if err != nil || got != n {
				b.Fatalf("fetched %d of %d: %v", got, n, err)
			}
			report(b, time.Since(t0))
			if limited {
				time.Sleep(2 * time.Second) // let the simulator's bucket refill for the next part
			}
		}
	})
	for name, open := range stores {
		b.Run("sync-"+name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				s := open(b)
				c := benchClient(b, url, limited)
				b.StartTimer()
				t0 := time.Now()
				res, err := (&fleetsync.SIMSync{Store: s, Once: c, Concurrency: concurrency}).Run(b.Context())
				if err != nil || res.Seen != n || res.New != n {
					b.Fatalf("sync = %+v, %v", res, err)
				}
				report(b, time.Since(t0))
				if limited {
					b.StopTimer()
					time.Sleep(2 * time.Second)
					b.StartTimer()
				}
			}
		})
	}
}

var benchStores = map[string]func(b *testing.B) storetest.SyncStore{
	"postgres": func(b *testing.B) storetest.SyncStore { return dbtest.NewPostgres(b) },
	"sqlite":   func(b *testing.B) storetest.SyncStore { return dbtest.NewSQLite(b) },
}

// BenchmarkFullSync100kLimited: 100,000 SIMs at the simulator's real 10 requests/s (the bound
// is 1,000 pages / 10 per s = 100 s).
func BenchmarkFullSync100kLimited(b *testing.B) {
	benchFullSync(b, 100_000, true, map[string]func(b *testing.B) storetest.SyncStore{"postgres": benchStores["postgres"]})
}

// BenchmarkFullSync100k: 100,000 SIMs with the rate limit off (our own side is the bound).
func BenchmarkFullSync100k(b *testing.B) { benchFullSync(b, 100_000, false, benchStores) }

// BenchmarkFullSync1M: 1,000,000 SIMs with the rate limit off, into PostgreSQL.
func BenchmarkFullSync1M(b *testing.B) {
	benchFullSync(b, 1_000_000, false, map[string]func(b *testing.B) storetest.SyncStore{"postgres": benchStores["postgres"]})
}
