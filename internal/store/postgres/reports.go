package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// PutReport stores a report, replacing the one of the same kind and period (a re-run of the
// daily report overwrites its day). An empty ID is generated.
func (s *Store) PutReport(ctx context.Context, r *fleet.Report) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.ID == "" {
		r.ID = fleet.NewRecordID()
	}
	r.CreatedAt = clockNow()
	err := s.pool.QueryRow(ctx, `INSERT INTO reports (id, kind, period_start, period_end, created_at, body_json, body_csv)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (kind, period_start) DO UPDATE SET period_end = excluded.period_end, created_at = excluded.created_at,
			body_json = excluded.body_json, body_csv = excluded.body_csv
		RETURNING id`, r.ID, r.Kind, r.PeriodStart, r.PeriodEnd, r.CreatedAt, []byte(r.JSON), r.CSV).Scan(&r.ID)
	return translate(err, "put report")
}

// ReportByID returns one report with its bodies.
func (s *Store) ReportByID(ctx context.Context, id string) (*fleet.Report, error) {
	var r fleet.Report
	var body []byte
	err := s.pool.QueryRow(ctx, `SELECT id, kind, period_start, period_end, created_at, body_json, body_csv FROM reports WHERE id = $1`, id).
		Scan(&r.ID, &r.Kind, &r.PeriodStart, &r.PeriodEnd, &r.CreatedAt, &body, &r.CSV)
	if err != nil {
		return nil, translate(err, "get report "+id)
	}
	r.JSON = body
	toUTC(&r.PeriodStart, &r.PeriodEnd, &r.CreatedAt)
	return &r, nil
}

// ListReports returns one page of reports without their bodies, newest first, and how many
// there are.
func (s *Store) ListReports(ctx context.Context, limit, offset int) ([]fleet.Report, int, error) {
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM reports`).Scan(&total); err != nil {
		return nil, 0, translate(err, "count reports")
	}
	rows, err := s.pool.Query(ctx, `SELECT id, kind, period_start, period_end, created_at FROM reports
		ORDER BY created_at DESC, id LIMIT $1 OFFSET $2`, fleet.ClampLimit(limit), max(offset, 0))
	if err != nil {
		return nil, 0, translate(err, "list reports")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (fleet.Report, error) {
		var r fleet.Report
		err := row.Scan(&r.ID, &r.Kind, &r.PeriodStart, &r.PeriodEnd, &r.CreatedAt)
		toUTC(&r.PeriodStart, &r.PeriodEnd, &r.CreatedAt)
		return r, err
	})
	if err != nil {
		return nil, 0, translate(err, "list reports")
	}
	return out, total, nil
}

// DeleteReportsBefore removes reports created before before (retention) and returns how many.
func (s *Store) DeleteReportsBefore(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM reports WHERE created_at < $1`, before)
	if err != nil {
		return 0, translate(err, "delete reports")
	}
	return int(tag.RowsAffected()), nil
}

// PendingSMS returns up to limit MT-SMS oncefleet sent that 1NCE has not reported final yet,
// least recently checked first (the SMS delivery tracking polls them).
func (s *Store) PendingSMS(ctx context.Context, limit int) ([]fleet.SMS, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+smsColumns+` FROM sms_messages
		WHERE status = 'PENDING' AND sent_by <> '' ORDER BY updated_at LIMIT $1`, fleet.ClampLimit(limit))
	if err != nil {
		return nil, translate(err, "pending sms")
	}
	out, err := pgx.CollectRows(rows, scanSMS)
	return out, translate(err, "pending sms")
}

// TopConsumers returns the limit SIMs that used the most data over the inclusive day range,
// most first, with their totals.
func (s *Store) TopConsumers(ctx context.Context, from, to time.Time, limit int) ([]fleet.UsageSummary, error) {
	from, to, err := fleet.ValidateDayRange(from, to)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT iccid, count(*), sum(volume_rx)::int8, sum(volume_tx)::int8, sum(volume_total)::int8,
		sum(sms_mo)::int8, sum(sms_mt)::int8, sum(cost)::float8
		FROM sim_usage WHERE day BETWEEN $1 AND $2 GROUP BY iccid ORDER BY sum(volume_total) DESC, iccid LIMIT $3`,
		pgDay(from), pgDay(to), fleet.ClampLimit(limit))
	if err != nil {
		return nil, translate(err, "top consumers")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fleet.UsageSummary, error) {
		u := fleet.UsageSummary{From: from, To: to}
		err := r.Scan(&u.ICCID, &u.Days, &u.VolumeRx, &u.VolumeTx, &u.VolumeTotal, &u.SMSMO, &u.SMSMT, &u.Cost)
		return u, err
	})
	return out, translate(err, "top consumers")
}
