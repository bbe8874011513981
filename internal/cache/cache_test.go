package cache_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/oncefleet/oncefleet/internal/cache"
	"github.com/oncefleet/oncefleet/internal/cache/cachetest"
)

const redisAddr = "127.0.0.1:6379"

// newRedis returns a client on the test Redis and a key prefix unique to this test; every key
// under the prefix is deleted when the test ends. A missing Redis fails the test.
func newRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: redisAddr})
	if err := client.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", redisAddr, err)
	}
	prefix := "oncefleet-test:" + rand.Text() + ":"
	t.Cleanup(func() {
		defer client.Close()
		deleteKeys(t, client, prefix)
	})
	return client, prefix
}

// deleteKeys removes every key under prefix with SCAN (never KEYS) and UNLINK.
func deleteKeys(t *testing.T, client *redis.Client, prefix string) {
	ctx := context.Background()
	iter := client.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan %s*: %v", prefix, err)
		return
	}
	if len(keys) > 0 {
		if err := client.Unlink(ctx, keys...).Err(); err != nil {
			t.Errorf("unlink test keys: %v", err)
		}
	}
}

func countKeys(t *testing.T, client *redis.Client, prefix string) int {
	t.Helper()
	n := 0
	iter := client.Scan(t.Context(), 0, prefix+"*", 500).Iterator()
	for iter.Next(t.Context()) {
		n++
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

func newMemory(t *testing.T, opts cache.MemoryOptions) *cache.Memory {
	t.Helper()
	c, err := cache.NewMemory(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestMemoryConformance(t *testing.T) {
	cachetest.RunCache(t, func(t *testing.T) cache.Cache {
		return newMemory(t, cache.MemoryOptions{JanitorInterval: 20 * time.Millisecond})
	})
}

func TestRedisConformance(t *testing.T) {
	cachetest.RunCache(t, func(t *testing.T) cache.Cache {
		client, prefix := newRedis(t)
		c, err := cache.NewRedis(client, cache.RedisOptions{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

var testLockerOpts = cache.LockerOptions{RetryMin: 2 * time.Millisecond, RetryMax: 20 * time.Millisecond}

func TestMemoryLockerConformance(t *testing.T) {
	cachetest.RunLocker(t, func(t *testing.T) cachetest.Locker { return cache.NewMemoryLocker(testLockerOpts) })
}

func TestRedisLockerConformance(t *testing.T) {
	cachetest.RunLocker(t, func(t *testing.T) cachetest.Locker {
		client, prefix := newRedis(t)
		opts := testLockerOpts
		opts.Prefix = prefix
		return cache.NewRedisLocker(client, opts)
	})
}

func TestMemoryLRUEviction(t *testing.T) {
	c := newMemory(t, cache.MemoryOptions{MaxEntries: 3})
	ctx := t.Context()
	for _, k := range []string{"a", "b", "c"} {
		if err := c.Set(ctx, k, []byte(k), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, _ := c.Get(ctx, "a"); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	if err := c.Set(ctx, "d", []byte("d"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Get(ctx, "b"); ok {
		t.Fatal("the least recently used entry b survived")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok, _ := c.Get(ctx, k); !ok {
			t.Fatalf("%s evicted", k)
		}
	}
	if c.Len() != 3 {
		t.Fatalf("Len = %d", c.Len())
	}
}

func TestMemoryByteBudget(t *testing.T) {
	c := newMemory(t, cache.MemoryOptions{MaxBytes: 4096})
	ctx := t.Context()
	val := make([]byte, 1000)
	for i := range 10 {
		if err := c.Set(ctx, "k:"+string(rune('a'+i)), val, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.Len(); n == 0 || n > 4 {
		t.Fatalf("Len = %d entries of ~1 KiB in a 4 KiB cache", n)
	}
	if _, ok, _ := c.Get(ctx, "k:j"); !ok {
		t.Fatal("the newest entry was evicted")
	}
	if err := c.Set(ctx, "huge", make([]byte, 5000), time.Minute); !errors.Is(err, cache.ErrTooLarge) {
		t.Fatalf("oversized Set err = %v", err)
	}
}

func TestMemoryJanitorAndClose(t *testing.T) {
	c, err := cache.NewMemory(cache.MemoryOptions{JanitorInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set(t.Context(), "k", []byte("v"), 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Len() != 0 { // nobody reads k: only the janitor can drop it
		if time.Now().After(deadline) {
			t.Fatal("janitor never removed the expired entry")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if err := c.Ping(t.Context()); !errors.Is(err, cache.ErrClosed) {
		t.Fatalf("Ping after Close = %v", err)
	}
	if err := c.Set(t.Context(), "k", []byte("v"), time.Minute); !errors.Is(err, cache.ErrClosed) {
		t.Fatalf("Set after Close = %v", err)
	}
}

func TestMetricsPerCacheName(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	client, prefix := newRedis(t)
	r, err := cache.NewRedis(client, cache.RedisOptions{Name: "sims", Prefix: prefix, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	m := newMemory(t, cache.MemoryOptions{Name: "products", Registerer: reg})
	ctx := t.Context()
	for _, c := range []cache.Cache{r, m} {
		_, _, _ = c.Get(ctx, "k")
		_ = c.Set(ctx, "k", []byte("v"), time.Minute)
		_, _, _ = c.Get(ctx, "k")
		_, _ = c.GetOrLoad(ctx, "k", time.Minute, func(context.Context) ([]byte, error) { return nil, errors.New("unused") })
	}
	want := `
# HELP cache_hits_total Cache lookups that found a value.
# TYPE cache_hits_total counter
cache_hits_total{cache="products"} 2
cache_hits_total{cache="sims"} 2
# HELP cache_misses_total Cache lookups that found nothing.
# TYPE cache_misses_total counter
cache_misses_total{cache="products"} 1
cache_misses_total{cache="sims"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "cache_hits_total", "cache_misses_total"); err != nil {
		t.Fatal(err)
	}
	// A conflicting collector under the same name is an error, not a silent second registry.
	bad := prometheus.NewRegistry()
	bad.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "cache_hits_total", Help: "x"}))
	if _, err := cache.NewMemory(cache.MemoryOptions{Registerer: bad}); err == nil {
		t.Fatal("conflicting metric registration accepted")
	}
}

func TestRedisNamespacesAreIsolated(t *testing.T) {
	client, prefix := newRedis(t)
	a, _ := cache.NewRedis(client, cache.RedisOptions{Prefix: prefix + "a:"})
	b, _ := cache.NewRedis(client, cache.RedisOptions{Prefix: prefix + "b:"})
	ctx := t.Context()
	for _, c := range []*cache.Redis{a, b} {
		if err := c.Set(ctx, "sims:1", []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.DeletePrefix(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := a.Get(ctx, "sims:1"); ok {
		t.Fatal("a still has its key after invalidating everything")
	}
	if _, ok, _ := b.Get(ctx, "sims:1"); !ok {
		t.Fatal("invalidating namespace a removed b's key")
	}
}

// DeletePrefix must not touch the values it invalidates (that would be a scan): it writes one
// generation marker, whatever the number of keys below the prefix.
func TestRedisDeletePrefixIsConstantWork(t *testing.T) {
	client, prefix := newRedis(t)
	c, _ := cache.NewRedis(client, cache.RedisOptions{Prefix: prefix})
	ctx := t.Context()
	for i := range 200 {
		if err := c.Set(ctx, "sims:list:"+rand.Text()[:8+i%4], []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	before := countKeys(t, client, prefix)
	if err := c.DeletePrefix(ctx, "sims:list"); err != nil {
		t.Fatal(err)
	}
	after := countKeys(t, client, prefix)
	// One new marker plus the generation counter at most; nothing deleted, nothing scanned.
	if after < before || after > before+2 {
		t.Fatalf("keys before %d, after %d: DeletePrefix did more than move a generation", before, after)
	}
	// And every marker and value expires: nothing the cache writes lives forever but the counter.
	iter := client.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		if iter.Val() == prefix+"gen" {
			continue
		}
		if ttl := client.PTTL(ctx, iter.Val()).Val(); ttl <= 0 {
			t.Fatalf("%s has no expiry (PTTL %s)", iter.Val(), ttl)
		}
	}
}

func TestRedisUnavailable(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: redisAddr})
	c, _ := cache.NewRedis(client, cache.RedisOptions{Prefix: "oncefleet-test:closed:"})
	_ = client.Close()
	ctx := t.Context()
	if err := c.Ping(ctx); err == nil {
		t.Fatal("Ping on a closed client succeeded")
	}
	if _, _, err := c.Get(ctx, "k"); err == nil {
		t.Fatal("Get on a closed client succeeded")
	}
	// Reads degrade to the source instead of failing.
	v, err := c.GetOrLoad(ctx, "k", time.Minute, func(context.Context) ([]byte, error) { return []byte("src"), nil })
	if err != nil || string(v) != "src" {
		t.Fatalf("GetOrLoad with Redis down = %q, %v", v, err)
	}
}

// A leader whose Redis goes away must stop leading; a replica with a working connection takes
// over once the lease lapses.
func TestLeaderStepsDownOnRedisFailure(t *testing.T) {
	healthy, prefix := newRedis(t)
	failing := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer failing.Close()
	opts := cache.LeaderOptions{TTL: time.Second, RenewEvery: 100 * time.Millisecond, RetryEvery: 30 * time.Millisecond}
	lockOpts := cache.LockerOptions{Prefix: prefix}

	a, _ := cache.NewLeader(cache.NewRedisLocker(failing, lockOpts), "sync", opts)
	leadingA := make(chan struct{})
	var cause atomic.Value
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	doneA := make(chan struct{})
	go func() {
		defer close(doneA)
		a.Run(ctx, func(lctx context.Context) {
			close(leadingA)
			<-lctx.Done()
			cause.Store(context.Cause(lctx))
		})
	}()
	<-leadingA

	b, _ := cache.NewLeader(cache.NewRedisLocker(healthy, lockOpts), "sync", opts)
	leadingB := make(chan struct{})
	doneB := make(chan struct{})
	go func() {
		defer close(doneB)
		b.Run(ctx, func(lctx context.Context) {
			close(leadingB)
			<-lctx.Done()
		})
	}()

	_ = failing.Close() // A's Redis is gone
	<-leadingB
	if a.IsLeader() {
		t.Fatal("A still claims leadership after losing Redis")
	}
	cancel()
	<-doneA
	<-doneB
	if err, _ := cause.Load().(error); !errors.Is(err, cache.ErrLeadershipLost) {
		t.Fatalf("A's lead context ended with %v, want ErrLeadershipLost", err)
	}
}

// A lock taken over behind the leader's back (an operator, a split brain) ends its lead.
func TestLeaderStepsDownWhenLockStolen(t *testing.T) {
	client, prefix := newRedis(t)
	l, _ := cache.NewLeader(cache.NewRedisLocker(client, cache.LockerOptions{Prefix: prefix}), "sync",
		cache.LeaderOptions{TTL: time.Second, RenewEvery: 50 * time.Millisecond, RetryEvery: time.Hour})
	leading := make(chan struct{})
	lost := make(chan error, 1)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	defer func() { cancel(); <-done }()
	go func() {
		defer close(done)
		l.Run(ctx, func(lctx context.Context) {
			close(leading)
			<-lctx.Done()
			lost <- context.Cause(lctx)
		})
	}()
	<-leading
	if err := client.Set(t.Context(), prefix+"sync", "someone-else", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-lost; !errors.Is(err, cache.ErrLeadershipLost) || !errors.Is(err, cache.ErrLockLost) {
		t.Fatalf("lead ended with %v", err)
	}
	if v := client.Get(t.Context(), prefix+"sync").Val(); v != "someone-else" {
		t.Fatalf("the deposed leader touched the new owner's lock: %q", v)
	}
}

// Benchmarks: a 2 KiB cache hit in each implementation, a plain Redis GET as the baseline the
// generation scheme's Lua lookup is paid against, and the cost of invalidating a prefix.
func BenchmarkGetHit(b *testing.B) {
	val := make([]byte, 2048) // about one SIM detail as JSON
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer client.Close()
	prefix := "oncefleet-bench:" + rand.Text() + ":"
	defer func() {
		iter := client.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			client.Unlink(ctx, iter.Val())
		}
	}()
	mem, _ := cache.NewMemory(cache.MemoryOptions{})
	defer mem.Close()
	red, _ := cache.NewRedis(client, cache.RedisOptions{Prefix: prefix})
	key := "sims:detail:89882806660000000001"
	for _, c := range []cache.Cache{mem, red} {
		if err := c.Set(ctx, key, val, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	if err := client.Set(ctx, prefix+"baseline", val, time.Hour).Err(); err != nil {
		b.Fatal(err)
	}
	b.Run("memory", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok, _ := mem.Get(ctx, key); !ok {
					b.Fatal("miss")
				}
			}
		})
	})
	b.Run("redis", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok, _ := red.Get(ctx, key); !ok {
					b.Fatal("miss")
				}
			}
		})
	})
	b.Run("redis-plain-GET-baseline", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := client.Get(ctx, prefix+"baseline").Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("redis-DeletePrefix", func(b *testing.B) {
		for b.Loop() {
			if err := red.DeletePrefix(ctx, "sims:list"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
