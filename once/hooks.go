package once

import (
	"context"
	"time"
)

// Hooks are observability callbacks. Any field may be nil. They run synchronously, on the
// calling goroutine except for the token fetch (Request for oauth.token and TokenRefresh),
// which runs on a goroutine of its own shared by the callers waiting for the token; so they
// must be fast, safe for concurrent use, and must not call the Client. The server implements
// them with Prometheus; this package does not import a metrics library.
type Hooks struct {
	// Request runs after every HTTP exchange with 1NCE (each attempt, token fetches included).
	Request func(RequestInfo)
	// TokenRefresh runs after each token fetch from 1NCE; err is nil on success.
	TokenRefresh func(err error)
	// RateLimited runs when 1NCE answers 429, with the wait it asked for (zero if none).
	RateLimited func(op string, retryAfter time.Duration)
	// BudgetWait runs after a call got its turn in the request budget, with how long it
	// waited and at which priority (shows whether background work queues behind users).
	BudgetWait func(p Priority, waited time.Duration)
	// BreakerStateChange runs when the circuit breaker of a host changes state
	// ("closed", "half-open", "open").
	BreakerStateChange func(host, from, to string)
}

// RequestInfo describes one HTTP exchange with 1NCE.
type RequestInfo struct {
	// Op is the operation, e.g. "v2.getSims" or "oauth.token".
	Op string
	// Method is the HTTP method.
	Method string
	// Status is the HTTP status, 0 when no answer arrived.
	Status int
	// Attempt counts attempts of one call from 1.
	Attempt int
	// Duration is the time from sending to reading the whole answer.
	Duration time.Duration
	// Err is the error of the exchange: transport errors, and *APIError for non-2xx.
	Err error
}

func (h *Hooks) request(i RequestInfo) {
	if h.Request != nil {
		h.Request(i)
	}
}

func (h *Hooks) tokenRefresh(err error) {
	if h.TokenRefresh != nil {
		h.TokenRefresh(err)
	}
}

func (h *Hooks) rateLimited(op string, d time.Duration) {
	if h.RateLimited != nil {
		h.RateLimited(op, d)
	}
}

func (h *Hooks) budgetWait(p Priority, d time.Duration) {
	if h.BudgetWait != nil {
		h.BudgetWait(p, d)
	}
}

type requestObserverKey struct{}

// ObserveRequests returns a context whose calls also report every HTTP exchange with 1NCE
// (each attempt, retries included) to fn, after the client's Hooks. It lets one piece of
// work count what it spent of the account's budget (a sync run's "1NCE calls") while other
// work shares the client. A token fetch is reported to the observer of the call that
// started it (callers arriving while it runs share it without seeing it). fn must be fast and safe for concurrent use (parallel page fetches call it from
// several goroutines). Observers nest: an inner one does not hide an outer one.
func ObserveRequests(ctx context.Context, fn func(RequestInfo)) context.Context {
	if fn == nil {
		return ctx
	}
	if outer, ok := ctx.Value(requestObserverKey{}).(func(RequestInfo)); ok {
		inner := fn
		fn = func(i RequestInfo) { inner(i); outer(i) }
	}
	return context.WithValue(ctx, requestObserverKey{}, fn)
}

// observeRequest reports i to the context's observer, if any.
func observeRequest(ctx context.Context, i RequestInfo) {
	if fn, ok := ctx.Value(requestObserverKey{}).(func(RequestInfo)); ok {
		fn(i)
	}
}
