// Package fleetsync keeps the local mirror in step with 1NCE in the background (SPEC §7): the
// full SIM list (SIMSync), daily usage where the Data Streamer left gaps (UsageFill), quotas
// with threshold crossings (QuotaCheck) and connectivity snapshots (ConnectivityCheck). Every
// call to 1NCE goes through the shared request budget below interactive priority; each part is
// one job of internal/jobs (its …Job function), and publishes what it found on the bus.
package fleetsync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/internal/mirror"
	"github.com/oncefleet/oncefleet/once"
)

// Publisher receives what the jobs found (the bus).
type Publisher interface {
	Publish(ctx context.Context, e bus.Event) int
}

// SIMStore is what the SIM sync needs of the mirror.
type SIMStore interface {
	SyncSIMs(ctx context.Context, sims []fleet.SIM) (fleet.SIMSyncResult, error)
	GoneCandidates(ctx context.Context, syncedAfter time.Time, limit int) ([]string, error)
	MarkSIMsGone(ctx context.Context, iccids []string, at time.Time) (int, error)
}

// SIMLister is what the SIM sync needs of 1NCE (*once.Client).
type SIMLister interface {
	ListSIMs(ctx context.Context, opts once.SIMListOptions) iter.Seq2[once.SIM, error]
	GetSIM(ctx context.Context, iccid string) (once.SIM, error)
}

// SIMSync reads every page of 1NCE's SIM list into the mirror. 1NCE's list has no "changed
// since" filter or change feed (v1 and v2 alike; docs/1NCE-NOTES.md), so every run reads the
// whole list: pages are fetched ahead in parallel (Concurrency) at sync priority and written
// in batches as they arrive, so memory stays at a few pages whatever the fleet's size. Changes
// of tracked fields are published as bus.SIMChanged. SIMs the list no longer has are
// confirmed one by one (GetSIM answers 404) before they are marked gone, so a SIM skipped
// because the list shifted while it was paged is never marked.
type SIMSync struct {
	Store SIMStore
	Once  SIMLister
	Bus   Publisher // nil: nothing published
	Log   *slog.Logger
	// Concurrency is how many pages are fetched ahead (default 4).
	Concurrency int
	// Batch is how many SIMs one write to the mirror holds (default 1,000).
	Batch int
	// MaxGoneChecks bounds the confirmations of missing SIMs per run (default 1,000); the rest
	// wait for the next run.
	MaxGoneChecks int
	Now           func() time.Time
}

// SIMSyncResult is what one run did.
type SIMSyncResult struct {
	Pages, Seen, New, Changed, Gone, Calls int
}

// Report is the run's record for job_runs.
func (r SIMSyncResult) Report() jobs.Report {
	return jobs.Report{Items: r.Seen, Counts: map[string]int64{"pages": int64(r.Pages), "sims_seen": int64(r.Seen),
		"new": int64(r.New), "changed": int64(r.Changed), "gone": int64(r.Gone), "once_calls": int64(r.Calls)},
		Detail: fmt.Sprintf("%d SIMs in %d pages: %d new, %d changed, %d gone; %d 1NCE calls", r.Seen, r.Pages, r.New, r.Changed, r.Gone, r.Calls)}
}

// SIMSyncJob is the sync_sims job.
func SIMSyncJob(s *SIMSync, every time.Duration) jobs.Definition {
	return jobs.Definition{Name: "sync_sims", Interval: every, Timeout: max(time.Hour, 4*every), Run: jobs.Reported(s.Run)}
}

// Run does one full sync. An error from 1NCE or the store ends it; what was written stays
// (the next run continues from the same list), but no SIM is marked gone after an incomplete
// walk.
func (s *SIMSync) Run(ctx context.Context) (res SIMSyncResult, err error) {
	var calls atomic.Int64
	now := clock(s.Now)
	batchSize := cmp.Or(s.Batch, 1000)
	start := now()
	ctx = once.ObserveRequests(once.WithPriority(ctx, once.PrioritySync), func(once.RequestInfo) { calls.Add(1) })
	defer func() { res.Calls = int(calls.Load()) }()

	// Pages are written by a goroutine of their own while the next ones are fetched; at most
	// two batches wait for it, so memory stays bounded while fetching and writing overlap.
	type written struct {
		added, changed int
		err            error
	}
	batches := make(chan []fleet.SIM, 2)
	results := make(chan written, 1)
	walkCtx, stopWalk := context.WithCancel(ctx)
	defer stopWalk()
	go func() {
		var w written
		for b := range batches {
			if w.err != nil {
				continue // drain: the walk stops at its next send
			}
			r, err := s.Store.SyncSIMs(ctx, b)
			if err != nil {
				w.err = fmt.Errorf("sync sims: store %d SIMs: %w", len(b), err)
				stopWalk()
				continue
			}
			w.added += r.New
			w.changed += len(r.Changes)
			s.publishChanges(ctx, r.Changes, now())
		}
		results <- w
	}()
	batch := make([]fleet.SIM, 0, batchSize)
	var walkErr error
	opts := once.SIMListOptions{ListOptions: once.ListOptions{Concurrency: cmp.Or(s.Concurrency, 4)}}
	for sim, err := range s.Once.ListSIMs(walkCtx, opts) {
		if err != nil {
			walkErr = fmt.Errorf("sync sims: list SIMs from 1NCE after %d: %w", res.Seen, err)
			break
		}
		res.Seen++
		batch = append(batch, mirror.SIM(sim, now()))
		if len(batch) == batchSize {
			batches <- batch
			batch = make([]fleet.SIM, 0, batchSize)
		}
	}
	if len(batch) > 0 && walkErr == nil {
		batches <- batch
	}
	close(batches)
	w := <-results
	res.Pages = pages(res.Seen)
	res.New += w.added
	res.Changed += w.changed
	if w.err != nil {
		return res, w.err
	}
	if walkErr != nil {
		return res, walkErr
	}
	gone, err := s.markGone(ctx, start, now, &res)
	res.Gone = gone
	return res, err
}

// pages is how many pages of MaxPageSize the SDK fetched for n SIMs (an empty list is one).
func pages(n int) int { return max(1, (n+once.MaxPageSize-1)/once.MaxPageSize) }

// markGone confirms and marks the SIMs the walk did not write.
func (s *SIMSync) markGone(ctx context.Context, start time.Time, now func() time.Time, res *SIMSyncResult) (int, error) {
	cands, err := s.Store.GoneCandidates(ctx, start, cmp.Or(s.MaxGoneChecks, 1000))
	if err != nil {
		return 0, fmt.Errorf("sync sims: gone candidates: %w", err)
	}
	var gone []string
	for _, iccid := range cands {
		sim, err := s.Once.GetSIM(ctx, iccid)
		switch {
		case errors.Is(err, once.ErrNotFound):
			gone = append(gone, iccid)
		case err != nil:
			return 0, fmt.Errorf("sync sims: confirm SIM %s is gone: %w", iccid, err)
		default: // listed after all (the list moved while it was paged)
			r, err := s.Store.SyncSIMs(ctx, []fleet.SIM{mirror.SIM(sim, now())})
			if err != nil {
				return 0, fmt.Errorf("sync sims: store SIM %s: %w", iccid, err)
			}
			res.Seen++
			res.Changed += len(r.Changes)
			s.publishChanges(ctx, r.Changes, now())
		}
	}
	at := now()
	n, err := s.Store.MarkSIMsGone(ctx, gone, at)
	if err != nil {
		return 0, fmt.Errorf("sync sims: mark %d SIMs gone: %w", len(gone), err)
	}
	if s.Bus != nil {
		for _, iccid := range gone {
			s.Bus.Publish(ctx, bus.SIMChanged{ICCID: iccid, Field: fleet.FieldGone, Old: "present", New: "gone", At: at})
		}
	}
	return n, nil
}

func (s *SIMSync) publishChanges(ctx context.Context, changes []fleet.SIMChange, at time.Time) {
	if s.Bus == nil {
		return
	}
	for _, c := range changes {
		s.Bus.Publish(ctx, bus.SIMChanged{ICCID: c.ICCID, Field: c.Field, Old: c.Old, New: c.New, At: at})
	}
}

// clock is now, or time.Now when now is nil.
func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}
