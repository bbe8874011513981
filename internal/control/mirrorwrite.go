package control

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oncefleet/oncefleet/internal/cache"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// A fresh read of a SIM (?fresh=true) answers as soon as 1NCE has: the mirror record it
// refreshes is written in the background, in batches, so a proxied read costs 1NCE's time and
// not also a database commit. The answer is what the store will hold (fleet.MergeSIM, held
// to the stores by the conformance suite), and the SIM's cache entry gets it at once.

// mirrorFlushDelay gathers fresh reads into one batch write.
const mirrorFlushDelay = 20 * time.Millisecond

// maxQueuedSIMs bounds the records waiting; beyond it a read writes its record itself.
const maxQueuedSIMs = 10_000

type mirrorQueue struct {
	running atomic.Bool
	mu      sync.Mutex
	pending map[string]fleet.SIM
	kick    chan struct{}
}

// queueSIM hands a record read from 1NCE to the background writer; false means the caller
// must write it (no writer runs, or too much waits).
func (s *Service) queueSIM(sim fleet.SIM) bool {
	q := &s.mirror
	if !q.running.Load() {
		return false
	}
	q.mu.Lock()
	if q.pending == nil {
		q.pending = map[string]fleet.SIM{}
	}
	if len(q.pending) >= maxQueuedSIMs {
		q.mu.Unlock()
		return false
	}
	q.pending[sim.ICCID] = sim
	q.mu.Unlock()
	select {
	case q.kick <- struct{}{}:
	default:
	}
	return true
}

// dropQueuedSIM forgets a waiting record of iccid: a change made now must not be overwritten
// by what 1NCE said before it.
func (s *Service) dropQueuedSIM(iccid string) {
	s.mirror.mu.Lock()
	delete(s.mirror.pending, iccid)
	s.mirror.mu.Unlock()
}

// RunMirrorWriter writes the SIM records fresh reads queued, until ctx ends (then what is
// left). Every process that serves the API should run it; without it reads write themselves.
func (s *Service) RunMirrorWriter(ctx context.Context) error {
	q := &s.mirror
	q.running.Store(true)
	defer q.running.Store(false)
	for {
		select {
		case <-ctx.Done():
			s.flushMirror(context.WithoutCancel(ctx))
			return nil
		case <-q.kick:
		}
		select {
		case <-ctx.Done():
		case <-time.After(mirrorFlushDelay):
		}
		s.flushMirror(ctx)
	}
}

func (s *Service) flushMirror(ctx context.Context) {
	q := &s.mirror
	q.mu.Lock()
	batch := make([]fleet.SIM, 0, len(q.pending))
	for _, sim := range q.pending {
		batch = append(batch, sim)
	}
	q.pending = nil
	q.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if err := s.store.UpsertSIMs(ctx, batch); err != nil && !errors.Is(err, context.Canceled) {
		// The read was answered; the next sync stores the SIM.
		s.log.WarnContext(ctx, "mirror write of fresh reads failed", "sims", len(batch), "err", err)
	}
	if err := s.cache.DeletePrefix(ctx, cache.SIMListPrefix); err != nil {
		s.log.WarnContext(ctx, "cache invalidation failed", "prefix", cache.SIMListPrefix, "err", err)
	}
}
