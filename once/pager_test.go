package once

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeList serves n items (0..n-1) in pages, recording every page asked for.
type fakeList struct {
	n           int
	reportTotal bool // send TotalPages/TotalCount like v1 headers
	failPage    int  // answer an error on this page

	mu       sync.Mutex
	asked    []int
	inFlight atomic.Int32
	maxSeen  atomic.Int32
}

func (f *fakeList) fetch(ctx context.Context, page, size int) ([]int, Page, error) {
	f.mu.Lock()
	f.asked = append(f.asked, page)
	f.mu.Unlock()
	cur := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxSeen.Load()
		if cur <= m || f.maxSeen.CompareAndSwap(m, cur) {
			break
		}
	}
	if page == f.failPage {
		return nil, Page{}, fmt.Errorf("page %d: %w", page, errBoom)
	}
	pg := Page{Number: page, Size: size, TotalCount: -1, TotalPages: -1}
	if f.reportTotal {
		pg.TotalCount = f.n
		pg.TotalPages = (f.n + size - 1) / size
	}
	var out []int
	for i := (page - 1) * size; i < page*size && i < f.n; i++ {
		out = append(out, i)
	}
	return out, pg, nil
}

func (f *fakeList) pages() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.asked)
}

var errBoom = errors.New("boom")

func collect(t *testing.T, seq func(func(int, error) bool)) ([]int, error) {
	t.Helper()
	var out []int
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

func seqOf(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func addOne(s []int) []int {
	for i := range s {
		s[i]++
	}
	return s
}

func TestPaginateAllPages(t *testing.T) {
	for _, tc := range []struct {
		name        string
		n, size     int
		total       bool
		concurrency int
		wantPages   int
	}{
		{"headers, exact pages", 300, 100, true, 1, 3},
		{"headers, partial last", 250, 100, true, 1, 3},
		{"headers, empty", 0, 100, true, 1, 1},
		{"no headers, short last page", 250, 100, false, 1, 3},
		{"no headers, exact multiple needs an empty page", 200, 100, false, 1, 3},
		{"no headers, concurrency ignored", 250, 100, false, 4, 3},
		{"parallel", 1000, 100, true, 4, 10},
		{"parallel wider than pages", 350, 100, true, 16, 4},
		{"size clamped to max", 250, 1000, true, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeList{n: tc.n, reportTotal: tc.total}
			got, err := collect(t, paginate(context.Background(), ListOptions{PageSize: tc.size, Concurrency: tc.concurrency}, 100, f.fetch))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, seqOf(tc.n)) {
				t.Fatalf("got %d items out of order or missing: %v", len(got), got)
			}
			pages := f.pages()
			if len(pages) != tc.wantPages {
				t.Errorf("fetched pages %v, want %d pages", pages, tc.wantPages)
			}
			slices.Sort(pages)
			if want := seqOf(len(pages)); !slices.Equal(pages, addOne(want)) {
				t.Errorf("pages fetched %v, want each of 1..%d once", pages, len(pages))
			}
		})
	}
}

// TestPaginateParallelOrder makes page 2 wait until page 4 has been answered, so later pages
// finish first: items must still come out in page order, with at most N requests in flight.
// A sequential pager would never start page 4 while page 2 waits; the generous bound turns
// that into a failure instead of a hang.
func TestPaginateParallelOrder(t *testing.T) {
	const n, size, conc = 800, 100, 3
	f := &fakeList{n: n, reportTotal: true}
	page4Done := make(chan struct{})
	fetch := func(ctx context.Context, page, size int) ([]int, Page, error) {
		if page == 2 {
			select {
			case <-page4Done:
			case <-time.After(30 * time.Second):
				return nil, Page{}, errors.New("page 4 was not fetched while page 2 was in flight")
			}
		}
		items, pg, err := f.fetch(ctx, page, size)
		if page == 4 {
			close(page4Done)
		}
		return items, pg, err
	}
	got, err := collect(t, paginate(context.Background(), ListOptions{PageSize: size, Concurrency: conc}, 100, fetch))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, seqOf(n)) {
		t.Fatalf("items out of order: %v", got)
	}
	if m := f.maxSeen.Load(); m > conc {
		t.Errorf("%d requests in flight, concurrency was %d", m, conc)
	}
}

func TestPaginateEarlyBreakStopsFetching(t *testing.T) {
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprintf("concurrency %d", conc), func(t *testing.T) {
			f := &fakeList{n: 10000, reportTotal: true}
			seen := 0
			for v, err := range paginate(context.Background(), ListOptions{PageSize: 10, Concurrency: conc}, 100, f.fetch) {
				if err != nil {
					t.Fatal(err)
				}
				seen++
				if v == 25 { // third page
					break
				}
			}
			if seen != 26 {
				t.Fatalf("saw %d items", seen)
			}
			// paginate returned: every request it started has finished, and none comes later.
			after := f.pages()
			if f.inFlight.Load() != 0 {
				t.Errorf("%d fetches still running after break", f.inFlight.Load())
			}
			// At most the pages up to the break plus the read-ahead window.
			if limit := 3 + conc; len(after) > limit {
				t.Errorf("fetched %d pages (%v) for 3 consumed; limit %d", len(after), after, limit)
			}
			if again := f.pages(); len(again) != len(after) {
				t.Errorf("fetching continued after the loop ended: %v then %v", after, again)
			}
		})
	}
}

func TestPaginateError(t *testing.T) {
	for _, conc := range []int{1, 3} {
		f := &fakeList{n: 1000, reportTotal: true, failPage: 4}
		got, err := collect(t, paginate(context.Background(), ListOptions{PageSize: 100, Concurrency: conc}, 100, f.fetch))
		if !errors.Is(err, errBoom) {
			t.Fatalf("concurrency %d: err = %v", conc, err)
		}
		if !slices.Equal(got, seqOf(300)) {
			t.Errorf("concurrency %d: got %d items before the error, want the 300 of pages 1-3", conc, len(got))
		}
	}
	// An error on the first page is yielded once and ends the iteration.
	f := &fakeList{n: 10, failPage: 1}
	calls := 0
	for _, err := range paginate(context.Background(), ListOptions{}, 100, f.fetch) {
		calls++
		if !errors.Is(err, errBoom) {
			t.Fatalf("err = %v", err)
		}
	}
	if calls != 1 {
		t.Errorf("yielded %d times", calls)
	}
}

func TestPageFromHeader(t *testing.T) {
	h := http.Header{}
	h.Set("X-Total-Count", "250")
	h.Set("X-Total-Pages", "3")
	h.Set("X-Current-Page", "2")
	h.Set("X-Count-Per-Page", "100")
	if got := pageFromHeader(h, 9, 9); got != (Page{Number: 2, Size: 100, TotalCount: 250, TotalPages: 3}) {
		t.Errorf("all headers: %+v", got)
	}
	h2 := http.Header{}
	h2.Set("X-Total-Count", "250")
	if got := pageFromHeader(h2, 1, 100); got.TotalPages != 3 {
		t.Errorf("pages not derived from count: %+v", got)
	}
	h3 := http.Header{}
	h3.Set("X-Total-Pages", "garbage")
	if got := pageFromHeader(h3, 1, 50); got != (Page{Number: 1, Size: 50, TotalCount: -1, TotalPages: -1}) {
		t.Errorf("garbage headers: %+v", got)
	}
}
