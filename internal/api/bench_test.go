package api_test

import (
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// BenchmarkGetSIM measures GET /api/v1/sims/{iccid} served from the mirror through the cache,
// over loopback, with the whole middleware stack (request id, log, metrics, auth, limits).
// The load figures of SPEC §13 come from bench/api.sh (wrk, 100 connections); this one is
// for profiling the request path.
func BenchmarkGetSIM(b *testing.B) {
	const hot = 10_000
	e := apptest.Start(b, apptest.Options{MirrorSIMs: hot})
	base := e.URL + "/api/v1/sims/"
	key := e.Keys[fleet.RoleViewer]
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	client := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.ResetTimer()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, base+simICCID(int(n.Add(7919)%hot)), nil)
			req.Header.Set("X-API-Key", key)
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})
}

// BenchmarkListSIMsPage measures GET /api/v1/sims?page=N&page_size=50 over a 10,000-SIM mirror,
// the same way as BenchmarkGetSIM: for profiling the list path, not for the SPEC §13 figures.
func BenchmarkListSIMsPage(b *testing.B) {
	const hot, size = 10_000, 50
	e := apptest.Start(b, apptest.Options{MirrorSIMs: hot})
	key := e.Keys[fleet.RoleViewer]
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	client := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.ResetTimer()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			page := 1 + n.Add(7919)%(hot/size)
			req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/sims?page=%d&page_size=%d", e.URL, page, size), nil)
			req.Header.Set("X-API-Key", key)
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})
}
