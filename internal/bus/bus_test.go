package bus_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/bus"
)

type ping struct{ n int }

func (ping) Kind() string { return "ping" }

func TestEverySubscriberGetsEventsInOrder(t *testing.T) {
	b := bus.New(bus.Options{})
	var mu sync.Mutex
	got := map[int][]int{}
	for i := range 3 {
		b.Subscribe(func(_ context.Context, e bus.Event) {
			mu.Lock()
			got[i] = append(got[i], e.(ping).n)
			mu.Unlock()
		})
	}
	for n := range 100 {
		if d := b.Publish(context.Background(), ping{n}); d != 0 {
			t.Fatalf("dropped %d", d)
		}
	}
	b.Close()
	for i := range 3 {
		if len(got[i]) != 100 {
			t.Fatalf("subscriber %d got %d events", i, len(got[i]))
		}
		for n, v := range got[i] {
			if v != n {
				t.Fatalf("subscriber %d: event %d is %d: out of order", i, n, v)
			}
		}
	}
}

func TestFullQueueDropsInsteadOfBlocking(t *testing.T) {
	b := bus.New(bus.Options{QueueSize: 1, PublishTimeout: time.Millisecond})
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	fastGot := 0
	b.Subscribe(func(context.Context, bus.Event) {
		started <- struct{}{}
		<-release // a stuck consumer
	})
	b.Subscribe(func(context.Context, bus.Event) { fastGot++ })
	dropped := b.Publish(context.Background(), ping{0})
	<-started // the stuck consumer now holds event 0
	for n := 1; n < 10; n++ {
		dropped += b.Publish(context.Background(), ping{n})
	}
	// The stuck subscriber holds one event and buffers one more: the other 8 are dropped for it
	// alone; the publisher returned every time.
	if dropped != 8 || b.Dropped() != 8 {
		t.Fatalf("dropped %d (counter %d), want 8", dropped, b.Dropped())
	}
	close(release)
	b.Close()
	if fastGot != 10 {
		t.Fatalf("healthy subscriber got %d events, want 10", fastGot)
	}
}

func TestCancelledContextStopsWaiting(t *testing.T) {
	b := bus.New(bus.Options{QueueSize: 1, PublishTimeout: time.Hour})
	release := make(chan struct{})
	started := make(chan struct{}, 3)
	b.Subscribe(func(context.Context, bus.Event) { started <- struct{}{}; <-release })
	ctx, cancel := context.WithCancel(context.Background())
	b.Publish(ctx, ping{0})
	<-started               // taken by the handler
	b.Publish(ctx, ping{1}) // buffered
	cancel()
	if d := b.Publish(ctx, ping{2}); d != 1 {
		t.Fatalf("publish with a cancelled context on a full queue dropped %d, want 1", d)
	}
	close(release)
	b.Close()
}

func TestUnsubscribeAndClose(t *testing.T) {
	b := bus.New(bus.Options{})
	n := 0
	unsub := b.Subscribe(func(context.Context, bus.Event) { n++ })
	b.Publish(context.Background(), ping{1})
	unsub()
	unsub() // idempotent
	b.Publish(context.Background(), ping{2})
	b.Close()
	b.Close()
	if n != 1 {
		t.Fatalf("got %d events, want 1 (none after unsubscribe)", n)
	}
	if d := b.Publish(context.Background(), ping{3}); d != 0 {
		t.Fatalf("publish after close dropped %d", d)
	}
	b.Subscribe(func(context.Context, bus.Event) { t.Error("handler called after close") })
}

// TestTwoStuckSubscribersDoNotBlockPublish: the publish timeout bounds the whole call, so once it
// has run out on one full queue, the next full queue drops at once instead of waiting forever.
func TestTwoStuckSubscribersDoNotBlockPublish(t *testing.T) {
	b := bus.New(bus.Options{QueueSize: 1, PublishTimeout: time.Millisecond})
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	for range 2 {
		b.Subscribe(func(context.Context, bus.Event) { started <- struct{}{}; <-release })
	}
	b.Publish(context.Background(), ping{0})
	<-started
	<-started                                // both handlers hold event 0
	b.Publish(context.Background(), ping{1}) // both queues now full
	done := make(chan int, 1)
	go func() { done <- b.Publish(context.Background(), ping{2}) }()
	select {
	case d := <-done:
		if d != 2 {
			t.Errorf("dropped %d, want 2", d)
		}
	case <-time.After(10 * time.Second):
		t.Error("Publish blocked on the second full queue after the timeout ran out")
	}
	close(release)
	b.Close()
}
