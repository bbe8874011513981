// Package httpmw is the plain net/http middleware the oncefleet server wraps its routes in:
// request ids, a structured access log, panic recovery, Prometheus HTTP metrics (SPEC §10),
// security headers, request body limits and CORS (SPEC §6). Stack assembles them in the order
// they must run.
//
// Route labels and log fields come from http.Request.Pattern, which ServeMux sets on the
// request it routes; the middlewares share what they learn through the request context, so
// they report the pattern even though they run outside the mux. A handler that copies the
// request before routing (http.StripPrefix in front of a sub-mux) hides the pattern: wrap such
// a sub-mux in CaptureRoute.
package httpmw

import (
	"bufio"
	"context"
	"net"
	"net/http"
)

// Middleware wraps a handler.
type Middleware func(http.Handler) http.Handler

// Chain wraps h so that mws[0] runs first (outermost).
func Chain(h http.Handler, mws ...Middleware) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// unmatchedRoute labels requests no pattern matched (404s, 405s), so probing random paths
// cannot create new label values.
const unmatchedRoute = "unmatched"

// state is what the middlewares of one request share.
type state struct {
	requestID string
	route     string
}

type stateKey struct{}

// stateOf returns the request's shared state, attaching a new one if needed.
func stateOf(r *http.Request) (*state, *http.Request) {
	if st, ok := r.Context().Value(stateKey{}).(*state); ok {
		return st, r
	}
	st := &state{}
	return st, r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
}

// capture records the pattern the mux set on r, the request this middleware passed on.
func (st *state) capture(r *http.Request) {
	if st.route == "" && r.Pattern != "" {
		st.route = r.Pattern
	}
}

func (st *state) routeLabel() string {
	if st.route == "" {
		return unmatchedRoute
	}
	return st.route
}

// CaptureRoute records the pattern of a mux that runs behind a request copy (for example a
// sub-mux under http.StripPrefix), which the outer middlewares would otherwise not see.
func CaptureRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, r := stateOf(r)
		defer st.capture(r)
		mux.ServeHTTP(w, r)
	})
}

// methodLabel bounds the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// recorder remembers the status and size of a response. It keeps streaming and upgrades
// working: Flush and Hijack reach the underlying writer, and Unwrap lets
// http.ResponseController find it.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

// recorderFor reuses a recorder an outer middleware installed, so one response is counted once.
func recorderFor(w http.ResponseWriter) *recorder {
	if rec, ok := w.(*recorder); ok {
		return rec
	}
	return &recorder{ResponseWriter: w}
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader && (code < 100 || code > 199 || code == http.StatusSwitchingProtocols) {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Flush sends buffered data (server-sent events need it).
func (r *recorder) Flush() {
	if !r.wroteHeader {
		r.status, r.wroteHeader = http.StatusOK, true
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Hijack hands the connection over (WebSocket upgrades need it).
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil && !r.wroteHeader {
		r.status, r.wroteHeader = http.StatusSwitchingProtocols, true
	}
	return conn, rw, err
}

// Unwrap returns the underlying writer for http.ResponseController.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// statusCode is the status the client got: 200 when the handler wrote nothing.
func (r *recorder) statusCode() int {
	if !r.wroteHeader {
		return http.StatusOK
	}
	return r.status
}

// Route returns the route pattern the mux matched for r so far ("" before routing or when
// nothing matched), also when the request was copied on its way to the mux (see CaptureRoute).
func Route(r *http.Request) string {
	if st, ok := r.Context().Value(stateKey{}).(*state); ok && st.route != "" {
		return st.route
	}
	return r.Pattern
}
