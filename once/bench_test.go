package once

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The benchmarks measure the client's own overhead per call (token cache, budget, breaker,
// retry bookkeeping, hooks, JSON decoding and domain mapping) against a loopback server. Each
// has a raw-http sub-benchmark, the same-run baseline: the same request made with net/http
// and decoded into the same wire type, without the client.
//
//	go test -run '^$' -bench 'BenchmarkListSIMsPage|BenchmarkGetSIM' -benchmem -benchtime=2s ./once

func benchServer(b *testing.B, sims int) (*httptest.Server, *Client) {
	b.Helper()
	f, err := NewFakeAPI(".", "bench-id", "bench-secret", sims)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(f)
	b.Cleanup(srv.Close)
	c, err := New("bench-id", "bench-secret", WithBaseURL(srv.URL), WithRate(math.Inf(1), 0))
	if err != nil {
		b.Fatal(err)
	}
	return srv, c
}

func rawGet(b *testing.B, hc *http.Client, url string, out any) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer fake-token")
	req.Header.Set("Accept", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 {
		b.Fatalf("status %d, %v", res.StatusCode, err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkGetSIM is one GET /v2/sims/{iccid} mapped into the domain model.
func BenchmarkGetSIM(b *testing.B) {
	srv, c := benchServer(b, 1)
	ctx := context.Background()
	const iccid = "8988280666000000001"
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := c.GetSIM(ctx, iccid); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-http", func(b *testing.B) {
		hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		b.ReportAllocs()
		for range b.N {
			var s V2SIM
			rawGet(b, hc, srv.URL+"/v2/sims/"+iccid, &s)
		}
	})
}

// BenchmarkListSIMsPage is one full page (100 SIMs) of GET /v2/sims, pagination headers read
// and every SIM mapped.
func BenchmarkListSIMsPage(b *testing.B) {
	srv, c := benchServer(b, 100)
	ctx := context.Background()
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			n := 0
			for _, err := range c.ListSIMs(ctx, SIMListOptions{}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != 100 {
				b.Fatalf("%d SIMs", n)
			}
		}
	})
	b.Run("raw-http", func(b *testing.B) {
		hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		b.ReportAllocs()
		for range b.N {
			var page []V2SIM
			rawGet(b, hc, srv.URL+"/v2/sims?page=1&pageSize=100", &page)
			if len(page) != 100 {
				b.Fatalf("%d SIMs", len(page))
			}
		}
	})
}
