package once

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Priority orders calls competing for the request budget: a waiting call of a higher
// priority is always served before one of a lower priority, so background work never starves
// a user's request.
type Priority int

// Priorities, highest first.
const (
	// PriorityInteractive is a user waiting on an API call or the dashboard. The default.
	PriorityInteractive Priority = iota
	// PriorityAtRisk is a quota check of a SIM about to run out.
	PriorityAtRisk
	// PrioritySync is periodic fleet synchronisation.
	PrioritySync
	// PriorityBackfill is bulk history import and other work that can wait.
	PriorityBackfill
)

// String names the priority for logs and metrics.
func (p Priority) String() string {
	switch p {
	case PriorityInteractive:
		return "interactive"
	case PriorityAtRisk:
		return "at-risk"
	case PrioritySync:
		return "sync"
	case PriorityBackfill:
		return "backfill"
	}
	return fmt.Sprintf("priority(%d)", int(p))
}

type priorityKey struct{}

// WithPriority returns a context whose calls wait for the budget at priority p. Values out of
// range are treated as PriorityBackfill.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityFrom returns the priority set by WithPriority, or PriorityInteractive.
func PriorityFrom(ctx context.Context) Priority {
	p, ok := ctx.Value(priorityKey{}).(Priority)
	if !ok {
		return PriorityInteractive
	}
	if p < PriorityInteractive || p > PriorityBackfill {
		return PriorityBackfill
	}
	return p
}

// reserveShare is the share of the burst (beyond one request) that a priority must leave in
// the shared bucket. Lower priorities stop taking earlier, so across replicas (where the local
// queue cannot order callers) a burst always stays for interactive calls, while a lone
// background job still gets the full rate: it only keeps the reserve unspent.
var reserveShare = [...]float64{PriorityInteractive: 0, PriorityAtRisk: 0.2, PrioritySync: 0.4, PriorityBackfill: 0.6}

// BudgetStore keeps the token bucket of the account's request budget where every client of
// the account can share it. Implementations must be safe for concurrent use;
// Module github.com/oncefleet/oncefleet/once/onceredis has one on Redis.
type BudgetStore interface {
	// Take takes one request from the bucket key, refilled at rate per second up to burst,
	// but only if at least reserve requests remain in it afterwards. Otherwise it takes
	// nothing and returns how long until a take can succeed. The caller passes rate on every
	// call because it adapts to 429s.
	Take(ctx context.Context, key string, rate float64, burst int, reserve float64) (wait time.Duration, err error)
}

// Adaptive rate: each 429 halves the rate (down to minRateFactor of the configured one);
// it then climbs back linearly over rateRecovery, slowly so the account is not hammered again.
const (
	minRateFactor = 0.1
	rateRecovery  = 2 * time.Minute
)

// maxBudgetWait caps one sleep of the head waiter so it re-checks the store regularly: other
// replicas may return capacity earlier than the computed wait (or the rate may recover).
const maxBudgetWait = time.Second

// budget is the client's side of the shared request budget: a priority queue of local callers
// in front of the (possibly shared) bucket.
type budget struct {
	store    BudgetStore
	fallback BudgetStore // used while store fails: keep serving, adapt on 429s
	key      string
	rate     float64
	burst    int
	now      func() time.Time
	log      *slog.Logger

	degraded atomic.Bool // the shared store failed and the local fallback is in use

	mu          sync.Mutex
	q           waitQueue
	seq         uint64
	factor      float64 // rate factor right after the last 429
	penalizedAt time.Time
	pausedUntil time.Time
}

type waiter struct {
	prio  Priority
	seq   uint64
	index int
	wake  chan struct{}
}

func (w *waiter) notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// waitQueue is a heap of waiters: higher priority first, then first come.
type waitQueue []*waiter

// Len, Less, Swap, Push and Pop implement heap.Interface.
func (q waitQueue) Len() int { return len(q) }
func (q waitQueue) Less(i, j int) bool {
	if q[i].prio != q[j].prio {
		return q[i].prio < q[j].prio
	}
	return q[i].seq < q[j].seq
}
func (q waitQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i]; q[i].index = i; q[j].index = j }
func (q *waitQueue) Push(x any)   { w := x.(*waiter); w.index = len(*q); *q = append(*q, w) }
func (q *waitQueue) Pop() any {
	old := *q
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	w.index = -1
	return w
}

// currentRateLocked is the adaptive rate at now. Caller holds b.mu.
func (b *budget) currentRateLocked(now time.Time) float64 {
	f := b.factor
	if f < 1 {
		f += (1 - f) * float64(now.Sub(b.penalizedAt)) / float64(rateRecovery)
		if f > 1 {
			f = 1
			b.factor = 1
		}
	}
	return b.rate * f
}

// currentRate is the adaptive rate now (for tests and logs).
func (b *budget) currentRate() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.currentRateLocked(b.now())
}

// penalize shrinks the rate after a 429 and pauses every local caller for retryAfter.
func (b *budget) penalize(retryAfter time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	f := b.currentRateLocked(now) / b.rate
	b.factor = math.Max(minRateFactor, f/2)
	b.penalizedAt = now
	if until := now.Add(retryAfter); until.After(b.pausedUntil) {
		b.pausedUntil = until
	}
	for _, w := range b.q {
		w.notify()
	}
}

// queued returns how many callers wait (for tests).
func (b *budget) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.q)
}

// acquire waits until the caller may send one request. Only the head of the queue asks the
// store, so the store's answer always goes to the highest-priority, longest-waiting caller.
func (b *budget) acquire(ctx context.Context, p Priority) error {
	w := &waiter{prio: p, wake: make(chan struct{}, 1)}
	b.mu.Lock()
	b.seq++
	w.seq = b.seq
	var oldHead *waiter
	if len(b.q) > 0 {
		oldHead = b.q[0]
	}
	heap.Push(&b.q, w)
	if oldHead != nil && b.q[0] == w {
		oldHead.notify() // it is no longer head: stop asking the store
	}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		wasHead := b.q[0] == w
		heap.Remove(&b.q, w.index)
		if wasHead && len(b.q) > 0 {
			b.q[0].notify()
		}
		b.mu.Unlock()
	}()

	reserve := float64(b.burst-1) * reserveShare[p]
	for {
		b.mu.Lock()
		head := b.q[0] == w
		now := b.now()
		pause := b.pausedUntil.Sub(now)
		rate := b.currentRateLocked(now)
		b.mu.Unlock()
		if !head {
			select {
			case <-w.wake:
				continue
			case <-ctx.Done():
				return fmt.Errorf("once: waiting for request budget: %w", ctxErr(ctx))
			}
		}
		wait := pause
		if wait <= 0 {
			var err error
			wait, err = b.store.Take(ctx, b.key, rate, b.burst, reserve)
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("once: waiting for request budget: %w", ctxErr(ctx))
				}
				if !b.degraded.Swap(true) { // log the transition, not every call
					b.log.WarnContext(ctx, "once: budget store failed, using a local budget until it recovers", "err", err)
				}
				wait, _ = b.fallback.Take(ctx, b.key, rate, b.burst, reserve)
			} else if b.degraded.Swap(false) {
				b.log.InfoContext(ctx, "once: budget store recovered")
			}
			if wait <= 0 {
				return nil
			}
		}
		wait = min(wait, maxBudgetWait)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-w.wake:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("once: waiting for request budget: %w", ctxErr(ctx))
		}
	}
}

// memoryBudget is the default BudgetStore: a token bucket in this process.
type memoryBudget struct {
	mu      sync.Mutex
	buckets map[string]*memBucket
}

type memBucket struct {
	tokens float64
	last   time.Time
}

func newMemoryBudget() *memoryBudget { return &memoryBudget{buckets: map[string]*memBucket{}} }

// Take implements BudgetStore.
func (m *memoryBudget) Take(_ context.Context, key string, rate float64, burst int, reserve float64) (time.Duration, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.buckets[key]
	if !ok {
		b = &memBucket{tokens: float64(burst), last: now}
		m.buckets[key] = b
	}
	b.tokens = math.Min(float64(burst), b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens-1 >= reserve {
		b.tokens--
		return 0, nil
	}
	need := reserve + 1 - b.tokens
	// At least 1ms: a zero wait would read as granted although nothing was taken.
	return max(time.Millisecond, time.Duration(need/rate*float64(time.Second))), nil
}
