package postgres

import (
	"context"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// StartJobRun records that job started at at and returns the run's id.
func (s *Store) StartJobRun(ctx context.Context, job string, at time.Time) (int64, error) {
	if job == "" {
		return 0, fleet.Invalid("job", "must not be empty")
	}
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO job_runs (job, started_at) VALUES ($1, $2) RETURNING id`, job, at).Scan(&id)
	return id, translate(err, "start job run")
}

// FinishJobRun records the outcome of run r.ID: FinishedAt (zero: now), OK, Items, Errors,
// Detail, Skipped and Counts.
func (s *Store) FinishJobRun(ctx context.Context, r *fleet.JobRun) error {
	if r.OK == nil {
		return fleet.Invalid("ok", "a finished run must say whether it succeeded")
	}
	if r.FinishedAt == nil {
		now := clockNow()
		r.FinishedAt = &now
	}
	counts, err := fleet.JobRunCountsJSON(r.Counts)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE job_runs SET finished_at = $2, ok = $3, items = $4, errors = $5, detail = $6,
		skipped = $7, counts = $8::jsonb WHERE id = $1`,
		r.ID, *r.FinishedAt, *r.OK, r.Items, r.Errors, r.Detail, r.Skipped, counts)
	if err != nil {
		return translate(err, "finish job run")
	}
	return expectOne(tag.RowsAffected(), "finish job run")
}

// ListJobRuns returns the most recent runs of job (every job when empty), newest first.
func (s *Store) ListJobRuns(ctx context.Context, job string, limit int) ([]fleet.JobRun, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, job, started_at, finished_at, ok, items, errors, detail, skipped, counts::text FROM job_runs
		WHERE $1 = '' OR job = $1 ORDER BY started_at DESC, id DESC LIMIT $2`, job, fleet.ClampLimit(limit))
	if err != nil {
		return nil, translate(err, "list job runs")
	}
	defer rows.Close()
	var out []fleet.JobRun
	for rows.Next() {
		var (
			r      fleet.JobRun
			counts string
		)
		if err := rows.Scan(&r.ID, &r.Job, &r.StartedAt, &r.FinishedAt, &r.OK, &r.Items, &r.Errors, &r.Detail, &r.Skipped, &counts); err != nil {
			return nil, translate(err, "list job runs")
		}
		if r.Counts, err = fleet.ParseJobRunCounts(counts); err != nil {
			return nil, err
		}
		toUTC(&r.StartedAt, r.FinishedAt)
		out = append(out, r)
	}
	return out, translate(rows.Err(), "list job runs")
}

// DeleteJobRunsBefore removes finished runs that started before before (retention) and returns
// how many; a run still going is kept.
func (s *Store) DeleteJobRunsBefore(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM job_runs WHERE finished_at IS NOT NULL AND started_at < $1`, before)
	if err != nil {
		return 0, translate(err, "delete old job runs")
	}
	return int(tag.RowsAffected()), nil
}
