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

// adminFakeController records what the admin endpoint asked of the simulator core.
type adminFakeController struct {
	mu       sync.Mutex
	revokes  int
	advanced []time.Duration
}

func (c *adminFakeController) RevokeTokens() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revokes++
}

func (c *adminFakeController) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advanced = append(c.advanced, d)
}

// adminServer serves the admin handler and a faulted API behind one mux, as the simulator does.
func adminServer(t *testing.T) (*httptest.Server, *FaultInjector, *adminFakeController) {
	t.Helper()
	fi := NewFaultInjector(Faults{}, 3)
	ctl := &adminFakeController{}
	mux := http.NewServeMux()
	mux.Handle("/_sim/", AdminHandler(fi, ctl))
	mux.Handle("/", faultOKHandler(nil))
	srv := httptest.NewServer(fi.Wrap(mux))
	t.Cleanup(srv.Close)
	return srv, fi, ctl
}

func adminDo(t *testing.T, method, url, contentType, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestAdminFaultsChangeAtRunTime(t *testing.T) {
	srv, fi, _ := adminServer(t)

	if status, _, _ := adminDo(t, "GET", srv.URL+"/v1/sims", "", ""); status != http.StatusOK {
		t.Fatalf("before: status %d, want 200", status)
	}
	status, _, body := adminDo(t, "PUT", srv.URL+"/_sim/faults", "application/json",
		`{"errors":{"503":1},"latency":{"min":"1ms","max":"2ms"}}`)
	if status != http.StatusOK {
		t.Fatalf("PUT: status %d %s", status, body)
	}
	var echoed Faults
	if err := json.Unmarshal([]byte(body), &echoed); err != nil || echoed.String() != "latency=1ms..2ms,503=1" {
		t.Fatalf("PUT answered %s (%v), want the new faults", body, err)
	}
	status, _, body = adminDo(t, "GET", srv.URL+"/v1/sims", "", "")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, `"errorCode":"ServiceUnavailable"`) {
		t.Fatalf("after: %d %s, want an injected 503", status, body)
	}
	// The admin endpoint itself stays reachable while everything else fails.
	status, _, body = adminDo(t, "GET", srv.URL+"/_sim/faults", "", "")
	if status != http.StatusOK || !strings.Contains(body, `"503":1`) {
		t.Fatalf("GET faults: %d %s", status, body)
	}
	// The --faults syntax works too.
	if status, _, body = adminDo(t, "PUT", srv.URL+"/_sim/faults", "text/plain; charset=utf-8", "none"); status != http.StatusOK {
		t.Fatalf("PUT text: %d %s", status, body)
	}
	if status, _, _ = adminDo(t, "GET", srv.URL+"/v1/sims", "", ""); status != http.StatusOK {
		t.Fatalf("faults off: status %d, want 200", status)
	}
	status, _, body = adminDo(t, "GET", srv.URL+"/_sim/stats", "", "")
	var stats struct {
		Faults FaultStats `json:"faults"`
	}
	if err := json.Unmarshal([]byte(body), &stats); err != nil || status != http.StatusOK {
		t.Fatalf("stats: %d %s (%v)", status, body, err)
	}
	if stats.Faults.Requests != 3 || stats.Faults.Errors[503] != 1 || stats.Faults.Passed != 2 {
		t.Errorf("stats = %+v, want 3 requests (admin excluded): one 503, two passed", stats.Faults)
	}
	if got := fi.Stats(); got.Requests != stats.Faults.Requests {
		t.Errorf("endpoint stats %+v differ from Stats() %+v", stats.Faults, got)
	}
}

func TestAdminRejectsBadInput(t *testing.T) {
	srv, fi, ctl := adminServer(t)
	before := fi.Current()
	for _, c := range []struct{ name, method, path, ctype, body, want string }{
		{"not JSON", "PUT", "/_sim/faults", "application/json", `{"errors":`, "invalid JSON body"},
		{"unknown field", "PUT", "/_sim/faults", "application/json", `{"eror":{"500":1}}`, `unknown field`},
		{"rate out of range", "PUT", "/_sim/faults", "application/json", `{"reset":1.5}`, "reset rate 1.5"},
		{"null", "PUT", "/_sim/faults", "application/json", `null`, "got null"},
		{"trailing data", "PUT", "/_sim/faults", "application/json", `{} {}`, "trailing data"},
		{"bad flag syntax", "PUT", "/_sim/faults", "text/plain", `500=lots`, `part 1 \"500=lots\"`},
		{"bad duration", "POST", "/_sim/clock/advance", "application/json", `{"duration":"soon"}`, `duration \"soon\"`},
		{"negative duration", "POST", "/_sim/clock/advance", "application/json", `{"duration":"-1h"}`, `duration \"-1h\"`},
		{"clock not JSON", "POST", "/_sim/clock/advance", "application/json", `1h`, "invalid JSON body"},
	} {
		status, h, body := adminDo(t, c.method, srv.URL+c.path, c.ctype, c.body)
		if status != http.StatusBadRequest || h.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(body, `"code":"invalid"`) || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s %s, want 400 problem+json containing %q", c.name, status, h.Get("Content-Type"), body, c.want)
		}
	}
	if got := fi.Current(); got.String() != before.String() {
		t.Errorf("rejected requests changed the faults to %s", got)
	}
	if len(ctl.advanced) != 0 {
		t.Errorf("rejected requests advanced the clock: %v", ctl.advanced)
	}
	if status, _, _ := adminDo(t, "POST", srv.URL+"/_sim/faults", "application/json", `{}`); status != http.StatusMethodNotAllowed {
		t.Errorf("POST /_sim/faults: %d, want 405", status)
	}
}

func TestAdminTokensAndClock(t *testing.T) {
	srv, _, ctl := adminServer(t)
	if status, _, body := adminDo(t, "POST", srv.URL+"/_sim/tokens/revoke", "", ""); status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", status, body)
	}
	if status, _, body := adminDo(t, "POST", srv.URL+"/_sim/clock/advance", "application/json", `{"duration":"1h30m"}`); status != http.StatusNoContent {
		t.Fatalf("advance: %d %s", status, body)
	}
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	if ctl.revokes != 1 || len(ctl.advanced) != 1 || ctl.advanced[0] != 90*time.Minute {
		t.Errorf("controller saw %d revokes and advances %v, want 1 and [1h30m]", ctl.revokes, ctl.advanced)
	}
}

func TestAdminWithoutParts(t *testing.T) {
	srv := httptest.NewServer(AdminHandler(nil, nil))
	defer srv.Close()
	for _, p := range []string{"/_sim/faults", "/_sim/stats"} {
		if status, _, _ := adminDo(t, "GET", srv.URL+p, "", ""); status != http.StatusNotFound {
			t.Errorf("GET %s without an injector: %d, want 404", p, status)
		}
	}
}
