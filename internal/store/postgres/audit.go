package postgres

import (
	"context"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// AppendAudit adds an entry to the audit log; a zero At means now. ID and At are set.
func (s *Store) AppendAudit(ctx context.Context, e *fleet.AuditEntry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = clockNow()
	}
	e.Detail = fleet.JSONOr(e.Detail, "{}")
	err := s.pool.QueryRow(ctx, `INSERT INTO audit_log (at, actor, action, target, request_id, result, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, e.At, e.Actor, e.Action, e.Target, e.RequestID, e.Result, []byte(e.Detail)).Scan(&e.ID)
	return translate(err, "append audit")
}

// ListAudit returns one page of matching entries, newest first, and the number that match.
func (s *Store) ListAudit(ctx context.Context, f fleet.AuditFilter) ([]fleet.AuditEntry, int, error) {
	var w whereClause
	if f.Actor != "" {
		w.add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if f.Target != "" {
		w.add("target = ?", f.Target)
	}
	if !f.Since.IsZero() {
		w.add("at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		w.add("at < ?", f.Until)
	}
	total, err := s.countWhere(ctx, "audit_log", &w, "list audit")
	if err != nil {
		return nil, 0, err
	}
	q := `SELECT id, at, actor, action, target, request_id, result, detail FROM audit_log` + w.sql() +
		` ORDER BY at DESC, id DESC` + w.page(f.Limit, f.Offset)
	rows, err := s.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, 0, translate(err, "list audit")
	}
	defer rows.Close()
	var out []fleet.AuditEntry
	for rows.Next() {
		var e fleet.AuditEntry
		var detail []byte
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &e.RequestID, &e.Result, &detail); err != nil {
			return nil, 0, translate(err, "list audit")
		}
		e.Detail = detail
		toUTC(&e.At)
		out = append(out, e)
	}
	return out, total, translate(rows.Err(), "list audit")
}

// DeleteAuditBefore removes audit entries older than before (retention) and returns how many.
func (s *Store) DeleteAuditBefore(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM audit_log WHERE at < $1`, before)
	if err != nil {
		return 0, translate(err, "delete old audit entries")
	}
	return int(tag.RowsAffected()), nil
}
