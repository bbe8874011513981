// Package bus is oncefleet's in-process event bus: producers (the Data Streamer applier, the
// stream health monitor) publish typed events after their state is committed, and consumers
// (alerts) subscribe.
//
// Delivery semantics: each subscriber has its own bounded queue and goroutine, so a slow
// subscriber never delays another or the publisher for long. Publish enqueues the event for
// every subscriber in publication order; when a queue is full it waits at most the bus's
// publish timeout, counted once per Publish (or until ctx ends), and then drops the event for
// that subscriber, counting the drop. Delivery is therefore at most once, in order per
// subscriber, and only within this process: the database is the durable record, and events
// are notifications that let consumers react quickly, not the source of truth.
package bus

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Event is anything published on the bus. Kind names the event type for logs and metrics;
// consumers switch on the concrete type.
type Event interface {
	Kind() string
}

// Handler receives events on the subscriber's own goroutine, one at a time.
type Handler func(ctx context.Context, e Event)

// Options tune a Bus; zero values take the defaults.
type Options struct {
	// QueueSize is each subscriber's buffer (default 1024).
	QueueSize int
	// PublishTimeout is how long Publish waits on a full queue before dropping (default 100ms).
	PublishTimeout time.Duration
}

// Bus is an in-process publish/subscribe hub. The zero value is not usable: call New.
type Bus struct {
	opts    Options
	mu      sync.RWMutex
	subs    []*subscription
	closed  bool
	dropped atomic.Int64
	wg      sync.WaitGroup
}

type subscription struct {
	ch   chan Event
	once sync.Once
}

// New returns a running bus.
func New(opts Options) *Bus {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 1024
	}
	if opts.PublishTimeout <= 0 {
		opts.PublishTimeout = 100 * time.Millisecond
	}
	return &Bus{opts: opts}
}

// Subscribe registers h for every event published from now on and returns a function that
// unsubscribes it (events already queued are still delivered). h runs on a goroutine owned by
// the bus, with a context that is never cancelled before Close returns.
func (b *Bus) Subscribe(h Handler) (unsubscribe func()) {
	s := &subscription{ch: make(chan Event, b.opts.QueueSize)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return func() {}
	}
	b.subs = append(b.subs, s)
	b.wg.Add(1)
	b.mu.Unlock()
	go func() {
		defer b.wg.Done()
		ctx := context.Background()
		for e := range s.ch {
			h(ctx, e)
		}
	}()
	return func() {
		b.mu.Lock()
		for i, x := range b.subs {
			if x == s {
				b.subs = append(b.subs[:i:i], b.subs[i+1:]...)
				break
			}
		}
		b.mu.Unlock()
		s.once.Do(func() { close(s.ch) })
	}
}

// Publish delivers e to every current subscriber's queue, waiting on full queues at most the
// publish timeout in all (or until ctx ends), then dropping e for each subscriber whose queue
// is still full. It returns how many subscribers e was dropped for.
func (b *Bus) Publish(ctx context.Context, e Event) int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return 0
	}
	dropped := 0
	// One timer bounds the whole call; once it has fired (or ctx ended), every further full
	// queue drops at once: its channel has no second tick to wait for.
	var timer *time.Timer
	expired := false
	for _, s := range b.subs {
		select {
		case s.ch <- e:
			continue
		default:
		}
		if expired {
			dropped++
			continue
		}
		if timer == nil {
			timer = time.NewTimer(b.opts.PublishTimeout)
			defer timer.Stop()
		}
		select {
		case s.ch <- e:
		case <-timer.C:
			dropped++
			expired = true
		case <-ctx.Done():
			dropped++
			expired = true
		}
	}
	b.dropped.Add(int64(dropped))
	return dropped
}

// Dropped is the number of deliveries dropped so far because a subscriber's queue stayed full.
func (b *Bus) Dropped() int64 { return b.dropped.Load() }

// Close stops accepting events, lets every subscriber drain its queue and waits for them.
func (b *Bus) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	subs := b.subs
	b.subs = nil
	b.mu.Unlock()
	for _, s := range subs {
		s.once.Do(func() { close(s.ch) })
	}
	b.wg.Wait()
}
