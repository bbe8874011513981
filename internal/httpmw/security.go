package httpmw

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/problem"
)

// DefaultContentSecurityPolicy allows the same-origin dashboard and nothing else: no inline
// script, no framing, no plugins.
const DefaultContentSecurityPolicy = "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

// SecurityOptions configure SecurityHeaders. Zero values take the documented defaults.
type SecurityOptions struct {
	// ContentSecurityPolicy (default DefaultContentSecurityPolicy). A handler that needs
	// another policy (the API docs page) sets its own header, which wins.
	ContentSecurityPolicy string
	// HSTSMaxAge enables Strict-Transport-Security. Leave it zero unless every client
	// reaches the server over HTTPS (TLS may end at a load balancer, so it is not inferred).
	HSTSMaxAge time.Duration
}

// SecurityHeaders sets the browser security headers on every response. They are set before
// the handler runs, so a handler can still override one.
func SecurityHeaders(opts SecurityOptions) Middleware {
	if opts.ContentSecurityPolicy == "" {
		opts.ContentSecurityPolicy = DefaultContentSecurityPolicy
	}
	hsts := ""
	if opts.HSTSMaxAge > 0 {
		hsts = "max-age=" + strconv.FormatInt(int64(opts.HSTSMaxAge/time.Second), 10) + "; includeSubDomains"
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", opts.ContentSecurityPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
			if hsts != "" {
				h.Set("Strict-Transport-Security", hsts)
			}
			st, r := stateOf(r)
			defer st.capture(r)
			next.ServeHTTP(w, r)
		})
	}
}

// BodyTooLargeError is what reading a request body past the MaxBody limit returns. It is a
// fleet too_large error, so problem.Error answers 413, and an *http.MaxBytesError.
type BodyTooLargeError struct {
	Limit int64
	cause error
}

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("request body larger than %d bytes", e.Limit)
}

// Unwrap exposes the domain error (for problem.FromError) and net/http's error.
func (e *BodyTooLargeError) Unwrap() []error {
	return []error{&fleet.Error{Code: fleet.CodeTooLarge, Message: e.Error()}, e.cause}
}

// MaxBody limits request bodies to limit bytes. A request that declares a larger
// Content-Length is answered 413 before its handler runs; a body that turns out larger
// fails the handler's read with a *BodyTooLargeError.
func MaxBody(limit int64) Middleware {
	return maxBody(func(*http.Request) int64 { return limit })
}

func maxBody(limitFor func(*http.Request) int64) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			limit := limitFor(r)
			if r.ContentLength > limit {
				p := problem.New(http.StatusRequestEntityTooLarge, fleet.CodeTooLarge, fmt.Sprintf("request body larger than %d bytes", limit))
				// The unread body would otherwise be drained for keep-alive, limit or not.
				w.Header().Set("Connection", "close")
				problem.Write(w, p)
				return
			}
			st, r := stateOf(r)
			defer st.capture(r)
			if r.Body != nil && r.Body != http.NoBody {
				r = r.WithContext(r.Context()) // a copy: the caller's request keeps its body
				r.Body = limitedBody{http.MaxBytesReader(w, r.Body, limit)}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// limitedBody translates net/http's limit error into one the API's error mapping knows.
type limitedBody struct{ rc io.ReadCloser }

func (b limitedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = &BodyTooLargeError{Limit: mbe.Limit, cause: mbe}
	}
	return n, err
}

func (b limitedBody) Close() error { return b.rc.Close() }
