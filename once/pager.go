package once

import (
	"context"
	"iter"
	"net/http"
	"strconv"
	"sync"
)

// MaxPageSize is the largest page 1NCE serves on SIM and SMS lists (pageSize ≤ 100); larger
// requests are refused by 1NCE, so the SDK clamps to it.
const MaxPageSize = 100

// Page describes one page of a list answer, from 1NCE's pagination headers (X-Current-Page,
// X-Count-Per-Page, X-Total-Count, X-Total-Pages). Totals are -1 when 1NCE did not say (v2
// SMS and event lists document no headers).
type Page struct {
	Number     int
	Size       int
	TotalCount int
	TotalPages int
}

// pageFromHeader reads the pagination headers, falling back to what was requested.
func pageFromHeader(h http.Header, page, size int) Page {
	p := Page{Number: page, Size: size, TotalCount: -1, TotalPages: -1}
	if h == nil {
		return p
	}
	num := func(name string) (int, bool) {
		v, err := strconv.Atoi(h.Get(name))
		return v, err == nil && v >= 0
	}
	if v, ok := num("X-Current-Page"); ok && v > 0 {
		p.Number = v
	}
	if v, ok := num("X-Count-Per-Page"); ok && v > 0 {
		p.Size = v
	}
	if v, ok := num("X-Total-Count"); ok {
		p.TotalCount = v
	}
	if v, ok := num("X-Total-Pages"); ok {
		p.TotalPages = v
	}
	// Some answers carry the count but not the pages; derive them.
	if p.TotalPages < 0 && p.TotalCount >= 0 && p.Size > 0 {
		p.TotalPages = (p.TotalCount + p.Size - 1) / p.Size
	}
	return p
}

// ListOptions control how a list iterator walks the pages.
type ListOptions struct {
	// PageSize is the number of items per request. 0 means the largest page 1NCE allows for
	// the list (fewest requests of the shared budget); larger values are clamped to it.
	PageSize int
	// Concurrency > 1 fetches up to that many pages at the same time once the first page has
	// told the total page count (full-fleet sync). Items are still yielded in page order;
	// pages fetched ahead are held until their turn, so at most Concurrency pages are in
	// memory. Lists whose total 1NCE does not report are always walked one page at a time.
	Concurrency int
}

// pageFetcher fetches one page.
type pageFetcher[T any] func(ctx context.Context, page, size int) ([]T, Page, error)

// paginate walks all pages of a list, yielding every item in order. It stops at the last
// page announced by 1NCE, or, when 1NCE announces none, at the first short or empty page.
// Breaking out of the loop cancels pages in flight and waits for them, so no request is
// sent after the loop ends.
func paginate[T any](ctx context.Context, opts ListOptions, maxSize int, fetch pageFetcher[T]) iter.Seq2[T, error] {
	size := opts.PageSize
	if size <= 0 || size > maxSize {
		size = maxSize
	}
	return func(yield func(T, error) bool) {
		var zero T
		items, pg, err := fetch(ctx, 1, size)
		if err != nil {
			yield(zero, err)
			return
		}
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
		if pg.TotalPages >= 0 && opts.Concurrency > 1 && pg.TotalPages > 2 {
			parallelPages(ctx, opts.Concurrency, 2, pg.TotalPages, size, fetch, yield)
			return
		}
		for page := 2; ; page++ {
			if pg.TotalPages >= 0 {
				if page > pg.TotalPages {
					return
				}
			} else if len(items) < size { // size ≥ 1, so this covers an empty page too
				return
			}
			total := pg.TotalPages
			items, pg, err = fetch(ctx, page, size)
			if err != nil {
				yield(zero, err)
				return
			}
			// Keep the first answer's total when a later page omits it, so a known end stays known.
			if pg.TotalPages < 0 {
				pg.TotalPages = total
			}
			if len(items) == 0 {
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
		}
	}
}

// parallelPages fetches pages first..last with at most n requests in flight and yields their
// items in page order. It returns once every request it started has finished.
func parallelPages[T any](ctx context.Context, n, first, last, size int, fetch pageFetcher[T], yield func(T, error) bool) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	type result struct {
		items []T
		err   error
	}
	pending := make(map[int]chan result, n)
	launched := first
	launch := func(upTo int) {
		for ; launched <= last && launched < upTo; launched++ {
			ch := make(chan result, 1) // buffered: a cancelled fetch never blocks
			pending[launched] = ch
			wg.Add(1)
			go func(page int) {
				defer wg.Done()
				items, _, err := fetch(ctx, page, size)
				ch <- result{items, err}
			}(launched)
		}
	}
	var zero T
	for next := first; next <= last; next++ {
		launch(next + n)
		r := <-pending[next]
		delete(pending, next)
		if r.err != nil {
			yield(zero, r.err)
			return
		}
		for _, it := range r.items {
			if !yield(it, nil) {
				return
			}
		}
	}
}
