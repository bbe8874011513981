package once

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"
)

// gatedStore grants a take only when the test releases a permit, so the order in which
// waiters are served is decided by the budget's queue alone.
type gatedStore struct {
	mu      sync.Mutex
	permits int
}

func (g *gatedStore) Take(ctx context.Context, key string, rate float64, burst int, reserve float64) (time.Duration, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.permits > 0 {
		g.permits--
		return 0, nil
	}
	return 2 * time.Millisecond, nil
}

func (g *gatedStore) release() {
	g.mu.Lock()
	g.permits++
	g.mu.Unlock()
}

func newTestBudget(store BudgetStore, rate float64, burst int) *budget {
	return &budget{store: store, fallback: newMemoryBudget(), key: "k", rate: rate, burst: burst, now: time.Now, log: discardLogger(), factor: 1}
}

func TestBudgetServesHigherPriorityFirst(t *testing.T) {
	store := &gatedStore{}
	b := newTestBudget(store, 10, 10)
	var mu sync.Mutex
	var order []Priority
	var wg sync.WaitGroup
	start := func(p Priority) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.acquire(testContext(t), p); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, p)
			mu.Unlock()
		}()
	}
	waitQueued := func(n int) {
		for b.queued() != n {
			time.Sleep(time.Millisecond)
		}
	}
	// Backfill arrives first, then sync, then interactive and at-risk.
	for range 4 {
		start(PriorityBackfill)
	}
	waitQueued(4)
	for range 3 {
		start(PrioritySync)
	}
	waitQueued(7)
	for range 3 {
		start(PriorityInteractive)
	}
	for range 2 {
		start(PriorityAtRisk)
	}
	waitQueued(12)
	for i := 1; i <= 12; i++ {
		store.release()
		for {
			mu.Lock()
			n := len(order)
			mu.Unlock()
			if n == i {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	wg.Wait()
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Fatalf("served out of priority order: %v", order)
		}
	}
	if order[0] != PriorityInteractive || order[len(order)-1] != PriorityBackfill {
		t.Fatalf("order %v", order)
	}
}

func TestBudgetCancelLeavesQueue(t *testing.T) {
	store := &gatedStore{}
	b := newTestBudget(store, 10, 10)
	ctx, cancel := context.WithCancel(testContext(t))
	errc := make(chan error, 1)
	go func() { errc <- b.acquire(ctx, PriorityInteractive) }()
	for b.queued() != 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if b.queued() != 0 {
		t.Fatal("cancelled waiter still queued")
	}
	// The next caller is served normally.
	store.release()
	if err := b.acquire(testContext(t), PriorityBackfill); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryBudgetBucket(t *testing.T) {
	m := newMemoryBudget()
	ctx := testContext(t)
	// A nearly frozen bucket (1 request per 1000 s) so refill cannot change the outcome.
	const rate = 0.001
	for i := range 3 {
		if w, _ := m.Take(ctx, "a", rate, 3, 0); w != 0 {
			t.Fatalf("take %d within burst waited %s", i, w)
		}
	}
	w, _ := m.Take(ctx, "a", rate, 3, 0)
	if w < 900*time.Second {
		t.Fatalf("empty bucket asked to wait only %s", w)
	}
	// Buckets are per key.
	if w, _ := m.Take(ctx, "b", rate, 3, 0); w != 0 {
		t.Fatal("key b shares key a's bucket")
	}
	// Reserve: a backfill caller must leave tokens for interactive ones.
	if w, _ := m.Take(ctx, "c", rate, 3, 1.2); w != 0 {
		t.Fatal("first backfill take refused")
	}
	if w, _ := m.Take(ctx, "c", rate, 3, 1.2); w == 0 {
		t.Fatal("backfill ate into the reserve")
	}
	if w, _ := m.Take(ctx, "c", rate, 3, 0); w != 0 {
		t.Fatal("interactive take refused although the reserve was kept for it")
	}
}

func TestBudgetShrinksOn429AndRecoversSlowly(t *testing.T) {
	clock := newFakeClock()
	b := newTestBudget(newMemoryBudget(), 10, 10)
	b.now = clock.Now
	b.penalize(0)
	if r := b.currentRate(); r != 5 {
		t.Fatalf("rate after one 429 = %v, want 5", r)
	}
	b.penalize(0)
	if r := b.currentRate(); r != 2.5 {
		t.Fatalf("rate after two 429s = %v, want 2.5", r)
	}
	clock.Advance(rateRecovery / 2)
	if r := b.currentRate(); math.Abs(r-6.25) > 1e-9 {
		t.Fatalf("rate half-way through recovery = %v, want 6.25", r)
	}
	clock.Advance(rateRecovery)
	if r := b.currentRate(); r != 10 {
		t.Fatalf("rate after recovery = %v, want 10", r)
	}
	for range 20 {
		b.penalize(0)
	}
	if r := b.currentRate(); r != 10*minRateFactor {
		t.Fatalf("rate floor = %v", r)
	}
}

func TestBudgetPausesAfterRetryAfter(t *testing.T) {
	clock := newFakeClock()
	b := newTestBudget(newMemoryBudget(), 1000, 10)
	b.now = clock.Now
	b.penalize(time.Hour)
	ctx, cancel := context.WithTimeout(testContext(t), 30*time.Millisecond)
	defer cancel()
	if err := b.acquire(ctx, PriorityInteractive); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire during a Retry-After pause: %v", err)
	}
	clock.Advance(time.Hour)
	if err := b.acquire(testContext(t), PriorityInteractive); err != nil {
		t.Fatal(err)
	}
}

func TestPriorityFromContext(t *testing.T) {
	ctx := testContext(t)
	if PriorityFrom(ctx) != PriorityInteractive {
		t.Fatal("default is not interactive")
	}
	if PriorityFrom(WithPriority(ctx, PrioritySync)) != PrioritySync {
		t.Fatal("sync lost")
	}
	if PriorityFrom(WithPriority(ctx, Priority(42))) != PriorityBackfill {
		t.Fatal("out of range not clamped to backfill")
	}
	if PriorityAtRisk.String() != "at-risk" {
		t.Fatal(PriorityAtRisk.String())
	}
}

// failingStore stands for a shared store that is down.
type failingStore struct{}

func (failingStore) Take(context.Context, string, float64, int, float64) (time.Duration, error) {
	return 0, errors.New("redis: connection refused")
}

func TestBudgetFallsBackWhenStoreFails(t *testing.T) {
	b := newTestBudget(failingStore{}, 0.001, 2)
	for range 2 {
		if err := b.acquire(testContext(t), PriorityInteractive); err != nil {
			t.Fatal(err)
		}
	}
	// The local fallback still limits: the third request in the burst must wait.
	ctx, cancel := context.WithTimeout(testContext(t), 30*time.Millisecond)
	defer cancel()
	if err := b.acquire(ctx, PriorityInteractive); err == nil {
		t.Fatal("fallback budget did not limit")
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestBudgetWaitHook(t *testing.T) {
	f := newFakeAPI(t, okJSON)
	var mu sync.Mutex
	var seen []Priority
	c := newTestClient(t, f, WithRate(1000, 10), WithHooks(Hooks{BudgetWait: func(p Priority, d time.Duration) {
		mu.Lock()
		seen = append(seen, p)
		mu.Unlock()
	}}))
	if _, err := c.do(WithPriority(testContext(t), PrioritySync), getSims(), nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != PrioritySync {
		t.Fatalf("budget hook saw %v", seen)
	}
}
