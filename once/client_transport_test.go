package once

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testID     = "client-id-1"
	testSecret = "s3cr3t-client-secret"
)

// fakeAPI is a minimal 1NCE on loopback: a token endpoint that checks client credentials and
// issues numbered tokens, and an API handler chosen by each test.
type fakeAPI struct {
	t         *testing.T
	srv       *httptest.Server
	tokenHits atomic.Int64
	apiHits   atomic.Int64
	expiresIn int64
	tokenGate chan struct{} // when set, the token endpoint waits for it to close
	api       http.HandlerFunc

	mu       sync.Mutex
	apiPaths []string
}

func newFakeAPI(t *testing.T, api http.HandlerFunc) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, expiresIn: 3600, api: api}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/oauth/token" {
		f.serveToken(w, r)
		return
	}
	f.apiHits.Add(1)
	f.mu.Lock()
	f.apiPaths = append(f.apiPaths, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.api(w, r)
}

func (f *fakeAPI) serveToken(w http.ResponseWriter, r *http.Request) {
	n := f.tokenHits.Add(1)
	if f.tokenGate != nil {
		<-f.tokenGate
	}
	id, secret, ok := r.BasicAuth()
	var body struct {
		GrantType string `json:"grant_type"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	if r.Method != http.MethodPost || !ok || id != testID || secret != testSecret || body.GrantType != "client_credentials" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"statusCode":400,"errorCode":"BadCredentials","message":"User does not exist."}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	// The example spelling (user_id/score) on odd tokens, the schema's (userId/scope) on even.
	if n%2 == 1 {
		_, _ = io.WriteString(w, `{"status_code":200,"access_token":"tok-`+itoa(n)+`","token_type":"bearer","expires_in":`+itoa(f.expiresIn)+`,"user_id":"user","score":"all"}`)
	} else {
		_, _ = io.WriteString(w, `{"status_code":200,"access_token":"tok-`+itoa(n)+`","token_type":"bearer","expires_in":`+itoa(f.expiresIn)+`,"userId":"user","scope":"all"}`)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// fastRetry keeps tests quick while still exercising backoff.
var fastRetry = RetryPolicy{MaxAttempts: 4, InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, Multiplier: 2, MaxRetryAfter: 5 * time.Second}

func newTestClient(t *testing.T, f *fakeAPI, opts ...Option) *Client {
	t.Helper()
	base := []Option{WithBaseURL(f.srv.URL), WithRate(math.Inf(1), 0), WithRetryPolicy(fastRetry)}
	c, err := New(testID, testSecret, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func getSims() *request {
	return &request{op: "v2.getSims", gen: GenV2, method: http.MethodGet, path: "/v2/sims"}
}

func topUp() *request {
	return &request{op: "v1.topupSim", gen: GenV1, method: http.MethodPost, path: "/v1/sims/8988228066600000001/topup", unsafe: true, body: map[string]any{}}
}

func okJSON(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `[{"iccid":"8988228066600000001"}]`)
}

func TestNewValidatesOptions(t *testing.T) {
	cases := map[string]struct {
		id, secret string
		opts       []Option
	}{
		"empty id":       {"", "x", nil},
		"empty secret":   {"x", "", nil},
		"relative url":   {"x", "y", []Option{WithBaseURL("api.1nce.com")}},
		"ftp url":        {"x", "y", []Option{WithBaseURL("ftp://api.1nce.com")}},
		"url with query": {"x", "y", []Option{WithBaseURL("https://h/?a=b")}},
		"bad mode":       {"x", "y", []Option{WithAPI("v3")}},
		"zero rate":      {"x", "y", []Option{WithRate(0, 1)}},
		"zero burst":     {"x", "y", []Option{WithRate(10, 0)}},
		"zero timeout":   {"x", "y", []Option{WithTimeout(0)}},
		"bad retry":      {"x", "y", []Option{WithRetryPolicy(RetryPolicy{})}},
		"bad breaker":    {"x", "y", []Option{WithBreaker(BreakerSettings{})}},
		"nil http":       {"x", "y", []Option{WithHTTPClient(nil)}},
		"bad commerce":   {"x", "y", []Option{WithCommerceLimit(0, time.Minute)}},
	}
	for name, tc := range cases {
		if _, err := New(tc.id, tc.secret, tc.opts...); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	c, err := New("x", "y", WithBaseURL("https://api.1nce.com/management-api/"), WithAPI(APIV1))
	if err != nil {
		t.Fatal(err)
	}
	if c.baseURL != DefaultBaseURL || c.prefer() != GenV1 {
		t.Errorf("base %q prefer %s", c.baseURL, c.prefer())
	}
	if c2, _ := New("x", "y"); c2.prefer() != GenV2 || c2.mode != APIAuto {
		t.Errorf("default mode %s prefer %s", c2.mode, c2.prefer())
	}
}

func TestDecodesAnswer(t *testing.T) {
	f := newFakeAPI(t, okJSON)
	c := newTestClient(t, f)
	var out []struct {
		ICCID string `json:"iccid"`
	}
	resp, err := c.do(testContext(t), getSims(), &out)
	if err != nil {
		t.Fatal(err)
	}
	if resp.status != 200 || len(out) != 1 || out[0].ICCID != "8988228066600000001" {
		t.Fatalf("resp %+v out %+v", resp, out)
	}
}

func TestServerErrorRetriedForGET(t *testing.T) {
	var n atomic.Int64
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"error_code":1000,"error_token":"InternalServerError","message":"boom"}`)
			return
		}
		okJSON(w, r)
	})
	c := newTestClient(t, f)
	if _, err := c.do(testContext(t), getSims(), nil); err != nil {
		t.Fatal(err)
	}
	if got := f.apiHits.Load(); got != 3 {
		t.Fatalf("server hits = %d, want 3 (two 500s retried)", got)
	}
}

func TestServerErrorRetriesExhausted(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-RequestId", "req-42")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c := newTestClient(t, f)
	_, err := c.do(testContext(t), getSims(), nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 503 || ae.RequestID != "req-42" || ae.Op != "v2.getSims" {
		t.Fatalf("err = %v", err)
	}
	if got := f.apiHits.Load(); got != int64(fastRetry.MaxAttempts) {
		t.Fatalf("hits = %d, want %d", got, fastRetry.MaxAttempts)
	}
}

func TestUnsafePOSTNotResentAfter502(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	c := newTestClient(t, f)
	_, err := c.do(testContext(t), topUp(), nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadGateway {
		t.Fatalf("err = %v", err)
	}
	if got := f.apiHits.Load(); got != 1 {
		t.Fatalf("top-up sent %d times after a 502, want exactly once", got)
	}
}

func TestUnmarkedPOSTNotResent(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	c := newTestClient(t, f)
	r := &request{op: "support.create", method: http.MethodPost, path: "/v1/support", body: map[string]string{"a": "b"}, group: groupCommerce}
	if _, err := c.do(testContext(t), r, nil); err == nil {
		t.Fatal("want error")
	}
	if got := f.apiHits.Load(); got != 1 {
		t.Fatalf("POST sent %d times, want 1", got)
	}
}

// refusedAddr returns a loopback address where nothing listens, so dialling it fails with a
// real connection-refused error.
func refusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestDialErrorUnsafePOSTRetried(t *testing.T) {
	f := newFakeAPI(t, okJSON)
	dead := refusedAddr(t)
	var failDials, dials atomic.Int64
	tr := &http.Transport{
		DisableKeepAlives: true, // every request dials, so the POST's own dial can fail
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			if failDials.Add(-1) >= 0 {
				addr = dead
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	c := newTestClient(t, f, WithHTTPClient(&http.Client{Transport: tr}))
	if _, err := c.do(testContext(t), getSims(), nil); err != nil { // fetch the token first
		t.Fatal(err)
	}
	before := f.apiHits.Load()
	dials.Store(0)
	failDials.Store(2)
	if _, err := c.do(testContext(t), topUp(), nil); err != nil {
		t.Fatalf("top-up after two refused dials: %v", err)
	}
	if got := f.apiHits.Load() - before; got != 1 {
		t.Fatalf("top-up reached the server %d times, want 1", got)
	}
	if got := dials.Load(); got != 3 {
		t.Fatalf("dials = %d, want 3 (two refused, one good)", got)
	}
}

func TestUnsafePOSTNotResentWhenConnectionDropsMidCall(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		// The request arrived; the connection dies before an answer: 1NCE may have acted.
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	c := newTestClient(t, f)
	if _, err := c.do(testContext(t), topUp(), nil); err == nil {
		t.Fatal("want error")
	}
	if got := f.apiHits.Load(); got != 1 {
		t.Fatalf("top-up sent %d times after a dropped connection, want 1", got)
	}
	// The same failure on a GET is retried.
	f.apiHits.Store(0)
	if _, err := c.do(testContext(t), getSims(), nil); err == nil {
		t.Fatal("want error")
	}
	if got := f.apiHits.Load(); got != int64(fastRetry.MaxAttempts) {
		t.Fatalf("GET sent %d times, want %d", got, fastRetry.MaxAttempts)
	}
}

func TestRateLimitRetryAfterHonoured(t *testing.T) {
	var n atomic.Int64
	var first, second time.Time
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"message":"Too Many Requests"}`)
			return
		}
		second = time.Now()
		okJSON(w, r)
	})
	var limited atomic.Int64
	var asked atomic.Int64
	hooks := Hooks{RateLimited: func(op string, d time.Duration) { limited.Add(1); asked.Store(int64(d)) }}
	c := newTestClient(t, f, WithHooks(hooks), WithRate(10, 10))
	if _, err := c.do(testContext(t), getSims(), nil); err != nil {
		t.Fatal(err)
	}
	if got := f.apiHits.Load(); got != 2 {
		t.Fatalf("hits = %d, want 2", got)
	}
	if limited.Load() != 1 || time.Duration(asked.Load()) != time.Second {
		t.Fatalf("rate-limit hook ran %d times with %s", limited.Load(), time.Duration(asked.Load()))
	}
	// The retry cannot have come before the second 1NCE asked for (a lower bound, not a
	// latency assertion: the client sleeps at least that long by construction).
	if gap := second.Sub(first); gap < time.Second {
		t.Fatalf("retried after %s, before Retry-After", gap)
	}
	if r := c.budget.currentRate(); r >= 10 {
		t.Fatalf("budget rate after a 429 = %v, want it shrunk below 10", r)
	}
}

func TestRateLimitTooLongIsReturned(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c := newTestClient(t, f)
	_, err := c.do(testContext(t), getSims(), nil)
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Minute || rl.API.Status != 429 {
		t.Fatalf("err = %v", err)
	}
	if f.apiHits.Load() != 1 {
		t.Fatalf("hits = %d", f.apiHits.Load())
	}
}

func TestRateLimitedUnsafePOSTNotResent(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c := newTestClient(t, f)
	_, err := c.do(testContext(t), topUp(), nil)
	var rl *RateLimitError
	if !errors.As(err, &rl) || f.apiHits.Load() != 1 {
		t.Fatalf("err = %v, hits %d", err, f.apiHits.Load())
	}
}

func TestBreakerOpensAndHalfOpens(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		okJSON(w, r)
	})
	var mu sync.Mutex
	var changes []string
	hooks := Hooks{BreakerStateChange: func(host, from, to string) {
		mu.Lock()
		changes = append(changes, from+">"+to)
		mu.Unlock()
	}}
	c := newTestClient(t, f, WithHooks(hooks),
		WithRetryPolicy(RetryPolicy{MaxAttempts: 1, Multiplier: 1}),
		WithBreaker(BreakerSettings{ConsecutiveFailures: 3, OpenFor: 50 * time.Millisecond, HalfOpenRequests: 1}))
	for range 3 {
		if _, err := c.do(testContext(t), getSims(), nil); err == nil {
			t.Fatal("want 500")
		}
	}
	_, err := c.do(testContext(t), getSims(), nil)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("4th call: %v, want ErrUnavailable", err)
	}
	if got := f.apiHits.Load(); got != 3 {
		t.Fatalf("hits = %d, want 3: the open breaker must not send", got)
	}
	waitState := func(want string) {
		t.Helper()
		for range 500 {
			if c.breaker.State().String() == want {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("breaker never became %s", want)
	}
	waitState("half-open")
	// A failing probe opens it again.
	if _, err := c.do(testContext(t), getSims(), nil); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("probe: %v", err)
	}
	if c.breaker.State().String() != "open" {
		t.Fatalf("after failed probe: %s", c.breaker.State().String())
	}
	waitState("half-open")
	failing.Store(false)
	if _, err := c.do(testContext(t), getSims(), nil); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if st := c.breaker.State().String(); st != "closed" {
		t.Fatalf("after good probe: %s", st)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "closed>open,open>half-open,half-open>open,open>half-open,half-open>closed"
	if got := strings.Join(changes, ","); got != want {
		t.Fatalf("state changes %s, want %s", got, want)
	}
}

func TestBreakerIgnoresClientErrors(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) })
	c := newTestClient(t, f, WithBreaker(BreakerSettings{ConsecutiveFailures: 2, OpenFor: time.Hour, HalfOpenRequests: 1}))
	for range 5 {
		_, err := c.do(testContext(t), getSims(), nil)
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	}
	if c.breaker.State().String() != "closed" {
		t.Fatal("404s opened the breaker")
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	hooks := Hooks{Request: func(i RequestInfo) {
		if i.Op == "v2.getSims" && i.Attempt == 2 {
			cancel()
		}
	}}
	c := newTestClient(t, f, WithHooks(hooks), WithRetryPolicy(RetryPolicy{MaxAttempts: 50, InitialInterval: time.Millisecond, MaxInterval: time.Hour, Multiplier: 2}))
	_, err := c.do(ctx, getSims(), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := f.apiHits.Load(); got != 2 {
		t.Fatalf("hits = %d, want 2: retries must stop at cancel", got)
	}
}

func TestContextCancelStopsBackoffWait(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	hooks := Hooks{Request: func(i RequestInfo) {
		if i.Op == "v2.getSims" {
			go func() { time.Sleep(20 * time.Millisecond); cancel() }()
		}
	}}
	// A one-hour backoff: only cancellation can end this call in time for the test.
	c := newTestClient(t, f, WithHooks(hooks), WithRetryPolicy(RetryPolicy{MaxAttempts: 5, InitialInterval: time.Hour, MaxInterval: time.Hour, Multiplier: 1}))
	_, err := c.do(ctx, getSims(), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 500 {
		t.Fatalf("error should carry the last attempt's answer: %v", err)
	}
	if f.apiHits.Load() != 1 {
		t.Fatalf("hits = %d", f.apiHits.Load())
	}
}

func TestPerAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close: handlers must end
	c := newTestClient(t, f, WithTimeout(20*time.Millisecond), WithRetryPolicy(RetryPolicy{MaxAttempts: 2, InitialInterval: time.Millisecond, MaxInterval: time.Millisecond, Multiplier: 1}))
	_, err := c.do(testContext(t), getSims(), nil)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if got := f.apiHits.Load(); got != 2 {
		t.Fatalf("hits = %d, want 2 (timeout of a GET is retried)", got)
	}
	// An unsafe POST that timed out may have reached 1NCE: not re-sent.
	f.apiHits.Store(0)
	if _, err := c.do(testContext(t), topUp(), nil); !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	if got := f.apiHits.Load(); got != 1 {
		t.Fatalf("top-up hits = %d, want 1", got)
	}
}

func TestUnsupportedWithoutNetworkInModeV2(t *testing.T) {
	f := newFakeAPI(t, okJSON)
	c := newTestClient(t, f, WithAPI(APIV2))
	_, err := c.do(testContext(t), topUp(), nil)
	var ue *UnsupportedError
	if !errors.Is(err, ErrUnsupported) || !errors.As(err, &ue) || ue.Op != "v1.topupSim" {
		t.Fatalf("err = %v", err)
	}
	if f.apiHits.Load() != 0 || f.tokenHits.Load() != 0 {
		t.Fatalf("network used: %d api, %d token", f.apiHits.Load(), f.tokenHits.Load())
	}
	if c.V1Available() {
		t.Fatal("V1Available in mode v2")
	}
}

func TestUnsupportedAfterRetiredV1Answer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"api gateway unknown route", http.StatusForbidden, `{"message":"Missing Authentication Token"}`},
		{"gone", http.StatusGone, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/v1/") {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(tc.status)
					_, _ = io.WriteString(w, tc.body)
					return
				}
				okJSON(w, r)
			})
			c := newTestClient(t, f)
			usage := &request{op: "v1.getSimUsage", gen: GenV1, method: http.MethodGet, path: "/v1/sims/1/usage"}
			_, err := c.do(testContext(t), usage, nil)
			var ue *UnsupportedError
			if !errors.As(err, &ue) || ue.Op != "v1.getSimUsage" || !errors.Is(err, ErrUnsupported) {
				t.Fatalf("first v1 call: %v", err)
			}
			if f.apiHits.Load() != 1 {
				t.Fatalf("hits = %d, want 1 (no retry of a retired API)", f.apiHits.Load())
			}
			_, err = c.do(testContext(t), topUp(), nil)
			if !errors.As(err, &ue) || ue.Op != "v1.topupSim" {
				t.Fatalf("later v1 call: %v", err)
			}
			if f.apiHits.Load() != 1 {
				t.Fatalf("later v1 call used the network")
			}
			if _, err := c.do(testContext(t), getSims(), nil); err != nil {
				t.Fatalf("v2 still works: %v", err)
			}
		})
	}
}

func TestForbiddenV2IsNotUnsupported(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"message":"Missing Authentication Token"}`)
	})
	c := newTestClient(t, f)
	_, err := c.do(testContext(t), getSims(), nil)
	if errors.Is(err, ErrUnsupported) || !c.V1Available() {
		t.Fatalf("a v2 403 must not retire v1: %v", err)
	}
}

func TestCommerceLimiter(t *testing.T) {
	f := newFakeAPI(t, okJSON)
	c := newTestClient(t, f, WithCommerceLimit(2, time.Hour))
	orders := &request{op: "orders.list", method: http.MethodGet, path: "/v1/orders", group: groupCommerce}
	for range 2 {
		if _, err := c.do(testContext(t), orders, nil); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(testContext(t), 50*time.Millisecond)
	defer cancel()
	if _, err := c.do(ctx, orders, nil); err == nil {
		t.Fatal("third order call within the limit window went through")
	}
	if got := f.apiHits.Load(); got != 2 {
		t.Fatalf("hits = %d, want 2", got)
	}
	// SIM management is not limited by the commerce limiter.
	if _, err := c.do(testContext(t), getSims(), nil); err != nil {
		t.Fatal(err)
	}
}

func TestHooksSeeEveryExchange(t *testing.T) {
	var n atomic.Int64
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		okJSON(w, r)
	})
	var mu sync.Mutex
	var seen []string
	var refreshes atomic.Int64
	hooks := Hooks{
		Request: func(i RequestInfo) {
			mu.Lock()
			seen = append(seen, i.Op+":"+itoa(int64(i.Status))+":"+itoa(int64(i.Attempt)))
			mu.Unlock()
		},
		TokenRefresh: func(err error) {
			if err == nil {
				refreshes.Add(1)
			}
		},
	}
	c := newTestClient(t, f, WithHooks(hooks))
	if _, err := c.do(testContext(t), getSims(), nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(seen, ","); got != "oauth.token:200:1,v2.getSims:500:1,v2.getSims:200:2" {
		t.Fatalf("hooks saw %s", got)
	}
	if refreshes.Load() != 1 {
		t.Fatalf("token refreshes = %d", refreshes.Load())
	}
}

func TestObserveRequestsCountsOneCallsAttempts(t *testing.T) {
	var n atomic.Int64
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		okJSON(w, r)
	})
	c := newTestClient(t, f)
	var inner, outer atomic.Int64
	ctx := ObserveRequests(testContext(t), func(i RequestInfo) { outer.Add(1) })
	ictx := ObserveRequests(ctx, func(i RequestInfo) { inner.Add(1) })
	if _, err := c.do(ictx, getSims(), nil); err != nil {
		t.Fatal(err)
	}
	// The token fetch this call started, the 500 and the retry.
	if inner.Load() != 3 || outer.Load() != 3 {
		t.Fatalf("observers saw inner %d, outer %d exchanges, want 3 and 3", inner.Load(), outer.Load())
	}
	if _, err := c.do(testContext(t), getSims(), nil); err != nil {
		t.Fatal(err)
	}
	if inner.Load() != 3 || outer.Load() != 3 {
		t.Fatalf("a call without the observer's context was reported (%d, %d)", inner.Load(), outer.Load())
	}
}

// BenchmarkClientGet measures the client's overhead per call (token cache, budget, breaker,
// retry loop, JSON decode) against a plain net/http call of the same loopback server in the
// same run.
func BenchmarkClientGet(b *testing.B) {
	body := `[{"iccid":"8988228066600000001","status":"Enabled"}]`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			_, _ = io.WriteString(w, `{"access_token":"tok-1","expires_in":3600}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	benchClientVsNetHTTP(b, srv.URL, &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()})
}

// cannedTransport answers every request in memory, so BenchmarkClientOverhead measures the
// client's own work without loopback networking noise.
type cannedTransport struct{ body string }

func (c cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	body := c.body
	if r.URL.Path == "/oauth/token" {
		body = `{"access_token":"tok-1","expires_in":3600}`
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
}

// BenchmarkClientOverhead is BenchmarkClientGet with an in-memory transport: the difference
// between the baseline and the client is the client's overhead alone.
func BenchmarkClientOverhead(b *testing.B) {
	tr := cannedTransport{body: `[{"iccid":"8988228066600000001","status":"Enabled"}]`}
	benchClientVsNetHTTP(b, "http://1nce.invalid", &http.Client{Transport: tr})
}

// benchClientVsNetHTTP runs GET /v2/sims against baseURL through hc: once as a plain net/http
// call (the same-run baseline), then through the client with and without a rate budget.
func benchClientVsNetHTTP(b *testing.B, baseURL string, hc *http.Client) {
	type sim struct {
		ICCID  string `json:"iccid"`
		Status string `json:"status"`
	}
	b.Run("baseline=net/http", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, baseURL+"/v2/sims", nil)
			req.Header.Set("Authorization", "Bearer tok-1")
			res, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			data, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var out []sim
			if err := json.Unmarshal(data, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, bc := range []struct {
		name string
		opt  Option
	}{
		{"client/budget=off", WithRate(math.Inf(1), 0)},
		{"client/budget=1e9/s", WithRate(1e9, 1_000_000)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := New(testID, testSecret, WithBaseURL(baseURL), WithHTTPClient(hc), bc.opt)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for range b.N {
				var out []sim
				if _, err := c.do(context.Background(), getSims(), &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestRateLimitBeyondDeadlineReturnsAtOnce(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c := newTestClient(t, f)
	ctx, cancel := context.WithTimeout(testContext(t), time.Second)
	defer cancel()
	_, err := c.do(ctx, getSims(), nil)
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the 429 before the deadline", err)
	}
	if f.apiHits.Load() != 1 {
		t.Fatalf("hits = %d", f.apiHits.Load())
	}
}
