// Package cache is oncefleet's response and object cache: one contract (Cache) with an
// in-process implementation (Memory, the embedded default) and a shared one (Redis, for
// replicated deployments), plus a distributed lock (RedisLocker, MemoryLocker) and a Leader
// helper that elects one replica to run a named periodic job.
//
// Keys are hierarchical: segments separated by ':' ("sims:detail:8988…", "sims:list:<hash>").
// DeletePrefix invalidates a node of that hierarchy and everything below it, so prefixes are
// segment-aligned: DeletePrefix("sims") removes "sims", "sims:1" and "sims:list:a" but not
// "simsx:1". Both implementations follow exactly these semantics (the shared suite in
// cachetest proves it).
package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
)

// Cache is the contract both implementations meet. Consumers usually declare a smaller
// interface with just the methods they use.
type Cache interface {
	// Get returns the value stored under key; ok is false on a miss or after expiry.
	Get(ctx context.Context, key string) (val []byte, ok bool, err error)
	// Set stores val under key for ttl. A ttl <= 0 or above the cache's MaxTTL is clamped to
	// MaxTTL: nothing lives forever, so a missed invalidation heals by itself.
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// Delete removes the given keys (not the keys below them); missing keys are no error.
	Delete(ctx context.Context, keys ...string) error
	// DeletePrefix invalidates prefix and every key below it in the ':'-separated hierarchy.
	// A trailing ':' is ignored; the empty prefix invalidates the whole cache.
	DeletePrefix(ctx context.Context, prefix string) error
	// GetOrLoad returns the cached value or calls load once for all concurrent callers of the
	// same key (stampede protection) and caches its result for ttl. A load whose key was
	// invalidated (Delete/DeletePrefix) while it ran is returned but not cached, so a write
	// racing a read never leaves the old value behind. Load errors are returned, not cached.
	GetOrLoad(ctx context.Context, key string, ttl time.Duration, load LoadFunc) ([]byte, error)
	// Ping reports whether the cache's backing store answers (for /health/ready).
	Ping(ctx context.Context) error
	// Close releases what the cache itself started; it never closes injected clients.
	Close() error
}

// LoadFunc produces the value for a missing key.
type LoadFunc func(ctx context.Context) ([]byte, error)

// Errors returned by the caches.
var (
	// ErrInvalidKey reports an empty or over-long key.
	ErrInvalidKey = errors.New("cache: invalid key")
	// ErrTooLarge reports a value larger than the Memory cache's whole byte budget.
	ErrTooLarge = errors.New("cache: value larger than the cache")
	// ErrClosed reports use of a closed cache.
	ErrClosed = errors.New("cache: closed")
)

// Limits on keys. Every segment of a key costs the Redis implementation one generation
// lookup, so keys built from arbitrary input (query strings) should hash that part.
const (
	MaxKeyLen      = 1024
	MaxKeySegments = 32
	// DefaultMaxTTL bounds every entry's life when the options leave MaxTTL unset.
	DefaultMaxTTL = 24 * time.Hour
	// DefaultLoadTimeout bounds a GetOrLoad load when the options leave LoadTimeout unset.
	DefaultLoadTimeout = 30 * time.Second
)

func checkKey(key string) error {
	if key == "" || len(key) > MaxKeyLen || strings.Count(key, ":") >= MaxKeySegments {
		return fmt.Errorf("%w: %.64q", ErrInvalidKey, key)
	}
	return nil
}

// normPrefix turns a user prefix into a hierarchy node ("" is the root).
func normPrefix(prefix string) (string, error) {
	prefix = strings.TrimSuffix(prefix, ":")
	if prefix == "" {
		return "", nil
	}
	return prefix, checkKey(prefix)
}

// under reports whether key lies at or below the hierarchy node prefix.
func under(key, prefix string) bool {
	return prefix == "" || key == prefix ||
		(len(key) > len(prefix) && key[len(prefix)] == ':' && strings.HasPrefix(key, prefix))
}

func clampTTL(ttl, max time.Duration) time.Duration {
	if ttl <= 0 || ttl > max {
		return max
	}
	return ttl
}

// metrics are the per-cache counters of SPEC §10. Several caches share one set of
// collectors on a registry and differ by the "cache" label.
type metrics struct {
	hits, misses, errors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, name string) (metrics, error) {
	vec := func(metric, help string) (*prometheus.CounterVec, error) {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: metric, Help: help}, []string{"cache"})
		if reg == nil {
			return v, nil
		}
		if err := reg.Register(v); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
					return existing, nil
				}
			}
			return nil, fmt.Errorf("register %s: %w", metric, err)
		}
		return v, nil
	}
	hits, err := vec("cache_hits_total", "Cache lookups that found a value.")
	if err != nil {
		return metrics{}, err
	}
	misses, err := vec("cache_misses_total", "Cache lookups that found nothing.")
	if err != nil {
		return metrics{}, err
	}
	errs, err := vec("cache_errors_total", "Cache backend failures that GetOrLoad absorbed by loading from the source.")
	if err != nil {
		return metrics{}, err
	}
	return metrics{hits: hits.WithLabelValues(name), misses: misses.WithLabelValues(name), errors: errs.WithLabelValues(name)}, nil
}

// stamp identifies the invalidation state a lookup saw; a GetOrLoad stores its result only if
// the state is unchanged when it is done.
type stamp struct {
	valid bool
	gens  string // Redis: the generation vector of the key
	epoch uint64 // Memory: the invalidation epoch
}

// backend is what the shared GetOrLoad logic needs from an implementation.
type backend interface {
	lookup(ctx context.Context, key string) ([]byte, bool, stamp, error)
	storeIf(ctx context.Context, key string, val []byte, ttl time.Duration, st stamp) error
}

// loader is the stampede protection shared by both implementations.
type loader struct {
	m       metrics
	group   singleflight.Group
	timeout time.Duration
}

// get is Get for both implementations: a lookup counted as a hit or a miss.
func (l *loader) get(ctx context.Context, be backend, key string) ([]byte, bool, error) {
	v, ok, _, err := be.lookup(ctx, key)
	if err != nil {
		return nil, false, err
	}
	if ok {
		l.m.hits.Inc()
	} else {
		l.m.misses.Inc()
	}
	return v, ok, nil
}

func (l *loader) getOrLoad(ctx context.Context, be backend, key string, ttl time.Duration, load LoadFunc) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	val, ok, _, err := be.lookup(ctx, key)
	switch {
	case err == nil && ok:
		l.m.hits.Inc()
		return val, nil
	case err != nil:
		// A broken cache must not break reads: count it and go to the source.
		l.m.errors.Inc()
	}
	l.m.misses.Inc()
	ch := l.group.DoChan(key, func() (any, error) {
		// The load serves every waiter, so no single caller's cancellation may abort it;
		// the timeout keeps a hung source from pinning the flight forever.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.timeout)
		defer cancel()
		// Re-check: a flight that finished between our lookup and DoChan has stored the value.
		v, ok, st, err := be.lookup(lctx, key)
		if err == nil && ok {
			return v, nil
		}
		v, err = safeLoad(lctx, load)
		if err != nil {
			return nil, err
		}
		if st.valid {
			if err := be.storeIf(lctx, key, v, ttl, st); err != nil {
				l.m.errors.Inc()
			}
		}
		return v, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		v := res.Val.([]byte)
		if res.Shared {
			// Waiters get their own copy: one caller mutating its slice must not change another's.
			v = append([]byte(nil), v...)
		}
		return v, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// safeLoad turns a panic in load into an error: singleflight would re-panic it on a fresh
// goroutine, where nothing can recover it, and take the whole server down.
func safeLoad(ctx context.Context, load LoadFunc) (v []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cache: load panicked: %v", p)
		}
	}()
	return load(ctx)
}

// GetJSON decodes the value under key into a T. A value that no longer decodes (the type
// changed between releases) counts as a miss.
func GetJSON[T any](ctx context.Context, c Cache, key string) (T, bool, error) {
	var v T
	b, ok, err := c.Get(ctx, key)
	if err != nil || !ok {
		return v, false, err
	}
	if err := json.Unmarshal(b, &v); err != nil {
		var zero T
		return zero, false, nil
	}
	return v, true, nil
}

// SetJSON stores v encoded as JSON.
func SetJSON[T any](ctx context.Context, c Cache, key string, v T, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("cache: encode %q: %w", key, err)
	}
	return c.Set(ctx, key, b, ttl)
}

// GetOrLoadJSON is GetOrLoad for a typed value stored as JSON. The caller whose load ran gets
// its value without a decode round trip; a cached value that no longer decodes is dropped and
// loaded afresh.
func GetOrLoadJSON[T any](ctx context.Context, c Cache, key string, ttl time.Duration, load func(ctx context.Context) (T, error)) (T, error) {
	var (
		mine   T
		loaded bool
	)
	raw := func(ctx context.Context) ([]byte, error) {
		v, err := load(ctx)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("cache: encode %q: %w", key, err)
		}
		mine, loaded = v, true
		return b, nil
	}
	b, err := c.GetOrLoad(ctx, key, ttl, raw)
	if err != nil {
		var zero T
		return zero, err
	}
	if loaded {
		return mine, nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err == nil {
		return v, nil
	}
	if err := c.Delete(ctx, key); err != nil {
		var zero T
		return zero, err
	}
	b, err = c.GetOrLoad(ctx, key, ttl, raw)
	if err != nil {
		var zero T
		return zero, err
	}
	if loaded {
		return mine, nil
	}
	if err := json.Unmarshal(b, &v); err != nil {
		var zero T
		return zero, fmt.Errorf("cache: decode %q: %w", key, err)
	}
	return v, nil
}
