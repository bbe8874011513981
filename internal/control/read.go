package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Read is an answer with how fresh it is. The API turns SyncedAt into an Age header and
// Stale into a Warning header, so a client can tell a live answer from a fallback.
type Read[T any] struct {
	Value T
	// SyncedAt is when the answer was last confirmed with 1NCE (zero: never, e.g. a SIM only
	// the Data Streamer has told about).
	SyncedAt time.Time
	// Stale is set when 1NCE could not be asked (down, slow, out of budget) and this is the
	// last known answer; Reason says why.
	Stale  bool
	Reason string
}

// fresh wraps a value just read from 1NCE.
func fresh[T any](v T, at time.Time) Read[T] { return Read[T]{Value: v, SyncedAt: at} }

// stale wraps a fallback value, keeping why 1NCE was not asked.
func stale[T any](v T, at time.Time, cause error) Read[T] {
	return Read[T]{Value: v, SyncedAt: at, Stale: true, Reason: cause.Error()}
}

// cached is one read through the cache: the answer of load for ttl, stored as JSON. A value
// cached at t is reported with SyncedAt t.
type cachedValue[T any] struct {
	At    time.Time `json:"at"`
	Value T         `json:"value"`
}

// readThrough serves key from the cache or load (which asks 1NCE and may refresh the
// mirror). When load fails because 1NCE is unavailable, fallback (which reads the mirror) is
// tried and its answer is returned marked stale; a nil fallback returns the error.
func readThrough[T any](ctx context.Context, s *Service, key string, ttl time.Duration, what string,
	load func(ctx context.Context) (T, error), fallback func(ctx context.Context) (T, time.Time, error)) (Read[T], error) {
	raw, err := s.cache.GetOrLoad(ctx, key, ttl, func(ctx context.Context) ([]byte, error) {
		v, err := load(ctx)
		if err != nil {
			return nil, err
		}
		return json.Marshal(cachedValue[T]{At: s.now().UTC(), Value: v})
	})
	if err == nil {
		var cv cachedValue[T]
		if err := json.Unmarshal(raw, &cv); err != nil {
			return Read[T]{}, fmt.Errorf("%s: decode cached answer: %w", what, err)
		}
		return fresh(cv.Value, cv.At), nil
	}
	if fallback == nil || !degraded(err) {
		return Read[T]{}, err
	}
	v, at, ferr := fallback(ctx)
	if ferr != nil {
		// The mirror has nothing either: the upstream failure is the answer.
		return Read[T]{}, errors.Join(err, fmt.Errorf("%s: no mirrored answer: %w", what, ferr))
	}
	s.log.InfoContext(ctx, "serving mirrored answer: 1NCE unavailable", "read", what, "err", err)
	return stale(v, at, err), nil
}

// forget drops key from the cache when refresh asks for a new answer from 1NCE.
func (s *Service) forget(ctx context.Context, key string, refresh bool) {
	if !refresh {
		return
	}
	if err := s.cache.Delete(ctx, key); err != nil {
		s.log.WarnContext(ctx, "cache delete failed", "key", key, "err", err)
	}
}
