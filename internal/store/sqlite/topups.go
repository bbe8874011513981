package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const topUpPolicyCols = `iccid, enabled, threshold_pct, max_per_month, created_at, updated_at`

func scanTopUpPolicy(row rowScanner, p *fleet.TopUpPolicy) error {
	return row.Scan(&p.ICCID, &p.Enabled, &p.ThresholdPct, &p.MaxPerMonth, scanTime(&p.CreatedAt), scanTime(&p.UpdatedAt))
}

// PutTopUpPolicy creates or replaces the policy of p.ICCID (fleet.FleetDefault for the fleet).
func (s *Store) PutTopUpPolicy(ctx context.Context, p *fleet.TopUpPolicy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	now := clockNow()
	err := s.db.QueryRowContext(ctx, `INSERT INTO topup_policies (iccid, enabled, threshold_pct, max_per_month, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (iccid) DO UPDATE SET enabled = excluded.enabled, threshold_pct = excluded.threshold_pct,
			max_per_month = excluded.max_per_month, updated_at = excluded.updated_at
		RETURNING created_at, updated_at`, p.ICCID, p.Enabled, p.ThresholdPct, p.MaxPerMonth, formatTime(now)).
		Scan(scanTime(&p.CreatedAt), scanTime(&p.UpdatedAt))
	return translate(err, "put top-up policy "+p.ICCID)
}

// TopUpPolicyByICCID returns the policy stored for exactly this ICCID.
func (s *Store) TopUpPolicyByICCID(ctx context.Context, iccid string) (*fleet.TopUpPolicy, error) {
	var p fleet.TopUpPolicy
	if err := scanTopUpPolicy(s.db.QueryRowContext(ctx, `SELECT `+topUpPolicyCols+` FROM topup_policies WHERE iccid = $1`, iccid), &p); err != nil {
		return nil, translate(err, "get top-up policy "+iccid)
	}
	return &p, nil
}

// EffectiveTopUpPolicy returns the SIM's own policy, else the fleet default, else not-found.
func (s *Store) EffectiveTopUpPolicy(ctx context.Context, iccid string) (*fleet.TopUpPolicy, error) {
	var p fleet.TopUpPolicy
	err := scanTopUpPolicy(s.db.QueryRowContext(ctx, `SELECT `+topUpPolicyCols+` FROM topup_policies WHERE iccid IN ($1, $2)
		ORDER BY iccid = $2 LIMIT 1`, iccid, fleet.FleetDefault), &p)
	if err != nil {
		return nil, translate(err, "get effective top-up policy "+iccid)
	}
	return &p, nil
}

// ListTopUpPolicies returns every policy ordered by ICCID (the fleet default first).
func (s *Store) ListTopUpPolicies(ctx context.Context) ([]fleet.TopUpPolicy, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+topUpPolicyCols+` FROM topup_policies ORDER BY iccid = $1 DESC, iccid`, fleet.FleetDefault)
	if err != nil {
		return nil, translate(err, "list top-up policies")
	}
	return scanAll(rows, "list top-up policies", scanTopUpPolicy)
}

// DeleteTopUpPolicy removes the policy of one ICCID.
func (s *Store) DeleteTopUpPolicy(ctx context.Context, iccid string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM topup_policies WHERE iccid = $1`, iccid)
	if err != nil {
		return translate(err, "delete top-up policy "+iccid)
	}
	return expectOne(res, "delete top-up policy "+iccid)
}

const topUpCols = `id, iccid, idempotency_key, reason, COALESCE(job_id, ''), state, error, requested_by, created_at, updated_at`

func scanTopUp(row rowScanner, t *fleet.TopUp) error {
	var reason, state string
	if err := row.Scan(&t.ID, &t.ICCID, &t.IdempotencyKey, &reason, &t.JobID, &state, &t.Error, &t.RequestedBy,
		scanTime(&t.CreatedAt), scanTime(&t.UpdatedAt)); err != nil {
		return err
	}
	t.Reason, t.State = fleet.TopUpReason(reason), fleet.TopUpState(state)
	return nil
}

// ReserveTopUp records t as pending under its idempotency key before 1NCE is called, and
// reports whether this call made the reservation. When the key was used before, *t is replaced
// by the existing record and reserved is false: the caller must not call 1NCE again. A key
// reused for another SIM is a conflict. Concurrent calls with one key reserve exactly once.
func (s *Store) ReserveTopUp(ctx context.Context, t *fleet.TopUp) (reserved bool, err error) {
	if err := t.Validate(); err != nil {
		return false, err
	}
	var jobID any
	if t.JobID != "" {
		jobID = t.JobID
	}
	now := clockNow()
	err = scanTopUp(s.db.QueryRowContext(ctx, `INSERT INTO topups (iccid, idempotency_key, reason, job_id, state, requested_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING `+topUpCols,
		t.ICCID, t.IdempotencyKey, string(t.Reason), jobID, string(fleet.TopUpPending), t.RequestedBy, formatTime(now)), t)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, translate(err, "reserve top-up")
	}
	// Writes are serialised, so the row that made the insert a no-op is committed and visible.
	var existing fleet.TopUp
	if err := scanTopUp(s.db.QueryRowContext(ctx, `SELECT `+topUpCols+` FROM topups WHERE idempotency_key = $1`, t.IdempotencyKey), &existing); err != nil {
		return false, translate(err, "reserve top-up: read existing")
	}
	if existing.ICCID != t.ICCID {
		return false, fleet.Errorf(fleet.CodeConflict, "idempotency key already used for another SIM")
	}
	*t = existing
	return false, nil
}

// TopUpByKey finds a top-up by its idempotency key.
func (s *Store) TopUpByKey(ctx context.Context, key string) (*fleet.TopUp, error) {
	var t fleet.TopUp
	if err := scanTopUp(s.db.QueryRowContext(ctx, `SELECT `+topUpCols+` FROM topups WHERE idempotency_key = $1`, key), &t); err != nil {
		return nil, translate(err, "get top-up")
	}
	return &t, nil
}

// MarkTopUp moves the top-up with key to state, recording errMsg, and returns it. A move the
// state machine forbids (e.g. sent → failed) is a conflict and changes nothing; marking the
// state it already has is a no-op, so a retried worker step is harmless.
func (s *Store) MarkTopUp(ctx context.Context, key string, state fleet.TopUpState, errMsg string) (*fleet.TopUp, error) {
	if err := fleet.ValidateTopUpMark(state); err != nil {
		return nil, err
	}
	args := []any{key, string(state), errMsg, formatTime(clockNow())}
	var marks []string
	for _, f := range fleet.TopUpSourcesFrom(state) {
		args = append(args, string(f))
		marks = append(marks, fmt.Sprintf("$%d", len(args)))
	}
	var t fleet.TopUp
	err := scanTopUp(s.db.QueryRowContext(ctx, `UPDATE topups SET state = $2, error = $3, updated_at = $4
		WHERE idempotency_key = $1 AND state IN (`+strings.Join(marks, ", ")+`) RETURNING `+topUpCols, args...), &t)
	if err == nil {
		return &t, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, translate(err, "mark top-up")
	}
	cur, gerr := s.TopUpByKey(ctx, key)
	if gerr != nil {
		return nil, gerr
	}
	if cur.State == state {
		return cur, nil
	}
	return nil, fmt.Errorf("mark top-up: %w", fleet.Errorf(fleet.CodeConflict, "top-up is %s, cannot become %s", cur.State, state))
}

// CountTopUps counts the SIM's top-ups (the whole fleet's for an empty iccid) created in the
// calendar month (UTC) containing month that did or may have cost money (failed ones did
// not), for the auto top-up monthly caps; reason narrows the count when set.
func (s *Store) CountTopUps(ctx context.Context, iccid string, month time.Time, reason fleet.TopUpReason) (int, error) {
	start, end := fleet.MonthRange(month)
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM topups WHERE ($1 = '' OR iccid = $1) AND created_at >= $2 AND created_at < $3
		AND state <> $4 AND ($5 = '' OR reason = $5)`, iccid, formatTime(start), formatTime(end), string(fleet.TopUpFailed), string(reason)).Scan(&n)
	if err != nil {
		return 0, translate(err, "count top-ups")
	}
	return n, nil
}

// ListTopUps returns one page of matching top-ups, newest first, and the number that match.
func (s *Store) ListTopUps(ctx context.Context, f fleet.TopUpFilter) ([]fleet.TopUp, int, error) {
	var w whereClause
	if f.ICCID != "" {
		w.add("iccid = ?", f.ICCID)
	}
	if f.JobID != "" {
		w.add("job_id = ?", f.JobID)
	}
	if f.State != "" {
		w.add("state = ?", string(f.State))
	}
	total, err := s.countWhere(ctx, "topups", &w, "list top-ups")
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+topUpCols+` FROM topups`+w.sql()+` ORDER BY created_at DESC, id DESC`+w.page(f.Limit, f.Offset), w.args...)
	if err != nil {
		return nil, 0, translate(err, "list top-ups")
	}
	out, err := scanAll(rows, "list top-ups", scanTopUp)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
