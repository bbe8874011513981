package oncesim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkListSIMsPage measures GET /v1/sims?page=…&pageSize=100 on a 100,000-SIM fleet over
// real loopback HTTP with the rate limit off, from parallel clients. The "static" case serves a
// prepared page of the same size from a plain handler: the same-run baseline of what loopback
// HTTP itself costs on this machine.
//
//	go test -run '^$' -bench BenchmarkListSIMsPage -benchtime 5s ./oncesim/
func BenchmarkListSIMsPage(b *testing.B) {
	sim, err := New(Options{Sims: 100_000, Seed: 1, ClientID: "bench", ClientSecret: "bench", RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	tok, _ := sim.issueToken()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/v1/sims?page=1&pageSize=100", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	sim.ServeHTTP(rec, req)
	page := rec.Body.Bytes()
	static := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(page)
	})
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"simulator", sim}, {"static", static}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(bc.h)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var n atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					p := n.Add(1)%1000 + 1
					req, _ := http.NewRequest("GET", srv.URL+"/v1/sims?page="+strconv.FormatInt(p, 10)+"&pageSize=100", nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					res, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Errorf("status %d", res.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			client.CloseIdleConnections()
		})
	}
}

// BenchmarkListSIMsHandler is the handler alone (no sockets) for the same page request: the
// simulator's own cost per page, steadier than loopback numbers on a shared machine.
//
//	go test -run '^$' -bench BenchmarkListSIMsHandler -benchtime 3s ./oncesim/
func BenchmarkListSIMsHandler(b *testing.B) {
	sim, err := New(Options{Sims: 100_000, Seed: 1, ClientID: "bench", ClientSecret: "bench", RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	tok, _ := sim.issueToken()
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p := n.Add(1)%1000 + 1
			req := httptest.NewRequest("GET", "/v1/sims?page="+strconv.FormatInt(p, 10)+"&pageSize=100", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			sim.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
}

// BenchmarkNew1M measures building a 1,000,000-SIM fleet: start-up time per op and the heap
// it occupies afterwards.
//
//	go test -run '^$' -bench BenchmarkNew1M -benchtime 2x ./oncesim/
func BenchmarkNew1M(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var heapMB float64
			for range b.N {
				b.StopTimer()
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				b.StartTimer()
				sim, err := New(Options{Sims: n, Seed: 1, ClientID: "bench", ClientSecret: "bench", Clock: NewManualClock(t0)})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				heapMB = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
				runtime.KeepAlive(sim)
				_ = sim.Close()
				b.StartTimer()
			}
			b.ReportMetric(heapMB, "heapMB")
		})
	}
}

// BenchmarkAdvanceDay1M measures metering a day of a 1,000,000-SIM fleet (what Advance and
// the real-clock sweeper do): time per simulated day and the heap the day's history adds.
//
//	go test -run '^$' -bench BenchmarkAdvanceDay1M -benchtime 3x ./oncesim/
func BenchmarkAdvanceDay1M(b *testing.B) {
	sim, err := New(Options{Sims: 1_000_000, Seed: 1, ClientID: "bench", ClientSecret: "bench", Clock: NewManualClock(t0)})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		sim.Advance(24 * time.Hour)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20)/float64(b.N), "heapMB/day")
}

// BenchmarkV2ListWalk1M walks every page of GET /v2/sims (pageSize 100) of a 1,000,000-SIM
// fleet through the handler, as a full fleet sync does, after a simulated day so that metering
// on the copy has work to do: time per full walk.
//
//	go test -run '^$' -bench BenchmarkV2ListWalk1M -benchtime 3x ./oncesim/
func BenchmarkV2ListWalk1M(b *testing.B) {
	sim, err := New(Options{Sims: 1_000_000, Seed: 1, ClientID: "bench", ClientSecret: "bench", RateLimit: -1, Clock: NewManualClock(t0)})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	sim.manual.Advance(24 * time.Hour) // the clock only: pages meter a day on their copies
	tok, _ := sim.issueToken()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for p := 1; p <= 10_000; p++ {
			req := httptest.NewRequest("GET", "/v2/sims?page="+strconv.Itoa(p)+"&pageSize=100", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			sim.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("page %d: status %d", p, rec.Code)
			}
		}
	}
}
