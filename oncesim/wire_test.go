package oncesim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAdminEndpointSteersTheSimulator checks the wiring of the fault injector and the admin
// endpoint: faults set at run time reach the API, and the admin clock and revocation act on
// the simulator.
func TestAdminEndpointSteersTheSimulator(t *testing.T) {
	h := newHarness(t, Options{})
	h.login()
	admin := func(method, path, body string) int {
		req, _ := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := admin("PUT", "/_sim/faults", `{"errors":{"503":1}}`); st != http.StatusOK && st != http.StatusNoContent {
		t.Fatalf("PUT /_sim/faults: %d", st)
	}
	h.do("GET", "/v2/sims", nil).want(t, 503, "with a 100% 503 fault")
	if st := admin("PUT", "/_sim/faults", `{}`); st != http.StatusOK && st != http.StatusNoContent {
		t.Fatalf("PUT /_sim/faults: %d", st)
	}
	h.do("GET", "/v2/sims", nil).want(t, 200, "faults cleared")

	before, _ := h.sim.SIM(iccidOf(0))
	if st := admin("POST", "/_sim/clock/advance", `{"duration":"2h"}`); st != http.StatusNoContent {
		t.Fatalf("advance: %d", st)
	}
	if got := h.clock.Now().Sub(t0); got != 2*time.Hour {
		t.Errorf("clock moved %s, want 2h", got)
	}
	h.login()
	h.do("GET", "/v2/sims", nil).want(t, 200, "fresh token")
	if st := admin("POST", "/_sim/tokens/revoke", ""); st != http.StatusNoContent {
		t.Fatalf("revoke: %d", st)
	}
	h.do("GET", "/v2/sims", nil).want(t, 401, "after admin revocation")
	if after, _ := h.sim.SIM(iccidOf(0)); after.Data.Remaining > before.Data.Remaining {
		t.Errorf("quota grew over time: %v → %v", before.Data.Remaining, after.Data.Remaining)
	}

	// Faults given at start apply from the first request, and the accessor sees them.
	f, err := ParseFaults("500=1")
	if err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, Options{Faults: f})
	h2.do("GET", "/v1/products", nil).want(t, 500, "start-up fault")
	if h2.sim.Faults().Current().Errors[500] != 1 {
		t.Errorf("Faults() = %+v", h2.sim.Faults().Current())
	}
}

// TestStreamerReceivesActivity checks that Options.Streamer wires an emitter to the simulated
// activity: a state change reaches the configured URL.
func TestStreamerReceivesActivity(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	got := make(chan struct{}, 100)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "stream" || p != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
		got <- struct{}{}
	}))
	defer recv.Close()
	h := newHarness(t, Options{Streamer: &EmitterOptions{URL: recv.URL, Username: "stream", Password: "secret",
		FlushInterval: 10 * time.Millisecond}})
	if h.sim.Emitter() == nil {
		t.Fatal("no emitter although Streamer was set")
	}
	h.login()
	ic := iccidOf(1)
	h.do("PUT", "/v2/sims/"+ic, map[string]any{"label": "streamed"}).want(t, 200, "label")
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver got nothing")
	}
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(bodies, "\n")
	if !strings.Contains(all, ic) || !json.Valid([]byte(bodies[0])) {
		t.Errorf("streamed %s, want the label change of %s", all, ic)
	}
}
