// Package health serves the liveness and readiness endpoints: /health/live answers while the
// process runs; /health/ready and /health check every dependency and answer 503 naming the ones
// that fail, so a load balancer stops routing to a replica that cannot serve.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Pinger is a dependency that can say whether it answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// PingFunc adapts a function to Pinger.
type PingFunc func(ctx context.Context) error

// Ping calls f.
func (f PingFunc) Ping(ctx context.Context) error { return f(ctx) }

// Handler serves the health endpoints.
type Handler struct {
	checks map[string]Pinger
	// advisory checks are reported but never make the replica unready: a dependency every
	// replica shares (1NCE) being down must not take the local reads off the load balancer.
	advisory map[string]Pinger
	timeout  time.Duration
	version  string
	started  time.Time
	now      func() time.Time
}

// New returns a handler checking each named dependency with the given per-check timeout
// (default 2 s when zero).
func New(version string, timeout time.Duration, checks map[string]Pinger) *Handler {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return &Handler{checks: checks, advisory: map[string]Pinger{}, timeout: timeout, version: version, started: time.Now(), now: time.Now}
}

// Advise adds a check that /health and /health/ready report under "advisory" without it
// ever failing them.
func (h *Handler) Advise(name string, p Pinger) { h.advisory[name] = p }

// Report is the body of /health and /health/ready.
type Report struct {
	Status  string            `json:"status"` // ok | unavailable
	Version string            `json:"version,omitempty"`
	Uptime  string            `json:"uptime,omitempty"`
	Checks  map[string]string `json:"checks"`           // name → "ok" or the failure
	Failed  []string          `json:"failed,omitempty"` // names of failing checks, sorted
	// Advisory are checks that do not decide readiness (1NCE reachability), name → state.
	Advisory map[string]string `json:"advisory,omitempty"`
}

// Check runs every check concurrently and reports.
func (h *Handler) Check(ctx context.Context) Report {
	r := Report{Status: "ok", Checks: make(map[string]string, len(h.checks))}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, p := range h.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := h.ping(ctx, p)
			mu.Lock()
			r.Checks[name] = res
			if res != "ok" {
				r.Failed = append(r.Failed, name)
			}
			mu.Unlock()
		}()
	}
	if len(h.advisory) > 0 {
		r.Advisory = make(map[string]string, len(h.advisory))
	}
	for name, p := range h.advisory {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := h.ping(ctx, p)
			mu.Lock()
			r.Advisory[name] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(r.Failed) > 0 {
		r.Status = "unavailable"
		sort.Strings(r.Failed)
	}
	return r
}

// ping runs one check with the timeout. A dependency that ignores its context still cannot hold
// the probe past the timeout, and an answer that arrives after it counts as a failure: a load
// balancer must not route to a replica whose database takes longer than that.
func (h *Handler) ping(ctx context.Context, p Pinger) string {
	cctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	done := make(chan error, 1) // buffered: a late answer must not block the goroutine forever
	go func() { done <- p.Ping(cctx) }()
	select {
	case err := <-done:
		switch {
		case cctx.Err() != nil:
			return "timeout after " + h.timeout.String()
		case err != nil:
			return err.Error()
		}
		return "ok"
	case <-cctx.Done():
		return "timeout after " + h.timeout.String()
	}
}

// Register mounts /health, /health/live and /health/ready on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /health/live", func(w http.ResponseWriter, r *http.Request) {
		write(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /health/ready", h.ready(false))
	mux.HandleFunc("GET /health", h.ready(true))
}

func (h *Handler) ready(verbose bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rep := h.Check(r.Context())
		if verbose {
			rep.Version = h.version
			rep.Uptime = h.now().Sub(h.started).Truncate(time.Second).String()
		}
		status := http.StatusOK
		if rep.Status != "ok" {
			status = http.StatusServiceUnavailable
		}
		write(w, status, rep)
	}
}

func write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
