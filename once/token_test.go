package once

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is an injectable clock: token expiry is tested without waiting for real minutes.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestTokenFetchedOnceForConcurrentFirstCalls(t *testing.T) {
	f := newFakeAPI(t, okJSON)
	f.tokenGate = make(chan struct{})
	c := newTestClient(t, f)
	const callers = 100
	var started, done sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			_, err := c.do(testContext(t), getSims(), nil)
			errs <- err
		}()
	}
	started.Wait()
	// Hold the token endpoint until the first fetch is in flight, so later callers must join it.
	for f.tokenHits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(f.tokenGate)
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.tokenHits.Load(); got != 1 {
		t.Fatalf("token fetched %d times for %d concurrent first calls, want 1", got, callers)
	}
	if got := f.apiHits.Load(); got != callers {
		t.Fatalf("api hits %d", got)
	}
}

func TestTokenRefreshedTenMinutesBeforeExpiry(t *testing.T) {
	f := newFakeAPI(t, okJSON)
	c := newTestClient(t, f)
	clock := newFakeClock()
	c.now = clock.Now

	call := func() {
		t.Helper()
		if _, err := c.do(testContext(t), getSims(), nil); err != nil {
			t.Fatal(err)
		}
	}
	call()
	if f.tokenHits.Load() != 1 {
		t.Fatalf("token fetches %d", f.tokenHits.Load())
	}
	// expires_in is 3600 s: the token serves until 50 minutes, then is replaced.
	clock.Advance(49*time.Minute + 59*time.Second)
	call()
	if f.tokenHits.Load() != 1 {
		t.Fatalf("token refreshed %d times before the 10-minute margin", f.tokenHits.Load()-1)
	}
	clock.Advance(time.Second)
	call()
	if f.tokenHits.Load() != 2 {
		t.Fatalf("token fetches %d at 10 minutes before expiry, want 2", f.tokenHits.Load())
	}
	clock.Advance(10 * time.Minute)
	call()
	if f.tokenHits.Load() != 2 {
		t.Fatalf("new token was refreshed again too early: %d fetches", f.tokenHits.Load())
	}
}

func TestTokenResponseSpellings(t *testing.T) {
	for _, body := range []string{
		`{"access_token":"tok-a","expires_in":3600,"user_id":"user","score":"all"}`,
		`{"access_token":"tok-b","expires_in":3600,"userId":"user","scope":"all"}`,
	} {
		var tr tokenResponse
		if err := jsonUnmarshal(body, &tr); err != nil {
			t.Fatal(err)
		}
		if tr.AccessToken == "" || tr.ExpiresIn != 3600 {
			t.Fatalf("%s decoded as %+v", body, tr)
		}
	}
	// Both spellings through the client: the fake alternates them per fetch.
	f := newFakeAPI(t, okJSON)
	c := newTestClient(t, f)
	clock := newFakeClock()
	c.now = clock.Now
	for range 2 {
		if _, err := c.do(testContext(t), getSims(), nil); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
	}
	if f.tokenHits.Load() != 2 {
		t.Fatalf("token fetches %d", f.tokenHits.Load())
	}
}

func TestUnauthorizedRefreshesOnceAndRetriesOnce(t *testing.T) {
	// tok-1 has been revoked at 1NCE; tok-2 works.
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"message":"Unauthorized"}`)
			return
		}
		okJSON(w, r)
	})
	c := newTestClient(t, f)
	if _, err := c.do(testContext(t), getSims(), nil); err != nil {
		t.Fatal(err)
	}
	if f.tokenHits.Load() != 2 || f.apiHits.Load() != 2 {
		t.Fatalf("token fetches %d, api hits %d; want 2 and 2", f.tokenHits.Load(), f.apiHits.Load())
	}
	// The fresh token is kept.
	if _, err := c.do(testContext(t), getSims(), nil); err != nil {
		t.Fatal(err)
	}
	if f.tokenHits.Load() != 2 {
		t.Fatalf("token fetches %d after a good call", f.tokenHits.Load())
	}
}

func TestUnauthorizedTwiceIsErrAuth(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	c := newTestClient(t, f)
	_, err := c.do(testContext(t), getSims(), nil)
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if f.tokenHits.Load() != 2 || f.apiHits.Load() != 2 {
		t.Fatalf("token fetches %d, api hits %d; want one refresh and one retry", f.tokenHits.Load(), f.apiHits.Load())
	}
}

func TestBadCredentialsIsErrAuth(t *testing.T) {
	f := newFakeAPI(t, okJSON)
	c, err := New(testID, "wrong-secret", WithBaseURL(f.srv.URL), WithRetryPolicy(fastRetry))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.do(testContext(t), getSims(), nil)
	var ae *APIError
	if !errors.Is(err, ErrAuth) || !errors.As(err, &ae) || ae.Code != "BadCredentials" {
		t.Fatalf("err = %v", err)
	}
	if f.tokenHits.Load() != 1 || f.apiHits.Load() != 0 {
		t.Fatalf("token fetches %d (bad credentials are not retried), api hits %d", f.tokenHits.Load(), f.apiHits.Load())
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Fatal("error contains the secret")
	}
}

func TestTokenWaitStopsOnCancel(t *testing.T) {
	f := newFakeAPI(t, okJSON)
	f.tokenGate = make(chan struct{})
	defer close(f.tokenGate)
	c := newTestClient(t, f)
	ctx, cancel := context.WithTimeout(testContext(t), 30*time.Millisecond)
	defer cancel()
	_, err := c.do(ctx, getSims(), nil)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
}

func TestSharedTokenStoreTwoClientsOneFetch(t *testing.T) {
	f := newFakeAPI(t, okJSON)
	store := newMemoryTokenStore()
	a := newTestClient(t, f, WithTokenStore(store))
	b := newTestClient(t, f, WithTokenStore(store))
	for _, c := range []*Client{a, b, a, b} {
		if _, err := c.do(testContext(t), getSims(), nil); err != nil {
			t.Fatal(err)
		}
	}
	if f.tokenHits.Load() != 1 {
		t.Fatalf("two clients sharing a store fetched %d tokens, want 1", f.tokenHits.Load())
	}
	// A 401 seen by one client replaces the token for both.
	var revoked atomic.Bool
	revoked.Store(true)
	f.api = func(w http.ResponseWriter, r *http.Request) {
		if revoked.Load() && r.Header.Get("Authorization") == "Bearer tok-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		okJSON(w, r)
	}
	if _, err := a.do(testContext(t), getSims(), nil); err != nil {
		t.Fatal(err)
	}
	tok, ok, _ := store.Load(testContext(t), a.tokens.key)
	if !ok || tok.AccessToken != "tok-2" {
		t.Fatalf("store holds %q", tok.AccessToken)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// brokenLockStore is a shared store whose lock is unreachable (Redis down).
type brokenLockStore struct{ *memoryTokenStore }

func (brokenLockStore) Lock(context.Context, string) (func(), error) {
	return nil, errors.New("dial tcp 127.0.0.1:6379: connection refused")
}

func TestTokenStoreLockFailureStillFetches(t *testing.T) {
	f := newFakeAPI(t, okJSON)
	c := newTestClient(t, f, WithTokenStore(brokenLockStore{newMemoryTokenStore()}))
	if _, err := c.do(testContext(t), getSims(), nil); err != nil {
		t.Fatalf("a broken token store stopped the call: %v", err)
	}
	if f.tokenHits.Load() != 1 {
		t.Fatalf("token fetches %d", f.tokenHits.Load())
	}
}

func TestShortLivedTokenRefreshedHalfWay(t *testing.T) {
	f := newFakeAPI(t, okJSON)
	f.expiresIn = 600 // shorter than twice the 10-minute margin
	c := newTestClient(t, f)
	clock := newFakeClock()
	c.now = clock.Now
	for range 3 {
		if _, err := c.do(testContext(t), getSims(), nil); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
	}
	if f.tokenHits.Load() != 1 {
		t.Fatalf("a 10-minute token was fetched %d times in 3 minutes", f.tokenHits.Load())
	}
	clock.Advance(2 * time.Minute) // 5 minutes: half its life
	if _, err := c.do(testContext(t), getSims(), nil); err != nil {
		t.Fatal(err)
	}
	if f.tokenHits.Load() != 2 {
		t.Fatalf("token fetches %d at half-life, want 2", f.tokenHits.Load())
	}
}

func TestFreshness(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tok := newToken("a", now, time.Hour)
	if !fresh(tok, now.Add(49*time.Minute)) || fresh(tok, now.Add(50*time.Minute)) {
		t.Fatal("1-hour token not replaced at 50 minutes")
	}
	legacy := Token{AccessToken: "a", Expiry: now.Add(time.Hour)} // written without RefreshAt
	if !fresh(legacy, now.Add(49*time.Minute)) || fresh(legacy, now.Add(50*time.Minute)) {
		t.Fatal("token without RefreshAt")
	}
	if fresh(Token{Expiry: now.Add(time.Hour)}, now) {
		t.Fatal("empty token is fresh")
	}
}
