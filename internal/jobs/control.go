package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// Control lists the background jobs with their recent runs and starts a job now. The REST API
// calls it: GET /api/v1/jobs (Jobs), GET /api/v1/jobs/{name} (Job) and
// POST /api/v1/jobs/{name}/run (RunNow), for admins. It works on every replica, including
// `serve --no-jobs`, whose runner only inserts jobs for the workers to run.
type Control struct{ r *Runner }

// Status is one job: its schedule and its most recent runs, newest first.
type Status struct {
	Name string `json:"name"`
	// Interval is the period of a periodic job; 0 for one that runs only when triggered.
	Interval time.Duration `json:"interval"`
	// NextRun is the start of the job's next period (zero for a job without interval).
	NextRun time.Time `json:"next_run,omitzero"`
	// Runs are the recent runs from job_runs: start, end, ok/skipped, items, errors, counts
	// and detail (the error of a failed run).
	Runs []fleet.JobRun `json:"runs"`
}

// Names returns the defined jobs' names, sorted.
func (c *Control) Names() []string { return append([]string(nil), c.r.names...) }

// Jobs returns every job with up to runs recent runs each.
func (c *Control) Jobs(ctx context.Context, runs int) ([]Status, error) {
	out := make([]Status, 0, len(c.r.names))
	for _, name := range c.r.names {
		st, err := c.Job(ctx, name, runs)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// Job returns one job with up to runs recent runs; an unknown name is ErrUnknownJob
// (fleet.ErrNotFound).
func (c *Control) Job(ctx context.Context, name string, runs int) (Status, error) {
	d, ok := c.r.defs[name]
	if !ok {
		return Status{}, unknownJob(name)
	}
	st := Status{Name: name, Interval: d.Interval, Runs: []fleet.JobRun{}}
	if d.Interval > 0 {
		st.NextRun = Every(d.Interval).Next(c.r.cfg.Now()).UTC()
	}
	list, err := c.r.cfg.Runs.ListJobRuns(ctx, name, runs)
	if err != nil {
		return Status{}, fmt.Errorf("jobs: runs of %s: %w", name, err)
	}
	if list != nil {
		st.Runs = list
	}
	return st, nil
}

// Triggered is the answer to RunNow.
type Triggered struct {
	// JobID is River's id of the job that will run (or is running).
	JobID int64 `json:"job_id"`
	// AlreadyPending is true when a run of the job was already queued or running: no second
	// one is started.
	AlreadyPending bool `json:"already_pending"`
}

// pendingStates are the states of a job that has not finished.
var pendingStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// RunNow starts a run of the job as soon as a worker is free, unless one is already queued or
// running; an unknown name is ErrUnknownJob (fleet.ErrNotFound).
func (c *Control) RunNow(ctx context.Context, name string) (Triggered, error) {
	d, ok := c.r.defs[name]
	if !ok {
		return Triggered{}, unknownJob(name)
	}
	res, err := c.r.client.JobList(ctx, river.NewJobListParams().Kinds(kind).States(pendingStates...).First(1000))
	if err != nil {
		return Triggered{}, fmt.Errorf("jobs: run %s now: %w", name, err)
	}
	for _, j := range res.Jobs {
		var a jobArgs
		if json.Unmarshal(j.EncodedArgs, &a) == nil && a.Name == name {
			return Triggered{JobID: j.ID, AlreadyPending: true}, nil
		}
	}
	// Two RunNow racing past the list meet the unique key: one job.
	ins, err := c.r.client.Insert(ctx, jobArgs{Name: name, Manual: true}, &river.InsertOpts{
		MaxAttempts: d.MaxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: pendingStates},
	})
	if err != nil {
		return Triggered{}, fmt.Errorf("jobs: run %s now: %w", name, err)
	}
	return Triggered{JobID: ins.Job.ID, AlreadyPending: ins.UniqueSkippedAsDuplicate}, nil
}
