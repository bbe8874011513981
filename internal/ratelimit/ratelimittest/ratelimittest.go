// Package ratelimittest is the conformance suite both ratelimit implementations pass, so a
// deployment limits the same way whether it runs one replica in memory or many on Redis.
package ratelimittest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/ratelimit"
)

// Run runs the suite; newLimiter returns a fresh limiter (its own key space) per subtest.
func Run(t *testing.T, newLimiter func(t *testing.T) ratelimit.Limiter) {
	// Slow enough that nothing refills while a subtest runs: every count is exact.
	hourly := ratelimit.Limit{Rate: 5, Period: time.Hour, Burst: 5}

	t.Run("BurstThenDeny", func(t *testing.T) {
		l := newLimiter(t)
		for i := range hourly.Burst {
			res, err := l.Allow(t.Context(), "key-a", hourly)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Allowed || res.Remaining != hourly.Burst-1-i || res.RetryAfter != 0 || res.Limit != hourly {
				t.Fatalf("request %d: %+v", i+1, res)
			}
			if res.ResetAfter <= 0 || res.ResetAfter > hourly.Period {
				t.Fatalf("request %d: ResetAfter %s", i+1, res.ResetAfter)
			}
		}
		res, err := l.Allow(t.Context(), "key-a", hourly)
		if err != nil {
			t.Fatal(err)
		}
		interval := hourly.Period / time.Duration(hourly.Rate)
		if res.Allowed || res.Remaining != 0 || res.RetryAfter <= 0 || res.RetryAfter > interval {
			t.Fatalf("over the burst: %+v (want denied, retry within %s)", res, interval)
		}
	})

	t.Run("KeysAreIndependent", func(t *testing.T) {
		l := newLimiter(t)
		one := ratelimit.Limit{Rate: 1, Period: time.Hour, Burst: 1}
		for _, k := range []string{"a", "b", "c"} {
			if res, err := l.Allow(t.Context(), k, one); err != nil || !res.Allowed {
				t.Fatalf("first request of %s: %+v, %v", k, res, err)
			}
		}
		if res, _ := l.Allow(t.Context(), "a", one); res.Allowed {
			t.Fatal("a's second request allowed")
		}
	})

	t.Run("ExactUnderConcurrency", func(t *testing.T) {
		l := newLimiter(t)
		lim := ratelimit.Limit{Rate: 20, Period: time.Hour, Burst: 20}
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				res, err := l.Allow(t.Context(), "shared", lim)
				if err != nil {
					t.Error(err)
					return
				}
				if res.Allowed {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if allowed.Load() != 20 {
			t.Fatalf("50 concurrent requests against a burst of 20: %d allowed", allowed.Load())
		}
	})

	t.Run("Refills", func(t *testing.T) {
		l := newLimiter(t)
		fast := ratelimit.Limit{Rate: 10, Period: time.Second, Burst: 1}
		denied := false
		for range 10000 {
			res, err := l.Allow(t.Context(), "k", fast)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Allowed {
				denied = true
				break
			}
		}
		if !denied {
			t.Fatal("a burst of 1 never denied")
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			res, err := l.Allow(t.Context(), "k", fast)
			if err != nil {
				t.Fatal(err)
			}
			if res.Allowed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the bucket never refilled")
			}
			time.Sleep(res.RetryAfter)
		}
	})

	t.Run("DefaultAPIKeyLimit", func(t *testing.T) {
		l := newLimiter(t)
		for i := range 100 {
			if res, err := l.Allow(t.Context(), "api-key", ratelimit.DefaultAPIKeyLimit); err != nil || !res.Allowed {
				t.Fatalf("request %d of 100: %+v, %v", i+1, res, err)
			}
		}
		res, err := l.Allow(t.Context(), "api-key", ratelimit.DefaultAPIKeyLimit)
		if err != nil || res.Allowed {
			t.Fatalf("request 101 within the minute: %+v, %v", res, err)
		}
	})

	t.Run("InvalidInput", func(t *testing.T) {
		l := newLimiter(t)
		if _, err := l.Allow(t.Context(), "", hourly); !errors.Is(err, ratelimit.ErrEmptyKey) {
			t.Errorf("empty key: %v", err)
		}
		for _, bad := range []ratelimit.Limit{{}, {Rate: 1, Period: time.Second}, {Rate: -1, Period: time.Second, Burst: 1}, {Rate: 1, Burst: 1}} {
			if _, err := l.Allow(t.Context(), "k", bad); err == nil {
				t.Errorf("limit %+v accepted", bad)
			}
		}
	})
}
