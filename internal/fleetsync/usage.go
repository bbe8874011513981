package fleetsync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/once"
)

// UsageStore is what the usage gap-fill needs of the mirror.
type UsageStore interface {
	UsageGaps(ctx context.Context, q fleet.UsageGapQuery) ([]fleet.UsageGap, error)
	SaveUsageFetch(ctx context.Context, f fleet.UsageFetch) error
	ListUsage(ctx context.Context, iccid string, from, to time.Time) ([]fleet.Usage, error)
}

// UsageReader is what the gap-fill needs of 1NCE (*once.Client).
type UsageReader interface {
	V1Available() bool
	Usage(ctx context.Context, p once.UsageParams) ([]once.DailyUsage, error)
}

// UsageFill reads daily usage from 1NCE (GET /v1/sims/{iccid}/usage, v1 only) where the mirror
// lacks it. The Data Streamer is the primary source; this job fills what it left out: SIMs
// near their quota first, then SIMs without streamer data, then the longest unread, one call
// per SIM for every day not yet final since the SIM's watermark (1NCE keeps 6 months; a call
// covers a date range), at backfill priority and at most MaxCalls calls a run. A day is final
// once Settle has passed since it ended: 1NCE no longer changes it, it is stored final and
// never read again. Open days of SIMs without streamer data are read again once their last
// read is older than half the job's interval; for SIMs with streamer data only final days
// are written (an API total of an open day would count again what the streamer delivers
// later). On an account without v1 the run is skipped at once, without an error per SIM.
type UsageFill struct {
	Store UsageStore
	Once  UsageReader
	Log   *slog.Logger
	// Lookback is how far back a SIM's usage is read at most (default 30 days, at most 180:
	// 1NCE keeps 6 months).
	Lookback time.Duration
	// Settle is how long after a day ended 1NCE may still change it (default 48h).
	Settle time.Duration
	// Interval is the job's interval (default 1h).
	Interval time.Duration
	// MaxCalls bounds 1NCE calls per run (default 1,000).
	MaxCalls int
	// NearQuotaPct marks a SIM near its quota (default 20 % left).
	NearQuotaPct float64
	Now          func() time.Time
}

// UsageFillResult is what one run did.
type UsageFillResult struct {
	SIMs, Rows, Errors, Calls int
	Skipped                   string
}

// Report is the run's record for job_runs.
func (r UsageFillResult) Report() jobs.Report {
	return jobs.Report{Items: r.SIMs, Errors: r.Errors, Skipped: r.Skipped,
		Counts: map[string]int64{"sims_read": int64(r.SIMs), "rows": int64(r.Rows), "once_calls": int64(r.Calls)},
		Detail: fmt.Sprintf("read %d SIMs, stored %d days; %d errors, %d 1NCE calls", r.SIMs, r.Rows, r.Errors, r.Calls)}
}

// UsageFillJob is the sync_usage job.
func UsageFillJob(u *UsageFill, every time.Duration) jobs.Definition {
	u.Interval = every
	return jobs.Definition{Name: "sync_usage", Interval: every, Timeout: max(time.Hour, 2*every), Run: jobs.Reported(u.Run)}
}

// maxConsecutiveErrors ends a run whose calls keep failing (1NCE down): the next run retries.
const maxConsecutiveErrors = 5

// noV1 is the skip reason on an account without API v1.
const noV1 = "the 1NCE account has no Management API v1 (Platform 2.0): daily usage comes from the Data Streamer only"

// Run does one gap-fill pass.
func (u *UsageFill) Run(ctx context.Context) (res UsageFillResult, err error) {
	var calls atomic.Int64
	if !u.Once.V1Available() {
		res.Skipped = noV1
		return res, nil
	}
	now := clock(u.Now)()
	lookback := min(cmp.Or(u.Lookback, 30*24*time.Hour), 180*24*time.Hour)
	settle := cmp.Or(u.Settle, 48*time.Hour)
	interval := cmp.Or(u.Interval, time.Hour)
	maxCalls := cmp.Or(u.MaxCalls, 1000)
	today := fleet.Day(now)
	settled := fleet.Day(now.Add(-settle)).AddDate(0, 0, -1)
	oldest := fleet.Day(now.Add(-lookback))
	ctx = once.ObserveRequests(once.WithPriority(ctx, once.PriorityBackfill), func(once.RequestInfo) { calls.Add(1) })
	defer func() { res.Calls = int(calls.Load()) }()

	gaps, err := u.Store.UsageGaps(ctx, fleet.UsageGapQuery{SettledThrough: settled, StreamerSince: oldest,
		RefreshBefore: now.Add(-interval / 2), NearQuotaPct: cmp.Or(u.NearQuotaPct, 20), Limit: maxCalls})
	if err != nil {
		return res, fmt.Errorf("sync usage: find gaps: %w", err)
	}
	failing := 0
	for _, g := range gaps {
		if int(calls.Load()) >= maxCalls {
			break
		}
		from := oldest
		if !g.FinalThrough.IsZero() {
			from = later(from, g.FinalThrough.AddDate(0, 0, 1))
		}
		if !g.ActivationDate.IsZero() {
			from = later(from, fleet.Day(g.ActivationDate))
		}
		from = earlier(from, today)
		days, err := u.Once.Usage(ctx, once.UsageParams{ICCID: g.ICCID, Start: from, End: today})
		switch {
		case errors.Is(err, once.ErrUnsupported):
			// The first v1 call found the account migrated: stop, one log line at the edge.
			res.Skipped = noV1
			return res, nil
		case errors.Is(err, once.ErrNotFound):
			res.Errors++ // gone at 1NCE; the SIM sync marks it
			continue
		case err != nil:
			if ctx.Err() != nil {
				return res, fmt.Errorf("sync usage: %w", ctx.Err())
			}
			res.Errors++
			if failing++; failing >= maxConsecutiveErrors {
				return res, fmt.Errorf("sync usage: %d calls in a row failed, last for SIM %s: %w", failing, g.ICCID, err)
			}
			continue
		}
		failing = 0
		rows, err := u.rowsToStore(ctx, g, days, from, today, settled)
		if err != nil {
			return res, err
		}
		if err := u.Store.SaveUsageFetch(ctx, fleet.UsageFetch{ICCID: g.ICCID, Rows: rows, FinalThrough: settled, CheckedAt: now}); err != nil {
			return res, fmt.Errorf("sync usage: store SIM %s: %w", g.ICCID, err)
		}
		res.SIMs++
		res.Rows += len(rows)
	}
	return res, nil
}

// rowsToStore turns 1NCE's days into mirror rows: days through settled are final; open days
// only for SIMs without streamer data; days without usage only where a row exists to correct.
func (u *UsageFill) rowsToStore(ctx context.Context, g fleet.UsageGap, days []once.DailyUsage, from, to, settled time.Time) ([]fleet.Usage, error) {
	stored, err := u.Store.ListUsage(ctx, g.ICCID, from, to)
	if err != nil {
		return nil, fmt.Errorf("sync usage: stored usage of SIM %s: %w", g.ICCID, err)
	}
	have := make(map[time.Time]bool, len(stored))
	for _, r := range stored {
		have[r.Day] = true
	}
	var rows []fleet.Usage
	for _, d := range days {
		day := fleet.Day(d.Date)
		final := !day.After(settled)
		if day.Before(from) || day.After(to) || (!final && g.HasStreamer) {
			continue
		}
		empty := d.DataBytes == 0 && d.DataRxBytes == 0 && d.DataTxBytes == 0 && d.SMSMO == 0 && d.SMSMT == 0
		if empty && !have[day] {
			continue
		}
		rows = append(rows, fleet.Usage{ICCID: g.ICCID, Day: day, VolumeRx: d.DataRxBytes, VolumeTx: d.DataTxBytes,
			VolumeTotal: d.DataBytes, SMSMO: d.SMSMO, SMSMT: d.SMSMT, Cost: cost(d.DataCost) + cost(d.SMSCost),
			Source: fleet.UsageFromAPI, Final: final})
	}
	return rows, nil
}

// cost reads 1NCE's decimal cost text; what it cannot read counts as 0 (the figure is notional).
func cost(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0
	}
	return v
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
