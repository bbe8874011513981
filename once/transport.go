package once

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sony/gobreaker/v2"
)

// maxResponseBody bounds what the client reads of one answer; 1NCE pages are at most 100
// SIMs, far below this.
const maxResponseBody = 32 << 20

// userAgent identifies the SDK to 1NCE.
const userAgent = "oncefleet-once/1"

// errCallerGone marks an attempt that ended because the caller's context ended, which says
// nothing about 1NCE's health.
var errCallerGone = errors.New("once: caller gave up")

// attemptResult is one HTTP exchange with 1NCE.
type attemptResult struct {
	status int
	header http.Header
	body   []byte
	dur    time.Duration
	// err is a transport error: no complete answer arrived.
	err error
	// notSent is true when the request provably never reached 1NCE: no connection was ever
	// handed to the request, or dialling failed. Only then may an unsafe POST be re-sent.
	notSent bool
	timeout bool
	// reqHeader is what was sent, for redacted debug logs.
	reqHeader http.Header
}

// exchange sends one request through the host's circuit breaker and reads the whole answer
// within the per-attempt timeout.
func (c *Client) exchange(ctx context.Context, r *request, body []byte, tok string, attempt int) (*attemptResult, error) {
	res, err := c.breaker.Execute(func() (*attemptResult, error) {
		res := c.send(ctx, r, body, tok)
		switch {
		case res.err != nil && ctx.Err() != nil:
			return res, fmt.Errorf("%w: %w", errCallerGone, res.err)
		case res.err != nil:
			return res, res.err
		case res.status >= 500:
			return res, errBreakerCounted
		}
		return res, nil
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return nil, fmt.Errorf("once: %s: %w: %w", r.op, ErrUnavailable, err)
	}
	c.observe(ctx, r, body, res, attempt)
	return res, nil
}

// send performs the HTTP exchange. It never returns nil.
func (c *Client) send(ctx context.Context, r *request, body []byte, tok string) *attemptResult {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var gotConn atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) },
	})

	u := c.baseURL + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, u, rd)
	if err != nil {
		return &attemptResult{err: fmt.Errorf("once: %s: build request: %w", r.op, err), notSent: true}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.group == groupAuth {
		req.SetBasicAuth(c.clientID, c.clientSecret)
	} else {
		req.Header.Set("Authorization", "Bearer "+tok)
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return &attemptResult{
			dur:       time.Since(start),
			err:       err,
			notSent:   !gotConn.Load() || isDialError(err),
			timeout:   ctx.Err() == nil && actx.Err() != nil || isTimeout(err),
			reqHeader: req.Header,
		}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	res := &attemptResult{status: resp.StatusCode, header: resp.Header, body: data, dur: time.Since(start), reqHeader: req.Header}
	if err != nil {
		res.err = fmt.Errorf("read answer: %w", err)
		res.timeout = ctx.Err() == nil && actx.Err() != nil || isTimeout(err)
	}
	return res
}

// isDialError reports whether err happened while connecting, before any byte of the request
// could be written.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// ctxErr is the error for a caller's ended context; deadlines also match ErrTimeout.
func ctxErr(ctx context.Context) error {
	err := context.Cause(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return err
}

// observe reports one exchange to the hooks and the log. Bodies and headers are redacted;
// answers are never logged (they carry customer data).
func (c *Client) observe(ctx context.Context, r *request, body []byte, res *attemptResult, attempt int) {
	var herr error
	switch {
	case res.err != nil:
		herr = res.err
	case res.status >= 300:
		herr = newAPIError(r.op, res.status, res.header, res.body)
	}
	info := RequestInfo{Op: r.op, Method: r.method, Status: res.status, Attempt: attempt, Duration: res.dur, Err: herr}
	c.hooks.request(info)
	observeRequest(ctx, info)

	// Failures that point at 1NCE or the network warn; a 404 is an ordinary answer (a SIM
	// not found); other 4xx say our request or credentials are wrong.
	level := slog.LevelDebug
	switch {
	case res.err != nil, res.status >= 500, res.status == http.StatusTooManyRequests:
		level = slog.LevelWarn
	case res.status >= 400 && res.status != http.StatusNotFound:
		level = slog.LevelInfo
	}
	if !c.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("op", r.op),
		slog.String("method", r.method),
		slog.String("path", r.path),
		slog.Int("attempt", attempt),
		slog.Int("status", res.status),
		slog.Duration("duration", res.dur),
		slog.String("priority", PriorityFrom(ctx).String()),
	}
	if id := requestID(res.header); id != "" {
		attrs = append(attrs, slog.String("request_id", id))
	}
	if herr != nil {
		attrs = append(attrs, slog.String("err", herr.Error()))
	}
	if c.log.Enabled(ctx, slog.LevelDebug) {
		if res.reqHeader != nil {
			attrs = append(attrs, slog.Any("request_headers", redactHeader(res.reqHeader)))
		}
		if len(body) > 0 {
			attrs = append(attrs, slog.String("request_body", redactJSON(body)))
		}
	}
	c.log.LogAttrs(ctx, level, "once request", attrs...)
}
