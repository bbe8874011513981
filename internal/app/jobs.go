package app

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oncefleet/oncefleet/internal/fleetsync"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/internal/retention"
)

// jobStore is what the background jobs need of either store.
type jobStore interface {
	jobs.RunStore
	fleetsync.SIMStore
	fleetsync.UsageStore
	fleetsync.QuotaStore
	fleetsync.ConnectivityStore
	retention.Store
}

// openJobs builds the background jobs (SPEC §7) on the project database: serve and worker run
// them unless --no-jobs, which keeps an insert-only runner so the API can still list runs and
// start jobs on the replicas that work them. Jobs that call 1NCE exist only with 1NCE
// credentials; retention always.
func (a *App) openJobs() error {
	st, ok := a.store.(jobStore)
	if !ok {
		return fmt.Errorf("jobs: the %T store lacks the background-job methods", a.store)
	}
	var db jobs.Database
	switch s := a.store.(type) {
	case interface{ Pool() *pgxpool.Pool }:
		db = jobs.Postgres(s.Pool())
	case interface{ DB() *sql.DB }:
		db = jobs.SQLite(s.DB())
	default:
		return fmt.Errorf("jobs: no job database behind the %T store", a.store)
	}
	js := a.cfg.JobSettings
	var defs []jobs.Definition
	if a.once != nil {
		if js.SyncSIMsEvery > 0 {
			defs = append(defs, fleetsync.SIMSyncJob(&fleetsync.SIMSync{Store: st, Once: a.once, Bus: a.bus, Log: a.log,
				Concurrency: js.SyncConcurrency}, js.SyncSIMsEvery))
		}
		if js.SyncUsageEvery > 0 {
			defs = append(defs, fleetsync.UsageFillJob(&fleetsync.UsageFill{Store: st, Once: a.once, Log: a.log,
				Lookback: js.UsageLookback, Settle: js.UsageSettle, MaxCalls: js.UsageMaxCalls}, js.SyncUsageEvery))
		}
		if js.CheckQuotasEvery > 0 {
			defs = append(defs, fleetsync.QuotaCheckJob(&fleetsync.QuotaCheck{Store: st, Once: a.once, Bus: a.bus, Log: a.log,
				Thresholds: js.QuotaThresholds, MaxSIMs: js.QuotaMaxSIMs}, js.CheckQuotasEvery))
		}
		if js.ConnectivityEvery > 0 {
			defs = append(defs, fleetsync.ConnectivityJob(&fleetsync.ConnectivityCheck{Store: st, Once: a.once, Bus: a.bus, Log: a.log,
				Label: js.ConnectivityLabel, MaxSIMs: js.ConnectivityMax}, js.ConnectivityEvery))
		}
	}
	if js.RetentionEvery > 0 {
		defs = append(defs, retention.Job(st, retention.Policy{Usage: js.RetentionUsage, Events: js.RetentionEvents,
			Connectivity: js.RetentionConnectivity, Audit: js.RetentionAudit, ResolvedAlerts: js.RetentionAlerts,
			JobRuns: js.RetentionJobRuns, Idempotency: js.RetentionIdempotency}, js.RetentionEvery, nil))
	}
	r, err := jobs.New(jobs.Config{Database: db, Runs: st, Bus: a.bus, Registerer: a.registry, Logger: a.log,
		Work: a.opts.worker || !a.opts.NoJobs, StopTimeout: min(a.cfg.ShutdownTimeout, 30*time.Second)}, defs...)
	if err != nil {
		return err
	}
	a.jobs = r
	a.background = append(a.background, r.Run)
	return nil
}

// Jobs is the background jobs' control (run lists, run now) for the API.
func (a *App) Jobs() *jobs.Control { return a.jobs.Control() }
