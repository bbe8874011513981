package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	neturl "net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/once"
)

// testConfig is the embedded default with a temp data dir and an ephemeral port.
func testConfig(t *testing.T) config.Config {
	t.Helper()
	c := config.Defaults()
	c.Addr, c.DataDir, c.LogLevel, c.ShutdownTimeout = "127.0.0.1:0", t.TempDir(), "error", "5s"
	return c
}

// start runs an app until the test ends and returns its base URL.
func start(t *testing.T, c config.Config, opts Options) string {
	t.Helper()
	cfg, err := c.Resolve(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return "http://" + a.Addr()
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if v != nil {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatalf("decode %s: %v", url, err)
		}
	}
	return res.StatusCode
}

func TestServeHealthAndMetrics(t *testing.T) {
	backends := map[string]func(t *testing.T) config.Config{
		"sqlite": testConfig,
		"postgres": func(t *testing.T) config.Config {
			c := testConfig(t)
			c.DatabaseURL = config.Secret(dbtest.NewPostgresURL(t))
			return c
		},
	}
	for name, mk := range backends {
		t.Run(name, func(t *testing.T) {
			base := start(t, mk(t), Options{Version: "test"})
			var rep struct {
				Status  string            `json:"status"`
				Version string            `json:"version"`
				Checks  map[string]string `json:"checks"`
			}
			if code := getJSON(t, base+"/health/ready", &rep); code != 200 || rep.Checks["database"] != "ok" {
				t.Fatalf("ready = %d %+v", code, rep)
			}
			if code := getJSON(t, base+"/health", &rep); code != 200 || rep.Version != "test" {
				t.Fatalf("health = %d %+v", code, rep)
			}
			if code := getJSON(t, base+"/health/live", nil); code != 200 {
				t.Fatalf("live = %d", code)
			}
			res, err := http.Get(base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(body), "go_goroutines") || !strings.Contains(string(body), "bus_events_dropped_total 0") {
				t.Fatalf("metrics = %d", res.StatusCode)
			}
		})
	}
}

func TestShutdownDrainsInFlight(t *testing.T) {
	cfg, err := testConfig(t).Resolve(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A slow handler stands in for an in-flight request when SIGTERM arrives.
	release, entered := make(chan struct{}), make(chan struct{})
	a.mux.HandleFunc("GET /test/slow", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "done")
	})
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	got := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + a.Addr() + "/test/slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got <- string(b)
	}()
	// Wait until the request is in flight, then shut down and release it.
	<-entered
	cancel()
	// Give Shutdown time to close the listener, so the release below happens during the drain.
	time.Sleep(50 * time.Millisecond)
	close(release)
	if body := <-got; body != "done" {
		t.Errorf("in-flight request got %q, want it drained", body)
	}
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

func TestBadDatabaseFailsStart(t *testing.T) {
	c := testConfig(t)
	c.DatabaseURL = "postgres://nobody:hunter2@127.0.0.1:1/none?connect_timeout=2"
	cfg, err := c.Resolve(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{})
	if err == nil {
		t.Fatal("start with an unreachable database succeeded")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func postBatch(t *testing.T, url, user, pass, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

const usageBatch = `[{"id": 900000001, "traffic_type": {"id": 5, "description": "Data"},
  "start_timestamp": "2026-11-20T10:00:00Z", "end_timestamp": "2026-11-20T10:15:00Z",
  "sim": {"id": 77, "iccid": "8988280666000000017", "msisdn": "882285100000017"},
  "imsi": "901405100000017", "cost": 0.0011760000, "volume": {"rx": 0.120000, "tx": 0.030000, "total": 0.150000}}]`

func TestStreamerMounted(t *testing.T) {
	t.Run("off without credential", func(t *testing.T) {
		base := start(t, testConfig(t), Options{})
		if code := postBatch(t, base+"/api/v1/streamer/usage", "", "", usageBatch); code != 404 {
			t.Fatalf("unconfigured streamer = %d, want 404", code)
		}
	})
	t.Run("configured", func(t *testing.T) {
		c := testConfig(t)
		c.StreamerUsername, c.StreamerPassword = "1nce", "correct-horse-battery"
		base := start(t, c, Options{})
		if code := postBatch(t, base+"/api/v1/streamer/usage", "1nce", "wrong-password-x", usageBatch); code != 401 {
			t.Fatalf("bad credential = %d, want 401", code)
		}
		for i := 0; i < 2; i++ { // a re-sent batch is acknowledged again and stored once
			if code := postBatch(t, base+"/api/v1/streamer/usage", "1nce", "correct-horse-battery", usageBatch); code != 200 {
				t.Fatalf("post %d = %d, want 200", i, code)
			}
		}
		res, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), "streamer_records_received_total") {
			t.Error("streamer metrics not registered on /metrics")
		}
	})
}

func TestRedisCache(t *testing.T) {
	c := testConfig(t)
	c.RedisURL = "redis://127.0.0.1:6379/0"
	base := start(t, c, Options{})
	var rep struct {
		Checks map[string]string `json:"checks"`
	}
	if code := getJSON(t, base+"/health/ready", &rep); code != 200 || rep.Checks["cache"] != "ok" {
		t.Fatalf("ready with redis = %d %+v", code, rep)
	}

	bad := testConfig(t)
	bad.RedisURL = "redis://127.0.0.1:1/0"
	cfg, err := bad.Resolve(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{}); err == nil || !strings.Contains(err.Error(), "redis") {
		t.Fatalf("unreachable redis: err = %v", err)
	}
}

func TestDemo(t *testing.T) {
	var out strings.Builder
	base := start(t, testConfig(t), Options{Demo: true, DemoSims: 50, Out: &out})
	if !strings.Contains(out.String(), "1NCE simulator:  http://127.0.0.1:") {
		t.Fatalf("demo announcement: %q", out.String())
	}
	// The dashboard line works as printed: its URL serves the sign-in form, and its login
	// signs in.
	m := regexp.MustCompile(`dashboard: +(http://\S+/) +\(sign in as (\S+), password (\S+)\)`).FindStringSubmatch(out.String())
	if m == nil || m[1] != base+"/" {
		t.Fatalf("demo announcement has no dashboard line for %s: %q", base, out.String())
	}
	signInDashboard(t, m[1], m[2], m[3])
	if code := getJSON(t, base+"/health/ready", nil); code != 200 {
		t.Fatalf("ready = %d", code)
	}
	// The demo generates a streamer credential, so the receiver is on: anonymous posts are
	// refused with 401, not hidden behind 404.
	if code := postBatch(t, base+"/api/v1/streamer", "", "", usageBatch); code != 401 {
		t.Fatalf("demo streamer without auth = %d, want 401", code)
	}
}

func TestWorkerServesHealthButNoAPI(t *testing.T) {
	c := testConfig(t)
	c.StreamerUsername, c.StreamerPassword = "1nce", "correct-horse-battery"
	base := start(t, c, Options{worker: true})
	if code := getJSON(t, base+"/health/ready", nil); code != 200 {
		t.Fatalf("worker ready = %d", code)
	}
	// The receiver belongs to serve replicas; a worker only applies what they stored.
	if code := postBatch(t, base+"/api/v1/streamer/usage", "1nce", "correct-horse-battery", usageBatch); code != 404 {
		t.Fatalf("worker accepted streamer traffic: %d", code)
	}
}

func TestHealthReportsUpstreamAsAdvisory(t *testing.T) {
	var u upstreamHealth
	hooks := u.wrap(once.Hooks{})
	if err := u.Ping(context.Background()); err != nil {
		t.Fatalf("before any call: %v", err)
	}
	hooks.Request(once.RequestInfo{Op: "v2.getSim", Status: 503})
	if err := u.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("after a 503: %v", err)
	}
	hooks.Request(once.RequestInfo{Op: "v2.getSim", Status: 404})
	if err := u.Ping(context.Background()); err != nil {
		t.Fatalf("after an answer: %v", err)
	}
	hooks.BreakerStateChange("api.1nce.com", "closed", "open")
	if err := u.Ping(context.Background()); err == nil {
		t.Fatal("open breaker reported ok")
	}
}

// signInDashboard signs in through the dashboard's form and fails unless the overview follows.
func signInDashboard(t *testing.T, url, email, password string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(url + "login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	tok := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(page)
	if tok == nil {
		t.Fatalf("sign-in form without CSRF token: %s", page)
	}
	res, err = c.PostForm(url+"login", neturl.Values{"email": {email}, "password": {password}, "csrf_token": {string(tok[1])}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), `id="total-sims"`) {
		t.Fatalf("demo sign-in: %d %s", res.StatusCode, page)
	}
}
