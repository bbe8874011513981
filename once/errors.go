package once

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Every error the client returns wraps at most a few of these and the typed
// errors below, so callers branch with errors.Is / errors.As instead of parsing messages.
var (
	// ErrAuth means 1NCE rejected the client credentials or the token (even after one refresh).
	ErrAuth = errors.New("once: authentication failed")
	// ErrTimeout means a call, or one attempt of it, ran past its deadline.
	ErrTimeout = errors.New("once: timeout")
	// ErrNotFound means 1NCE answered 404. An *APIError with Status 404 matches it.
	ErrNotFound = errors.New("once: not found")
	// ErrUnsupported means the account's API generation lacks the operation (v1 retired, or the
	// client is configured for v2 only). *UnsupportedError matches it.
	ErrUnsupported = errors.New("once: operation not supported by the account's API generation")
	// ErrUnavailable means the client refused to send because the circuit breaker for 1NCE's
	// host is open: recent calls failed and the client is giving 1NCE time to recover.
	ErrUnavailable = errors.New("once: 1NCE unavailable (circuit open)")
)

// APIError is a non-2xx answer from 1NCE.
type APIError struct {
	// Op is the operation that failed, e.g. "v2.getSim".
	Op string
	// Status is the HTTP status code.
	Status int
	// Code is 1NCE's error code: errorCode (v1, auth) or error_token / error_code (v2).
	Code string
	// Message is 1NCE's human-readable message.
	Message string
	// RequestID is the upstream request id header, for 1NCE support tickets.
	RequestID string
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "once: %s: HTTP %d", e.Op, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

// Is lets a 404 match ErrNotFound and a 401 match ErrAuth.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrAuth:
		return e.Status == http.StatusUnauthorized
	}
	return false
}

// RateLimitError is a 429 from 1NCE that the client did not (or could no longer) retry.
type RateLimitError struct {
	// RetryAfter is how long 1NCE asked to wait (Retry-After or x-rate-limit-reset); zero if
	// it did not say.
	RetryAfter time.Duration
	// API is the underlying answer.
	API *APIError
}

// Error implements error.
func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%v (rate limited, retry after %s)", e.API, e.RetryAfter)
}

// Unwrap exposes the *APIError.
func (e *RateLimitError) Unwrap() error { return e.API }

// UnsupportedError says which operation the account's API generation lacks. It matches
// ErrUnsupported.
type UnsupportedError struct {
	// Op is the operation, e.g. "v1.getSimUsage".
	Op string
	// Gen is the generation the operation needs.
	Gen Generation
	// Reason says how the client knows: configuration, or 1NCE's answer.
	Reason string
}

// Error implements error.
func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("once: %s: upstream_unsupported: needs Management API %s (%s)", e.Op, e.Gen, e.Reason)
}

// Is matches ErrUnsupported.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// errorBody covers both error shapes 1NCE uses: v1 and auth answer
// {"statusCode","errorCode","message"}, v2 answers {"error_code":1000,"error_token","message"}.
type errorBody struct {
	ErrorCode  string          `json:"errorCode"`
	ErrorToken string          `json:"error_token"`
	ErrorNum   json.RawMessage `json:"error_code"`
	Message    string          `json:"message"`
}

// requestIDHeaders are the headers API Gateway and 1NCE use for the request id, most specific
// first.
var requestIDHeaders = []string{"X-Request-Id", "X-Amzn-Requestid", "X-Amz-Apigw-Id", "X-Correlation-Id"}

// requestID returns the first request id header of an answer ("" when none).
func requestID(h http.Header) string {
	for _, k := range requestIDHeaders {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// newAPIError builds an *APIError from a non-2xx answer. The body is parsed leniently: a
// gateway may answer HTML or nothing, and the status alone must still make a useful error.
func newAPIError(op string, status int, h http.Header, body []byte) *APIError {
	e := &APIError{Op: op, Status: status, RequestID: requestID(h)}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.Message = eb.Message
		switch {
		case eb.ErrorCode != "":
			e.Code = eb.ErrorCode
		case eb.ErrorToken != "":
			e.Code = eb.ErrorToken
		case len(eb.ErrorNum) > 0 && string(eb.ErrorNum) != "null":
			e.Code = strings.Trim(string(eb.ErrorNum), `"`)
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// maxRetryAfterHeader caps what a header may ask for, so a garbage or hostile value cannot
// park a caller for days.
const maxRetryAfterHeader = 24 * time.Hour

// parseRetryAfter reads how long 1NCE asks to wait: Retry-After (delta seconds or HTTP date),
// else x-rate-limit-reset (seconds until reset, or a Unix epoch in seconds when it is larger
// than the current epoch minus a day, or in milliseconds when larger than 1e12). ok is false when neither header says anything usable.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if d, ok := parseRetryAfterValue(h.Get("Retry-After"), now); ok {
		return d, true
	}
	v := strings.TrimSpace(h.Get("X-Rate-Limit-Reset"))
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 0 || n != n {
		return 0, false
	}
	if n > 1e12 {
		// An epoch timestamp in milliseconds.
		return clampWait(time.UnixMilli(int64(min(n, 1e15))).Sub(now)), true
	}
	if n > float64(now.Add(-24*time.Hour).Unix()) {
		// An epoch timestamp in seconds: wait until then.
		return clampWait(time.Unix(int64(n), 0).Sub(now)), true
	}
	if n > maxRetryAfterHeader.Seconds() {
		return maxRetryAfterHeader, true
	}
	return clampWait(time.Duration(n * float64(time.Second))), true
}

func parseRetryAfterValue(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(maxRetryAfterHeader/time.Second) {
			return maxRetryAfterHeader, true
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return clampWait(t.Sub(now)), true
	}
	return 0, false
}

func clampWait(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	if d > maxRetryAfterHeader {
		return maxRetryAfterHeader
	}
	return d
}
