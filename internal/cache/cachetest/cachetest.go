// Package cachetest is the conformance suite every cache.Cache and locker implementation must
// pass. Both the in-memory and the Redis implementations run it, so their observable
// behaviour — TTLs, segment-aligned prefix invalidation, stampede protection, lock ownership,
// leader failover — is the same whichever one a deployment configures.
package cachetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/cache"
)

// waitFor polls cond until it holds or a generous deadline passes: expiry is asserted to
// happen, never to happen fast.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustSet(t *testing.T, c cache.Cache, key, val string, ttl time.Duration) {
	t.Helper()
	if err := c.Set(t.Context(), key, []byte(val), ttl); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func get(t *testing.T, c cache.Cache, key string) (string, bool) {
	t.Helper()
	v, ok, err := c.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return string(v), ok
}

func wantValue(t *testing.T, c cache.Cache, key, want string) {
	t.Helper()
	got, ok := get(t, c, key)
	if !ok || got != want {
		t.Fatalf("Get(%q) = %q, %v; want %q, true", key, got, ok, want)
	}
}

func wantMiss(t *testing.T, c cache.Cache, key string) {
	t.Helper()
	if got, ok := get(t, c, key); ok {
		t.Fatalf("Get(%q) = %q, want a miss", key, got)
	}
}

// RunCache runs the cache conformance suite; newCache returns a fresh, empty cache for each
// subtest and registers its own cleanup.
func RunCache(t *testing.T, newCache func(t *testing.T) cache.Cache) {
	t.Run("GetSetOverwrite", func(t *testing.T) {
		c := newCache(t)
		wantMiss(t, c, "sims:1")
		mustSet(t, c, "sims:1", "a", time.Minute)
		wantValue(t, c, "sims:1", "a")
		mustSet(t, c, "sims:1", "b", time.Minute)
		wantValue(t, c, "sims:1", "b")
		mustSet(t, c, "bin", "\x00\xff|.:", time.Minute)
		wantValue(t, c, "bin", "\x00\xff|.:")
	})

	t.Run("ValuesAreCopies", func(t *testing.T) {
		c := newCache(t)
		in := []byte("value")
		if err := c.Set(t.Context(), "k", in, time.Minute); err != nil {
			t.Fatal(err)
		}
		in[0] = 'X'
		out, _, err := c.Get(t.Context(), "k")
		if err != nil {
			t.Fatal(err)
		}
		out[1] = 'Y'
		wantValue(t, c, "k", "value")
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		c := newCache(t)
		long := string(bytes.Repeat([]byte("a"), cache.MaxKeyLen+1))
		deep := string(bytes.Repeat([]byte("a:"), cache.MaxKeySegments))
		for _, k := range []string{"", long, deep} {
			if _, _, err := c.Get(t.Context(), k); !errors.Is(err, cache.ErrInvalidKey) {
				t.Errorf("Get(%.20q) err = %v, want ErrInvalidKey", k, err)
			}
			if err := c.Set(t.Context(), k, []byte("v"), time.Minute); !errors.Is(err, cache.ErrInvalidKey) {
				t.Errorf("Set(%.20q) err = %v, want ErrInvalidKey", k, err)
			}
			if err := c.Delete(t.Context(), "ok", k); !errors.Is(err, cache.ErrInvalidKey) {
				t.Errorf("Delete(%.20q) err = %v, want ErrInvalidKey", k, err)
			}
		}
	})

	t.Run("TTLExpiry", func(t *testing.T) {
		c := newCache(t)
		mustSet(t, c, "short", "v", 50*time.Millisecond)
		mustSet(t, c, "long", "v", time.Hour)
		waitFor(t, "short-TTL entry to expire", func() bool { _, ok := get(t, c, "short"); return !ok })
		wantValue(t, c, "long", "v")
		// A non-positive TTL means "the cache's maximum", never "already expired".
		mustSet(t, c, "max", "v", 0)
		wantValue(t, c, "max", "v")
	})

	t.Run("Delete", func(t *testing.T) {
		c := newCache(t)
		for _, k := range []string{"a", "b", "c", "a:child"} {
			mustSet(t, c, k, k, time.Minute)
		}
		if err := c.Delete(t.Context(), "a", "b", "missing"); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(t.Context()); err != nil {
			t.Fatal(err)
		}
		wantMiss(t, c, "a")
		wantMiss(t, c, "b")
		wantValue(t, c, "c", "c")
		wantValue(t, c, "a:child", "a:child") // Delete is exact: children stay
		mustSet(t, c, "a", "again", time.Minute)
		wantValue(t, c, "a", "again")
	})

	t.Run("DeletePrefix", func(t *testing.T) {
		c := newCache(t)
		keys := []string{"sims", "sims:1", "sims:list:p1", "sims:list:p2", "simsx:1", "sims-list:1", "users:1"}
		for _, k := range keys {
			mustSet(t, c, k, k, time.Minute)
		}
		if err := c.DeletePrefix(t.Context(), "sims:list:"); err != nil {
			t.Fatal(err)
		}
		wantMiss(t, c, "sims:list:p1")
		wantMiss(t, c, "sims:list:p2")
		for _, k := range []string{"sims", "sims:1", "simsx:1", "sims-list:1", "users:1"} {
			wantValue(t, c, k, k)
		}
		// New values under an invalidated prefix are visible again.
		mustSet(t, c, "sims:list:p1", "fresh", time.Minute)
		wantValue(t, c, "sims:list:p1", "fresh")

		if err := c.DeletePrefix(t.Context(), "sims"); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"sims", "sims:1", "sims:list:p1"} {
			wantMiss(t, c, k)
		}
		for _, k := range []string{"simsx:1", "sims-list:1", "users:1"} {
			wantValue(t, c, k, k)
		}
		// A prefix that is not a whole segment matches nothing.
		if err := c.DeletePrefix(t.Context(), "use"); err != nil {
			t.Fatal(err)
		}
		wantValue(t, c, "users:1", "users:1")

		if err := c.DeletePrefix(t.Context(), ""); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			wantMiss(t, c, k)
		}
		mustSet(t, c, "users:1", "back", time.Minute)
		wantValue(t, c, "users:1", "back")
	})

	t.Run("GetOrLoadSingleflight", func(t *testing.T) {
		c := newCache(t)
		var loads atomic.Int32
		release := make(chan struct{})
		load := func(ctx context.Context) ([]byte, error) {
			loads.Add(1)
			<-release
			return []byte("loaded"), nil
		}
		const n = 100
		var wg sync.WaitGroup
		errs := make(chan error, n)
		var started sync.WaitGroup
		started.Add(n)
		for range n {
			wg.Go(func() {
				started.Done()
				v, err := c.GetOrLoad(t.Context(), "sims:detail:1", time.Minute, load)
				if err == nil && string(v) != "loaded" {
					err = fmt.Errorf("got %q", v)
				}
				errs <- err
			})
		}
		started.Wait()
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := loads.Load(); got != 1 {
			t.Fatalf("%d concurrent GetOrLoad ran load %d times, want 1", n, got)
		}
		wantValue(t, c, "sims:detail:1", "loaded")
	})

	t.Run("GetOrLoadErrorsNotCached", func(t *testing.T) {
		c := newCache(t)
		boom := errors.New("boom")
		_, err := c.GetOrLoad(t.Context(), "k", time.Minute, func(context.Context) ([]byte, error) { return nil, boom })
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		v, err := c.GetOrLoad(t.Context(), "k", time.Minute, func(context.Context) ([]byte, error) { return []byte("ok"), nil })
		if err != nil || string(v) != "ok" {
			t.Fatalf("after a failed load: %q, %v", v, err)
		}
		_, err = c.GetOrLoad(t.Context(), "p", time.Minute, func(context.Context) ([]byte, error) { panic("load bug") })
		if err == nil {
			t.Fatal("a panicking load returned no error")
		}
	})

	t.Run("GetOrLoadHit", func(t *testing.T) {
		c := newCache(t)
		mustSet(t, c, "k", "cached", time.Minute)
		v, err := c.GetOrLoad(t.Context(), "k", time.Minute, func(context.Context) ([]byte, error) {
			return nil, errors.New("load must not run on a hit")
		})
		if err != nil || string(v) != "cached" {
			t.Fatalf("GetOrLoad = %q, %v", v, err)
		}
	})

	for _, inv := range []struct {
		name string
		do   func(ctx context.Context, c cache.Cache) error
	}{
		{"Delete", func(ctx context.Context, c cache.Cache) error { return c.Delete(ctx, "sims:detail:7") }},
		{"DeletePrefix", func(ctx context.Context, c cache.Cache) error { return c.DeletePrefix(ctx, "sims") }},
	} {
		t.Run("GetOrLoadRacingInvalidation"+inv.name, func(t *testing.T) {
			c := newCache(t)
			// The write (and its invalidation) lands while the load is reading the old state.
			v, err := c.GetOrLoad(t.Context(), "sims:detail:7", time.Minute, func(ctx context.Context) ([]byte, error) {
				return []byte("stale"), inv.do(ctx, c)
			})
			if err != nil || string(v) != "stale" {
				t.Fatalf("GetOrLoad = %q, %v", v, err)
			}
			wantMiss(t, c, "sims:detail:7")
			v, err = c.GetOrLoad(t.Context(), "sims:detail:7", time.Minute, func(context.Context) ([]byte, error) { return []byte("fresh"), nil })
			if err != nil || string(v) != "fresh" {
				t.Fatalf("GetOrLoad = %q, %v", v, err)
			}
			wantValue(t, c, "sims:detail:7", "fresh")
		})
	}

	t.Run("GetOrLoadCallerCancel", func(t *testing.T) {
		c := newCache(t)
		release := make(chan struct{})
		entered := make(chan struct{})
		load := func(ctx context.Context) ([]byte, error) {
			close(entered)
			<-release
			return []byte("v"), ctx.Err()
		}
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() {
			_, err := c.GetOrLoad(ctx, "k", time.Minute, load)
			errc <- err
		}()
		<-entered
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled caller err = %v", err)
		}
		// The cancelled caller did not abort the load: it completes and is cached.
		close(release)
		waitFor(t, "the detached load to be cached", func() bool { _, ok := get(t, c, "k"); return ok })
	})

	t.Run("JSON", func(t *testing.T) {
		c := newCache(t)
		type sim struct {
			ICCID string `json:"iccid"`
			Label string `json:"label"`
		}
		var loads atomic.Int32
		load := func(context.Context) (sim, error) {
			loads.Add(1)
			return sim{ICCID: "8988", Label: "pump " + strconv.Itoa(int(loads.Load()))}, nil
		}
		for range 2 {
			s, err := cache.GetOrLoadJSON(t.Context(), c, "sims:detail:8988", time.Minute, load)
			if err != nil || s != (sim{"8988", "pump 1"}) {
				t.Fatalf("GetOrLoadJSON = %+v, %v", s, err)
			}
		}
		if loads.Load() != 1 {
			t.Fatalf("loads = %d, want 1", loads.Load())
		}
		got, ok, err := cache.GetJSON[sim](t.Context(), c, "sims:detail:8988")
		if err != nil || !ok || got.Label != "pump 1" {
			t.Fatalf("GetJSON = %+v, %v, %v", got, ok, err)
		}
		// A value in an old shape is replaced, not returned as an error forever.
		mustSet(t, c, "sims:detail:8988", `["old shape"]`, time.Minute)
		if _, ok, _ := cache.GetJSON[sim](t.Context(), c, "sims:detail:8988"); ok {
			t.Fatal("GetJSON decoded a value of another shape")
		}
		s, err := cache.GetOrLoadJSON(t.Context(), c, "sims:detail:8988", time.Minute, load)
		if err != nil || s.Label != "pump 2" {
			t.Fatalf("GetOrLoadJSON over a stale shape = %+v, %v", s, err)
		}
		if err := cache.SetJSON(t.Context(), c, "sims:detail:1", sim{"1", "x"}, time.Minute); err != nil {
			t.Fatal(err)
		}
		wantValue(t, c, "sims:detail:1", `{"iccid":"1","label":"x"}`)
	})

	t.Run("ConcurrentMixedUse", func(t *testing.T) {
		c := newCache(t)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					k := fmt.Sprintf("sims:%d:%d", g%3, i%5)
					switch i % 4 {
					case 0:
						_ = c.Set(t.Context(), k, []byte(k), time.Minute)
					case 1:
						_, _, _ = c.Get(t.Context(), k)
					case 2:
						_, _ = c.GetOrLoad(t.Context(), k, time.Minute, func(context.Context) ([]byte, error) { return []byte(k), nil })
					case 3:
						_ = c.DeletePrefix(t.Context(), fmt.Sprintf("sims:%d", g%3))
					}
				}
			})
		}
		wg.Wait()
		// Whatever interleaving happened, every value present is the one written for its key.
		for g := range 3 {
			for i := range 5 {
				k := fmt.Sprintf("sims:%d:%d", g, i)
				if v, ok := get(t, c, k); ok && v != k {
					t.Fatalf("Get(%q) = %q", k, v)
				}
			}
		}
	})

	t.Run("Ping", func(t *testing.T) {
		if err := newCache(t).Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// Locker is the method set RedisLocker and MemoryLocker share.
type Locker interface {
	TryLock(ctx context.Context, name string, ttl time.Duration) (*cache.Lock, error)
	Lock(ctx context.Context, name string, ttl time.Duration) (*cache.Lock, error)
}

// RunLocker runs the lock and leader conformance suite; newLocker returns a fresh locker with
// its own namespace for each subtest and registers its own cleanup.
func RunLocker(t *testing.T, newLocker func(t *testing.T) Locker) {
	t.Run("TryLockExclusive", func(t *testing.T) {
		l := newLocker(t)
		a, err := l.TryLock(t.Context(), "job", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if a.Name() != "job" {
			t.Fatalf("Name() = %q", a.Name())
		}
		if _, err := l.TryLock(t.Context(), "job", time.Minute); !errors.Is(err, cache.ErrNotAcquired) {
			t.Fatalf("second TryLock err = %v, want ErrNotAcquired", err)
		}
		other, err := l.TryLock(t.Context(), "other-job", time.Minute)
		if err != nil {
			t.Fatalf("an unrelated name is blocked: %v", err)
		}
		if err := a.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := a.Unlock(t.Context()); !errors.Is(err, cache.ErrLockLost) {
			t.Fatalf("second Unlock err = %v, want ErrLockLost", err)
		}
		b, err := l.TryLock(t.Context(), "job", time.Minute)
		if err != nil {
			t.Fatalf("TryLock after Unlock: %v", err)
		}
		for _, lk := range []*cache.Lock{b, other} {
			if err := lk.Unlock(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("InvalidArguments", func(t *testing.T) {
		l := newLocker(t)
		if _, err := l.TryLock(t.Context(), "", time.Minute); err == nil {
			t.Error("empty name accepted")
		}
		if _, err := l.TryLock(t.Context(), "x", 0); err == nil {
			t.Error("zero ttl accepted")
		}
		if _, err := l.Lock(t.Context(), "x", -time.Second); err == nil {
			t.Error("negative ttl accepted")
		}
	})

	t.Run("ExclusiveUnder20Goroutines", func(t *testing.T) {
		l := newLocker(t)
		var inside, maxInside, total atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				for range 5 {
					lk, err := l.Lock(t.Context(), "counter", 30*time.Second)
					if err != nil {
						t.Error(err)
						return
					}
					n := inside.Add(1)
					for {
						m := maxInside.Load()
						if n <= m || maxInside.CompareAndSwap(m, n) {
							break
						}
					}
					total.Add(1)
					time.Sleep(time.Millisecond)
					inside.Add(-1)
					if err := lk.Unlock(t.Context()); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if maxInside.Load() != 1 || total.Load() != 100 {
			t.Fatalf("max holders at once = %d (want 1), critical sections = %d (want 100)", maxInside.Load(), total.Load())
		}
	})

	t.Run("ExpiryAndStaleHolder", func(t *testing.T) {
		l := newLocker(t)
		stale, err := l.TryLock(t.Context(), "job", 50*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		var next *cache.Lock
		waitFor(t, "the expired lock to be taken", func() bool {
			next, err = l.TryLock(t.Context(), "job", time.Minute)
			return err == nil
		})
		// The stale holder can neither release nor extend the new owner's lock.
		if err := stale.Unlock(t.Context()); !errors.Is(err, cache.ErrLockLost) {
			t.Fatalf("stale Unlock err = %v, want ErrLockLost", err)
		}
		if err := stale.Extend(t.Context(), time.Minute); !errors.Is(err, cache.ErrLockLost) {
			t.Fatalf("stale Extend err = %v, want ErrLockLost", err)
		}
		if _, err := l.TryLock(t.Context(), "job", time.Minute); !errors.Is(err, cache.ErrNotAcquired) {
			t.Fatalf("the new owner's lock was disturbed: %v", err)
		}
		if err := next.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Extend", func(t *testing.T) {
		l := newLocker(t)
		lk, err := l.TryLock(t.Context(), "job", 500*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if err := lk.Extend(t.Context(), time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := lk.Extend(t.Context(), 0); err == nil {
			t.Fatal("Extend(0) accepted")
		}
		time.Sleep(time.Second) // well past the original TTL
		if _, err := l.TryLock(t.Context(), "job", time.Minute); !errors.Is(err, cache.ErrNotAcquired) {
			t.Fatalf("extended lock was taken: %v", err)
		}
		if err := lk.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("LockHonoursContext", func(t *testing.T) {
		l := newLocker(t)
		held, err := l.TryLock(t.Context(), "job", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		_, err = l.Lock(ctx, "job", time.Minute)
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, cache.ErrNotAcquired) {
			t.Fatalf("Lock on a held lock with a deadline: err = %v", err)
		}
		if err := held.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("LockWaitsForRelease", func(t *testing.T) {
		l := newLocker(t)
		held, err := l.TryLock(t.Context(), "job", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 1)
		go func() {
			lk, err := l.Lock(t.Context(), "job", time.Minute)
			if err == nil {
				err = lk.Unlock(t.Context())
			}
			got <- err
		}()
		time.Sleep(30 * time.Millisecond)
		if err := held.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := <-got; err != nil {
			t.Fatalf("waiting Lock: %v", err)
		}
	})

	runLeader(t, newLocker)
}

// leaderOpts are short leases so failover happens within the test's polling deadline.
func leaderOpts() cache.LeaderOptions {
	return cache.LeaderOptions{TTL: time.Second, RenewEvery: 100 * time.Millisecond, RetryEvery: 30 * time.Millisecond}
}

// replicas are n Leaders competing for one job on one locker, as n server replicas would;
// they record who leads and count any moment two of them led at once.
type replicas struct {
	leading  []atomic.Bool
	inside   atomic.Int32
	overlaps atomic.Int32
	leads    []atomic.Int32
	done     []chan struct{}
	cancel   []context.CancelFunc
	leaders  []*cache.Leader
}

func startReplicas(t *testing.T, l Locker, n int, lead func(ctx context.Context)) *replicas {
	t.Helper()
	r := &replicas{leading: make([]atomic.Bool, n), leads: make([]atomic.Int32, n)}
	for i := range n {
		ld, err := cache.NewLeader(l, "sync-sims", leaderOpts())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		r.leaders = append(r.leaders, ld)
		r.cancel = append(r.cancel, cancel)
		r.done = append(r.done, done)
		go func() {
			defer close(done)
			ld.Run(ctx, func(ctx context.Context) {
				if r.inside.Add(1) > 1 {
					r.overlaps.Add(1)
				}
				r.leads[i].Add(1)
				r.leading[i].Store(true)
				if lead != nil {
					lead(ctx)
				} else {
					<-ctx.Done()
				}
				r.leading[i].Store(false)
				r.inside.Add(-1)
			})
		}()
	}
	t.Cleanup(func() {
		for i := range n {
			r.cancel[i]()
			<-r.done[i]
		}
	})
	return r
}

func (r *replicas) leader() int {
	for i := range r.leading {
		if r.leading[i].Load() {
			return i
		}
	}
	return -1
}

func runLeader(t *testing.T, newLocker func(t *testing.T) Locker) {
	t.Run("LeaderHandover", func(t *testing.T) {
		r := startReplicas(t, newLocker(t), 3, nil)
		waitFor(t, "a leader", func() bool { return r.leader() >= 0 })
		first := r.leader()
		if !r.leaders[first].IsLeader() {
			t.Fatal("the leading replica's IsLeader is false")
		}
		r.cancel[first]() // graceful shutdown of the leader releases the lock
		<-r.done[first]
		if r.leaders[first].IsLeader() {
			t.Fatal("a stopped replica still reports leadership")
		}
		waitFor(t, "another replica to take over", func() bool { i := r.leader(); return i >= 0 && i != first })
		if r.overlaps.Load() != 0 {
			t.Fatalf("two replicas led at once %d times", r.overlaps.Load())
		}
	})

	t.Run("LeaderFailoverAfterCrash", func(t *testing.T) {
		l := newLocker(t)
		// A replica that died while leading: its lock stays until the lease lapses.
		if _, err := l.TryLock(t.Context(), "sync-sims", 200*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		r := startReplicas(t, l, 2, nil)
		waitFor(t, "a survivor to take over after the lease lapsed", func() bool { return r.leader() >= 0 })
		if r.overlaps.Load() != 0 {
			t.Fatal("two replicas led at once")
		}
	})

	t.Run("LeaderReleasesWhenLeadReturns", func(t *testing.T) {
		l := newLocker(t)
		var runs atomic.Int32
		r := startReplicas(t, l, 2, func(ctx context.Context) { runs.Add(1) })
		waitFor(t, "leadership to pass more than once", func() bool { return runs.Load() >= 3 })
		if r.overlaps.Load() != 0 {
			t.Fatal("two replicas led at once")
		}
	})

	t.Run("LeaderRenewsLease", func(t *testing.T) {
		r := startReplicas(t, newLocker(t), 2, nil)
		waitFor(t, "a leader", func() bool { return r.leader() >= 0 })
		first := r.leader()
		time.Sleep(2 * leaderOpts().TTL) // two leases long: only renewals keep it
		if r.leader() != first || r.leads[first].Load() != 1 {
			t.Fatalf("leadership moved while the leader was healthy (leader %d, was %d)", r.leader(), first)
		}
	})

	t.Run("LeaderOptionsValidated", func(t *testing.T) {
		l := newLocker(t)
		if _, err := cache.NewLeader(l, "", cache.LeaderOptions{}); err == nil {
			t.Error("empty job name accepted")
		}
		if _, err := cache.NewLeader(l, "job", cache.LeaderOptions{TTL: time.Second, RenewEvery: time.Second}); err == nil {
			t.Error("RenewEvery >= TTL/2 accepted")
		}
	})
}
