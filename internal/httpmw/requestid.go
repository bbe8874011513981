package httpmw

import (
	"context"
	"crypto/rand"
	"net/http"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen bounds an accepted incoming id.
const maxRequestIDLen = 128

type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithRequestID returns ctx carrying id, for work that is not an HTTP request (a job run)
// but whose logs should be correlated the same way.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// validRequestID accepts the ids proxies and clients commonly send (UUIDs, ULIDs, trace ids
// like "Root=1-5759e988-bd862e3fe1be46a994272793") and nothing that could forge a log line or
// a header: no spaces, quotes, separators or control characters.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '=', c == '+', c == '/', c == '@':
		default:
			return false
		}
	}
	return true
}

// AssignRequestID takes a valid incoming X-Request-Id, or generates a random one, and puts it
// on the response and in the request context (see RequestID).
func AssignRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = rand.Text()
		}
		st, r := stateOf(r)
		st.requestID = id
		w.Header().Set(RequestIDHeader, id)
		r = r.WithContext(WithRequestID(r.Context(), id))
		defer st.capture(r)
		next.ServeHTTP(w, r)
	})
}
