// Package retention deletes what has outlived its retention period, table by table (SPEC §7:
// cleanup of data past retention, daily). Each table has its own period; 0 keeps it forever.
package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/oncefleet/oncefleet/internal/jobs"
)

// Store is what retention deletes from: the "Delete…Before" methods of either store.
type Store interface {
	DeleteUsageBefore(ctx context.Context, day time.Time) (int, error)
	DeleteEventsBefore(ctx context.Context, before time.Time) (int, error)
	DeleteConnectivityBefore(ctx context.Context, before time.Time) (int, error)
	DeleteAuditBefore(ctx context.Context, before time.Time) (int, error)
	DeleteResolvedAlertsBefore(ctx context.Context, before time.Time) (int, error)
	DeleteJobRunsBefore(ctx context.Context, before time.Time) (int, error)
	DeleteIdempotencyBefore(ctx context.Context, before time.Time) (int, error)
}

// Policy is how long each table keeps its rows; 0 keeps them forever.
type Policy struct {
	Usage          time.Duration // daily and hourly usage, by day
	Events         time.Duration // SIM events, by occurrence
	Connectivity   time.Duration // connectivity snapshots (each SIM's latest is always kept)
	Audit          time.Duration // audit log entries
	ResolvedAlerts time.Duration // alerts resolved that long ago (open alerts are kept)
	JobRuns        time.Duration // finished job runs
	Idempotency    time.Duration // stored Idempotency-Key answers
}

// DefaultPolicy is the documented default: a year and a month of usage and audit (a year-on-
// year comparison and a yearly audit), 90 days of events and resolved alerts, 30 days of
// snapshots and job runs, and 48 hours of idempotency keys (clients retry within minutes).
func DefaultPolicy() Policy {
	const day = 24 * time.Hour
	return Policy{Usage: 400 * day, Events: 90 * day, Connectivity: 30 * day, Audit: 400 * day,
		ResolvedAlerts: 90 * day, JobRuns: 30 * day, Idempotency: 48 * time.Hour}
}

// Result is how many rows each table lost, by table name.
type Result map[string]int

// Run deletes, for every table with a period, the rows older than now minus its period. It
// goes on after a table fails and reports every failure.
func Run(ctx context.Context, s Store, p Policy, now time.Time) (Result, error) {
	res := Result{}
	var errs []error
	for _, t := range []struct {
		name string
		keep time.Duration
		del  func(context.Context, time.Time) (int, error)
	}{
		{"usage", p.Usage, s.DeleteUsageBefore},
		{"events", p.Events, s.DeleteEventsBefore},
		{"connectivity", p.Connectivity, s.DeleteConnectivityBefore},
		{"audit", p.Audit, s.DeleteAuditBefore},
		{"resolved_alerts", p.ResolvedAlerts, s.DeleteResolvedAlertsBefore},
		{"job_runs", p.JobRuns, s.DeleteJobRunsBefore},
		{"idempotency_keys", p.Idempotency, s.DeleteIdempotencyBefore},
	} {
		if t.keep <= 0 {
			continue
		}
		n, err := t.del(ctx, now.Add(-t.keep))
		if err != nil {
			errs = append(errs, fmt.Errorf("retention: %s: %w", t.name, err))
			continue
		}
		res[t.name] = n
	}
	return res, errors.Join(errs...)
}

// Job is the retention job.
func Job(s Store, p Policy, every time.Duration, now func() time.Time) jobs.Definition {
	if now == nil {
		now = time.Now
	}
	return jobs.Definition{Name: "retention", Interval: every, Run: func(ctx context.Context) (jobs.Report, error) {
		res, err := Run(ctx, s, p, now())
		rep := jobs.Report{Counts: map[string]int64{}}
		for k, n := range res {
			rep.Items += n
			rep.Counts[k] = int64(n)
		}
		rep.Detail = fmt.Sprintf("deleted %d rows", rep.Items)
		return rep, err
	}}
}
