package httpmw_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/oncefleet/oncefleet/internal/httpmw"
	"github.com/oncefleet/oncefleet/internal/problem"
)

// logBuffer collects JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(httpmw.LogHandler(slog.NewJSONHandler(b, nil))), b
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// requestsTotal reads one http_requests_total series from reg (0 if absent).
func requestsTotal(t *testing.T, reg prometheus.Gatherer, method, route, status string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			if l["method"] == method && l["route"] == route && l["status"] == status {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func decodeProblem(t *testing.T, w *httptest.ResponseRecorder) problem.Problem {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("Content-Type = %q, want %q (body %s)", ct, problem.ContentType, w.Body)
	}
	var p problem.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", w.Body, err)
	}
	return p
}

func TestRequestID(t *testing.T) {
	var seen string
	h := httpmw.AssignRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = httpmw.RequestID(r.Context())
	}))
	tests := []struct {
		name, incoming string
		keep           bool
	}{
		{"none", "", false},
		{"uuid", "0b6c1f9e-4a51-4b8e-9f55-3f0c2a9d7e11", true},
		{"trace id", "Root=1-5759e988-bd862e3fe1be46a994272793", true},
		{"max length", strings.Repeat("a", 128), true},
		{"too long", strings.Repeat("a", 129), false},
		{"log injection", "abc\ninjected=1", false},
		{"space", "a b", false},
		{"quote", `a"b`, false},
		{"non-ascii", "ä", false},
	}
	ids := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.incoming != "" {
				r.Header.Set(httpmw.RequestIDHeader, tc.incoming)
			}
			w := serve(h, r)
			got := w.Header().Get(httpmw.RequestIDHeader)
			if got == "" || got != seen {
				t.Fatalf("response id %q, context id %q", got, seen)
			}
			if tc.keep && got != tc.incoming {
				t.Fatalf("valid incoming id %q replaced by %q", tc.incoming, got)
			}
			if !tc.keep {
				if got == tc.incoming {
					t.Fatalf("invalid incoming id %q kept", tc.incoming)
				}
				if ids[got] {
					t.Fatalf("generated id %q twice", got)
				}
				ids[got] = true
			}
		})
	}
	if httpmw.RequestID(t.Context()) != "" {
		t.Fatal("RequestID of a context without one is not empty")
	}
	if got := httpmw.RequestID(httpmw.WithRequestID(t.Context(), "job-1")); got != "job-1" {
		t.Fatalf("WithRequestID round trip = %q", got)
	}
}

func TestAccessLog(t *testing.T) {
	logger, logs := newLogger()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sims/{iccid}", func(w http.ResponseWriter, r *http.Request) {
		slog.New(httpmw.LogHandler(slog.NewJSONHandler(logs, nil))).InfoContext(r.Context(), "handler line")
		_, _ = io.WriteString(w, "hello")
	})
	mux.HandleFunc("POST /fail", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	h := httpmw.Chain(mux, httpmw.AssignRequestID, httpmw.AccessLog(logger))

	r := httptest.NewRequest(http.MethodGet, "/sims/8988123?token=s3cr3t-query", nil)
	r.Header.Set("Authorization", "Bearer s3cr3t-header")
	r.Header.Set("X-API-Key", "s3cr3t-key")
	r.Header.Set(httpmw.RequestIDHeader, "req-1")
	serve(h, r)
	serve(h, httptest.NewRequest(http.MethodPost, "/fail", nil))
	serve(h, httptest.NewRequest("BREW", "/nowhere/8988", nil))

	for _, secret := range []string{"s3cr3t", "8988123", "/nowhere"} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("the log contains %q:\n%s", secret, logs)
		}
	}
	lines := logs.lines(t)
	if len(lines) != 4 {
		t.Fatalf("%d log lines, want 4:\n%s", len(lines), logs)
	}
	if lines[0]["msg"] != "handler line" || lines[0]["request_id"] != "req-1" {
		t.Fatalf("handler log line lacks the request id: %v", lines[0])
	}
	want := []map[string]any{
		{"level": "INFO", "method": "GET", "route": "GET /sims/{iccid}", "status": 200.0, "bytes": 5.0, "request_id": "req-1"},
		{"level": "ERROR", "method": "POST", "route": "POST /fail", "status": 502.0, "bytes": 0.0},
		{"level": "INFO", "method": "OTHER", "route": "unmatched", "status": 404.0},
	}
	for i, w := range want {
		got := lines[i+1]
		for k, v := range w {
			if got[k] != v {
				t.Errorf("line %d: %s = %v, want %v (%v)", i+1, k, got[k], v, got)
			}
		}
		if _, ok := got["duration_ms"].(float64); !ok {
			t.Errorf("line %d has no duration_ms", i+1)
		}
		if id, _ := got["request_id"].(string); id == "" {
			t.Errorf("line %d has no request_id", i+1)
		}
		if strings.Count(logs.String(), `"request_id"`) != 4 {
			t.Errorf("request_id appears more than once in a line:\n%s", logs)
		}
	}
}

func TestRecover(t *testing.T) {
	logger, logs := newLogger()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom/{id}", func(http.ResponseWriter, *http.Request) { panic("nil map write") })
	mux.HandleFunc("GET /late", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "partial")
		panic("after the header")
	})
	mux.HandleFunc("GET /abort", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	h := httpmw.Chain(mux, httpmw.AssignRequestID, httpmw.AccessLog(logger), httpmw.Recover(logger))

	r := httptest.NewRequest(http.MethodGet, "/boom/1", nil)
	r.Header.Set(httpmw.RequestIDHeader, "req-boom")
	w := serve(h, r)
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", w.Code)
	}
	p := decodeProblem(t, w)
	if p.Code != "internal" || p.RequestID != "req-boom" || strings.Contains(w.Body.String(), "nil map") {
		t.Fatalf("problem %+v (body %s)", p, w.Body)
	}
	lines := logs.lines(t)
	if len(lines) != 2 {
		t.Fatalf("want the panic and the access line, got %d:\n%s", len(lines), logs)
	}
	if lines[0]["panic"] != "nil map write" || lines[0]["route"] != "GET /boom/{id}" || !strings.Contains(lines[0]["stack"].(string), "goroutine") {
		t.Fatalf("panic line %v", lines[0])
	}
	if lines[1]["status"] != 500.0 || lines[1]["route"] != "GET /boom/{id}" {
		t.Fatalf("access line %v", lines[1])
	}
	if strings.Count(logs.String(), "[running]") != 1 {
		t.Fatalf("the stack was logged more than once:\n%s", logs)
	}

	w = serve(h, httptest.NewRequest(http.MethodGet, "/late", nil))
	if w.Code != http.StatusOK || w.Body.String() != "partial" {
		t.Fatalf("a panic after the header rewrote the response: %d %q", w.Code, w.Body)
	}

	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Fatalf("ErrAbortHandler was swallowed: %v", p)
			}
		}()
		serve(h, httptest.NewRequest(http.MethodGet, "/abort", nil))
	}()
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := httpmw.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := httpmw.NewMetrics(reg); err == nil {
		t.Fatal("registering the HTTP metrics twice succeeded")
	}
	entered, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sims/{iccid}", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("POST /slow", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		w.WriteHeader(http.StatusAccepted)
	})
	h := httpmw.Chain(mux, httpmw.AssignRequestID, m.Middleware)

	for _, id := range []string{"1", "2", "3"} {
		serve(h, httptest.NewRequest(http.MethodGet, "/sims/"+id, nil))
	}
	for _, p := range []string{"/a", "/b", "/c"} { // random paths share one label
		serve(h, httptest.NewRequest(http.MethodGet, p, nil))
	}
	serve(h, httptest.NewRequest("PROPFIND", "/sims/1", nil))
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve(h, httptest.NewRequest(http.MethodPost, "/slow", nil))
	}()
	<-entered
	inFlight := `
# HELP http_requests_in_progress HTTP requests being served.
# TYPE http_requests_in_progress gauge
http_requests_in_progress 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(inFlight), "http_requests_in_progress"); err != nil {
		t.Fatal(err)
	}
	close(release)
	<-done
	want := `
# HELP http_requests_in_progress HTTP requests being served.
# TYPE http_requests_in_progress gauge
http_requests_in_progress 0
# HELP http_requests_total HTTP requests served, by method, route pattern and status.
# TYPE http_requests_total counter
http_requests_total{method="GET",route="GET /sims/{iccid}",status="200"} 3
http_requests_total{method="GET",route="unmatched",status="404"} 3
http_requests_total{method="OTHER",route="unmatched",status="405"} 1
http_requests_total{method="POST",route="POST /slow",status="202"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "http_requests_total", "http_requests_in_progress"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(reg, "http_request_duration_seconds"); n != 4 {
		t.Fatalf("%d duration series, want 4", n)
	}
}

func TestSecurityHeaders(t *testing.T) {
	plain := httpmw.SecurityHeaders(httpmw.SecurityOptions{})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	w := serve(plain, httptest.NewRequest(http.MethodGet, "/", nil))
	for h, want := range map[string]string{
		"Content-Security-Policy": httpmw.DefaultContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := w.Header().Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if w.Header().Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent without being configured")
	}

	custom := httpmw.SecurityHeaders(httpmw.SecurityOptions{HSTSMaxAge: 365 * 24 * 60 * 60 * 1e9})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", "default-src 'self' 'unsafe-inline'")
		}))
	w = serve(custom, httptest.NewRequest(http.MethodGet, "/docs", nil))
	if got := w.Header().Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
		t.Errorf("HSTS = %q", got)
	}
	if got := w.Header().Get("Content-Security-Policy"); got != "default-src 'self' 'unsafe-inline'" {
		t.Errorf("a handler could not override the CSP: %q", got)
	}
}

func TestMaxBody(t *testing.T) {
	var called bool
	h := httpmw.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		var v any
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			problem.Error(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}), httpmw.AssignRequestID, httpmw.MaxBody(64))

	small := `{"label":"pump"}`
	if w := serve(h, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(small))); w.Code != http.StatusNoContent {
		t.Fatalf("small body: %d %s", w.Code, w.Body)
	}

	big := `{"label":"` + strings.Repeat("x", 100) + `"}`
	called = false
	w := serve(h, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(big)))
	if w.Code != http.StatusRequestEntityTooLarge || called {
		t.Fatalf("declared oversize body: %d, handler called %v", w.Code, called)
	}
	if p := decodeProblem(t, w); p.Code != "too_large" || p.RequestID == "" {
		t.Fatalf("problem %+v", p)
	}

	// Chunked: the size is unknown until the handler reads past the limit.
	r := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(strings.NewReader(big)))
	r.ContentLength = -1
	w = serve(h, r)
	if w.Code != http.StatusRequestEntityTooLarge || !called {
		t.Fatalf("streamed oversize body: %d, handler called %v", w.Code, called)
	}
	if p := decodeProblem(t, w); p.Code != "too_large" {
		t.Fatalf("problem %+v", p)
	}

	// The read error is both a domain error and net/http's.
	var readErr error
	h2 := httpmw.MaxBody(8)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, readErr = io.ReadAll(r.Body) }))
	r = httptest.NewRequest(http.MethodPost, "/", io.MultiReader(strings.NewReader("0123456789")))
	r.ContentLength = -1
	serve(h2, r)
	var tooLarge *httpmw.BodyTooLargeError
	var mbe *http.MaxBytesError
	if !errors.As(readErr, &tooLarge) || !errors.As(readErr, &mbe) || tooLarge.Limit != 8 {
		t.Fatalf("read error %v", readErr)
	}
}

func TestCORS(t *testing.T) {
	mw, err := httpmw.CORS(httpmw.CORSOptions{AllowedOrigins: []string{"https://ops.example.com", "https://*.tools.example.com"}, AllowCredentials: true})
	if err != nil {
		t.Fatal(err)
	}
	var reached int
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }))

	req := func(method, origin string, hdr map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/api/v1/sims", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		return serve(h, r)
	}

	w := req(http.MethodGet, "https://ops.example.com", nil)
	if w.Header().Get("Access-Control-Allow-Origin") != "https://ops.example.com" ||
		w.Header().Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "X-Request-Id") ||
		!strings.Contains(strings.Join(w.Header().Values("Vary"), ","), "Origin") {
		t.Fatalf("allowed origin headers: %v", w.Header())
	}
	if w := req(http.MethodGet, "https://a.tools.example.com", nil); w.Header().Get("Access-Control-Allow-Origin") != "https://a.tools.example.com" {
		t.Fatalf("wildcard subdomain not allowed: %v", w.Header())
	}
	for _, origin := range []string{"https://evil.example.com", "http://ops.example.com", "https://ops.example.com.evil.net"} {
		if w := req(http.MethodGet, origin, nil); w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("origin %s got CORS headers: %v", origin, w.Header())
		}
	}

	reached = 0
	w = req(http.MethodOptions, "https://ops.example.com", map[string]string{
		"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type,x-api-key", // browsers send them sorted, lower case
	})
	if w.Code != http.StatusNoContent || reached != 0 ||
		w.Header().Get("Access-Control-Allow-Methods") != "PUT" || w.Header().Get("Access-Control-Max-Age") != "600" {
		t.Fatalf("allowed preflight: %d reached=%d %v", w.Code, reached, w.Header())
	}
	w = req(http.MethodOptions, "https://evil.example.com", map[string]string{"Access-Control-Request-Method": "DELETE"})
	if w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Access-Control-Allow-Methods") != "" || reached != 0 {
		t.Fatalf("disallowed preflight got CORS headers: %v", w.Header())
	}
	w = req(http.MethodOptions, "https://ops.example.com", map[string]string{"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-secret-header"})
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight with an unlisted header allowed: %v", w.Header())
	}

	off, err := httpmw.CORS(httpmw.CORSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Origin", "https://anyone.example.com")
	if w := serve(off(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})), r); w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("an empty allow-list allowed an origin")
	}

	for _, bad := range []string{"*", "ops.example.com", "https://ops.example.com/", "https://ops.example.com/path", "ftp://x.example.com", "https://*.*.example.com", "https://user@ops.example.com", "https://*", "https://*.com", "https://ops*.example.com", "*://x.example.com"} {
		if _, err := httpmw.CORS(httpmw.CORSOptions{AllowedOrigins: []string{bad}}); err == nil {
			t.Errorf("origin %q accepted", bad)
		}
	}
	if _, err := httpmw.CORS(httpmw.CORSOptions{AllowedOrigins: []string{"https://ok.example.com"}, AllowedHeaders: []string{"*"}}); err == nil {
		t.Error("wildcard header list accepted")
	}
}

// The whole stack as the server uses it: a panic deep in a route is a logged, counted,
// identified 500 with the security headers on.
func TestStack(t *testing.T) {
	logger, logs := newLogger()
	reg := prometheus.NewPedanticRegistry()
	m, err := httpmw.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	stack, err := httpmw.Stack(httpmw.Options{
		Logger: logger, Metrics: m,
		CORS:         httpmw.CORSOptions{AllowedOrigins: []string{"https://ops.example.com"}},
		MaxBodyBytes: 16,
		MaxBodyFor: func(r *http.Request) int64 {
			if strings.HasPrefix(r.URL.Path, "/api/v1/streamer/") {
				return 1024
			}
			return 0
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/sims/{iccid}", func(http.ResponseWriter, *http.Request) { panic("bug") })
	mux.HandleFunc("POST /api/v1/streamer/usage", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			problem.Error(w, err)
		}
	})
	h := stack(mux)

	r := httptest.NewRequest(http.MethodGet, "/api/v1/sims/8988", nil)
	r.Header.Set("Origin", "https://ops.example.com")
	w := serve(h, r)
	if w.Code != 500 || w.Header().Get(httpmw.RequestIDHeader) == "" || w.Header().Get("X-Frame-Options") != "DENY" ||
		w.Header().Get("Access-Control-Allow-Origin") != "https://ops.example.com" {
		t.Fatalf("stack response: %d %v", w.Code, w.Header())
	}
	if p := decodeProblem(t, w); p.RequestID != w.Header().Get(httpmw.RequestIDHeader) {
		t.Fatalf("problem request id %q", p.RequestID)
	}
	if got := requestsTotal(t, reg, "GET", "GET /api/v1/sims/{iccid}", "500"); got != 1 {
		t.Fatalf("500 counted %v times", got)
	}
	if !strings.Contains(logs.String(), `"route":"GET /api/v1/sims/{iccid}","status":500`) {
		t.Fatalf("access log:\n%s", logs)
	}

	body := strings.Repeat("x", 100)
	if w := serve(h, httptest.NewRequest(http.MethodPost, "/api/v1/streamer/usage", strings.NewReader(body))); w.Code != http.StatusOK {
		t.Fatalf("streamer route under its own limit: %d %s", w.Code, w.Body)
	}
	if w := serve(h, httptest.NewRequest(http.MethodPost, "/api/v1/sims", strings.NewReader(body))); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("default limit: %d", w.Code)
	}
	if _, err := httpmw.Stack(httpmw.Options{}); err == nil {
		t.Fatal("Stack without a logger accepted")
	}
}

// Streaming handlers keep working through the recorder.
func TestFlushPassesThrough(t *testing.T) {
	logger, _ := newLogger()
	h := httpmw.AccessLog(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "data: 1\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
		w.(http.Flusher).Flush()
	}))
	w := serve(h, httptest.NewRequest(http.MethodGet, "/events", nil))
	if !w.Flushed {
		t.Fatal("Flush did not reach the underlying writer")
	}
}

// A sub-mux behind http.StripPrefix routes a copy of the request; CaptureRoute brings its
// pattern back to the outer middleware.
func TestCaptureRoute(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, _ := httpmw.NewMetrics(reg)
	sub := http.NewServeMux()
	sub.HandleFunc("GET /sims/{iccid}", func(http.ResponseWriter, *http.Request) {})
	outer := http.NewServeMux()
	outer.Handle("/api/v1/", http.StripPrefix("/api/v1", httpmw.CaptureRoute(sub)))
	h := m.Middleware(outer)
	serve(h, httptest.NewRequest(http.MethodGet, "/api/v1/sims/1", nil))
	if got := requestsTotal(t, reg, "GET", "/api/v1/", "200"); got != 0 {
		t.Fatalf("labelled with the outer pattern")
	}
	if got := requestsTotal(t, reg, "GET", "GET /sims/{iccid}", "200"); got != 1 {
		t.Fatalf("sub-mux pattern not captured")
	}
}

// BenchmarkStack measures what the full middleware stack adds to a trivial route, against
// the bare mux in the same run.
func BenchmarkStack(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/sims/{iccid}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"iccid":"8988"}`)
	})
	m, _ := httpmw.NewMetrics(prometheus.NewRegistry())
	stack, err := httpmw.Stack(httpmw.Options{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: m,
		CORS: httpmw.CORSOptions{AllowedOrigins: []string{"https://ops.example.com"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"bare-mux", mux}, {"stack", stack(mux)}} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/sims/8988", nil)
			for b.Loop() {
				w := httptest.NewRecorder()
				tc.h.ServeHTTP(w, r)
			}
		})
	}
}
