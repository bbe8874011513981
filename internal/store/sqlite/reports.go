package sqlite

import (
	"context"
	"time"

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
	err := s.db.QueryRowContext(ctx, `INSERT INTO reports (id, kind, period_start, period_end, created_at, body_json, body_csv)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, period_start) DO UPDATE SET period_end = excluded.period_end, created_at = excluded.created_at,
			body_json = excluded.body_json, body_csv = excluded.body_csv
		RETURNING id`, r.ID, r.Kind, formatTime(r.PeriodStart), formatTime(r.PeriodEnd), formatTime(r.CreatedAt), string(r.JSON), r.CSV).Scan(&r.ID)
	return translate(err, "put report")
}

// ReportByID returns one report with its bodies.
func (s *Store) ReportByID(ctx context.Context, id string) (*fleet.Report, error) {
	var r fleet.Report
	var body string
	err := s.db.QueryRowContext(ctx, `SELECT id, kind, period_start, period_end, created_at, body_json, body_csv FROM reports WHERE id = ?`, id).
		Scan(&r.ID, &r.Kind, scanTime(&r.PeriodStart), scanTime(&r.PeriodEnd), scanTime(&r.CreatedAt), &body, &r.CSV)
	if err != nil {
		return nil, translate(err, "get report "+id)
	}
	r.JSON = []byte(body)
	return &r, nil
}

// ListReports returns one page of reports without their bodies, newest first, and how many
// there are.
func (s *Store) ListReports(ctx context.Context, limit, offset int) ([]fleet.Report, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM reports`).Scan(&total); err != nil {
		return nil, 0, translate(err, "count reports")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, period_start, period_end, created_at FROM reports
		ORDER BY created_at DESC, id LIMIT ? OFFSET ?`, fleet.ClampLimit(limit), max(offset, 0))
	if err != nil {
		return nil, 0, translate(err, "list reports")
	}
	defer rows.Close()
	out := []fleet.Report{}
	for rows.Next() {
		var r fleet.Report
		if err := rows.Scan(&r.ID, &r.Kind, scanTime(&r.PeriodStart), scanTime(&r.PeriodEnd), scanTime(&r.CreatedAt)); err != nil {
			return nil, 0, translate(err, "list reports")
		}
		out = append(out, r)
	}
	return out, total, translate(rows.Err(), "list reports")
}

// DeleteReportsBefore removes reports created before before (retention) and returns how many.
func (s *Store) DeleteReportsBefore(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM reports WHERE created_at < ?`, formatTime(before))
	if err != nil {
		return 0, translate(err, "delete reports")
	}
	n, err := res.RowsAffected()
	return int(n), translate(err, "delete reports")
}

// PendingSMS returns up to limit MT-SMS oncefleet sent that 1NCE has not reported final yet,
// least recently checked first (the SMS delivery tracking polls them).
func (s *Store) PendingSMS(ctx context.Context, limit int) ([]fleet.SMS, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+smsColumns+` FROM sms_messages
		WHERE status = 'PENDING' AND sent_by <> '' ORDER BY updated_at LIMIT ?`, fleet.ClampLimit(limit))
	if err != nil {
		return nil, translate(err, "pending sms")
	}
	defer rows.Close()
	var out []fleet.SMS
	for rows.Next() {
		m, err := scanSMS(rows)
		if err != nil {
			return nil, translate(err, "pending sms")
		}
		out = append(out, m)
	}
	return out, translate(rows.Err(), "pending sms")
}

// TopConsumers returns the limit SIMs that used the most data over the inclusive day range,
// most first, with their totals.
func (s *Store) TopConsumers(ctx context.Context, from, to time.Time, limit int) ([]fleet.UsageSummary, error) {
	from, to, err := fleet.ValidateDayRange(from, to)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT iccid, count(*), sum(volume_rx), sum(volume_tx), sum(volume_total),
		sum(sms_mo), sum(sms_mt), CAST(sum(cost) AS REAL)
		FROM sim_usage WHERE day BETWEEN ? AND ? GROUP BY iccid ORDER BY sum(volume_total) DESC, iccid LIMIT ?`,
		dayText(from), dayText(to), fleet.ClampLimit(limit))
	if err != nil {
		return nil, translate(err, "top consumers")
	}
	defer rows.Close()
	var out []fleet.UsageSummary
	for rows.Next() {
		u := fleet.UsageSummary{From: from, To: to}
		if err := rows.Scan(&u.ICCID, &u.Days, &u.VolumeRx, &u.VolumeTx, &u.VolumeTotal, &u.SMSMO, &u.SMSMT, &u.Cost); err != nil {
			return nil, translate(err, "top consumers")
		}
		out = append(out, u)
	}
	return out, translate(rows.Err(), "top consumers")
}
