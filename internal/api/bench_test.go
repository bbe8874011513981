package api_test

import (
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
