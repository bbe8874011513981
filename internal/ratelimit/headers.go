package ratelimit

import (
	"net/http"
	"strconv"
	"time"
)

// SetHeaders writes r as the RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset
// headers (IETF httpapi draft, delta seconds) and, for a denied request, Retry-After, so
// clients can pace themselves instead of hammering a 429.
func (r Result) SetHeaders(h http.Header) {
	h.Set("RateLimit-Limit", strconv.Itoa(r.Limit.Burst))
	h.Set("RateLimit-Remaining", strconv.Itoa(r.Remaining))
	h.Set("RateLimit-Reset", strconv.FormatInt(ceilSeconds(r.ResetAfter), 10))
	if !r.Allowed {
		h.Set("Retry-After", strconv.FormatInt(max(ceilSeconds(r.RetryAfter), 1), 10))
	}
}

// ceilSeconds rounds up: telling a client to retry a fraction of a second early earns it
// another 429.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
