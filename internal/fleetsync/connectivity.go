package fleetsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/internal/mirror"
	"github.com/oncefleet/oncefleet/once"
)

// ConnectivityStore is what the connectivity snapshots need of the mirror.
type ConnectivityStore interface {
	ConnectivityCandidates(ctx context.Context, labelContains string, limit int) ([]fleet.ConnectivityCandidate, error)
	AddConnectivity(ctx context.Context, c fleet.Connectivity) (fleet.Connectivity, error)
}

// StatusReader is what the snapshots need of 1NCE (*once.Client).
type StatusReader interface {
	Connectivity(ctx context.Context, iccid string) (once.Connectivity, error)
}

// ConnectivityCheck takes connectivity snapshots (GET …/status) of a subset of the fleet — SIMs
// whose label contains Label, at most MaxSIMs a run, those observed longest ago first, so
// consecutive runs walk the whole subset — at backfill priority, stores them with
// AddConnectivity and publishes bus.ConnectivityLost / ConnectivityRestored when a SIM's state
// differs from its previous observation (from either this job or the Data Streamer). A SIM's
// first observation is no transition.
type ConnectivityCheck struct {
	Store ConnectivityStore
	Once  StatusReader
	Bus   Publisher
	Log   *slog.Logger
	// Label selects SIMs whose label contains it (case-insensitive); empty: all SIMs.
	Label string
	// MaxSIMs bounds the SIMs read per run; 0 reads all of them.
	MaxSIMs int
	Now     func() time.Time
}

// ConnectivityResult is what one run did.
type ConnectivityResult struct {
	SIMs, Lost, Restored, Errors, Calls int
}

// Report is the run's record for job_runs.
func (r ConnectivityResult) Report() jobs.Report {
	return jobs.Report{Items: r.SIMs, Errors: r.Errors, Counts: map[string]int64{"sims_read": int64(r.SIMs),
		"lost": int64(r.Lost), "restored": int64(r.Restored), "once_calls": int64(r.Calls)},
		Detail: fmt.Sprintf("read %d SIMs: %d lost, %d restored; %d errors, %d 1NCE calls", r.SIMs, r.Lost, r.Restored, r.Errors, r.Calls)}
}

// ConnectivityJob is the connectivity_snapshots job.
func ConnectivityJob(c *ConnectivityCheck, every time.Duration) jobs.Definition {
	return jobs.Definition{Name: "connectivity_snapshots", Interval: every, Timeout: max(time.Hour, 2*every), Run: jobs.Reported(c.Run)}
}

// Run does one pass.
func (c *ConnectivityCheck) Run(ctx context.Context) (res ConnectivityResult, err error) {
	var calls atomic.Int64
	now := clock(c.Now)
	ctx = once.ObserveRequests(once.WithPriority(ctx, once.PriorityBackfill), func(once.RequestInfo) { calls.Add(1) })
	defer func() { res.Calls = int(calls.Load()) }()
	limit := c.MaxSIMs
	if limit <= 0 {
		limit = math.MaxInt32
	}
	cands, err := c.Store.ConnectivityCandidates(ctx, c.Label, limit)
	if err != nil {
		return res, fmt.Errorf("connectivity: candidates: %w", err)
	}
	failing := 0
	for _, cand := range cands {
		st, err := c.Once.Connectivity(ctx, cand.ICCID)
		switch {
		case errors.Is(err, once.ErrNotFound):
			res.Errors++
			continue
		case err != nil:
			if ctx.Err() != nil {
				return res, fmt.Errorf("connectivity: %w", ctx.Err())
			}
			res.Errors++
			if failing++; failing >= maxConsecutiveErrors {
				return res, fmt.Errorf("connectivity: %d SIMs in a row failed, last %s: %w", failing, cand.ICCID, err)
			}
			continue
		}
		failing = 0
		at := now()
		obs := mirror.Connectivity(cand.ICCID, st, at)
		if _, err := c.Store.AddConnectivity(ctx, obs); err != nil {
			return res, fmt.Errorf("connectivity: store SIM %s: %w", cand.ICCID, err)
		}
		res.SIMs++
		if cand.Last == nil || cand.Last.Connected == obs.Connected {
			continue
		}
		var e bus.Event
		if obs.Connected {
			res.Restored++
			e = bus.ConnectivityRestored{ICCID: cand.ICCID, At: at}
		} else {
			res.Lost++
			e = bus.ConnectivityLost{ICCID: cand.ICCID, Since: cand.Last.ObservedAt, At: at}
		}
		if c.Bus != nil {
			c.Bus.Publish(ctx, e)
		}
	}
	return res, nil
}
