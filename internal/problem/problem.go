// Package problem writes RFC 9457 problem+json error responses with oncefleet's stable error
// codes, and maps domain errors to HTTP statuses in one place.
package problem

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// ContentType is the media type of every error body.
const ContentType = "application/problem+json"

// Problem is an RFC 9457 problem details body. Code is oncefleet's stable machine-readable
// code; clients switch on it, never on Title or Detail.
type Problem struct {
	Type     string `json:"type,omitempty"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Code     string `json:"code"`
	// Field names the offending input, when one does.
	Field string `json:"field,omitempty"`
	// Index is the position of the first bad element of a batch (Data Streamer ingest).
	Index *int `json:"index,omitempty"`
	// RequestID lets a user quote the request to an operator.
	RequestID string `json:"request_id,omitempty"`
	// UpstreamCode keeps 1NCE's errorCode when 1NCE failed the call.
	UpstreamCode string `json:"upstream_code,omitempty"`
	// UpstreamRequestID is 1NCE's request id of the failed call.
	UpstreamRequestID string `json:"upstream_request_id,omitempty"`
	// RetryAfter becomes the Retry-After header; it is not part of the body.
	RetryAfter time.Duration `json:"-"`
}

// Status maps a domain error code to its HTTP status.
func Status(code fleet.Code) int {
	switch code {
	case fleet.CodeInvalid:
		return http.StatusBadRequest
	case fleet.CodeNotFound:
		return http.StatusNotFound
	case fleet.CodeConflict:
		return http.StatusConflict
	case fleet.CodeUnauthorized:
		return http.StatusUnauthorized
	case fleet.CodeForbidden:
		return http.StatusForbidden
	case fleet.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case fleet.CodeRateLimited:
		return http.StatusTooManyRequests
	case fleet.CodeUnavailable:
		return http.StatusServiceUnavailable
	case fleet.CodeUpstream, fleet.CodeUpstreamAuth, fleet.CodeOutcomeUnknown:
		return http.StatusBadGateway
	case fleet.CodeUpstreamTimeout:
		return http.StatusGatewayTimeout
	case fleet.CodeUpstreamRejected, fleet.CodeIdempotencyReused:
		return http.StatusUnprocessableEntity
	case fleet.CodeIdempotencyInFlight:
		return http.StatusConflict
	case fleet.CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case fleet.CodeUnsupported:
		return http.StatusNotImplemented
	default:
		return http.StatusInternalServerError
	}
}

// FromError builds the problem for err. Internal errors get a generic detail: the cause is for
// the log, not the client.
func FromError(err error) Problem {
	code := fleet.ErrorCode(err)
	p := New(Status(code), code, fleet.ErrorMessage(err))
	var fe *fleet.Error
	if errors.As(err, &fe) {
		p.Field = fe.Field
		p.UpstreamCode = fe.UpstreamCode
		p.UpstreamRequestID = fe.UpstreamRequestID
		if fe.RetryAfter > 0 {
			p.RetryAfter = fe.RetryAfter
		}
	}
	return p
}

// Write sends p as the response; the request id is taken from the response header
// X-Request-Id when the middleware set one.
func Write(w http.ResponseWriter, p Problem) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if p.RequestID == "" {
		p.RequestID = w.Header().Get("X-Request-Id")
	}
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((p.RetryAfter+time.Second-1)/time.Second), 10))
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Error writes the problem for err.
func Error(w http.ResponseWriter, err error) { Write(w, FromError(err)) }

// New returns a problem with an explicit status, code and detail.
func New(status int, code fleet.Code, detail string) Problem {
	return Problem{Title: http.StatusText(status), Status: status, Code: string(code), Detail: detail}
}
