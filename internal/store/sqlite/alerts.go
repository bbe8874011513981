package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const alertRuleCols = `id, name, kind, params, channels, cooldown_s, enabled, created_at, updated_at`

func scanAlertRule(row rowScanner, r *fleet.AlertRule) error {
	var kind string
	var params, channels []byte
	var cooldown int64
	if err := row.Scan(&r.ID, &r.Name, &kind, &params, &channels, &cooldown, &r.Enabled, scanTime(&r.Created), scanTime(&r.Updated)); err != nil {
		return err
	}
	r.Kind, r.Params, r.Channels, r.Cooldown = fleet.AlertKind(kind), params, channels, time.Duration(cooldown)*time.Second
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
	_, err := s.db.ExecContext(ctx, `INSERT INTO alert_rules (id, name, kind, params, channels, cooldown_s, enabled, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, r.ID, r.Name, string(r.Kind), string(r.Params), string(r.Channels),
		int64(r.Cooldown/time.Second), r.Enabled, formatTime(now))
	if err != nil {
		return translate(err, "create alert rule")
	}
	r.Created, r.Updated = now, now
	return nil
}

// AlertRuleByID finds a rule.
func (s *Store) AlertRuleByID(ctx context.Context, id string) (*fleet.AlertRule, error) {
	var r fleet.AlertRule
	if err := scanAlertRule(s.db.QueryRowContext(ctx, `SELECT `+alertRuleCols+` FROM alert_rules WHERE id = $1`, id), &r); err != nil {
		return nil, translate(err, "get alert rule "+id)
	}
	return &r, nil
}

// ListAlertRules returns the rules ordered by name; enabledOnly is what the evaluator asks for.
func (s *Store) ListAlertRules(ctx context.Context, enabledOnly bool) ([]fleet.AlertRule, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+alertRuleCols+` FROM alert_rules WHERE enabled OR NOT $1 ORDER BY name, id`, enabledOnly)
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
	err := s.db.QueryRowContext(ctx, `UPDATE alert_rules SET name = $2, kind = $3, params = $4, channels = $5, cooldown_s = $6, enabled = $7, updated_at = $8
		WHERE id = $1 RETURNING created_at`, r.ID, r.Name, string(r.Kind), string(r.Params), string(r.Channels),
		int64(r.Cooldown/time.Second), r.Enabled, formatTime(now)).Scan(scanTime(&r.Created))
	if err != nil {
		return translate(err, "update alert rule "+r.ID)
	}
	r.Updated = now
	return nil
}

// DeleteAlertRule removes a rule; its alerts stay in the history with no rule.
func (s *Store) DeleteAlertRule(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM alert_rules WHERE id = $1`, id)
	if err != nil {
		return translate(err, "delete alert rule "+id)
	}
	return expectOne(res, "delete alert rule "+id)
}

const alertCols = `id, COALESCE(rule_id, ''), kind, iccid, dedup_key, severity, message, detail, fired_at, resolved_at, acknowledged_at, acknowledged_by, resolved_by`

func scanAlert(row rowScanner, a *fleet.Alert) error {
	var kind string
	var detail []byte
	if err := row.Scan(&a.ID, &a.RuleID, &kind, &a.ICCID, &a.DedupKey, &a.Severity, &a.Message, &detail, scanTime(&a.FiredAt),
		scanOptionalTime(&a.ResolvedAt), scanOptionalTime(&a.AcknowledgedAt), &a.AcknowledgedBy, &a.ResolvedBy); err != nil {
		return err
	}
	a.Kind, a.Detail = fleet.AlertKind(kind), detail
	return nil
}

// InsertAlert stores a new alert unless one with the same dedup key fired within cooldown
// before a.FiredAt (zero: now); it reports whether it inserted. Check and insert run in one
// immediate transaction, so concurrent evaluators raise one alert, not one each.
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
	if err := scanAlert(s.db.QueryRowContext(ctx, `SELECT `+alertCols+` FROM alerts WHERE id = $1`, id), &a); err != nil {
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
		w.add("fired_at >= ?", formatTime(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("fired_at < ?", formatTime(f.Until))
	}
	total, err := s.countWhere(ctx, "alerts", &w, "list alerts")
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+alertCols+` FROM alerts`+w.sql()+` ORDER BY fired_at DESC, id DESC`+w.page(f.Limit, f.Offset), w.args...)
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
	res, err := s.db.ExecContext(ctx, `UPDATE alerts SET acknowledged_at = COALESCE(acknowledged_at, $2),
		acknowledged_by = CASE WHEN acknowledged_at IS NULL THEN $3 ELSE acknowledged_by END WHERE id = $1`, id, formatTime(at), by)
	if err != nil {
		return translate(err, "acknowledge alert")
	}
	return expectOne(res, "acknowledge alert")
}

// ResolveAlert marks an alert resolved; resolving twice keeps the first time.
func (s *Store) ResolveAlert(ctx context.Context, id int64, at time.Time) error {
	return s.ResolveAlertBy(ctx, id, "", at)
}

// ResolveAlertsByDedupKey resolves every open alert with the key (the condition cleared, e.g.
// connectivity restored) and returns how many.
func (s *Store) ResolveAlertsByDedupKey(ctx context.Context, key string, at time.Time) (int, error) {
	// Conditions are seen clear far more often than they clear an open alert: a read answers
	// those without taking the write lock.
	var open bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM alerts WHERE dedup_key = $1 AND resolved_at IS NULL)`, key).Scan(&open); err != nil {
		return 0, translate(err, "resolve alerts")
	}
	if !open {
		return 0, nil
	}
	res, err := s.db.ExecContext(ctx, `UPDATE alerts SET resolved_at = $2 WHERE dedup_key = $1 AND resolved_at IS NULL`, key, formatTime(at))
	if err != nil {
		return 0, translate(err, "resolve alerts")
	}
	return rowsAffected(res, "resolve alerts")
}

// DeleteResolvedAlertsBefore removes resolved alerts that fired before before (retention) and
// returns how many; open alerts stay however old, since someone still has to act on them.
func (s *Store) DeleteResolvedAlertsBefore(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM alerts WHERE resolved_at IS NOT NULL AND fired_at < $1`, formatTime(before))
	if err != nil {
		return 0, translate(err, "delete old alerts")
	}
	return rowsAffected(res, "delete old alerts")
}

// ResolveAlertBy marks an alert resolved by a person; resolving twice keeps the first.
func (s *Store) ResolveAlertBy(ctx context.Context, id int64, by string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE alerts SET resolved_by = CASE WHEN resolved_at IS NULL THEN $3 ELSE resolved_by END,
		resolved_at = COALESCE(resolved_at, $2) WHERE id = $1`, id, formatTime(at), by)
	if err != nil {
		return translate(err, "resolve alert")
	}
	return expectOne(res, "resolve alert")
}

// ResolveOpenAlerts resolves the open alerts whose dedup key is among keys and returns the keys
// it resolved (each once). The alert engine asks this once per event for every rule the event
// clears; usually nothing is open, which a read answers without the write lock.
func (s *Store) ResolveOpenAlerts(ctx context.Context, keys []string, at time.Time) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT dedup_key FROM alerts WHERE resolved_at IS NULL AND dedup_key IN `+inList(len(keys)), stringArgs(keys)...)
	if err != nil {
		return nil, translate(err, "resolve alerts")
	}
	open, err := scanAll(rows, "resolve alerts", func(r rowScanner, k *string) error { return r.Scan(k) })
	if err != nil || len(open) == 0 {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, `UPDATE alerts SET resolved_at = ? WHERE resolved_at IS NULL AND dedup_key IN `+inList(len(open))+` RETURNING dedup_key`,
		append([]any{formatTime(at)}, stringArgs(open)...)...)
	if err != nil {
		return nil, translate(err, "resolve alerts")
	}
	done, err := scanAll(rows, "resolve alerts", func(r rowScanner, k *string) error { return r.Scan(k) })
	if err != nil {
		return nil, err
	}
	return uniqueStrings(done), nil
}

// stringArgs is vs as query arguments.
func stringArgs(vs []string) []any {
	args := make([]any, len(vs))
	for i, v := range vs {
		args[i] = v
	}
	return args
}

func uniqueStrings(vs []string) []string {
	slices.Sort(vs)
	return slices.Compact(vs)
}

// InsertAlerts is InsertAlert for several alerts at once (cooldowns[i] for as[i]), in one
// transaction: what one event raises across its rules costs one commit, not one each. It
// reports which it inserted.
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
	// One read finds the alerts still within their cool-down; only the rest take the lock.
	keys := make([]string, len(as))
	for i, a := range as {
		keys[i] = a.DedupKey
	}
	keys = uniqueStrings(keys)
	rows, err := s.db.QueryContext(ctx, `SELECT dedup_key, MAX(fired_at) FROM alerts WHERE dedup_key IN `+inList(len(keys))+` GROUP BY dedup_key`, stringArgs(keys)...)
	if err != nil {
		return nil, translate(err, "insert alerts: dedup")
	}
	type last struct {
		key string
		at  time.Time
	}
	lasts, err := scanAll(rows, "insert alerts: dedup", func(r rowScanner, l *last) error { return r.Scan(&l.key, scanTime(&l.at)) })
	if err != nil {
		return nil, err
	}
	latest := make(map[string]time.Time, len(lasts))
	for _, l := range lasts {
		latest[l.key] = l.at
	}
	var todo []int
	for i, a := range as {
		if t, ok := latest[a.DedupKey]; ok && t.After(a.FiredAt.Add(-cooldowns[i])) {
			continue
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return out, nil
	}
	err = s.transact(ctx, "insert alerts", func(tx *sql.Tx) (bool, error) {
		clear(out)
		for _, i := range todo {
			a := as[i]
			var recent bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM alerts WHERE dedup_key = $1 AND fired_at > $2)`,
				a.DedupKey, formatTime(a.FiredAt.Add(-cooldowns[i]))).Scan(&recent); err != nil {
				return false, translate(err, "insert alerts: dedup")
			}
			if recent {
				continue
			}
			var ruleID any
			if a.RuleID != "" {
				ruleID = a.RuleID
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO alerts (rule_id, kind, iccid, dedup_key, severity, message, detail, fired_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, ruleID, string(a.Kind), a.ICCID, a.DedupKey, a.Severity, a.Message,
				string(a.Detail), formatTime(a.FiredAt)).Scan(&a.ID); err != nil {
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
