// Package apptest starts a whole oncefleet server for end-to-end tests: the real app.New on
// 127.0.0.1:0 with a temp data dir, on SQLite + the in-memory cache or on a fresh PostgreSQL
// database + Redis (its own key prefix), wired over real HTTP to an oncesim simulator whose
// requests it counts. Users and API keys of every role are created before the server starts.
package apptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oncefleet/oncefleet/internal/app"
	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
	"github.com/oncefleet/oncefleet/oncesim"
)

// Backends are the storage and cache combinations the suites run on.
const (
	SQLite   = "sqlite"   // SQLite in the temp dir, in-memory cache and limits
	Postgres = "postgres" // a fresh PostgreSQL database, Redis with the test's own prefix
)

// RedisAddr is the Redis the Postgres backend uses (CI starts it on loopback).
const RedisAddr = "127.0.0.1:6379"

// Options configure Start.
type Options struct {
	// Backend is SQLite (default) or Postgres.
	Backend string
	// Sim configures the simulator; ClientID and ClientSecret are filled in. Sims defaults to
	// 20 and RateLimit to off (-1), so tests are not paced by 1NCE's 10 requests/s.
	Sim oncesim.Options
	// NoUpstream starts the server without 1NCE credentials (no simulator).
	NoUpstream bool
	// MirrorSIMs fills the mirror with that many SIMs (the simulator's ICCIDs) before start.
	MirrorSIMs int
	// Configure adjusts the server's configuration before it starts.
	Configure func(*config.Config)
	// SimMiddleware, when set, wraps the simulator's handler (a test can hold or observe
	// oncefleet's calls to 1NCE).
	SimMiddleware func(http.Handler) http.Handler
}

// Env is a running server with its simulator.
type Env struct {
	t       testing.TB
	URL     string
	Sim     *oncesim.Simulator
	SimURL  string
	Counter *Counter
	// Keys are API keys per role.
	Keys map[fleet.Role]string
	// AdminEmail and AdminPassword sign in as an admin.
	AdminEmail, AdminPassword string
	// Logins are the e-mail and password of the user of each role.
	Logins map[fleet.Role]Login
	Client *http.Client

	cfg    config.Config
	log    *slog.Logger
	mu     sync.Mutex
	app    *app.App
	cancel context.CancelFunc
	done   chan error
}

// Start starts a server for t and stops it (and everything it started) when t ends.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	e := &Env{t: t, Counter: &Counter{}, Keys: map[fleet.Role]string{}, Logins: map[fleet.Role]Login{}, Client: &http.Client{Timeout: 60 * time.Second}}
	c := config.Defaults()
	c.Addr, c.DataDir, c.LogLevel, c.ShutdownTimeout = "127.0.0.1:0", t.TempDir(), "warn", "10s"
	c.APIRateLimit = "100000"
	// The periodic jobs that call 1NCE start at once and would race the test's own calls
	// (and their faults); tests that exercise them switch them on in Configure.
	for _, j := range []*string{&c.Jobs.SyncSIMs, &c.Jobs.SyncUsage, &c.Jobs.CheckQuotas, &c.Jobs.Connectivity, &c.Jobs.AutoTopUp, &c.Jobs.TrackSMS} {
		*j = "off"
	}
	// Periodic alert rules run when a test starts them; grouped messages and retries go out
	// quickly.
	c.Alerts.EvaluateEvery, c.Alerts.GroupWindow, c.Alerts.RetryBackoff = "off", "300ms", "10ms"
	switch o.Backend {
	case "", SQLite:
	case Postgres:
		c.DatabaseURL = config.Secret(dbtest.NewPostgresURL(t))
		c.RedisURL = config.Secret("redis://" + RedisAddr + "/0")
		c.RedisPrefix = "oncefleet-test:" + strings.ToLower(rand.Text()[:12]) + ":"
		t.Cleanup(func() { cleanRedis(c.RedisPrefix) })
	default:
		t.Fatalf("apptest: unknown backend %q", o.Backend)
	}
	if !o.NoUpstream {
		so := o.Sim
		if so.Sims == 0 {
			so.Sims = 20
		}
		if so.RateLimit == 0 {
			so.RateLimit = -1
		}
		if so.Seed == 0 {
			so.Seed = 1
		}
		so.ClientID, so.ClientSecret = "test-client", "test-secret-"+rand.Text()
		sim, err := oncesim.New(so)
		if err != nil {
			t.Fatalf("apptest: simulator: %v", err)
		}
		var h http.Handler = sim
		if o.SimMiddleware != nil {
			h = o.SimMiddleware(h)
		}
		srv := httptest.NewServer(e.Counter.Wrap(h))
		t.Cleanup(func() { srv.Close(); sim.Close() })
		e.Sim, e.SimURL = sim, srv.URL
		c.OnceBaseURL, c.OnceClientID, c.OnceClientSecret = srv.URL, so.ClientID, config.Secret(so.ClientSecret)
	}
	if o.Configure != nil {
		o.Configure(&c)
	}
	e.cfg = c
	e.log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e.seed(o.MirrorSIMs)
	e.startApp()
	t.Cleanup(e.Stop)
	return e
}

// seed migrates the database and creates a user and an API key per role.
func (e *Env) seed(mirrorSIMs int) {
	t := e.t
	ctx := context.Background()
	cfg, err := e.cfg.Resolve(func(string) string { return "" })
	if err != nil {
		t.Fatalf("apptest: config: %v", err)
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		t.Fatalf("apptest: store: %v", err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("apptest: migrate: %v", err)
	}
	if mirrorSIMs > 0 {
		sims := storetest.BenchSIMs(mirrorSIMs)
		for i := 0; i < len(sims); i += 10_000 {
			if err := st.UpsertSIMs(ctx, sims[i:min(i+10_000, len(sims))]); err != nil {
				t.Fatalf("apptest: mirror: %v", err)
			}
		}
	}
	e.AdminEmail, e.AdminPassword = "admin@test.example", "admin-password-"+rand.Text()[:8]
	for _, role := range []fleet.Role{fleet.RoleViewer, fleet.RoleOperator, fleet.RoleAdmin} {
		pw := "password-" + string(role) + "-" + rand.Text()[:8]
		email := string(role) + "@test.example"
		if role == fleet.RoleAdmin {
			pw, email = e.AdminPassword, e.AdminEmail
		}
		hash, err := auth.HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		e.Logins[role] = Login{Email: email, Password: pw}
		if err := st.CreateUser(ctx, &fleet.User{Email: email, Role: role, PasswordHash: hash}); err != nil {
			t.Fatalf("apptest: user: %v", err)
		}
		key, h, prefix := auth.NewAPIKey()
		if err := st.CreateAPIKey(ctx, &fleet.APIKey{Name: "test-" + string(role), Hash: h, Prefix: prefix, Role: role}); err != nil {
			t.Fatalf("apptest: key: %v", err)
		}
		e.Keys[role] = key
	}
}

func (e *Env) startApp() {
	t := e.t
	cfg, err := e.cfg.Resolve(func(string) string { return "" })
	if err != nil {
		t.Fatalf("apptest: config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, e.log, app.Options{Version: "test"})
	if err != nil {
		cancel()
		t.Fatalf("apptest: start: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	e.mu.Lock()
	e.app, e.cancel, e.done, e.URL = a, cancel, done, "http://"+a.Addr()
	e.mu.Unlock()
}

// Stop stops the server (idempotent).
func (e *Env) Stop() {
	e.mu.Lock()
	cancel, done := e.cancel, e.done
	e.cancel, e.done = nil, nil
	e.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	if err := <-done; err != nil {
		e.t.Errorf("apptest: run: %v", err)
	}
}

// Restart stops the server and starts a new one on the same database, data dir and
// simulator (a new process, as after a deploy or a crash).
func (e *Env) Restart() {
	e.Stop()
	e.startApp()
}

// Login is a user's sign-in.
type Login struct{ Email, Password string }

// Response is an answer with its decoded JSON body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem is an error body.
type Problem struct {
	Status       int    `json:"status"`
	Code         string `json:"code"`
	Detail       string `json:"detail"`
	Field        string `json:"field"`
	UpstreamCode string `json:"upstream_code"`
}

// Problem decodes the body as problem+json, failing unless it is one.
func (r *Response) Problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("status %d: content type %q, want application/problem+json; body %s", r.Status, ct, r.Body)
	}
	var p Problem
	r.JSON(t, &p)
	return p
}

// Request is one call to the server.
type Request struct {
	Method, Path string
	// Role picks the API key sent; "" sends no credentials.
	Role fleet.Role
	// Body is sent as JSON unless it is a []byte or string (sent as is).
	Body   any
	Header map[string]string
}

// Do sends r and returns the answer.
func (e *Env) Do(r Request) *Response {
	e.t.Helper()
	var body io.Reader
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(raw)
	}
	e.mu.Lock()
	base := e.URL
	e.mu.Unlock()
	req, err := http.NewRequest(r.Method, base+r.Path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Role != "" {
		req.Header.Set("X-API-Key", e.Keys[r.Role])
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	res, err := e.Client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read: %v", r.Method, r.Path, err)
	}
	if Recorder != nil {
		Recorder(r.Method, r.Path, res.StatusCode)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// Recorder, when set by a test binary, is told of every call (the OpenAPI coverage check).
// It is set once in TestMain before any test runs.
var Recorder func(method, path string, status int)

// Counter counts the simulator's requests by method and path.
type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

// Wrap counts requests reaching h.
func (c *Counter) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		if c.n == nil {
			c.n = map[string]int{}
		}
		c.n[r.Method+" "+r.URL.Path]++
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// Count returns how many requests had method and a path ending in suffix.
func (c *Counter) Count(method, suffix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, v := range c.n {
		m, p, _ := strings.Cut(k, " ")
		if m == method && strings.HasSuffix(p, suffix) {
			n += v
		}
	}
	return n
}

// cleanRedis removes the test's keys.
func cleanRedis(prefix string) {
	c := redis.NewClient(&redis.Options{Addr: RedisAddr})
	defer c.Close()
	ctx := context.Background()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) > 0 {
		c.Del(ctx, keys...)
	}
}

// testWriter sends server logs to the test log (shown for failed tests only).
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	if os.Getenv("ONCEFLEET_TEST_LOGS") != "" {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}
