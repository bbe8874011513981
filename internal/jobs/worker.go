package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// worker is River's worker for every oncefleet job: it looks the Definition up by name.
type worker struct {
	river.WorkerDefaults[jobArgs]
	r *Runner
}

// Timeout is the Definition's attempt timeout.
func (w *worker) Timeout(job *river.Job[jobArgs]) time.Duration {
	if d, ok := w.r.defs[job.Args.Name]; ok {
		return d.Timeout
	}
	return time.Minute
}

// Work runs one attempt of a job. A job this process does not define (an older or newer
// replica inserted it) is cancelled rather than retried.
func (w *worker) Work(ctx context.Context, job *river.Job[jobArgs]) error {
	d, ok := w.r.defs[job.Args.Name]
	if !ok {
		return river.JobCancel(fmt.Errorf("jobs: no job named %q in this process", job.Args.Name))
	}
	defer w.r.markDone(job.ID)
	return w.r.attempt(ctx, d, job.ID, job.Attempt, job.MaxAttempts)
}

// markDone remembers that this process finished working a job: River records completion a
// moment later (its completer batches), and until then the job still looks running.
func (r *Runner) markDone(id int64) {
	now := time.Now()
	r.doneMu.Lock()
	defer r.doneMu.Unlock()
	r.done[id] = now
	for k, at := range r.done {
		if now.Sub(at) > time.Minute {
			delete(r.done, k)
		}
	}
}

func (r *Runner) isDone(id int64) bool {
	r.doneMu.Lock()
	defer r.doneMu.Unlock()
	_, ok := r.done[id]
	return ok
}

// attempt runs d once and records it. It returns the run's error for River to retry.
func (r *Runner) attempt(ctx context.Context, d Definition, jobID int64, attempt, maxAttempts int) error {
	log := r.log.With("job", d.Name, "job_id", jobID, "attempt", attempt)
	started := r.cfg.Now()
	var (
		rep    Report
		runErr error
	)
	if other, err := r.runningBefore(ctx, d.Name, jobID); err != nil {
		runErr = fmt.Errorf("check for a run still going: %w", err)
	} else if other != 0 {
		// One run of a job at a time across replicas: a run that outlived its period, or a
		// manual run racing the periodic one, leaves the later one nothing to do.
		rep.Skipped = fmt.Sprintf("another run of %s (job %d) is still going", d.Name, other)
	}
	// The run is recorded even when the database fails mid-way: its record is best effort, the
	// work is not.
	recCtx := context.WithoutCancel(ctx)
	runID, recErr := r.cfg.Runs.StartJobRun(recCtx, d.Name, started)
	if recErr != nil {
		log.Warn("cannot record the start of a job run", "err", recErr)
	}
	if runErr == nil && rep.Skipped == "" {
		rep, runErr = r.safeRun(ctx, d)
	}
	finished := r.cfg.Now()
	dur := finished.Sub(started)

	result := resultOK
	switch {
	case runErr != nil:
		result = resultFailed
	case rep.Skipped != "":
		result = resultSkipped
	}
	r.metrics.runs.WithLabelValues(d.Name, result).Inc()
	r.metrics.duration.WithLabelValues(d.Name).Observe(dur.Seconds())
	r.metrics.items.WithLabelValues(d.Name).Add(float64(rep.Items))
	if result != resultFailed {
		r.metrics.lastSuccess.WithLabelValues(d.Name).Set(float64(finished.Unix()))
	}

	if recErr == nil {
		ok := runErr == nil
		detail := rep.Detail
		switch {
		case runErr != nil:
			detail = runErr.Error()
		case rep.Skipped != "":
			detail = rep.Skipped
		}
		run := &fleet.JobRun{ID: runID, FinishedAt: &finished, OK: &ok, Items: rep.Items, Errors: rep.Errors,
			Detail: truncate(detail, 2000), Skipped: rep.Skipped != "", Counts: rep.Counts}
		if err := r.cfg.Runs.FinishJobRun(recCtx, run); err != nil {
			log.Warn("cannot record the end of a job run", "err", err)
		}
	}

	switch {
	case runErr != nil:
		final := attempt >= maxAttempts
		log.Error("background job failed", "err", runErr, "duration", dur, "final", final)
		if r.cfg.Bus != nil {
			r.cfg.Bus.Publish(recCtx, bus.SyncFailed{Job: d.Name, Attempt: attempt, Final: final, Error: runErr.Error(), At: finished})
		}
		return runErr
	case rep.Skipped != "":
		log.Info("background job skipped", "reason", rep.Skipped)
	default:
		log.Info("background job done", "duration", dur, "items", rep.Items, "errors", rep.Errors, "counts", rep.Counts)
		if r.cfg.Bus != nil {
			r.cfg.Bus.Publish(recCtx, bus.JobSucceeded{Job: d.Name, At: finished})
		}
	}
	return nil
}

// safeRun runs the task, turning a panic into the run's error so the run is recorded.
func (r *Runner) safeRun(ctx context.Context, d Definition) (rep Report, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return d.Run(ctx)
}

// runningBefore returns the id of a running job of the same name inserted before jobID (0:
// none). Of two runs that start together, exactly the older one goes ahead. Jobs this process
// already finished are not running, whatever River's row says yet; a job another replica
// finished a few milliseconds ago can still make this run skip (the next period runs).
func (r *Runner) runningBefore(ctx context.Context, name string, jobID int64) (int64, error) {
	res, err := r.client.JobList(ctx, river.NewJobListParams().Kinds(kind).States(rivertype.JobStateRunning).First(1000))
	if err != nil {
		return 0, err
	}
	var older int64
	for _, j := range res.Jobs {
		var a jobArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil || a.Name != name || j.ID >= jobID || r.isDone(j.ID) {
			continue
		}
		if older == 0 || j.ID < older {
			older = j.ID
		}
	}
	return older, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ErrUnknownJob is returned by Control for a name no Definition has; it matches
// fleet.ErrNotFound.
var ErrUnknownJob = fleet.Errorf(fleet.CodeNotFound, "no such job")

func unknownJob(name string) error {
	return fmt.Errorf("jobs: %q: %w", name, ErrUnknownJob)
}
