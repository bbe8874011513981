package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// TryLocker is what Leader needs from a locker; RedisLocker and MemoryLocker both fit.
type TryLocker interface {
	TryLock(ctx context.Context, name string, ttl time.Duration) (*Lock, error)
}

// ErrLeadershipLost is the cause of a lead context cancelled because the lock could not be
// renewed (it was taken over, or the lock store failed).
var ErrLeadershipLost = errors.New("cache: leadership lost")

// LeaderOptions configure a Leader. Zero values take the documented defaults.
type LeaderOptions struct {
	// TTL is the lease: how long a crashed leader blocks the others (default 15 s).
	TTL time.Duration
	// RenewEvery is how often the leader extends its lease (default TTL/3); it must be
	// shorter than TTL/2 so that one slow renewal still leaves time for the next.
	RenewEvery time.Duration
	// RetryEvery is how often a follower tries to become leader (default TTL/3, ±20 % jitter).
	RetryEvery time.Duration
	// Logger records leadership changes (default: discard).
	Logger *slog.Logger
}

// Leader elects one replica to run a named job: every replica calls Run, and at any time at
// most one of them (the lock holder) runs lead. The leader renews its lease while lead runs
// and steps down — cancelling lead's context — as soon as a renewal fails, including when the
// lock store is unreachable: it cannot prove it still holds the lock, and another replica may
// take it once the lease lapses. lead must therefore honour its context promptly.
type Leader struct {
	locker  TryLocker
	name    string
	opts    LeaderOptions
	leading atomic.Bool
}

// NewLeader returns a Leader for the job name.
func NewLeader(locker TryLocker, name string, opts LeaderOptions) (*Leader, error) {
	if locker == nil || name == "" {
		return nil, errors.New("leader: locker and name are required")
	}
	if opts.TTL <= 0 {
		opts.TTL = 15 * time.Second
	}
	if opts.RenewEvery <= 0 {
		opts.RenewEvery = opts.TTL / 3
	}
	if opts.RenewEvery >= opts.TTL/2 {
		return nil, fmt.Errorf("leader %q: RenewEvery %s must be below half the TTL %s", name, opts.RenewEvery, opts.TTL)
	}
	if opts.RetryEvery <= 0 {
		opts.RetryEvery = opts.TTL / 3
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Leader{locker: locker, name: name, opts: opts}, nil
}

// IsLeader reports whether this replica currently holds the lease.
func (l *Leader) IsLeader() bool { return l.leading.Load() }

// Run campaigns until ctx ends. Each time it wins it calls lead with a context that ends when
// leadership is lost or ctx ends; when lead returns, the lock is released and the campaign
// goes on. Run returns once ctx has ended and any running lead has returned.
func (l *Leader) Run(ctx context.Context, lead func(ctx context.Context)) {
	log := l.opts.Logger.With("job", l.name)
	var failing bool
	for {
		lock, err := l.locker.TryLock(ctx, l.name, l.opts.TTL)
		switch {
		case err == nil:
			failing = false
			log.Info("leadership acquired")
			l.hold(ctx, lock, lead, log)
		case errors.Is(err, ErrNotAcquired), ctx.Err() != nil:
		case !failing:
			// Logged once per outage: a follower retries every few seconds.
			failing = true
			log.Warn("leader election failing", "err", err)
		}
		jitter := time.Duration(float64(l.opts.RetryEvery) * (0.8 + 0.4*rand.Float64()))
		t := time.NewTimer(jitter)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (l *Leader) hold(ctx context.Context, lock *Lock, lead func(context.Context), log *slog.Logger) {
	lctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{})
	l.leading.Store(true)
	go func() {
		defer close(done)
		lead(lctx)
	}()
	t := time.NewTicker(l.opts.RenewEvery)
	defer t.Stop()
	lost := false
	// TryLock returned after Redis started the lease, so counting from now is conservative.
	leaseEnd := time.Now().Add(l.opts.TTL)
loop:
	for {
		select {
		case <-done:
			break loop
		case <-ctx.Done():
			break loop
		case <-t.C:
			// A renewal that cannot finish before the lease lapses (minus a margin for clock
			// rates and scheduling) is a lost lease: another replica may hold it by then.
			sent := time.Now()
			rctx, rcancel := context.WithDeadline(ctx, leaseEnd.Add(-l.opts.TTL/10))
			err := lock.Extend(rctx, l.opts.TTL)
			rcancel()
			if err == nil {
				leaseEnd = sent.Add(l.opts.TTL)
			}
			if err != nil && ctx.Err() == nil {
				lost = true
				l.leading.Store(false)
				log.Warn("leadership lost", "err", err)
				cancel(fmt.Errorf("%w: %w", ErrLeadershipLost, err))
				break loop
			}
		}
	}
	cancel(context.Canceled)
	<-done
	l.leading.Store(false)
	if lost {
		return
	}
	uctx, ucancel := context.WithTimeout(context.WithoutCancel(ctx), l.opts.RenewEvery)
	defer ucancel()
	if err := lock.Unlock(uctx); err != nil {
		log.Warn("leadership release failed; the lease will lapse", "err", err)
		return
	}
	log.Info("leadership released")
}
