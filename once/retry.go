package once

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// callState is what the attempts of one call share.
type callState struct {
	r          *request
	body       []byte
	idempotent bool
	prio       Priority
	attempt    int
	refreshed  bool // the one token refresh after a 401 is spent
}

// isIdempotent says whether a request may be re-sent after it possibly reached 1NCE. Only
// GET/HEAD/PUT/DELETE/OPTIONS and the token request qualify; every other POST is treated as
// unsafe even when not marked, so a forgotten flag cannot double a top-up.
func isIdempotent(r *request) bool {
	if r.unsafe {
		return false
	}
	switch r.method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return r.group == groupAuth
}

// retryAfterErr carries a wait 1NCE asked for to backoff.Retry.
type retryAfterErr struct {
	err  error
	wait *backoff.RetryAfterError
}

// Error is the underlying error's; Unwrap exposes both it and the wait to errors.As.
func (e *retryAfterErr) Error() string   { return e.err.Error() }
func (e *retryAfterErr) Unwrap() []error { return []error{e.err, e.wait} }

// call is one call of one operation: limits, token, retries. It is what do runs after the
// generation check, and what the token fetch itself uses (group auth: no token, no budget).
func (c *Client) call(ctx context.Context, r *request, out any) (*response, error) {
	st := &callState{r: r, idempotent: isIdempotent(r), prio: PriorityFrom(ctx)}
	if r.attemptedAt.IsZero() {
		r.attemptedAt = c.now()
	}
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("once: %s: encode request: %w", r.op, err)
		}
		st.body = b
	}
	p := c.retry
	bo := &backoff.ExponentialBackOff{
		InitialInterval:     p.InitialInterval,
		RandomizationFactor: 0.5,
		Multiplier:          p.Multiplier,
		MaxInterval:         p.MaxInterval,
	}
	var last error
	resp, err := backoff.Retry(ctx, func() (*response, error) {
		resp, retry, err := c.attempt(ctx, st, out)
		last = err
		if err != nil && !retry {
			return resp, backoff.Permanent(err)
		}
		return resp, err
	},
		backoff.WithBackOff(bo),
		backoff.WithMaxTries(uint(p.MaxAttempts)),
		backoff.WithMaxElapsedTime(p.MaxElapsed),
		backoff.WithNotify(func(err error, wait time.Duration) {
			c.log.WarnContext(ctx, "once: retrying", "op", r.op, "attempt", st.attempt, "wait", wait, "err", err.Error())
		}),
	)
	if err == nil {
		return resp, nil
	}
	var ra *retryAfterErr
	if errors.As(last, &ra) {
		last = ra.err
	}
	if ctx.Err() != nil {
		if last != nil && !errors.Is(last, context.Canceled) && !errors.Is(last, context.DeadlineExceeded) {
			return resp, fmt.Errorf("once: %s: %w (last attempt: %w)", r.op, ctxErr(ctx), last)
		}
		if last != nil {
			return resp, last
		}
		return resp, fmt.Errorf("once: %s: %w", r.op, ctxErr(ctx))
	}
	return resp, last
}

// attempt makes one attempt of the call. retry says whether another attempt may follow
// err.
func (c *Client) attempt(ctx context.Context, st *callState, out any) (resp *response, retry bool, err error) {
	r := st.r
	st.attempt++
	var tok string
	if r.group != groupAuth {
		if tok, err = c.bearer(ctx); err != nil {
			return nil, false, err
		}
	}
	res, err := c.limitedExchange(ctx, st, tok)
	if err != nil {
		return nil, false, err
	}
	if res.err == nil && res.status == http.StatusUnauthorized && r.group != groupAuth && !st.refreshed {
		// The token may have been revoked or expired early: refresh once and retry once.
		st.refreshed = true
		c.invalidateToken(ctx, tok)
		if tok, err = c.bearer(ctx); err != nil {
			return nil, false, err
		}
		if res, err = c.limitedExchange(ctx, st, tok); err != nil {
			return nil, false, err
		}
	}

	if (res.err != nil && !res.notSent) || (res.err == nil && res.status >= 500) {
		r.mayHaveReached = true
	}
	if res.err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, false, fmt.Errorf("once: %s: %w", r.op, ctxErr(ctx))
		case res.timeout:
			return nil, st.idempotent || res.notSent, fmt.Errorf("once: %s: %w: %w", r.op, ErrTimeout, res.err)
		}
		return nil, st.idempotent || res.notSent, fmt.Errorf("once: %s: %w", r.op, res.err)
	}

	resp = &response{status: res.status, header: res.header}
	if res.status < 300 {
		if out != nil && len(res.body) > 0 {
			if err := json.Unmarshal(res.body, out); err != nil {
				return resp, false, fmt.Errorf("once: %s: decode answer: %w", r.op, err)
			}
		}
		return resp, false, nil
	}

	ae := newAPIError(r.op, res.status, res.header, res.body)
	switch {
	case r.gen == GenV1 && v1Retired(res.status, ae):
		c.v1Gone.Store(true)
		c.log.WarnContext(ctx, "once: account has no Management API v1; from now on operations go to v2, and v1-only ones fail without a call", "op", r.op, "status", res.status)
		return resp, false, &UnsupportedError{Op: r.op, Gen: GenV1, Reason: fmt.Sprintf("1NCE answered HTTP %d to a v1 call", res.status)}
	case res.status == http.StatusUnauthorized:
		return resp, false, fmt.Errorf("%w: %w", ErrAuth, ae)
	case res.status == http.StatusTooManyRequests:
		wait, known := parseRetryAfter(res.header, c.now())
		c.hooks.rateLimited(r.op, wait)
		if c.budget != nil && r.group == groupManagement {
			c.budget.penalize(wait)
		}
		rle := &RateLimitError{RetryAfter: wait, API: ae}
		if !st.idempotent || wait > c.retry.MaxRetryAfter {
			return resp, false, rle
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return resp, false, rle // the caller cannot wait that long: tell it now
		}
		if known {
			return resp, true, &retryAfterErr{err: rle, wait: &backoff.RetryAfterError{Duration: wait}}
		}
		return resp, true, rle
	case res.status >= 500:
		return resp, st.idempotent, ae
	}
	return resp, false, ae
}

// v1Retired reports whether an answer to a v1 call shows the account has no v1: API Gateway
// answers an unknown route with 403 {"message":"Missing Authentication Token"}, and a retired
// API may answer 410 Gone.
func v1Retired(status int, ae *APIError) bool {
	return status == http.StatusGone ||
		(status == http.StatusForbidden && strings.Contains(ae.Message, "Missing Authentication Token"))
}

// limitedExchange waits for the client-side limits and sends one request.
func (c *Client) limitedExchange(ctx context.Context, st *callState, tok string) (*attemptResult, error) {
	r := st.r
	switch r.group {
	case groupCommerce:
		if err := c.commerce.Wait(ctx); err != nil {
			if ctx.Err() == nil {
				// x/time/rate refuses up front a wait that would outlast the deadline; to the
				// caller that is the deadline passing, so it matches both sentinels.
				return nil, fmt.Errorf("once: %s: waiting for the orders/products/support limit would pass the deadline: %w (%w)", r.op, ErrTimeout, context.DeadlineExceeded)
			}
			return nil, fmt.Errorf("once: %s: waiting for the orders/products/support limit: %w", r.op, ctxErr(ctx))
		}
	case groupManagement:
		if c.budget != nil {
			start := time.Now()
			if err := c.budget.acquire(ctx, st.prio); err != nil {
				return nil, fmt.Errorf("once: %s: %w", r.op, err)
			}
			c.hooks.budgetWait(st.prio, time.Since(start))
		}
	}
	return c.exchange(ctx, r, st.body, tok, st.attempt)
}
