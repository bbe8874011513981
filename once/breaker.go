package once

import (
	"errors"

	"github.com/sony/gobreaker/v2"
)

// breakerT is the circuit breaker of the client's host; it guards attempts and sees their
// results.
type breakerT = gobreaker.CircuitBreaker[*attemptResult]

// errBreakerCounted marks an attempt result as a host failure for the breaker without being
// the error the caller sees: 5xx answers are results, not transport errors.
var errBreakerCounted = errors.New("once: upstream failure")

// newBreaker returns the breaker of host. A client talks to one host (its base URL), so it
// keeps one breaker; hooks is read at each state change.
func newBreaker(host string, s BreakerSettings, hooks *Hooks) *breakerT {
	return gobreaker.NewCircuitBreaker[*attemptResult](gobreaker.Settings{
		Name:        host,
		MaxRequests: s.HalfOpenRequests,
		Timeout:     s.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= s.ConsecutiveFailures },
		OnStateChange: func(name string, from, to gobreaker.State) {
			if hooks.BreakerStateChange != nil {
				hooks.BreakerStateChange(name, from.String(), to.String())
			}
		},
		// A caller giving up is not 1NCE's fault and must not open the breaker.
		IsExcluded: func(err error) bool { return errors.Is(err, errCallerGone) },
	})
}
