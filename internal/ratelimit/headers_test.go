package ratelimit_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/ratelimit"
)

func TestSetHeaders(t *testing.T) {
	tests := []struct {
		name string
		res  ratelimit.Result
		want map[string]string
	}{
		{"allowed", ratelimit.Result{Allowed: true, Remaining: 99, ResetAfter: 600 * time.Millisecond, Limit: ratelimit.DefaultAPIKeyLimit},
			map[string]string{"RateLimit-Limit": "100", "RateLimit-Remaining": "99", "RateLimit-Reset": "1", "Retry-After": ""}},
		{"denied", ratelimit.Result{Remaining: 0, RetryAfter: 1500 * time.Millisecond, ResetAfter: time.Minute, Limit: ratelimit.DefaultAPIKeyLimit},
			map[string]string{"RateLimit-Remaining": "0", "RateLimit-Reset": "60", "Retry-After": "2"}},
		{"denied, sub-second", ratelimit.Result{RetryAfter: time.Millisecond, Limit: ratelimit.DefaultAPIKeyLimit},
			map[string]string{"Retry-After": "1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			tc.res.SetHeaders(h)
			for k, v := range tc.want {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
