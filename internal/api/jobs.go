package api

import (
	"context"
	"net/http"
	"time"

	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
)

// JobControl lists the background jobs and starts one now (implemented by *jobs.Control).
type JobControl interface {
	Jobs(ctx context.Context, runs int) ([]jobs.Status, error)
	RunNow(ctx context.Context, name string) (jobs.Triggered, error)
}

// periodicJob is a background job as the API shows it.
type periodicJob struct {
	Name            string    `json:"name"`
	IntervalSeconds int64     `json:"interval_seconds" doc:"0 for a job that runs only when triggered."`
	NextRun         time.Time `json:"next_run,omitzero"`
	Runs            []jobRun  `json:"runs"`
}

// jobRun is one run of a background job.
type jobRun struct {
	ID         int64            `json:"id"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt *time.Time       `json:"finished_at,omitempty"`
	DurationMS int64            `json:"duration_ms"`
	Result     string           `json:"result" enum:"running,ok,failed,skipped"`
	Items      int              `json:"items"`
	Errors     int              `json:"errors"`
	Counts     map[string]int64 `json:"counts,omitempty"`
	Detail     string           `json:"detail,omitempty"`
}

func periodicView(st jobs.Status) periodicJob {
	out := periodicJob{Name: st.Name, IntervalSeconds: int64(st.Interval / time.Second), NextRun: st.NextRun, Runs: make([]jobRun, 0, len(st.Runs))}
	for _, r := range st.Runs {
		v := jobRun{ID: r.ID, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, DurationMS: r.Duration().Milliseconds(),
			Items: r.Items, Errors: r.Errors, Counts: r.Counts, Detail: r.Detail}
		switch {
		case r.OK == nil:
			v.Result = "running"
		case r.Skipped:
			v.Result = "skipped"
		case *r.OK:
			v.Result = "ok"
		default:
			v.Result = "failed"
		}
		out.Runs = append(out.Runs, v)
	}
	return out
}

func (s *Server) registerJobs() {
	c := s.cfg.Control
	type listPeriodic struct {
		Runs int `query:"runs" minimum:"0" maximum:"100" default:"5" doc:"Recent runs to show per job."`
	}
	register(s, op{id: "list-jobs", method: http.MethodGet, path: "/jobs", tag: "Jobs", role: fleet.RoleAdmin,
		summary:     "List the background jobs and their recent runs",
		description: "Every periodic job (fleet sync, usage gap-fill, quota checks, connectivity snapshots, retention, …) with its interval, next scheduled run and recent runs: counts, duration, result and errors."},
		func(ctx context.Context, in *listPeriodic) (*dataOut[[]periodicJob], error) {
			list, err := s.cfg.Jobs.Jobs(ctx, in.Runs)
			if err != nil {
				return nil, err
			}
			out := make([]periodicJob, 0, len(list))
			for _, st := range list {
				out = append(out, periodicView(st))
			}
			return data(out), nil
		})

	type runPath struct {
		Name string `path:"name" minLength:"1" maxLength:"64" doc:"The job's name, e.g. sync_sims."`
	}
	register(s, op{id: "run-job", method: http.MethodPost, path: "/jobs/{name}/run", tag: "Jobs", role: fleet.RoleAdmin, action: "job.run",
		status: http.StatusAccepted, summary: "Run a background job now",
		description: "Queues a run of the job for the next free worker (any replica), unless one is already queued or running."},
		func(ctx context.Context, in *runPath) (*dataOut[jobs.Triggered], error) {
			tr, err := s.cfg.Jobs.RunNow(ctx, in.Name)
			result := "ok"
			if err != nil {
				result = string(fleet.ErrorCode(err))
			}
			if rerr := s.cfg.Control.Record(ctx, actor(ctx), "job.run", "job:"+in.Name, result, map[string]any{"already_pending": tr.AlreadyPending}); rerr != nil && err == nil {
				err = rerr
			}
			if err != nil {
				return nil, err
			}
			return data(tr), nil
		})
	register(s, op{id: "list-bulk-jobs", method: http.MethodGet, path: "/jobs/bulk", tag: "Jobs", role: fleet.RoleViewer,
		summary: "List bulk jobs", description: "Newest first, with progress."},
		func(ctx context.Context, in *PageQuery) (*listOut[control.Job], error) {
			p, err := c.Jobs(ctx, in.Page, in.PageSize)
			if err != nil {
				return nil, err
			}
			return pageResult(p), nil
		})

	register(s, op{id: "get-job", method: http.MethodGet, path: "/jobs/{id}", tag: "Jobs", role: fleet.RoleViewer,
		summary: "Get a bulk job's progress"},
		func(ctx context.Context, in *IDPath) (*dataOut[control.Job], error) {
			j, err := c.Job(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return data(j), nil
		})

	type items struct {
		IDPath
		PageQuery
		State string `query:"state" enum:"pending,running,ok,failed," doc:"Only SIMs in this state."`
	}
	register(s, op{id: "list-job-items", method: http.MethodGet, path: "/jobs/{id}/items", tag: "Jobs", role: fleet.RoleViewer,
		summary: "List a bulk job's per-SIM results", description: "In ICCID order; failed SIMs carry the error."},
		func(ctx context.Context, in *items) (*listOut[control.JobItem], error) {
			p, err := c.JobItems(ctx, in.ID, fleet.BulkItemState(in.State), in.Page, in.PageSize)
			if err != nil {
				return nil, err
			}
			return pageResult(p), nil
		})

	register(s, op{id: "cancel-job", method: http.MethodPost, path: "/jobs/{id}/cancel", tag: "Jobs", role: fleet.RoleOperator, action: "bulk.cancel",
		summary: "Cancel a bulk job", description: "No further SIMs are started; SIMs in flight finish and are counted. 409 when the job has ended."},
		func(ctx context.Context, in *IDPath) (*dataOut[control.Job], error) {
			j, err := c.CancelJob(ctx, actor(ctx), in.ID)
			if err != nil {
				return nil, err
			}
			return data(j), nil
		})
}
