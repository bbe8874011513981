package app

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oncefleet/oncefleet/internal/autotopup"
	"github.com/oncefleet/oncefleet/internal/fleetsync"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/internal/report"
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
	autotopup.Store
	report.Store
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
	// A job switched off has no schedule but stays defined: an admin can still run it now.
	js := a.cfg.JobSettings
	var defs []jobs.Definition
	if a.once != nil {
		defs = append(defs,
			fleetsync.SIMSyncJob(&fleetsync.SIMSync{Store: st, Once: a.once, Bus: a.bus, Log: a.log,
				Concurrency: js.SyncConcurrency}, js.SyncSIMsEvery),
			fleetsync.UsageFillJob(&fleetsync.UsageFill{Store: st, Once: a.once, Log: a.log,
				Lookback: js.UsageLookback, Settle: js.UsageSettle, MaxCalls: js.UsageMaxCalls}, js.SyncUsageEvery),
			fleetsync.QuotaCheckJob(&fleetsync.QuotaCheck{Store: st, Once: a.once, Bus: a.bus, Log: a.log,
				Thresholds: js.QuotaThresholds, MaxSIMs: js.QuotaMaxSIMs}, js.CheckQuotasEvery),
			fleetsync.ConnectivityJob(&fleetsync.ConnectivityCheck{Store: st, Once: a.once, Bus: a.bus, Log: a.log,
				Label: js.ConnectivityLabel, MaxSIMs: js.ConnectivityMax}, js.ConnectivityEvery),
			a.control.TrackSMSJob(js.TrackSMSEvery))
		engine, err := autotopup.New(autotopup.Options{Store: st, Control: a.control, Locker: a.locker,
			FleetMonthlyCap: js.AutoTopUpFleetCap, Registerer: a.registry, Logger: a.log})
		if err != nil {
			return err
		}
		defs = append(defs, engine.Job(js.AutoTopUpEvery))
		// Quota crossings and streamed usage trigger checks wherever they happen.
		unsubscribe := a.bus.Subscribe(engine.OnEvent)
		a.closers = append(a.closers, func() error { unsubscribe(); return nil })
		a.background = append(a.background, engine.Run)
	}
	defs = append(defs, a.alerts.Job(a.cfg.AlertSettings.EvaluateEvery),
		report.Job(st, js.FleetReportEvery, nil),
		retention.Job(st, retention.Policy{Usage: js.RetentionUsage, Events: js.RetentionEvents,
			Connectivity: js.RetentionConnectivity, Audit: js.RetentionAudit, ResolvedAlerts: js.RetentionAlerts,
			JobRuns: js.RetentionJobRuns, Idempotency: js.RetentionIdempotency, Reports: js.RetentionReports}, js.RetentionEvery, nil))
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
