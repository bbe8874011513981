package once

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/oncesim"
)

// apiSeen is what a fake saw besides token requests.
func apiSeen(f *FakeAPI) []string {
	var out []string
	for _, s := range f.Seen() {
		if !strings.Contains(s, "/oauth/token") {
			out = append(out, s)
		}
	}
	return out
}

// TestUpdateSIMV1NeedsStatus: in mode v1 an update without a status fails loudly, with no
// hidden read of the SIM (which could undo another process's change) and no request at all.
func TestUpdateSIMV1NeedsStatus(t *testing.T) {
	c, f := newFakeClient(t, 3, WithAPI(APIV1))
	label := "pump"
	_, err := c.UpdateSIM(testContext(t), SIMUpdate{ICCID: "8988280666000000001", Label: &label})
	if !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("err = %v, want ErrInvalidInput", err)
	}
	if seen := apiSeen(f); len(seen) != 0 {
		t.Errorf("requests sent: %v", seen)
	}
}

// TestEventSortNotDropped: v2 cannot sort events; a Sort where the call goes to v2 fails with
// ErrUnsupported instead of being silently dropped.
func TestEventSortNotDropped(t *testing.T) {
	c, f := newFakeClient(t, 3)
	var got error
	for _, err := range c.ListEvents(testContext(t), EventListOptions{ICCID: "8988280666000000001", Sort: "-timestamp"}) {
		got = err
		break
	}
	if !errors.Is(got, ErrUnsupported) {
		t.Fatalf("err = %v, want ErrUnsupported", got)
	}
	if seen := apiSeen(f); len(seen) != 0 {
		t.Errorf("requests sent: %v", seen)
	}
}

// TestV1ModeRecoversOnRetiredAccount: a client in mode v1 on an account 1NCE moved off v1
// fails the call that found out, then serves what v2 has from v2 instead of failing forever;
// v1-only operations fail with ErrUnsupported without a request.
func TestV1ModeRecoversOnRetiredAccount(t *testing.T) {
	s := newSimServer(t, oncesim.Options{Sims: 5, RateLimit: -1, Mode: oncesim.ModeV2Only})
	var sent atomic.Int64
	c, err := New(testID, testSecret, WithBaseURL(s.srv.URL), WithAPI(APIV1), WithRate(math.Inf(1), 0),
		WithHooks(Hooks{Request: func(RequestInfo) { sent.Add(1) }}))
	if err != nil {
		t.Fatal(err)
	}
	ic := s.sim.ICCIDs()[0]
	if _, err := c.GetSIM(testContext(t), ic); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("first call on a retired v1 account: %v, want ErrUnsupported", err)
	}
	sim, err := c.GetSIM(testContext(t), ic)
	if err != nil || sim.Source != GenV2 {
		t.Fatalf("second call: %+v, %v; want the SIM from v2", sim, err)
	}
	before := sent.Load()
	if _, err := c.Usage(testContext(t), UsageParams{ICCID: ic}); !errors.Is(err, ErrUnsupported) || sent.Load() != before {
		t.Fatalf("v1-only call: %v, %d requests", err, sent.Load()-before)
	}
}

// TestCommerceLimitPastDeadline: when the orders/products/support limit would make a call wait
// past its deadline, the error matches ErrTimeout and context.DeadlineExceeded.
func TestCommerceLimitPastDeadline(t *testing.T) {
	s := newSimServer(t, oncesim.Options{Sims: 5, RateLimit: -1, CommerceLimit: -1})
	c, err := New(testID, testSecret, WithBaseURL(s.srv.URL), WithRate(math.Inf(1), 0), WithCommerceLimit(1, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Products(testContext(t)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(testContext(t), time.Minute)
	defer cancel()
	_, err = c.Products(ctx)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTimeout and context.DeadlineExceeded", err)
	}
}

// TestTopUpOutcomes: a top-up reports done, not sent (safe to retry) or unknown (with the time
// of the attempt and the SIM), and the client knows which.
func TestTopUpOutcomes(t *testing.T) {
	s := newSimServer(t, oncesim.Options{Sims: 5, RateLimit: -1, CommerceLimit: -1})
	ic := s.sim.ICCIDs()[0]
	newClient := func(base string) *Client {
		c, err := New(testID, testSecret, WithBaseURL(base), WithRate(math.Inf(1), 0),
			WithRetryPolicy(RetryPolicy{MaxAttempts: 2, InitialInterval: time.Millisecond, MaxInterval: time.Millisecond, Multiplier: 1}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := testContext(t)

	t.Run("done", func(t *testing.T) {
		res, err := newClient(s.srv.URL).TopUp(ctx, TopUpParams{ICCID: ic})
		if err != nil || res.Outcome != OutcomeDone || res.OrderNumber == 0 || res.AttemptedAt.IsZero() || res.ICCIDs[0] != ic {
			t.Fatalf("%+v, %v", res, err)
		}
	})
	t.Run("refused", func(t *testing.T) {
		res, err := newClient(s.srv.URL).TopUp(ctx, TopUpParams{ICCID: "8988280666999999999"})
		if err == nil || res.Outcome != OutcomeNotSent || errors.Is(err, ErrOutcomeUnknown) {
			t.Fatalf("%+v, %v; want not sent", res, err)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		res, err := newClient(s.srv.URL).TopUp(ctx, TopUpParams{ICCID: "x"})
		if !errors.Is(err, ErrInvalidInput) || res.Outcome != OutcomeNotSent {
			t.Fatalf("%+v, %v; want not sent", res, err)
		}
	})
	t.Run("connection lost after sending", func(t *testing.T) {
		var reached atomic.Int64
		cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/topup") {
				s.srv.Config.Handler.ServeHTTP(w, r)
				return
			}
			reached.Add(1)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}))
		t.Cleanup(cut.Close)
		res, err := newClient(cut.URL).TopUp(ctx, TopUpParams{ICCID: ic, PaymentMethod: PayCreditCard})
		if res.Outcome != OutcomeUnknown || !errors.Is(err, ErrOutcomeUnknown) || res.AttemptedAt.IsZero() || res.ICCIDs[0] != ic {
			t.Fatalf("%+v, %v; want unknown", res, err)
		}
		if n := reached.Load(); n != 1 {
			t.Errorf("the top-up reached the server %d times, want once", n)
		}
	})
	t.Run("server down", func(t *testing.T) {
		down := httptest.NewServer(http.NotFoundHandler())
		down.Close()
		res, err := newClient(down.URL).TopUp(ctx, TopUpParams{ICCID: ic})
		if err == nil || res.Outcome != OutcomeNotSent {
			t.Fatalf("%+v, %v; want not sent", res, err)
		}
	})
}

// TestSendSMSOutcome: an SMS is never re-sent either, and SendSMS says whether it may have been
// sent when the answer was lost.
func TestSendSMSOutcome(t *testing.T) {
	s := newSimServer(t, oncesim.Options{Sims: 5, RateLimit: -1})
	ic := s.sim.ICCIDs()[0]
	var reached atomic.Int64
	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/sms") {
			s.srv.Config.Handler.ServeHTTP(w, r)
			return
		}
		reached.Add(1)
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(cut.Close)
	for _, base := range []string{s.srv.URL, cut.URL} {
		c, err := New(testID, testSecret, WithBaseURL(base), WithRate(math.Inf(1), 0))
		if err != nil {
			t.Fatal(err)
		}
		sent, err := c.SendSMS(testContext(t), SMSMessage{ICCID: ic, Payload: "hi"})
		switch {
		case base == s.srv.URL && (err != nil || sent.Outcome != OutcomeDone || sent.ID == 0):
			t.Errorf("sent: %+v, %v", sent, err)
		case base == cut.URL && (sent.Outcome != OutcomeUnknown || !errors.Is(err, ErrOutcomeUnknown) || sent.AttemptedAt.IsZero()):
			t.Errorf("answer lost: %+v, %v; want unknown", sent, err)
		}
	}
	if n := reached.Load(); n != 1 {
		t.Errorf("the SMS reached the server %d times, want once", n)
	}
}
