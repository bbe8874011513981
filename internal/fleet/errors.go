// Package fleet holds oncefleet's domain types and errors: the local mirror of a 1NCE fleet
// (SIMs, usage, quotas, connectivity, events, SMS) and oncefleet's own records (users, keys,
// audit, alerts, jobs). Storage backends, the API and the jobs all speak these types.
package fleet

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error for callers: the API maps each code to one HTTP status in one place.
type Code string

// Error codes. They are part of the API contract (problem+json "code"): never rename one.
const (
	CodeInvalid      Code = "invalid"        // bad input: 400/422
	CodeNotFound     Code = "not_found"      // 404
	CodeConflict     Code = "conflict"       // unique constraint, concurrent change: 409
	CodeUnauthorized Code = "unauthorized"   // 401
	CodeForbidden    Code = "forbidden"      // 403
	CodeTooLarge     Code = "too_large"      // 413
	CodeRateLimited  Code = "rate_limited"   // 429
	CodeUnavailable  Code = "unavailable"    // a dependency is down: 503
	CodeUpstream     Code = "upstream_error" // 1NCE failed: 502
	CodeUnsupported  Code = "upstream_unsupported"
	CodeInternal     Code = "internal" // 500: a bug, never bad input

	// CodeUpstreamTimeout: 1NCE did not answer in time (504). For a money-costing call the
	// outcome is unknown; the body says how to reconcile.
	CodeUpstreamTimeout Code = "upstream_timeout"
	// CodeUpstreamRejected: 1NCE refused the request as invalid (its 400/422); the detail
	// carries 1NCE's message and upstream_code its error code.
	CodeUpstreamRejected Code = "upstream_rejected"
	// CodeUpstreamAuth: 1NCE refused oncefleet's own API credentials (502): an operator must
	// fix ONCEFLEET_ONCE_CLIENT_ID/SECRET; the caller did nothing wrong.
	CodeUpstreamAuth Code = "upstream_auth"
	// CodeOutcomeUnknown: a money-costing call reached 1NCE but no answer came back, so it may
	// or may not have been booked (502). Never retried automatically.
	CodeOutcomeUnknown Code = "outcome_unknown"
	// CodeMethodNotAllowed: the resource exists but not with this method (405).
	CodeMethodNotAllowed Code = "method_not_allowed"
	// CodeIdempotencyReused: an Idempotency-Key came back with a different request (422).
	CodeIdempotencyReused Code = "idempotency_key_reused"
	// CodeIdempotencyInFlight: the first request with this Idempotency-Key is still running (409).
	CodeIdempotencyInFlight Code = "idempotency_in_flight"
)

// Sentinel errors that stores and services wrap; test with errors.Is.
var (
	ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}
	ErrConflict = &Error{Code: CodeConflict, Message: "conflict"}
	ErrInvalid  = &Error{Code: CodeInvalid, Message: "invalid input"}
)

// Error is a domain error with a stable code and a message safe to show to API clients.
type Error struct {
	Code    Code
	Message string
	// Field names the offending input, when one does (e.g. "iccid", "records[17].id").
	Field string
	// UpstreamCode keeps 1NCE's error code when 1NCE failed the call.
	UpstreamCode string
	// UpstreamRequestID is 1NCE's request id of the failed call, for a support ticket.
	UpstreamRequestID string
	// RetryAfter tells the client when trying again makes sense (rate limits, 1NCE busy).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Is matches any *Error with the same code, so errors.Is(err, fleet.ErrNotFound) holds for
// every not-found error whatever its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a CodeInvalid error naming the offending field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or CodeInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the client-safe message of err: the *Error's message, or a generic text
// for anything else (internal details are logged, never shown).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
