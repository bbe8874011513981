package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/oncefleet/oncefleet/once"
)

// upstreamHealth tells whether 1NCE answers, from the client's own traffic (its hooks): a
// probe of its own would spend the account's 10 requests/s on health checks. /health reports
// it as advisory — 1NCE being down must not take a replica's local reads off the load balancer.
type upstreamHealth struct {
	mu          sync.Mutex
	breakerOpen bool
	lastOK      time.Time
	lastFail    time.Time
	lastErr     string
}

// failWindow is how long a failed exchange with no success after it keeps 1NCE reported down.
const failWindow = 2 * time.Minute

// wrap adds the health observations to the client's hooks.
func (u *upstreamHealth) wrap(h once.Hooks) once.Hooks {
	req, br := h.Request, h.BreakerStateChange
	h.Request = func(ri once.RequestInfo) {
		if req != nil {
			req(ri)
		}
		u.observe(ri)
	}
	h.BreakerStateChange = func(host, from, to string) {
		if br != nil {
			br(host, from, to)
		}
		u.mu.Lock()
		u.breakerOpen = to == "open"
		u.mu.Unlock()
	}
	return h
}

func (u *upstreamHealth) observe(ri once.RequestInfo) {
	now := time.Now()
	u.mu.Lock()
	defer u.mu.Unlock()
	// Only what says 1NCE is unreachable or failing counts: a 4xx is an answer.
	if ri.Status == 0 || ri.Status >= 500 {
		u.lastFail = now
		u.lastErr = "no answer"
		if ri.Status >= 500 {
			u.lastErr = fmt.Sprintf("HTTP %d", ri.Status)
		} else if ri.Err != nil {
			u.lastErr = ri.Err.Error()
		}
		return
	}
	u.lastOK = now
}

// Ping reports 1NCE unavailable while the client's circuit breaker is open or its latest
// exchange failed within failWindow; "ok" before any exchange.
func (u *upstreamHealth) Ping(context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.breakerOpen:
		return errors.New("circuit open: recent calls to 1NCE failed")
	case u.lastFail.After(u.lastOK) && time.Since(u.lastFail) < failWindow:
		return fmt.Errorf("last call to 1NCE failed %s ago: %s", time.Since(u.lastFail).Round(time.Second), u.lastErr)
	}
	return nil
}
