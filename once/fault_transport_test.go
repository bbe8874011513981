package once

import (
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/oncesim"
)

// simServer serves the simulator on loopback behind a handler that counts, per path, the
// requests that reached it: the ground truth for "never sent twice".
type simServer struct {
	sim     *oncesim.Simulator
	srv     *httptest.Server
	mu      sync.Mutex
	arrived map[string]int
}

func newSimServer(t *testing.T, opts oncesim.Options) *simServer {
	t.Helper()
	opts.ClientID, opts.ClientSecret = testID, testSecret
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	sim, err := oncesim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	s := &simServer{sim: sim, arrived: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.arrived[r.Method+" "+r.URL.Path]++
		s.mu.Unlock()
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		s.srv.Close()
		sim.Close()
	})
	return s
}

func (s *simServer) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.arrived[key]
}

// TestSimulatorFaults runs reads and top-ups against the simulator injecting 5xx answers,
// connection resets and truncated bodies: every read succeeds through retries, and
// no top-up reaches the simulator twice.
func TestSimulatorFaults(t *testing.T) {
	faults, err := oncesim.ParseFaults("500=0.15,502=0.05,503=0.05,reset=0.03,truncate=0.03")
	if err != nil {
		t.Fatal(err)
	}
	s := newSimServer(t, oncesim.Options{Sims: 200, RateLimit: -1, CommerceLimit: -1, Faults: faults})
	c, err := New(testID, testSecret, WithBaseURL(s.srv.URL), WithRate(math.Inf(1), 0),
		WithRetryPolicy(RetryPolicy{MaxAttempts: 12, InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, Multiplier: 2}),
		WithBreaker(BreakerSettings{ConsecutiveFailures: 1000, OpenFor: time.Second, HalfOpenRequests: 1}))
	if err != nil {
		t.Fatal(err)
	}
	iccids := s.sim.ICCIDs()
	for _, ic := range iccids[:150] {
		if _, err := c.V2().GetSIM(testContext(t), ic); err != nil {
			t.Fatalf("read of %s failed despite retries: %v", ic, err)
		}
	}
	var ok, failed int
	for _, ic := range iccids[:100] {
		res, err := c.V1().TopUp(testContext(t), TopUpParams{ICCID: ic, PaymentMethod: PayMonthlyInvoice})
		n := s.count("POST /v1/sims/" + ic + "/topup")
		var ae *APIError
		// The outcome agrees with what happened: done on success, unknown exactly when the
		// error says so, and "not sent" only when 1NCE refused it or never saw it.
		switch {
		case err == nil && res.Outcome != OutcomeDone:
			t.Errorf("top-up of %s succeeded with outcome %s", ic, res.Outcome)
		case (res.Outcome == OutcomeUnknown) != errors.Is(err, ErrOutcomeUnknown):
			t.Errorf("top-up of %s: outcome %s but error %v", ic, res.Outcome, err)
		case res.Outcome == OutcomeNotSent && n > 0 && !(errors.As(err, &ae) && ae.Status < 500):
			t.Errorf("top-up of %s reached the simulator but was reported not sent: %v", ic, err)
		}
		switch {
		case n > 1:
			t.Fatalf("top-up of %s reached the simulator %d times", ic, n)
		case err == nil:
			ok++
		case errors.As(err, &ae) && ae.Status < 500:
			ok++ // answered (an expired SIM is refused), still exactly once
		default:
			failed++
		}
	}
	if ok == 0 {
		t.Fatal("no top-up got through")
	}
	t.Logf("top-ups: %d answered, %d failed without a re-send", ok, failed)
}

// TestSimulatorV2Only: an account after the Platform 2.0 migration answers v1 with API
// Gateway's 403; the client then refuses v1 calls without the network and keeps serving v2.
func TestSimulatorV2Only(t *testing.T) {
	s := newSimServer(t, oncesim.Options{Sims: 10, RateLimit: -1, Mode: oncesim.ModeV2Only})
	var sent atomic.Int64
	c, err := New(testID, testSecret, WithBaseURL(s.srv.URL), WithRate(math.Inf(1), 0),
		WithHooks(Hooks{Request: func(RequestInfo) { sent.Add(1) }}))
	if err != nil {
		t.Fatal(err)
	}
	ic := s.sim.ICCIDs()[0]
	_, err = c.V1().TopUp(testContext(t), TopUpParams{ICCID: ic, PaymentMethod: PayMonthlyInvoice})
	var ue *UnsupportedError
	if !errors.As(err, &ue) || !errors.Is(err, ErrUnsupported) || !strings.HasPrefix(ue.Op, "v1.") {
		t.Fatalf("v1 top-up on a v2-only account: %v", err)
	}
	before := sent.Load()
	_, err = c.V1().TopUp(testContext(t), TopUpParams{ICCID: ic, PaymentMethod: PayMonthlyInvoice})
	if !errors.Is(err, ErrUnsupported) || sent.Load() != before {
		t.Fatalf("second v1 call: %v, %d requests sent", err, sent.Load()-before)
	}
	if _, err := c.V2().GetSIM(testContext(t), ic); err != nil {
		t.Fatalf("v2 on a v2-only account: %v", err)
	}
}

// TestSimulatorRateLimit: the simulator enforces 1NCE's 10 requests/s; a client with its
// default budget never meets a 429 while sending a burst of reads.
func TestSimulatorRateLimit(t *testing.T) {
	s := newSimServer(t, oncesim.Options{Sims: 30})
	var limited atomic.Int64
	c, err := New(testID, testSecret, WithBaseURL(s.srv.URL), WithHooks(Hooks{RateLimited: func(string, time.Duration) { limited.Add(1) }}))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, ic := range s.sim.ICCIDs()[:25] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.V2().GetSIM(testContext(t), ic); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if limited.Load() != 0 {
		t.Fatalf("client within its budget met %d 429s", limited.Load())
	}
}

// TestSimulatorRevokedToken: after 1NCE revokes every token, the next call meets a 401,
// fetches one new token and succeeds.
func TestSimulatorRevokedToken(t *testing.T) {
	s := newSimServer(t, oncesim.Options{Sims: 5, RateLimit: -1})
	c, err := New(testID, testSecret, WithBaseURL(s.srv.URL), WithRate(math.Inf(1), 0))
	if err != nil {
		t.Fatal(err)
	}
	ic := s.sim.ICCIDs()[0]
	if _, err := c.V2().GetSIM(testContext(t), ic); err != nil {
		t.Fatal(err)
	}
	s.sim.RevokeTokens()
	if _, err := c.V2().GetSIM(testContext(t), ic); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if got := s.count("POST /oauth/token"); got != 2 {
		t.Fatalf("token fetches = %d, want 2", got)
	}
	if got := s.count("GET /v2/sims/" + ic); got != 3 {
		t.Fatalf("reads = %d, want 3 (one rejected, one retried)", got)
	}
}
