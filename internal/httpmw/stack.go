package httpmw

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// Options configure Stack.
type Options struct {
	// Logger receives the access log and panics (required).
	Logger *slog.Logger
	// Metrics records the HTTP metrics; nil records none.
	Metrics *Metrics
	// Security configures the security headers.
	Security SecurityOptions
	// CORS configures cross-origin access; no origins means none.
	CORS CORSOptions
	// MaxBodyBytes limits request bodies (default 1 MiB).
	MaxBodyBytes int64
	// MaxBodyFor, when set, picks the limit per request (say, by path prefix, for Data
	// Streamer batches of 3,000 records); a result <= 0 falls back to MaxBodyBytes. A
	// MaxBody inside a route can only tighten the limit, never loosen it.
	MaxBodyFor func(r *http.Request) int64
}

// Stack returns the server's middleware in order: request id first (everything after it can
// log the id), then access log and metrics (they see the final status, including a recovered
// panic's 500), panic recovery, security headers, CORS and the body limit last, next to the
// handler.
func Stack(opts Options) (Middleware, error) {
	if opts.Logger == nil {
		return nil, errors.New("httpmw: Options.Logger is required")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	corsMW, err := CORS(opts.CORS)
	if err != nil {
		return nil, fmt.Errorf("httpmw: %w", err)
	}
	mws := []Middleware{AssignRequestID, AccessLog(opts.Logger)}
	if opts.Metrics != nil {
		mws = append(mws, opts.Metrics.Middleware)
	}
	limit := func(*http.Request) int64 { return opts.MaxBodyBytes }
	if opts.MaxBodyFor != nil {
		limit = func(r *http.Request) int64 {
			if n := opts.MaxBodyFor(r); n > 0 {
				return n
			}
			return opts.MaxBodyBytes
		}
	}
	mws = append(mws, Recover(opts.Logger), SecurityHeaders(opts.Security), corsMW, maxBody(limit))
	return func(h http.Handler) http.Handler { return Chain(h, mws...) }, nil
}
