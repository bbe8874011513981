package once

import (
	"errors"
	"sync"

	"github.com/sony/gobreaker/v2"
)

// breakers keeps one circuit breaker per upstream host, created on first use.
type breakers struct {
	settings BreakerSettings
	hooks    *Hooks

	mu     sync.Mutex
	byHost map[string]*breakerT
}

// breakerT is the breaker of one host; it guards attempts and sees their results.
type breakerT = gobreaker.CircuitBreaker[*attemptResult]

// errBreakerCounted marks an attempt result as a host failure for the breaker without being
// the error the caller sees: 5xx answers are results, not transport errors.
var errBreakerCounted = errors.New("once: upstream failure")

func (b *breakers) get(host string) *breakerT {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cb, ok := b.byHost[host]; ok {
		return cb
	}
	s := b.settings
	cb := gobreaker.NewCircuitBreaker[*attemptResult](gobreaker.Settings{
		Name:        host,
		MaxRequests: s.HalfOpenRequests,
		Timeout:     s.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= s.ConsecutiveFailures },
		OnStateChange: func(name string, from, to gobreaker.State) {
			if b.hooks.BreakerStateChange != nil {
				b.hooks.BreakerStateChange(name, from.String(), to.String())
			}
		},
		// A caller giving up is not 1NCE's fault and must not open the breaker.
		IsExcluded: func(err error) bool { return errors.Is(err, errCallerGone) },
	})
	b.byHost[host] = cb
	return cb
}

// breakerState returns the state of host's breaker (for tests): "closed", "half-open", "open".
func (b *breakers) state(host string) string { return b.get(host).State().String() }
