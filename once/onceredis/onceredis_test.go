package onceredis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/once"
	"github.com/redis/go-redis/v9"
)

// redisAt returns a client of the test Redis and a key prefix of this test alone; every key
// under it is deleted when the test ends. A missing Redis fails the test.
func redisAt(t *testing.T) (*redis.Client, string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	if err := rdb.Ping(testContext(t)).Err(); err != nil {
		t.Fatalf("redis at 127.0.0.1:6379: %v", err)
	}
	var raw [6]byte
	_, _ = rand.Read(raw[:])
	prefix := "onceredis-test:" + t.Name() + ":" + hex.EncodeToString(raw[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		rdb.Close()
	})
	return rdb, prefix
}

func TestTokenStoreRoundTripAndCompareDelete(t *testing.T) {
	rdb, prefix := redisAt(t)
	s := NewTokenStore(rdb, prefix)
	ctx := testContext(t)
	if _, ok, err := s.Load(ctx, "k"); ok || err != nil {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	tok := once.Token{AccessToken: "tok-A", Expiry: time.Now().Add(time.Hour).Truncate(time.Second)}
	if err := s.Save(ctx, "k", tok); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Load(ctx, "k")
	if err != nil || !ok || got.AccessToken != "tok-A" || !got.Expiry.Equal(tok.Expiry) {
		t.Fatalf("load = %+v %v %v", got, ok, err)
	}
	if ttl := rdb.TTL(ctx, prefix+"k").Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("entry ttl %s, want it to expire with the token", ttl)
	}
	// Another replica already replaced the token: a stale 401 must not delete the new one.
	if err := s.Delete(ctx, "k", "tok-OLD"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Load(ctx, "k"); !ok {
		t.Fatal("delete of another token removed the entry")
	}
	if err := s.Delete(ctx, "k", "tok-A"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Load(ctx, "k"); ok {
		t.Fatal("rejected token still stored")
	}
	// An expired token is not stored at all.
	if err := s.Save(ctx, "k", once.Token{AccessToken: "old", Expiry: time.Now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Load(ctx, "k"); ok {
		t.Fatal("expired token stored")
	}
	// A corrupt entry reads as none.
	rdb.Set(ctx, prefix+"k", "{not json", time.Minute)
	if _, ok, err := s.Load(ctx, "k"); ok || err != nil {
		t.Fatalf("corrupt entry: ok=%v err=%v", ok, err)
	}
}

func TestTokenLockExcludesAndExpires(t *testing.T) {
	rdb, prefix := redisAt(t)
	s := NewTokenStore(rdb, prefix)
	unlock, err := s.Lock(testContext(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(testContext(t), 100*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(ctx, "k"); err == nil {
		t.Fatal("second holder got the lock")
	}
	unlock()
	unlock() // idempotent
	unlock2, err := s.Lock(testContext(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock2()

	// A holder that died leaves a lock that expires by itself.
	short := &TokenStore{rdb: rdb, prefix: prefix, lockTTL: 50 * time.Millisecond}
	if _, err := short.Lock(testContext(t), "dead"); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(testContext(t), 5*time.Second)
	defer cancel2()
	u, err := short.Lock(ctx2, "dead")
	if err != nil {
		t.Fatalf("expired lock never freed: %v", err)
	}
	u()
}

func TestBudgetStoreBucket(t *testing.T) {
	rdb, prefix := redisAt(t)
	s := NewBudgetStore(rdb, prefix)
	ctx := testContext(t)
	const rate = 0.001 // frozen: refill cannot change the outcome during the test
	for i := range 3 {
		if w, err := s.Take(ctx, "a", rate, 3, 0); err != nil || w != 0 {
			t.Fatalf("take %d: %s %v", i, w, err)
		}
	}
	if w, err := s.Take(ctx, "a", rate, 3, 0); err != nil || w < 900*time.Second {
		t.Fatalf("empty bucket: wait %s err %v", w, err)
	}
	if w, _ := s.Take(ctx, "b", rate, 3, 0); w != 0 {
		t.Fatal("keys share a bucket")
	}
	if w, _ := s.Take(ctx, "c", rate, 3, 1.2); w != 0 {
		t.Fatal("first backfill take refused")
	}
	if w, _ := s.Take(ctx, "c", rate, 3, 1.2); w == 0 {
		t.Fatal("backfill ate into the reserve")
	}
	if w, _ := s.Take(ctx, "c", rate, 3, 0); w != 0 {
		t.Fatal("interactive take refused although the reserve was kept for it")
	}
	if ttl := rdb.PTTL(ctx, prefix+"a").Val(); ttl <= 0 {
		t.Fatal("bucket key never expires")
	}
}

// fake1NCE answers the token endpoint and GET /v2/sims/{iccid}, counting token fetches and
// recording when each API call arrived.
type fake1NCE struct {
	srv       *httptest.Server
	tokenHits atomic.Int64
	gate      chan struct{}

	mu   sync.Mutex
	hits []time.Time
}

func newFake1NCE(t *testing.T) *fake1NCE {
	f := &fake1NCE{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/oauth/token" {
			n := f.tokenHits.Add(1)
			if f.gate != nil {
				<-f.gate
			}
			_, _ = io.WriteString(w, `{"access_token":"tok-`+string(rune('0'+n%10))+`","token_type":"bearer","expires_in":3600}`)
			return
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		f.hits = append(f.hits, time.Now())
		f.mu.Unlock()
		_, _ = io.WriteString(w, `{"iccid":"8988228066600000001"}`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// countingTokenStore counts lock attempts, so the test knows both clients are contending.
type countingTokenStore struct {
	*TokenStore
	locks atomic.Int64
}

func (c *countingTokenStore) Lock(ctx context.Context, key string) (func(), error) {
	c.locks.Add(1)
	return c.TokenStore.Lock(ctx, key)
}

func TestTwoClientsShareOneTokenFetch(t *testing.T) {
	rdb, prefix := redisAt(t)
	f := newFake1NCE(t)
	f.gate = make(chan struct{})
	// Each client has its own Redis connection pool, as two replicas would.
	rdb2 := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	t.Cleanup(func() { rdb2.Close() })
	storeA := &countingTokenStore{TokenStore: NewTokenStore(rdb, prefix)}
	storeB := &countingTokenStore{TokenStore: NewTokenStore(rdb2, prefix)}
	a := newClient(t, f, once.WithTokenStore(storeA))
	b := newClient(t, f, once.WithTokenStore(storeB))

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.V2().GetSIM(testContext(t), "8988228066600000001")
			errs <- err
		}()
	}
	// Hold 1NCE's token answer until both replicas went for the Redis lock.
	for storeA.locks.Load() == 0 || storeB.locks.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(f.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.tokenHits.Load(); got != 1 {
		t.Fatalf("two clients fetched %d tokens, want 1", got)
	}
}

func newClient(t *testing.T, f *fake1NCE, opts ...once.Option) *once.Client {
	t.Helper()
	c, err := once.New("id", "secret", append([]once.Option{once.WithBaseURL(f.srv.URL)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTwoClientsShareOneBudget(t *testing.T) {
	rdb, prefix := redisAt(t)
	f := newFake1NCE(t)
	const rate, burst = 20, 2
	budget := NewBudgetStore(rdb, prefix)
	tokens := NewTokenStore(rdb, prefix)
	a := newClient(t, f, once.WithBudget(budget), once.WithTokenStore(tokens), once.WithRate(rate, burst))
	b := newClient(t, f, once.WithBudget(budget), once.WithTokenStore(tokens), once.WithRate(rate, burst))

	// Each client alone would send at the full rate: 2 clients × 4 workers × 9 calls.
	var wg sync.WaitGroup
	for _, c := range []*once.Client{a, b} {
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 9 {
					if _, err := c.V2().GetSIM(testContext(t), "8988228066600000001"); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	f.mu.Lock()
	hits := append([]time.Time(nil), f.hits...)
	f.mu.Unlock()
	if len(hits) != 72 {
		t.Fatalf("server saw %d calls, want 72", len(hits))
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].Before(hits[j]) })
	// In any one-second window the server may see the rate plus the burst; allow a quarter of
	// the rate more for scheduling jitter on this shared machine (a stalled request arrives
	// together with later ones). Two clients with separate budgets would show twice the rate
	// plus both bursts (44).
	maxInWindow := 0
	for i := range hits {
		n := 0
		for j := i; j < len(hits) && hits[j].Sub(hits[i]) < time.Second; j++ {
			n++
		}
		maxInWindow = max(maxInWindow, n)
	}
	if limit := rate + burst + rate/4; maxInWindow > limit {
		t.Fatalf("server saw %d calls in one second from two clients sharing a %d/s budget (limit %d)", maxInWindow, rate, limit)
	}
	t.Logf("max calls in any one-second window: %d (rate %d, burst %d)", maxInWindow, rate, burst)
}

// testContext is testing.TB.Context for the Go releases this module supports (it came in 1.24).
func testContext(tb testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	return ctx
}
