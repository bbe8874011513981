package oncesim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

const (
	testID     = "client-id"
	testSecret = "client-secret"
)

// t0 is the manual clock's start in every test.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// harness is a simulator behind a real loopback HTTP server.
type harness struct {
	t     *testing.T
	sim   *Simulator
	clock *ManualClock
	srv   *httptest.Server
	token string
}

// newHarness starts a simulator with a manual clock and the rate limits off unless opts say
// otherwise. Checking the traffic against 1NCE's official OpenAPI files is the job of the
// server module's contract tests (internal/contract), so this module needs no OpenAPI library.
func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	clock := NewManualClock(t0)
	if opts.Clock == nil {
		opts.Clock = clock
	}
	opts.ClientID, opts.ClientSecret = testID, testSecret
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	if opts.CommerceLimit == 0 {
		opts.CommerceLimit = -1
	}
	if opts.Sims == 0 {
		opts.Sims = 50
	}
	sim, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		srv.Close()
		_ = sim.Close()
	})
	return &harness{t: t, sim: sim, clock: clock, srv: srv}
}

// login fetches a bearer token.
func (h *harness) login() {
	h.t.Helper()
	res := h.do(http.MethodPost, "/oauth/token", map[string]string{"grant_type": "client_credentials"}, func(r *http.Request) {
		r.SetBasicAuth(testID, testSecret)
	})
	if res.status != http.StatusOK {
		h.t.Fatalf("token: %d %s", res.status, res.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	res.decode(h.t, &tok)
	h.token = tok.AccessToken
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request; body (when not nil) goes as JSON. Without an edit, the harness token
// authenticates it.
func (h *harness) do(method, path string, body any, edit ...func(*http.Request)) result {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	for _, e := range edit {
		e(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return result{status: res.StatusCode, header: res.Header, body: b}
}

// want fails unless the result has the status.
func (r result) want(t *testing.T, status int, what string) result {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.status, status, r.body)
	}
	return r
}
