package httpmw

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Whatever a client sends as X-Request-Id, the id the server uses is safe to put in a header
// and a log line, and a well-formed one is kept so traces join up across services.
func FuzzAssignRequestID(f *testing.F) {
	for _, s := range []string{"", "0b6c1f9e-4a51-4b8e-9f55-3f0c2a9d7e11", "a\nb", strings.Repeat("z", 129)} {
		f.Add(s)
	}
	var ctxID string
	h := AssignRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ctxID = RequestID(r.Context()) }))
	f.Fuzz(func(t *testing.T, incoming string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header[RequestIDHeader] = []string{incoming}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Header().Get(RequestIDHeader)
		if !validRequestID(got) || got != ctxID {
			t.Fatalf("id %q (context %q) for incoming %q", got, ctxID, incoming)
		}
		for _, c := range got {
			if c < 0x21 || c > 0x7e || c == '"' || c == '\\' || c == ';' || c == ',' {
				t.Fatalf("id %q carries %q", got, c)
			}
		}
		if validRequestID(incoming) != (got == incoming) {
			t.Fatalf("incoming %q valid=%v but id %q", incoming, validRequestID(incoming), got)
		}
	})
}

// Origin validation never panics and accepts only scheme://host[:port].
func FuzzCheckOrigin(f *testing.F) {
	for _, s := range []string{"https://ops.example.com", "http://localhost:5173", "https://*.example.com", "*", "https://x/y", "javascript:alert(1)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, origin string) {
		if checkOrigin(origin) != nil {
			return
		}
		if i := strings.IndexByte(origin, '*'); i >= 0 && (origin[i+1] != '.' || origin[i-3:i] != "://") {
			t.Fatalf("accepted wildcard origin %q", origin)
		}
		u, err := url.Parse(strings.Replace(origin, "*", "w", 1))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			t.Fatalf("accepted origin %q parses as %+v (%v)", origin, u, err)
		}
	})
}
