package api_test

import (
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// BenchmarkGetSIM measures GET /api/v1/sims/{iccid} served from the mirror through the cache,
// over loopback, with the whole middleware stack (request id, log, metrics, auth, limits).
// The load figures of SPEC §13 come from bench/api.sh (wrk, 100 connections); this one is
// for profiling the request path.
func BenchmarkGetSIM(b *testing.B) {
	const hot = 10_000
	e := apptest.Start(b, apptest.Options{MirrorSIMs: hot, Configure: unlimited})
	getParallel(b, e.Keys[fleet.RoleViewer], func(n int64) string {
		return e.URL + "/api/v1/sims/" + simICCID(int(n%hot))
	})
}

// BenchmarkListSIMsPage measures GET /api/v1/sims?page=N&page_size=50 over a 10,000-SIM mirror,
// the same way as BenchmarkGetSIM: for profiling the list path, not for the SPEC §13 figures.
func BenchmarkListSIMsPage(b *testing.B) {
	const hot, size = 10_000, 50
	e := apptest.Start(b, apptest.Options{MirrorSIMs: hot, Configure: unlimited})
	getParallel(b, e.Keys[fleet.RoleViewer], func(n int64) string {
		return fmt.Sprintf("%s/api/v1/sims?page=%d&page_size=%d", e.URL, 1+n%(hot/size), size)
	})
}

// getParallel sends GETs to url(n) for spread-out n from every benchmark goroutine.
func getParallel(b *testing.B, key string, url func(n int64) string) {
	b.SetParallelism(50) // 100 connections on 2 cores, as bench/api.sh loads it
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	b.ReportAllocs()
	b.ResetTimer()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, url(n.Add(7919)), nil)
			req.Header.Set("X-API-Key", key)
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("%s: %s", req.URL.Path, res.Status)
				return
			}
		}
	})
}

// unlimited lifts the per-principal rate limit, which a benchmark's one key would reach.
func unlimited(c *config.Config) { c.APIRateLimit = "10000000" }
