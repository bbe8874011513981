package retention_test

import (
	"context"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/retention"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
)

// store is the retention store plus what the test seeds and reads through.
type store interface {
	retention.Store
	UpsertUsage(ctx context.Context, rows []fleet.Usage) error
	ListUsage(ctx context.Context, iccid string, from, to time.Time) ([]fleet.Usage, error)
	InsertEvents(ctx context.Context, events []fleet.Event) (int64, error)
	ListEvents(ctx context.Context, f fleet.EventFilter) (fleet.Page[fleet.Event], error)
	AddConnectivity(ctx context.Context, c fleet.Connectivity) (fleet.Connectivity, error)
	ListConnectivity(ctx context.Context, iccid string, limit int) ([]fleet.Connectivity, error)
	AppendAudit(ctx context.Context, e *fleet.AuditEntry) error
	ListAudit(ctx context.Context, f fleet.AuditFilter) ([]fleet.AuditEntry, int, error)
	StartJobRun(ctx context.Context, job string, at time.Time) (int64, error)
	FinishJobRun(ctx context.Context, r *fleet.JobRun) error
	ListJobRuns(ctx context.Context, job string, limit int) ([]fleet.JobRun, error)
	BeginIdempotency(ctx context.Context, key, requestHash string) (*fleet.IdempotencyRecord, bool, error)
}

// TestRunDeletesOnlyExpired seeds every table with one row past its period and one within it,
// then checks retention removed exactly the expired ones, on both backends.
func TestRunDeletesOnlyExpired(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) store{
		"sqlite":   func(t *testing.T) store { return dbtest.NewSQLite(t) },
		"postgres": func(t *testing.T) store { return dbtest.NewPostgres(t) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testRun(t, open(t))
		})
	}
}

func testRun(t *testing.T, s store) {
	ctx := context.Background()
	now := time.Now().UTC()
	p := retention.DefaultPolicy()
	p.ResolvedAlerts = 0 // kept forever: the run must not touch it
	const iccid = "8988280666000000700"
	old, recent := func(keep time.Duration) time.Time { return now.Add(-keep - 48*time.Hour) }, now.Add(-time.Hour)
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must(s.UpsertUsage(ctx, []fleet.Usage{
		{ICCID: iccid, Day: old(p.Usage), VolumeTotal: 1, Source: fleet.UsageFromAPI},
		{ICCID: iccid, Day: recent, VolumeTotal: 2, Source: fleet.UsageFromAPI}}), "usage")
	_, err := s.InsertEvents(ctx, []fleet.Event{{ICCID: iccid, OccurredAt: old(p.Events), Type: "old"}, {ICCID: iccid, OccurredAt: recent, Type: "new"}})
	must(err, "events")
	for _, at := range []time.Time{old(p.Connectivity), old(p.Connectivity).Add(time.Minute), recent} {
		_, err := s.AddConnectivity(ctx, fleet.Connectivity{ICCID: iccid, ObservedAt: at})
		must(err, "connectivity")
	}
	must(s.AppendAudit(ctx, &fleet.AuditEntry{At: old(p.Audit), Actor: "system", Action: "old", Result: "ok"}), "audit")
	must(s.AppendAudit(ctx, &fleet.AuditEntry{At: recent, Actor: "system", Action: "new", Result: "ok"}), "audit")
	ok := true
	for _, at := range []time.Time{old(p.JobRuns), recent} {
		id, err := s.StartJobRun(ctx, "sync_sims", at)
		must(err, "job run")
		must(s.FinishJobRun(ctx, &fleet.JobRun{ID: id, OK: &ok}), "finish run")
	}
	_, _, err = s.BeginIdempotency(ctx, "key-1", "hash")
	must(err, "idempotency")

	// Idempotency keys were stored now: seen from 47h later they are still within 48h.
	res, err := retention.Run(ctx, s, p, now.Add(47*time.Hour))
	must(err, "run")
	want := retention.Result{"usage": 1, "events": 1, "connectivity": 2, "audit": 1, "job_runs": 1, "idempotency_keys": 0}
	if len(res) != len(want) {
		t.Fatalf("result = %v, want %v", res, want)
	}
	for k, n := range want {
		if res[k] != n {
			t.Fatalf("result = %v, want %v", res, want)
		}
	}
	usage, _ := s.ListUsage(ctx, iccid, old(p.Usage), now)
	events, _ := s.ListEvents(ctx, fleet.EventFilter{ICCID: iccid})
	conn, _ := s.ListConnectivity(ctx, iccid, 10)
	audit, _, _ := s.ListAudit(ctx, fleet.AuditFilter{})
	runs, _ := s.ListJobRuns(ctx, "", 10)
	if len(usage) != 1 || usage[0].VolumeTotal != 2 || len(events.Items) != 1 || events.Items[0].Type != "new" ||
		len(conn) != 1 || len(audit) != 1 || audit[0].Action != "new" || len(runs) != 1 {
		t.Fatalf("left: usage %+v events %+v connectivity %+v audit %+v runs %+v", usage, events.Items, conn, audit, runs)
	}
	// A second run finds nothing more; past 48h the idempotency key goes too.
	res, err = retention.Run(ctx, s, p, now.Add(49*time.Hour))
	must(err, "second run")
	if res["usage"]+res["events"]+res["connectivity"]+res["audit"]+res["job_runs"] != 0 || res["idempotency_keys"] != 1 {
		t.Fatalf("second run = %v", res)
	}
}
