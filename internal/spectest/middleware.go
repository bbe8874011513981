package spectest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Middleware wraps a server handler so that every request it receives and every response it
// sends is validated against the official specs; violations fail tb. base is the path prefix
// under which the handler serves the API ("" when it serves at the root). A nil c (Optional
// without the files) returns next unwrapped.
func (c *Contract) Middleware(tb testing.TB, base string, next http.Handler) http.Handler {
	if c == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := c.ValidateRequest(r.Context(), r, base); err != nil {
			tb.Errorf("%v", err)
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		res := rec.Result()
		body := rec.Body.Bytes()
		if err := c.ValidateResponse(r.Context(), r, base, res.StatusCode, res.Header, body); err != nil {
			tb.Errorf("%v", err)
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(bytes.Clone(body))
	})
}
