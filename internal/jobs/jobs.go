// Package jobs runs oncefleet's background work (SPEC §7) as durable jobs on the project
// database, with River: its PostgreSQL driver on the store's pgx pool, its SQLite driver on
// the embedded store's handle. A job is a Definition (a name, an interval, a Task); the
// Runner schedules every periodic one so that it runs once per interval across all replicas
// (River's elected leader inserts it, a unique key per job and period keeps a second leader
// or a restart from inserting it again), records every run in job_runs and in Prometheus,
// retries failed runs with River's backoff, and lets the API list runs and start a job now
// (Control).
//
// More kinds of work plug in as more Definitions: a registration function in the package
// that owns the work takes its dependencies explicitly and returns the Definition (see
// internal/app/jobs.go).
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// Report is what one run of a job found and did. It goes to job_runs and the metrics.
type Report struct {
	// Items is the run's main count (SIMs synced, SIMs read, rows deleted, …).
	Items int
	// Errors counts items that failed without failing the run.
	Errors int
	// Counts are the run's own measures by name (pages, sims_seen, changed, gone, once_calls…).
	Counts map[string]int64
	// Skipped, when set, says why the run had nothing it could do (the account lacks the API
	// the job needs, …): the run is recorded as skipped, not failed, and is not retried.
	Skipped string
	// Detail is a short human summary for the run list.
	Detail string
}

// Task does one run of a job. It returns an error only when the run failed as a whole (it is
// then retried with backoff); ctx ends at the job's timeout or when the process stops.
type Task func(ctx context.Context) (Report, error)

// Definition is one kind of background work.
type Definition struct {
	// Name identifies the job in job_runs, metrics, logs and the API (sync_sims, …).
	Name string
	// Interval > 0 runs the job periodically, at multiples of Interval since the Unix epoch
	// (UTC), so every replica computes the same schedule; 0 runs it only when triggered.
	Interval time.Duration
	// Timeout bounds one attempt (default DefaultTimeout).
	Timeout time.Duration
	// MaxAttempts bounds retries of a failed run (default DefaultMaxAttempts).
	MaxAttempts int
	// Run does the work.
	Run Task
}

// Reporter is a run's own result that knows its job_runs record.
type Reporter interface{ Report() Report }

// Reported adapts a run that returns its own result type into a Task, so a job's Run method
// serves as it is.
func Reported[R Reporter](run func(context.Context) (R, error)) Task {
	return func(ctx context.Context) (Report, error) {
		res, err := run(ctx)
		return res.Report(), err
	}
}

// Defaults of a Definition's zero fields.
const (
	DefaultTimeout     = time.Hour
	DefaultMaxAttempts = 3
)

// RunStore records runs: the job_runs table of either store.
type RunStore interface {
	StartJobRun(ctx context.Context, job string, at time.Time) (int64, error)
	FinishJobRun(ctx context.Context, r *fleet.JobRun) error
	ListJobRuns(ctx context.Context, job string, limit int) ([]fleet.JobRun, error)
}

// Publisher is where job failures are announced (the bus).
type Publisher interface {
	Publish(ctx context.Context, e bus.Event) int
}

// Database is the database River keeps its jobs in: the project's own (Postgres or SQLite).
type Database struct {
	pool *pgxpool.Pool
	db   *sql.DB
}

// Postgres keeps jobs in the PostgreSQL database behind pool (the store's Pool()).
func Postgres(pool *pgxpool.Pool) Database { return Database{pool: pool} }

// SQLite keeps jobs in the SQLite database behind db (the store's DB()).
func SQLite(db *sql.DB) Database { return Database{db: db} }

// Config is what a Runner needs.
type Config struct {
	Database Database
	Runs     RunStore
	// Bus receives SyncFailed for every failed run (nil: not published).
	Bus Publisher
	// Registerer receives the job metrics (nil: not registered).
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// Work runs jobs in this process (serve, worker). False makes an insert-only runner
	// (serve --no-jobs): Control still lists runs and starts jobs, which other processes work.
	Work bool
	// Workers is how many jobs this process runs at once (default: one per Definition).
	Workers int
	// StopTimeout is how long Run waits for running jobs when ctx ends before cancelling them
	// (default 10s).
	StopTimeout time.Duration
	// PollInterval is how often idle workers look for jobs without a notification (default
	// 1s; SQLite has no LISTEN/NOTIFY, so there it decides how soon a triggered job starts).
	PollInterval time.Duration
	// Now is the clock of run records and schedules (default time.Now).
	Now func() time.Time
}

// riverClient is the part of River's client the runner uses; both drivers' clients have it.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
}

// Runner owns the River client and the job definitions.
type Runner struct {
	cfg     Config
	defs    map[string]Definition
	names   []string
	client  riverClient
	metrics *metrics
	log     *slog.Logger

	doneMu sync.Mutex
	done   map[int64]time.Time // jobs this process finished, until River's row says so
}

// kind is River's job kind for every oncefleet job; the job's name is in its arguments.
const kind = "oncefleet_job"

// jobArgs are the arguments of a River job: which Definition to run.
type jobArgs struct {
	// Name is the Definition's name; only it counts for uniqueness.
	Name string `json:"name" river:"unique"`
	// Manual marks a run started through Control.RunNow.
	Manual bool `json:"manual,omitempty"`
}

// Kind implements river.JobArgs.
func (jobArgs) Kind() string { return kind }

// New builds a Runner for defs. Names must be unique and non-empty.
func New(cfg Config, defs ...Definition) (*Runner, error) {
	if cfg.Runs == nil {
		return nil, errors.New("jobs: Config.Runs is required")
	}
	if (cfg.Database.pool == nil) == (cfg.Database.db == nil) {
		return nil, errors.New("jobs: Config.Database must be Postgres(pool) or SQLite(db)")
	}
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	cfg.StopTimeout = cmp.Or(cfg.StopTimeout, 10*time.Second)
	cfg.PollInterval = cmp.Or(cfg.PollInterval, time.Second)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Runner{cfg: cfg, defs: map[string]Definition{}, log: cfg.Logger.With("component", "jobs"), done: map[int64]time.Time{}}
	var longest time.Duration
	for _, d := range defs {
		switch {
		case d.Name == "":
			return nil, errors.New("jobs: a definition has no name")
		case d.Run == nil:
			return nil, fmt.Errorf("jobs: %s: no Run", d.Name)
		case d.Interval < 0 || (d.Interval > 0 && d.Interval < time.Second):
			return nil, fmt.Errorf("jobs: %s: interval %s (want 0 or at least 1s)", d.Name, d.Interval)
		}
		if _, dup := r.defs[d.Name]; dup {
			return nil, fmt.Errorf("jobs: %s defined twice", d.Name)
		}
		d.Timeout = cmp.Or(d.Timeout, DefaultTimeout)
		d.MaxAttempts = cmp.Or(d.MaxAttempts, DefaultMaxAttempts)
		longest = max(longest, d.Timeout, d.Interval)
		r.defs[d.Name] = d
		r.names = append(r.names, d.Name)
	}
	slices.Sort(r.names)
	m, err := newMetrics(cfg.Registerer, r.names)
	if err != nil {
		return nil, err
	}
	r.metrics = m

	rc := &river.Config{
		Logger:              r.log,
		FetchPollInterval:   cfg.PollInterval,
		FetchCooldown:       min(100*time.Millisecond, cfg.PollInterval),
		JobTimeout:          -1, // each worker sets its Definition's timeout
		MaxAttempts:         DefaultMaxAttempts,
		ErrorHandler:        errorHandler{log: r.log},
		SkipUnknownJobCheck: !cfg.Work,
		// A completed job must outlive its period, or its unique key could be inserted again
		// within the period after River's cleaner removed it.
		CompletedJobRetentionPeriod: max(24*time.Hour, longest+time.Hour),
		// A run still going is never rescued as stuck while it may legitimately run.
		RescueStuckJobsAfter: longest + 10*time.Minute,
	}
	if cfg.Work {
		workers := river.NewWorkers()
		river.AddWorker(workers, &worker{r: r})
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cmp.Or(cfg.Workers, max(1, len(defs)))}}
		for _, name := range r.names {
			d := r.defs[name]
			if d.Interval == 0 {
				continue
			}
			rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(Every(d.Interval),
				func() (river.JobArgs, *river.InsertOpts) {
					return jobArgs{Name: d.Name}, &river.InsertOpts{MaxAttempts: d.MaxAttempts,
						UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: d.Interval}}
				},
				// On start a new leader runs the job for the current period unless some
				// replica already did: the unique key per period makes that safe.
				&river.PeriodicJobOpts{ID: d.Name, RunOnStart: true}))
		}
	}
	switch {
	case cfg.Database.pool != nil:
		r.client, err = newClient(riverpgxv5.New(cfg.Database.pool), rc)
	default:
		r.client, err = newClient(riversqlite.New(cfg.Database.db), rc)
	}
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return r, nil
}

func newClient[TTx any](driver riverdriver.Driver[TTx], cfg *river.Config) (riverClient, error) {
	c, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Run works jobs (when Config.Work) until ctx ends, then lets running jobs finish for up to
// StopTimeout before cancelling them. An insert-only runner just waits for ctx.
func (r *Runner) Run(ctx context.Context) error {
	if !r.cfg.Work {
		<-ctx.Done()
		return nil
	}
	if err := r.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	r.log.Info("background jobs started", "jobs", r.names)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), r.cfg.StopTimeout)
	defer cancel()
	if err := r.client.Stop(sctx); err != nil {
		hctx, hcancel := context.WithTimeout(context.Background(), r.cfg.StopTimeout)
		defer hcancel()
		if err := r.client.StopAndCancel(hctx); err != nil {
			return fmt.Errorf("jobs: stop: %w", err)
		}
	}
	return nil
}

// Control is the API's view of the runner.
func (r *Runner) Control() *Control { return &Control{r: r} }

// errorHandler logs a job's panic once; errors are logged by the worker, which knows the job.
type errorHandler struct{ log *slog.Logger }

func (h errorHandler) HandleError(context.Context, *rivertype.JobRow, error) *river.ErrorHandlerResult {
	return nil
}

func (h errorHandler) HandlePanic(ctx context.Context, job *rivertype.JobRow, v any, trace string) *river.ErrorHandlerResult {
	h.log.ErrorContext(ctx, "background job panicked", "job_id", job.ID, "panic", fmt.Sprint(v), "trace", trace)
	return nil
}
