package api_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// BenchmarkGetSIM measures GET /api/v1/sims/{iccid} served from the mirror through the cache,
// over loopback, with the whole middleware stack (request id, log, metrics, auth, limits).
// The load figures of SPEC §13 come from bench/api.sh (wrk, 100 connections); this one is
// for profiling the request path.
func BenchmarkGetSIM(b *testing.B) {
	e := apptest.Start(b, apptest.Options{})
	want200 := func(r req) {
		if res := e.Do(r); res.Status != 200 {
			b.Fatalf("%d %s", res.Status, res.Body)
		}
	}
	want200(get("/sims/"+simICCID(1), fleet.RoleViewer))
	url := e.URL + "/api/v1/sims/" + simICCID(1)
	key := e.Keys[fleet.RoleViewer]
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	client := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
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
