package httpmw

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/cors"
)

// CORSOptions configure CORS. Only origins on the allow-list get CORS headers.
type CORSOptions struct {
	// AllowedOrigins are exact origins ("https://ops.example.com", "http://localhost:5173"),
	// or with one '*' standing for subdomains ("https://*.example.com"). "*" alone is
	// refused: the API takes credentials. Empty disables cross-origin access.
	AllowedOrigins []string
	// AllowedMethods (default GET, HEAD, POST, PUT, PATCH, DELETE).
	AllowedMethods []string
	// AllowedHeaders a browser may send (default Accept, Content-Type, Authorization,
	// X-API-Key, X-Request-Id, Idempotency-Key).
	AllowedHeaders []string
	// ExposedHeaders scripts may read (default X-Request-Id, Retry-After, RateLimit-Limit,
	// RateLimit-Remaining, RateLimit-Reset).
	ExposedHeaders []string
	// AllowCredentials lets browsers send cookies and HTTP auth.
	AllowCredentials bool
	// MaxAge is how long a browser may cache a preflight answer (default 10 min).
	MaxAge time.Duration
}

// checkOrigin accepts scheme://host[:port] with nothing after it.
func checkOrigin(o string) error {
	if o == "*" {
		return fmt.Errorf("origin %q: a wildcard for every origin is not allowed, list them", o)
	}
	if strings.Count(o, "*") > 1 {
		return fmt.Errorf("origin %q: at most one '*'", o)
	}
	if i := strings.IndexByte(o, '*'); i >= 0 {
		// Only a leading label of a named domain: "https://*" or "https://*.com" would let
		// anyone in, and a '*' inside a label matches more than the owner may think.
		scheme, rest, _ := strings.Cut(o, "://")
		if i != len(scheme)+3 || !strings.HasPrefix(rest, "*.") || !strings.Contains(strings.TrimPrefix(rest, "*."), ".") {
			return fmt.Errorf("origin %q: a '*' may only stand for subdomains, like https://*.example.com", o)
		}
	}
	u, err := url.Parse(strings.Replace(o, "*", "wildcard", 1))
	if err != nil {
		return fmt.Errorf("origin %q: %w", o, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "/") {
		return fmt.Errorf("origin %q: want scheme://host[:port], like https://ops.example.com", o)
	}
	return nil
}

// CORS answers preflight requests and adds CORS headers for allow-listed origins, through
// github.com/rs/cors. Requests from other origins pass on without CORS headers, which the
// browser enforces; preflights from them get an empty 204.
func CORS(opts CORSOptions) (Middleware, error) {
	if len(opts.AllowedOrigins) == 0 {
		// rs/cors treats an empty list as "everyone"; ours means "no one".
		return func(next http.Handler) http.Handler { return next }, nil
	}
	for _, o := range opts.AllowedOrigins {
		if err := checkOrigin(o); err != nil {
			return nil, fmt.Errorf("cors: %w", err)
		}
	}
	if len(opts.AllowedMethods) == 0 {
		opts.AllowedMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	}
	if len(opts.AllowedHeaders) == 0 {
		opts.AllowedHeaders = []string{"Accept", "Content-Type", "Authorization", "X-API-Key", RequestIDHeader, "Idempotency-Key"}
	}
	for _, h := range opts.AllowedHeaders {
		if h == "*" {
			return nil, fmt.Errorf("cors: list the allowed headers instead of %q", h)
		}
	}
	if len(opts.ExposedHeaders) == 0 {
		opts.ExposedHeaders = []string{RequestIDHeader, "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 10 * time.Minute
	}
	c := cors.New(cors.Options{
		AllowedOrigins:   opts.AllowedOrigins,
		AllowedMethods:   opts.AllowedMethods,
		AllowedHeaders:   opts.AllowedHeaders,
		ExposedHeaders:   opts.ExposedHeaders,
		AllowCredentials: opts.AllowCredentials,
		MaxAge:           int(opts.MaxAge / time.Second),
	})
	return func(next http.Handler) http.Handler {
		return c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st, r := stateOf(r)
			defer st.capture(r)
			next.ServeHTTP(w, r)
		}))
	}, nil
}
