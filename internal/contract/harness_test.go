// Package contract holds the tests that hold the SDK (once) and the simulator (oncesim) to
// 1NCE's official OpenAPI files. They live in the server module because the files are read
// through internal/spectest (kin-openapi), which the public modules must not depend on.
package contract

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/spectest"
	"github.com/oncefleet/oncefleet/oncesim"
)

const (
	testID     = "client-id"
	testSecret = "client-secret"
	// basePath is 1NCE's base path; the simulator serves the API under it and at the root.
	basePath = "/management-api"
)

// t0 is the manual clock's start.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// harness is a simulator behind a real loopback HTTP server.
type harness struct {
	t      *testing.T
	sim    *oncesim.Simulator
	clock  *oncesim.ManualClock
	srv    *httptest.Server
	token  string
	iccids []string
}

// newHarness starts a simulator with a manual clock and the rate limits off; contract (when
// not nil) validates every request and answer, the API being served under base ("" or
// 1NCE's /management-api). It is the server module's twin of oncesim's own test harness
// (oncesim/helpers_test.go): test files cannot be shared across the module boundary.
func newHarness(t *testing.T, opts oncesim.Options, contract *spectest.Contract, base string) *harness {
	t.Helper()
	clock := oncesim.NewManualClock(t0)
	opts.Clock = clock
	opts.ClientID, opts.ClientSecret = testID, testSecret
	opts.RateLimit, opts.CommerceLimit = -1, -1
	if opts.Sims == 0 {
		opts.Sims = 50
	}
	sim, err := oncesim.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(contract.Middleware(t, base, sim))
	t.Cleanup(func() {
		srv.Close()
		_ = sim.Close()
	})
	return &harness{t: t, sim: sim, clock: clock, srv: srv, iccids: sim.ICCIDs()}
}

// iccid is the i-th SIM of the simulated fleet.
func (h *harness) iccid(i int) string { return h.iccids[i] }

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
