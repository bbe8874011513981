// Package ratelimit limits requests per key (an API key, a user): Redis shares the budget
// across every replica (GCRA via redis_rate), Memory keeps it in-process for single-replica
// deployments (token buckets via x/time/rate). Both answer the same questions the same way,
// which the shared suite in ratelimittest checks.
//
// A limit is per call, not per limiter, so each API key can carry its own; when a key's limit
// changes, the new one applies from then on to what the key has already spent.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// Limiter decides whether one more request for key fits limit.
type Limiter interface {
	Allow(ctx context.Context, key string, limit Limit) (Result, error)
}

// Limit allows Rate requests per Period with bursts of up to Burst.
type Limit struct {
	Rate   int
	Period time.Duration
	Burst  int
}

// PerMinute allows n requests a minute, all of them at once if they come in a burst.
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute, Burst: n} }

// DefaultAPIKeyLimit is SPEC §6's per-key default.
var DefaultAPIKeyLimit = PerMinute(100)

// Validate reports a limit that cannot be enforced.
func (l Limit) Validate() error {
	if l.Rate <= 0 || l.Period <= 0 || l.Burst <= 0 {
		return fmt.Errorf("ratelimit: rate, period and burst must be positive, got %d per %s burst %d", l.Rate, l.Period, l.Burst)
	}
	return nil
}

// Result is the decision for one request, with what the API puts in RateLimit-* and
// Retry-After headers.
type Result struct {
	Allowed bool
	// Remaining is how many more requests would be allowed right now.
	Remaining int
	// RetryAfter is when the next request will be allowed; zero when this one was.
	RetryAfter time.Duration
	// ResetAfter is when the key's budget is full again.
	ResetAfter time.Duration
	Limit      Limit
}

// ErrEmptyKey reports a request without a key: limiting it would lump every such request
// into one shared bucket.
var ErrEmptyKey = errors.New("ratelimit: empty key")

// RedisOptions configure a Redis limiter.
type RedisOptions struct {
	// Prefix namespaces the limiter's keys (default "oncefleet:rl:"); redis_rate stores
	// them under "rate:" + Prefix + key.
	Prefix string
}

// Redis is the Limiter shared by all replicas on one Redis.
type Redis struct {
	lim    *redis_rate.Limiter
	prefix string
}

var _ Limiter = (*Redis)(nil)

// NewRedis returns a Redis limiter on client, which the caller owns.
func NewRedis(client *redis.Client, opts RedisOptions) *Redis {
	if opts.Prefix == "" {
		opts.Prefix = "oncefleet:rl:"
	}
	return &Redis{lim: redis_rate.NewLimiter(client), prefix: opts.Prefix}
}

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, limit Limit) (Result, error) {
	if key == "" {
		return Result{}, ErrEmptyKey
	}
	if err := limit.Validate(); err != nil {
		return Result{}, err
	}
	res, err := r.lim.Allow(ctx, r.prefix+key, redis_rate.Limit{Rate: limit.Rate, Period: limit.Period, Burst: limit.Burst})
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	out := Result{Allowed: res.Allowed > 0, Remaining: res.Remaining, ResetAfter: max(res.ResetAfter, 0), Limit: limit}
	if !out.Allowed {
		out.RetryAfter = max(res.RetryAfter, 0)
	}
	return out, nil
}

// MemoryOptions configure a Memory limiter.
type MemoryOptions struct {
	// SweepEvery is how often idle keys are dropped (default 1 min); a key is idle once its
	// bucket has refilled, so dropping it loses nothing.
	SweepEvery time.Duration
}

// Memory is the in-process Limiter. Keys whose bucket is full again are dropped lazily, so
// memory follows the number of recently active keys, and no goroutine needs stopping.
type Memory struct {
	opts MemoryOptions
	now  func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim   *rate.Limiter
	limit Limit
}

var _ Limiter = (*Memory)(nil)

// NewMemory returns an empty in-process limiter.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.SweepEvery <= 0 {
		opts.SweepEvery = time.Minute
	}
	return &Memory{opts: opts, now: time.Now, buckets: make(map[string]*bucket), lastSweep: time.Now()}
}

func (l Limit) every() rate.Limit { return rate.Every(l.Period / time.Duration(l.Rate)) }

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, limit Limit) (Result, error) {
	if key == "" {
		return Result{}, ErrEmptyKey
	}
	if err := limit.Validate(); err != nil {
		return Result{}, err
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.lastSweep) >= m.opts.SweepEvery {
		m.sweep(now)
	}
	b, ok := m.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(limit.every(), limit.Burst), limit: limit}
		m.buckets[key] = b
	} else if b.limit != limit {
		// A changed limit (an admin edited the key) applies from now, keeping what was spent.
		b.lim.SetLimitAt(now, limit.every())
		b.lim.SetBurstAt(now, limit.Burst)
		b.limit = limit
	}
	res := Result{Limit: limit}
	if b.lim.AllowN(now, 1) {
		res.Allowed = true
	} else {
		r := b.lim.ReserveN(now, 1)
		res.RetryAfter = r.DelayFrom(now)
		r.CancelAt(now)
	}
	tokens := b.lim.TokensAt(now)
	res.Remaining = max(int(tokens), 0)
	missing := float64(limit.Burst) - tokens
	res.ResetAfter = max(time.Duration(missing*float64(limit.Period)/float64(limit.Rate)), 0)
	return res, nil
}

func (m *Memory) sweep(now time.Time) {
	m.lastSweep = now
	for k, b := range m.buckets {
		if b.lim.TokensAt(now) >= float64(b.limit.Burst) {
			delete(m.buckets, k)
		}
	}
}

// Len returns the number of keys currently tracked.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.buckets)
}
