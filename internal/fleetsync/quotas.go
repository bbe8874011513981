package fleetsync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/internal/mirror"
	"github.com/oncefleet/oncefleet/once"
)

// QuotaStore is what the quota check needs of the mirror.
type QuotaStore interface {
	QuotaCheckCandidates(ctx context.Context, q fleet.QuotaCheckQuery) ([]fleet.QuotaCandidate, error)
	ObserveQuotas(ctx context.Context, qs []fleet.Quota, at time.Time) ([]fleet.QuotaObservation, error)
}

// QuotaReader is what the quota check needs of 1NCE (*once.Client).
type QuotaReader interface {
	DataQuota(ctx context.Context, iccid string) (once.Quota, error)
	SMSQuota(ctx context.Context, iccid string) (once.Quota, error)
}

// QuotaCheck reads data and SMS quotas into sim_quotas and publishes every threshold
// crossing once (bus.QuotaThresholdCrossed). SIMs at risk (1NCE's own indicator from the SIM
// list at "less than 20 %" or worse, a stored quota below AtRiskPct, or one expiring within
// ExpiringWithin) come first and are read at at-risk priority, the others after them at sync
// priority, longest unchecked first, MaxSIMs a run (two calls each). A crossing is judged
// against the share left at the SIM's previous check, swapped atomically in the store, so
// two checks can never both report it; a SIM's first check counts from 100 %.
type QuotaCheck struct {
	Store QuotaStore
	Once  QuotaReader
	Bus   Publisher
	Log   *slog.Logger
	// Thresholds are the fleet default in percent left (default 20 and 0); a SIM's own
	// thresholds (SetQuotaThresholds) replace them.
	Thresholds []int
	// MaxSIMs bounds the SIMs checked per run (default 500: 1,000 calls).
	MaxSIMs int
	// AtRiskPct and ExpiringWithin mark SIMs at risk (defaults 30 % and 7 days).
	AtRiskPct      float64
	ExpiringWithin time.Duration
	// Interval is the job's interval: a SIM checked within half of it is not checked again.
	Interval time.Duration
	Now      func() time.Time
}

// QuotaCheckResult is what one run did.
type QuotaCheckResult struct {
	SIMs, AtRisk, Crossings, Errors, Calls int
}

// Report is the run's record for job_runs.
func (r QuotaCheckResult) Report() jobs.Report {
	return jobs.Report{Items: r.SIMs, Errors: r.Errors, Counts: map[string]int64{"sims_checked": int64(r.SIMs),
		"at_risk": int64(r.AtRisk), "crossings": int64(r.Crossings), "once_calls": int64(r.Calls)},
		Detail: fmt.Sprintf("checked %d SIMs (%d at risk), %d threshold crossings; %d errors, %d 1NCE calls", r.SIMs, r.AtRisk, r.Crossings, r.Errors, r.Calls)}
}

// QuotaCheckJob is the check_quotas job.
func QuotaCheckJob(q *QuotaCheck, every time.Duration) jobs.Definition {
	q.Interval = every
	return jobs.Definition{Name: "check_quotas", Interval: every, Timeout: max(time.Hour, 2*every), Run: jobs.Reported(q.Run)}
}

// DefaultQuotaThresholds are the fleet's default thresholds: 1NCE's own 20 % warning and
// exhaustion.
func DefaultQuotaThresholds() []int { return []int{0, 20} }

// Run does one quota check pass.
func (q *QuotaCheck) Run(ctx context.Context) (res QuotaCheckResult, err error) {
	var calls atomic.Int64
	now := clock(q.Now)
	t0 := now()
	ctx = once.ObserveRequests(ctx, func(once.RequestInfo) { calls.Add(1) })
	defer func() { res.Calls = int(calls.Load()) }()
	cands, err := q.Store.QuotaCheckCandidates(ctx, fleet.QuotaCheckQuery{AtRiskPct: cmp.Or(q.AtRiskPct, 30),
		ExpiringBefore: t0.Add(cmp.Or(q.ExpiringWithin, 7*24*time.Hour)),
		CheckedBefore:  t0.Add(-cmp.Or(q.Interval, 30*time.Minute) / 2), Limit: cmp.Or(q.MaxSIMs, 500)})
	if err != nil {
		return res, fmt.Errorf("check quotas: candidates: %w", err)
	}
	failing := 0
	for _, c := range cands {
		prio := once.PrioritySync
		if c.AtRisk {
			prio = once.PriorityAtRisk
			res.AtRisk++
		}
		pctx := once.WithPriority(ctx, prio)
		var qs []fleet.Quota
		var callErr error
		for _, read := range []func(context.Context, string) (once.Quota, error){q.Once.DataQuota, q.Once.SMSQuota} {
			oq, err := read(pctx, c.ICCID)
			if err != nil {
				callErr = err
				break
			}
			qs = append(qs, mirror.Quota(c.ICCID, oq, now()))
		}
		switch {
		case errors.Is(callErr, once.ErrNotFound):
			res.Errors++
			continue
		case callErr != nil:
			if ctx.Err() != nil {
				return res, fmt.Errorf("check quotas: %w", ctx.Err())
			}
			res.Errors++
			if failing++; failing >= maxConsecutiveErrors {
				return res, fmt.Errorf("check quotas: %d SIMs in a row failed, last %s: %w", failing, c.ICCID, callErr)
			}
			continue
		}
		failing = 0
		at := now()
		obs, err := q.Store.ObserveQuotas(ctx, qs, at)
		if err != nil {
			return res, fmt.Errorf("check quotas: store SIM %s: %w", c.ICCID, err)
		}
		res.SIMs++
		for _, o := range obs {
			if q.Bus != nil {
				q.Bus.Publish(ctx, bus.QuotaObserved{ICCID: o.ICCID, Quota: string(o.Kind), RemainingPct: o.Pct, At: at})
			}
			ths := o.Thresholds
			if ths == nil {
				ths = q.Thresholds
			}
			if ths == nil {
				ths = DefaultQuotaThresholds()
			}
			for _, e := range Crossings(o, ths, at) {
				res.Crossings++
				if q.Bus != nil {
					q.Bus.Publish(ctx, e)
				}
			}
		}
	}
	return res, nil
}

// Crossings are the threshold crossings between an observation's previous share left (100 %
// for a first observation) and its new one: "down" for each threshold the share fell to or
// below, "up" for each it rose above, in the order the share passed them.
func Crossings(o fleet.QuotaObservation, thresholds []int, at time.Time) []bus.QuotaThresholdCrossed {
	prev := 100.0
	if o.PrevPct != nil {
		prev = *o.PrevPct
	}
	ths := slices.Clone(thresholds)
	slices.Sort(ths)
	var out []bus.QuotaThresholdCrossed
	ev := func(t int, dir string) bus.QuotaThresholdCrossed {
		return bus.QuotaThresholdCrossed{ICCID: o.ICCID, Quota: string(o.Kind), RemainingPct: o.Pct, Threshold: t, Direction: dir, At: at}
	}
	switch {
	case o.Pct < prev: // falling: highest threshold first
		for i := len(ths) - 1; i >= 0; i-- {
			if t := float64(ths[i]); prev > t && o.Pct <= t {
				out = append(out, ev(ths[i], bus.CrossedDown))
			}
		}
	case o.Pct > prev:
		for _, th := range ths {
			if t := float64(th); prev <= t && o.Pct > t {
				out = append(out, ev(th, bus.CrossedUp))
			}
		}
	}
	return out
}
