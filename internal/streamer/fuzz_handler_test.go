package streamer_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/streamer"
)

// FuzzHandler posts arbitrary bodies to every endpoint of a receiver backed by a real SQLite
// store: it must never answer 5xx or panic, and a refused request must commit nothing.
func FuzzHandler(f *testing.F) {
	for _, name := range []string{"v1_usage.json", "v1_event.json", "p2_usage.json", "p2_event.json"} {
		f.Add(fixture(f, name), uint8(0))
	}
	s := dbtest.NewSQLite(f)
	h := streamer.NewHandler(streamer.HandlerConfig{Store: s, Credential: cred, MaxBodyBytes: 1 << 20})
	paths := []string{"/events", "/usage", ""}
	f.Fuzz(func(t *testing.T, body string, which uint8) {
		before := count(t, s.DB(), `SELECT count(*) FROM streamer_records`)
		req := httptest.NewRequest(http.MethodPost, streamer.Prefix+paths[int(which)%len(paths)], strings.NewReader(body))
		req.SetBasicAuth(cred.Username, cred.Password)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if after := count(t, s.DB(), `SELECT count(*) FROM streamer_records`); after != before {
				t.Fatalf("%d answer but %d records committed", rec.Code, after-before)
			}
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/problem+json") {
				t.Fatalf("%d without problem+json", rec.Code)
			}
		default:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
	})
}
