package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// alertLockClass is the first key of the two-key advisory locks that serialise alert inserts
// per dedup key; the two-key space is separate from the one-key locks other components take.
const alertLockClass = 0x0a1e

const alertRuleCols = `id, name, kind, params, channels, cooldown_s, enabled, created_at, updated_at`

func scanAlertRule(row pgx.Row, r *fleet.AlertRule) error {
	var kind string
	var params, channels []byte
	var cooldown int64
	if err := row.Scan(&r.ID, &r.Name, &kind, &params, &channels, &cooldown, &r.Enabled, &r.Created, &r.Updated); err != nil {
		return err
	}
	r.Kind, r.Params, r.Channels, r.Cooldown = fleet.AlertKind(kind), params, channels, time.Duration(cooldown)*time.Second
	toUTC(&r.Created, &r.Updated)
	return nil
}

// CreateAlertRule stores a new rule; an empty ID is generated.
func (s *Store) CreateAlertRule(ctx context.Context, r *fleet.AlertRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.ID == "" {
		r.ID = fleet.NewRecordID()
	}
	r.Params, r.Channels = fleet.JSONOr(r.Params, "{}"), fleet.JSONOr(r.Channels, "[]")
	now := clockNow()
	_, err := s.pool.Exec(ctx, `INSERT INTO alert_rules (id, name, kind, params, channels, cooldown_s, enabled, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, r.ID, r.Name, string(r.Kind), []byte(r.Params), []byte(r.Channels),
		int64(r.Cooldown/time.Second), r.Enabled, now)
	if err != nil {
		return translate(err, "create alert rule")
	}
	r.Created, r.Updated = now, now
	return nil
}

// AlertRuleByID finds a rule.
func (s *Store) AlertRuleByID(ctx context.Context, id string) (*fleet.AlertRule, error) {
	var r fleet.AlertRule
	if err := scanAlertRule(s.pool.QueryRow(ctx, `SELECT `+alertRuleCols+` FROM alert_rules WHERE id = $1`, id), &r); err != nil {
		return nil, translate(err, "get alert rule "+id)
	}
	return &r, nil
}

// ListAlertRules returns the rules ordered by name; enabledOnly is what the evaluator asks for.
func (s *Store) ListAlertRules(ctx context.Context, enabledOnly bool) ([]fleet.AlertRule, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+alertRuleCols+` FROM alert_rules WHERE enabled OR NOT $1 ORDER BY name, id`, enabledOnly)
	if err != nil {
		return nil, translate(err, "list alert rules")
	}
	return scanAll(rows, "list alert rules", scanAlertRule)
}

// UpdateAlertRule saves every field of an existing rule.
func (s *Store) UpdateAlertRule(ctx context.Context, r *fleet.AlertRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	r.Params, r.Channels = fleet.JSONOr(r.Params, "{}"), fleet.JSONOr(r.Channels, "[]")
	now := clockNow()
	err := s.pool.QueryRow(ctx, `UPDATE alert_rules SET name = $2, kind = $3, params = $4, channels = $5, cooldown_s = $6, enabled = $7, updated_at = $8
		WHERE id = $1 RETURNING created_at`, r.ID, r.Name, string(r.Kind), []byte(r.Params), []byte(r.Channels),
		int64(r.Cooldown/time.Second), r.Enabled, now).Scan(&r.Created)
	if err != nil {
		return translate(err, "update alert rule "+r.ID)
	}
	r.Updated = now
	toUTC(&r.Created)
	return nil
}

// DeleteAlertRule removes a rule; its alerts stay in the history with no rule.
func (s *Store) DeleteAlertRule(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM alert_rules WHERE id = $1`, id)
	if err != nil {
		return translate(err, "delete alert rule "+id)
	}
	return expectOne(tag.RowsAffected(), "delete alert rule "+id)
}

const alertCols = `id, COALESCE(rule_id, ''), kind, iccid, dedup_key, severity, message, detail, fired_at, resolved_at, acknowledged_at, acknowledged_by, resolved_by`

func scanAlert(row pgx.Row, a *fleet.Alert) error {
	var kind string
	var detail []byte
	if err := row.Scan(&a.ID, &a.RuleID, &kind, &a.ICCID, &a.DedupKey, &a.Severity, &a.Message, &detail, &a.FiredAt, &a.ResolvedAt, &a.AcknowledgedAt, &a.AcknowledgedBy, &a.ResolvedBy); err != nil {
		return err
	}
	a.Kind, a.Detail = fleet.AlertKind(kind), detail
	toUTC(&a.FiredAt, a.ResolvedAt, a.AcknowledgedAt)
	return nil
}

// InsertAlert stores a new alert unless one with the same dedup key fired within cooldown
// before a.FiredAt (zero: now); it reports whether it inserted. Check and insert hold a lock on
// the dedup key, so concurrent evaluators raise one alert, not one each.
func (s *Store) InsertAlert(ctx context.Context, a *fleet.Alert, cooldown time.Duration) (bool, error) {
	ok, err := s.InsertAlerts(ctx, []*fleet.Alert{a}, []time.Duration{cooldown})
	if err != nil {
		return false, err
	}
	return ok[0], nil
}

// AlertByID finds an alert.
func (s *Store) AlertByID(ctx context.Context, id int64) (*fleet.Alert, error) {
	var a fleet.Alert
	if err := scanAlert(s.pool.QueryRow(ctx, `SELECT `+alertCols+` FROM alerts WHERE id = $1`, id), &a); err != nil {
		return nil, translate(err, "get alert")
	}
	return &a, nil
}

// ListAlerts returns one page of matching alerts, newest first, and the number that match.
func (s *Store) ListAlerts(ctx context.Context, f fleet.AlertFilter) ([]fleet.Alert, int, error) {
	var w whereClause
	if f.RuleID != "" {
		w.add("rule_id = ?", f.RuleID)
	}
	if f.ICCID != "" {
		w.add("iccid = ?", f.ICCID)
	}
	if f.Kind != "" {
		w.add("kind = ?", string(f.Kind))
	}
	if f.OpenOnly {
		w.addRaw("resolved_at IS NULL")
	}
	if f.Unacknowledged {
		w.addRaw("acknowledged_at IS NULL")
	}
	if f.ResolvedOnly {
		w.addRaw("resolved_at IS NOT NULL")
	}
	if f.Acknowledged {
		w.addRaw("acknowledged_at IS NOT NULL")
	}
	if !f.Since.IsZero() {
		w.add("fired_at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		w.add("fired_at < ?", f.Until)
	}
	total, err := s.countWhere(ctx, "alerts", &w, "list alerts")
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+alertCols+` FROM alerts`+w.sql()+` ORDER BY fired_at DESC, id DESC`+w.page(f.Limit, f.Offset), w.args...)
	if err != nil {
		return nil, 0, translate(err, "list alerts")
	}
	out, err := scanAll(rows, "list alerts", scanAlert)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// AcknowledgeAlert marks an alert seen; acknowledging twice keeps the first acknowledgement.
func (s *Store) AcknowledgeAlert(ctx context.Context, id int64, by string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE alerts SET acknowledged_at = COALESCE(acknowledged_at, $2),
		acknowledged_by = CASE WHEN acknowledged_at IS NULL THEN $3 ELSE acknowledged_by END WHERE id = $1`, id, at, by)
	if err != nil {
		return translate(err, "acknowledge alert")
	}
	return expectOne(tag.RowsAffected(), "acknowledge alert")
}

// ResolveAlert marks an alert resolved; resolving twice keeps the first time.
func (s *Store) ResolveAlert(ctx context.Context, id int64, at time.Time) error {
	return s.ResolveAlertBy(ctx, id, "", at)
}

// ResolveAlertsByDedupKey resolves every open alert with the key (the condition cleared, e.g.
// connectivity restored) and returns how many.
func (s *Store) ResolveAlertsByDedupKey(ctx context.Context, key string, at time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE alerts SET resolved_at = $2 WHERE dedup_key = $1 AND resolved_at IS NULL`, key, at)
	if err != nil {
		return 0, translate(err, "resolve alerts")
	}
	return int(tag.RowsAffected()), nil
}

// DeleteResolvedAlertsBefore removes resolved alerts that fired before before (retention) and
// returns how many; open alerts stay however old, since someone still has to act on them.
func (s *Store) DeleteResolvedAlertsBefore(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM alerts WHERE resolved_at IS NOT NULL AND fired_at < $1`, before)
	if err != nil {
		return 0, translate(err, "delete old alerts")
	}
	return int(tag.RowsAffected()), nil
}

// ResolveAlertBy marks an alert resolved by a person; resolving twice keeps the first.
func (s *Store) ResolveAlertBy(ctx context.Context, id int64, by string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE alerts SET resolved_by = CASE WHEN resolved_at IS NULL THEN $3 ELSE resolved_by END,
		resolved_at = COALESCE(resolved_at, $2) WHERE id = $1`, id, at, by)
	if err != nil {
		return translate(err, "resolve alert")
	}
	return expectOne(tag.RowsAffected(), "resolve alert")
}

// ResolveOpenAlerts resolves the open alerts whose dedup key is among keys and returns the keys
// it resolved (each once). The alert engine asks this once per event for every rule the event
// clears.
func (s *Store) ResolveOpenAlerts(ctx context.Context, keys []string, at time.Time) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `UPDATE alerts SET resolved_at = $2 WHERE dedup_key = ANY($1) AND resolved_at IS NULL RETURNING dedup_key`, keys, at)
	if err != nil {
		return nil, translate(err, "resolve alerts")
	}
	done, err := scanAll(rows, "resolve alerts", func(r pgx.Row, k *string) error { return r.Scan(k) })
	if err != nil {
		return nil, err
	}
	slices.Sort(done)
	return slices.Compact(done), nil
}

// InsertAlerts is InsertAlert for several alerts at once (cooldowns[i] for as[i]), in one
// transaction holding the keys' locks (taken in key order, so two batches cannot deadlock): what
// one event raises across its rules costs one commit, not one each. It reports which it
// inserted.
func (s *Store) InsertAlerts(ctx context.Context, as []*fleet.Alert, cooldowns []time.Duration) ([]bool, error) {
	if len(as) != len(cooldowns) {
		return nil, fleet.Invalid("cooldowns", "want one per alert")
	}
	now := clockNow()
	for _, a := range as {
		if err := a.Validate(); err != nil {
			return nil, err
		}
		a.FillDefaults(now)
	}
	out := make([]bool, len(as))
	if len(as) == 0 {
		return out, nil
	}
	keys := make([]string, len(as))
	for i, a := range as {
		keys[i] = a.DedupKey
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	err := s.transact(ctx, "insert alerts", func(tx pgx.Tx) (bool, error) {
		clear(out)
		for _, k := range keys {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, alertLockClass, k); err != nil {
				return false, translate(err, "insert alerts: lock")
			}
		}
		for i, a := range as {
			var recent bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM alerts WHERE dedup_key = $1 AND fired_at > $2)`,
				a.DedupKey, a.FiredAt.Add(-cooldowns[i])).Scan(&recent); err != nil {
				return false, translate(err, "insert alerts: dedup")
			}
			if recent {
				continue
			}
			var ruleID any
			if a.RuleID != "" {
				ruleID = a.RuleID
			}
			if err := tx.QueryRow(ctx, `INSERT INTO alerts (rule_id, kind, iccid, dedup_key, severity, message, detail, fired_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, ruleID, string(a.Kind), a.ICCID, a.DedupKey, a.Severity, a.Message,
				[]byte(a.Detail), a.FiredAt).Scan(&a.ID); err != nil {
				return false, translate(err, "insert alerts")
			}
			out[i] = true
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
