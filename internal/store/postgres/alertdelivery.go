package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const alertChannelCols = `id, name, type, config, created_at, updated_at`

func scanAlertChannel(row pgx.Row, c *fleet.AlertChannel) error {
	var typ string
	var cfg []byte
	if err := row.Scan(&c.ID, &c.Name, &typ, &cfg, &c.Created, &c.Updated); err != nil {
		return err
	}
	c.Type, c.Config = fleet.AlertChannelType(typ), cfg
	toUTC(&c.Created, &c.Updated)
	return nil
}

// CreateAlertChannel stores a new channel; an empty ID is generated.
func (s *Store) CreateAlertChannel(ctx context.Context, c *fleet.AlertChannel) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.ID == "" {
		c.ID = fleet.NewRecordID()
	}
	c.Config = fleet.JSONOr(c.Config, "{}")
	now := clockNow()
	_, err := s.pool.Exec(ctx, `INSERT INTO alert_channels (id, name, type, config, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)`, c.ID, c.Name, string(c.Type), []byte(c.Config), now)
	if err != nil {
		return translate(err, "create alert channel")
	}
	c.Created, c.Updated = now, now
	return nil
}

// AlertChannelByID finds a channel.
func (s *Store) AlertChannelByID(ctx context.Context, id string) (*fleet.AlertChannel, error) {
	var c fleet.AlertChannel
	if err := scanAlertChannel(s.pool.QueryRow(ctx, `SELECT `+alertChannelCols+` FROM alert_channels WHERE id = $1`, id), &c); err != nil {
		return nil, translate(err, "get alert channel "+id)
	}
	return &c, nil
}

// ListAlertChannels returns every channel by name.
func (s *Store) ListAlertChannels(ctx context.Context) ([]fleet.AlertChannel, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+alertChannelCols+` FROM alert_channels ORDER BY name, id`)
	if err != nil {
		return nil, translate(err, "list alert channels")
	}
	return scanAll(rows, "list alert channels", scanAlertChannel)
}

// UpdateAlertChannel saves every field of an existing channel.
func (s *Store) UpdateAlertChannel(ctx context.Context, c *fleet.AlertChannel) error {
	if err := c.Validate(); err != nil {
		return err
	}
	c.Config = fleet.JSONOr(c.Config, "{}")
	now := clockNow()
	err := s.pool.QueryRow(ctx, `UPDATE alert_channels SET name = $2, type = $3, config = $4, updated_at = $5
		WHERE id = $1 RETURNING created_at`, c.ID, c.Name, string(c.Type), []byte(c.Config), now).Scan(&c.Created)
	if err != nil {
		return translate(err, "update alert channel "+c.ID)
	}
	c.Updated = now
	return nil
}

// DeleteAlertChannel removes a channel; rules that name it skip it from then on.
func (s *Store) DeleteAlertChannel(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM alert_channels WHERE id = $1`, id)
	if err != nil {
		return translate(err, "delete alert channel "+id)
	}
	return expectOne(tag.RowsAffected(), "delete alert channel "+id)
}

const alertDeliveryCols = `id, channel_id, rule_id, event, alert_ids, payload, state, attempts, last_error, created_at, updated_at`

func scanAlertDelivery(row pgx.Row, d *fleet.AlertDelivery) error {
	var ids, payload []byte
	var state string
	if err := row.Scan(&d.ID, &d.ChannelID, &d.RuleID, &d.Event, &ids, &payload, &state, &d.Attempts, &d.LastError,
		&d.Created, &d.Updated); err != nil {
		return err
	}
	d.State, d.Payload = fleet.DeliveryState(state), payload
	toUTC(&d.Created, &d.Updated)
	d.AlertIDs = nil
	return json.Unmarshal(ids, &d.AlertIDs)
}

// InsertAlertDelivery records a delivery about to be tried (state pending unless set).
func (s *Store) InsertAlertDelivery(ctx context.Context, d *fleet.AlertDelivery) error {
	if d.State == "" {
		d.State = fleet.DeliveryPending
	}
	ids, err := json.Marshal(append([]int64{}, d.AlertIDs...))
	if err != nil {
		return err
	}
	d.Payload = fleet.JSONOr(d.Payload, "{}")
	now := clockNow()
	err = s.pool.QueryRow(ctx, `INSERT INTO alert_deliveries (channel_id, rule_id, event, alert_ids, payload, state, attempts, last_error, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`, d.ChannelID, d.RuleID, d.Event, ids, []byte(d.Payload),
		string(d.State), d.Attempts, d.LastError, now).Scan(&d.ID)
	if err != nil {
		return translate(err, "insert alert delivery")
	}
	d.Created, d.Updated = now, now
	return nil
}

// FinishAlertDelivery records the outcome of a delivery's attempts.
func (s *Store) FinishAlertDelivery(ctx context.Context, id int64, state fleet.DeliveryState, attempts int, lastErr string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE alert_deliveries SET state = $2, attempts = $3, last_error = $4, updated_at = $5 WHERE id = $1`,
		id, string(state), attempts, lastErr, clockNow())
	if err != nil {
		return translate(err, "finish alert delivery")
	}
	return expectOne(tag.RowsAffected(), "finish alert delivery")
}

// AlertDeliveryByID finds a delivery.
func (s *Store) AlertDeliveryByID(ctx context.Context, id int64) (*fleet.AlertDelivery, error) {
	var d fleet.AlertDelivery
	if err := scanAlertDelivery(s.pool.QueryRow(ctx, `SELECT `+alertDeliveryCols+` FROM alert_deliveries WHERE id = $1`, id), &d); err != nil {
		return nil, translate(err, "get alert delivery")
	}
	return &d, nil
}

// ListAlertDeliveries returns one page of matching deliveries, newest first, and the number
// that match.
func (s *Store) ListAlertDeliveries(ctx context.Context, f fleet.AlertDeliveryFilter) ([]fleet.AlertDelivery, int, error) {
	var w whereClause
	if f.State != "" {
		w.add("state = ?", string(f.State))
	}
	if f.ChannelID != "" {
		w.add("channel_id = ?", f.ChannelID)
	}
	total, err := s.countWhere(ctx, "alert_deliveries", &w, "list alert deliveries")
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+alertDeliveryCols+` FROM alert_deliveries`+w.sql()+` ORDER BY id DESC`+w.page(f.Limit, f.Offset), w.args...)
	if err != nil {
		return nil, 0, translate(err, "list alert deliveries")
	}
	out, err := scanAll(rows, "list alert deliveries", scanAlertDelivery)
	return out, total, err
}

// QuotaForecastHits finds, in one set-based query, the SIMs whose data quota left runs out
// within within at the rate they used over the days since since: remaining·days < used·within.
func (s *Store) QuotaForecastHits(ctx context.Context, since time.Time, days int, within time.Duration, limit int) ([]fleet.ForecastHit, error) {
	rows, err := s.pool.Query(ctx, `SELECT q.iccid, q.volume, u.used, COALESCE((SELECT label FROM sims s WHERE s.iccid = q.iccid), '') FROM sim_quotas q
		JOIN (SELECT iccid, SUM(volume_total) AS used FROM sim_usage WHERE day >= $1 GROUP BY iccid) u ON u.iccid = q.iccid
		WHERE q.kind = 'data' AND u.used > 0 AND q.volume * $2 < u.used * $3 ORDER BY q.iccid LIMIT $4`,
		since.UTC().Truncate(24*time.Hour), int64(days)*86400, int64(within/time.Second), limit)
	if err != nil {
		return nil, translate(err, "quota forecast")
	}
	return scanAll(rows, "quota forecast", func(r pgx.Row, h *fleet.ForecastHit) error {
		h.Days = days
		return r.Scan(&h.ICCID, &h.Remaining, &h.Used, &h.Label)
	})
}

// SilentSIMs finds, in one set-based query, the SIMs last seen (data session or attach)
// before before, oldest first.
func (s *Store) SilentSIMs(ctx context.Context, before time.Time, limit int) ([]fleet.SilentSIM, error) {
	rows, err := s.pool.Query(ctx, `SELECT iccid, label, last_seen_at FROM sims WHERE last_seen_at IS NOT NULL AND last_seen_at < $1
		ORDER BY last_seen_at LIMIT $2`, before, limit)
	if err != nil {
		return nil, translate(err, "silent SIMs")
	}
	return scanAll(rows, "silent SIMs", func(r pgx.Row, h *fleet.SilentSIM) error {
		err := r.Scan(&h.ICCID, &h.Label, &h.LastSeen)
		toUTC(&h.LastSeen)
		return err
	})
}

// DeleteSentAlertDeliveriesBefore removes deliveries that were sent (or were channel tests)
// before before and returns how many; dead letters stay until someone re-sends them.
func (s *Store) DeleteSentAlertDeliveriesBefore(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM alert_deliveries WHERE (state = 'sent' OR event = 'test') AND state <> 'pending' AND updated_at < $1`, before)
	if err != nil {
		return 0, translate(err, "delete old alert deliveries")
	}
	return int(tag.RowsAffected()), nil
}
