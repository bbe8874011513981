package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// SaveStreamerBatch durably stores recs, idempotently by (stream, id), in one transaction:
// when it returns nil every record is committed; on error none is.
func (s *Store) SaveStreamerBatch(ctx context.Context, recs []record.Raw) (record.SaveResult, error) {
	var res record.SaveResult
	if len(recs) == 0 {
		return res, nil
	}
	// The store runs with synchronous=NORMAL, whose WAL commits survive a crash of the process
	// but not of the machine. An acknowledged batch must survive both (1NCE never re-sends it),
	// so this connection syncs fully for the batch's commit.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return res, translate(err, "save streamer batch: connection")
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = FULL"); err != nil {
		return res, translate(err, "save streamer batch: synchronous")
	}
	defer func() {
		// Back to the store's default before the connection returns to the pool.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = NORMAL"); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // drop it rather than leak FULL
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return res, translate(err, "save streamer batch: begin")
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit

	// Rows are grouped by stream so RowsAffected tells the new records of each stream.
	received := nowText()
	var sent record.Counts
	for _, st := range []record.Stream{record.StreamUsage, record.StreamEvent} {
		var group []record.Raw
		for _, r := range recs {
			if r.Stream == st {
				group = append(group, r)
			}
		}
		sent.Add(st, len(group))
		k, err := execRows(ctx, tx, "INSERT INTO streamer_records (stream, record_id, payload, received_at) VALUES ", "(?,?,?,?)",
			" ON CONFLICT (stream, record_id) DO NOTHING", len(group), func(i int, dst []any) []any {
				r := group[i]
				return append(dst, string(r.Stream), r.ID, string(r.Payload), received)
			})
		if err != nil {
			return record.SaveResult{}, translate(err, "save streamer batch")
		}
		res.Inserted.Add(st, int(k))
	}
	if err := tx.Commit(); err != nil {
		return record.SaveResult{}, translate(err, "save streamer batch: commit")
	}
	res.Duplicates = record.Counts{Usage: sent.Usage - res.Inserted.Usage, Event: sent.Event - res.Inserted.Event}
	return res, nil
}

// ApplyStreamerBatch claims up to limit unapplied records, asks plan for their effects, writes
// those effects and marks the records applied, all in one transaction: a record's effects are
// committed exactly when it is marked, so no crash can apply it twice or lose it. SQLite has a
// single writer (the store opens write transactions IMMEDIATE), so concurrent appliers
// serialise instead of claiming the same rows.
func (s *Store) ApplyStreamerBatch(ctx context.Context, limit int, plan record.Planner) (record.Applied, error) {
	var out record.Applied
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return out, translate(err, "apply streamer records: begin")
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit

	rows, err := tx.QueryContext(ctx, `SELECT stream, record_id, received_at, payload FROM streamer_records
		WHERE applied_at IS NULL ORDER BY received_at LIMIT ?`, limit)
	if err != nil {
		return out, translate(err, "apply streamer records: claim")
	}
	var pending []record.Pending
	for rows.Next() {
		var p record.Pending
		var st, payload string
		if err := rows.Scan(&st, &p.ID, scanTime(&p.ReceivedAt), &payload); err != nil {
			rows.Close()
			return out, translate(err, "apply streamer records: claim")
		}
		p.Stream, p.Payload = record.Stream(st), []byte(payload)
		pending = append(pending, p)
	}
	if err := rows.Err(); err != nil {
		return out, translate(err, "apply streamer records: claim")
	}
	rows.Close()
	if len(pending) == 0 {
		return out, nil
	}
	pl, err := plan(ctx, pending)
	if err != nil {
		return out, fmt.Errorf("apply streamer records: plan: %w", err)
	}
	if err := writeStreamerPlan(ctx, tx, pl); err != nil {
		return out, err
	}
	created := nowText()
	for i, e := range pl.Outbox {
		res, err := tx.ExecContext(ctx, `INSERT INTO streamer_outbox (kind, payload, created_at) VALUES (?, ?, ?)`, e.Kind, string(e.Payload), created)
		if err != nil {
			return out, translate(err, "apply streamer records: outbox")
		}
		if pl.Outbox[i].ID, err = res.LastInsertId(); err != nil {
			return out, translate(err, "apply streamer records: outbox")
		}
	}
	mark, err := tx.PrepareContext(ctx, `UPDATE streamer_records SET applied_at = ? WHERE stream = ? AND record_id = ?`)
	if err != nil {
		return out, translate(err, "apply streamer records: mark")
	}
	defer mark.Close()
	now := nowText()
	for _, p := range pending {
		if _, err := mark.ExecContext(ctx, now, string(p.Stream), p.ID); err != nil {
			return out, translate(err, "apply streamer records: mark")
		}
	}
	if err := tx.Commit(); err != nil {
		return out, translate(err, "apply streamer records: commit")
	}
	out.Records, out.Plan, out.OldestReceived = len(pending), pl, pending[0].ReceivedAt
	for _, p := range pending {
		if p.ReceivedAt.Before(out.OldestReceived) {
			out.OldestReceived = p.ReceivedAt
		}
	}
	return out, nil
}

// writeStreamerPlan writes a plan's effects. Daily usage follows UpsertUsage's rule for streamer
// rows: the volumes add to the stored day, and a final day (1NCE's authoritative total) is left
// as it is; the record is marked applied either way.
func writeStreamerPlan(ctx context.Context, tx *sql.Tx, pl record.Plan) error {
	now := nowText()
	if err := execEach(ctx, tx, "apply streamer records: daily usage", `
		INSERT INTO sim_usage (iccid, day, volume_rx, volume_tx, volume_total, sms_mo, sms_mt, cost, source, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'streamer', ?)
		ON CONFLICT (iccid, day) DO UPDATE SET
		    volume_rx = volume_rx + excluded.volume_rx,
		    volume_tx = volume_tx + excluded.volume_tx,
		    volume_total = volume_total + excluded.volume_total,
		    sms_mo = sms_mo + excluded.sms_mo,
		    sms_mt = sms_mt + excluded.sms_mt,
		    cost = cost + excluded.cost,
		    source = 'streamer',
		    updated_at = excluded.updated_at
		WHERE NOT sim_usage.final`, pl.Daily, func(d record.DailyUsage) []any {
		return []any{d.ICCID, dayText(d.Day), d.RxBytes, d.TxBytes, d.TotalBytes, d.SMSMO, d.SMSMT, float64(d.CostE10) / 1e10, now}
	}); err != nil {
		return err
	}
	if err := execEach(ctx, tx, "apply streamer records: hourly usage", `
		INSERT INTO sim_usage_hourly (iccid, hour, volume_rx, volume_tx, volume_total, sms_mo, sms_mt, records, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (iccid, hour) DO UPDATE SET
		    volume_rx = volume_rx + excluded.volume_rx,
		    volume_tx = volume_tx + excluded.volume_tx,
		    volume_total = volume_total + excluded.volume_total,
		    sms_mo = sms_mo + excluded.sms_mo,
		    sms_mt = sms_mt + excluded.sms_mt,
		    records = records + excluded.records,
		    updated_at = excluded.updated_at`, pl.Hourly, func(h record.HourlyUsage) []any {
		return []any{h.ICCID, formatTime(h.Hour), h.RxBytes, h.TxBytes, h.TotalBytes, h.SMSMO, h.SMSMT, h.Records, now}
	}); err != nil {
		return err
	}
	if err := execEach(ctx, tx, "apply streamer records: events", `
		INSERT INTO sim_events (external_id, iccid, occurred_at, event_type, source, severity, description, country, operator, detail, alert)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (external_id) DO NOTHING`, pl.Events, func(e record.Event) []any {
		detail := "{}"
		if len(e.Detail) > 0 {
			detail = string(e.Detail)
		}
		return []any{e.ExternalID, e.ICCID, formatTime(e.At), e.Type, e.Source, e.Severity, e.Description, e.Country, e.Operator, detail, e.Alert}
	}); err != nil {
		return err
	}
	// A SIM the mirror has not synced yet gets a row now (the fleet sync fills the rest); the
	// WHERE keeps last_seen_at, and with it IMEI, IP and online, from moving backwards.
	if err := execEach(ctx, tx, "apply streamer records: sims", `
		INSERT INTO sims (iccid, imei, ip_address, online, last_seen_at, created_at, updated_at, organization_id)
		VALUES (?1, ?2, ?3, ?4, ?5, ?7, ?7, ?8)
		ON CONFLICT (iccid) DO UPDATE SET
		    last_seen_at = excluded.last_seen_at,
		    imei = CASE WHEN excluded.imei <> '' THEN excluded.imei ELSE imei END,
		    ip_address = CASE WHEN excluded.ip_address <> '' THEN excluded.ip_address ELSE ip_address END,
		    organization_id = CASE WHEN excluded.organization_id <> '' THEN excluded.organization_id ELSE organization_id END,
		    online = CASE WHEN ?6 THEN excluded.online ELSE online END,
		    updated_at = CASE WHEN (excluded.imei <> '' AND excluded.imei IS NOT imei)
		                        OR (excluded.ip_address <> '' AND excluded.ip_address IS NOT ip_address)
		                        OR (excluded.organization_id <> '' AND excluded.organization_id IS NOT organization_id)
		                        OR (?6 AND excluded.online IS NOT online)
		                      THEN excluded.updated_at ELSE updated_at END
		WHERE last_seen_at IS NULL OR last_seen_at <= excluded.last_seen_at`, pl.SIMs, func(m record.SIMSeen) []any {
		return []any{m.ICCID, m.IMEI, m.IPAddress, m.Online != nil && *m.Online, formatTime(m.At), m.Online != nil, now, m.Organization}
	}); err != nil {
		return err
	}
	if err := execEach(ctx, tx, "apply streamer records: connectivity", `
		INSERT INTO sim_connectivity (iccid, observed_at, connected, rat, country, operator, cell_id, source)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'streamer')`, pl.Connectivity, func(c record.Connectivity) []any {
		return []any{c.ICCID, formatTime(c.At), c.Connected, c.RAT, c.Country, c.Operator, c.CellID}
	}); err != nil {
		return err
	}
	return execEach(ctx, tx, "apply streamer records: health", `
		INSERT INTO streamer_health (stream, last_record_at, last_received_at, applied_total, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (stream) DO UPDATE SET
		    last_record_at = CASE WHEN excluded.last_record_at > last_record_at THEN excluded.last_record_at ELSE last_record_at END,
		    last_received_at = CASE WHEN excluded.last_received_at > last_received_at THEN excluded.last_received_at ELSE last_received_at END,
		    applied_total = applied_total + excluded.applied_total,
		    updated_at = excluded.updated_at`, pl.Health, func(h record.Health) []any {
		return []any{string(h.Stream), formatTime(h.LastRecordAt), formatTime(h.LastReceivedAt), h.Applied, now}
	})
}

// DeleteStreamerOutbox removes published notifications.
func (s *Store) DeleteStreamerOutbox(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.transact(ctx, "delete streamer outbox", func(tx *sql.Tx) (bool, error) {
		return false, deleteStreamerOutbox(ctx, tx, "delete streamer outbox", ids)
	})
}

func deleteStreamerOutbox(ctx context.Context, tx *sql.Tx, what string, ids []int64) error {
	return execEach(ctx, tx, what, `DELETE FROM streamer_outbox WHERE id = ?`, ids, func(id int64) []any { return []any{id} })
}

// ClaimStreamerOutbox hands notifications written at least olderThan ago and still not deleted
// (their publisher crashed after committing) to fn, and deletes them if fn succeeds, all in one
// transaction; SQLite's single writer keeps two claimers apart.
func (s *Store) ClaimStreamerOutbox(ctx context.Context, olderThan time.Duration, limit int, fn record.OutboxHandler) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, translate(err, "claim streamer outbox: begin")
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	rows, err := tx.QueryContext(ctx, `SELECT id, kind, payload FROM streamer_outbox
		WHERE created_at < ? ORDER BY id LIMIT ?`, formatTime(time.Now().Add(-olderThan)), limit)
	if err != nil {
		return 0, translate(err, "claim streamer outbox")
	}
	var entries []record.Outbox
	var ids []int64
	for rows.Next() {
		var e record.Outbox
		var payload string
		if err := rows.Scan(&e.ID, &e.Kind, &payload); err != nil {
			rows.Close()
			return 0, translate(err, "claim streamer outbox")
		}
		e.Payload = []byte(payload)
		entries, ids = append(entries, e), append(ids, e.ID)
	}
	if err := rows.Err(); err != nil {
		return 0, translate(err, "claim streamer outbox")
	}
	rows.Close()
	if len(entries) == 0 {
		return 0, nil
	}
	if err := fn(ctx, entries); err != nil {
		return 0, fmt.Errorf("claim streamer outbox: %w", err)
	}
	if err := deleteStreamerOutbox(ctx, tx, "claim streamer outbox: delete", ids); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, translate(err, "claim streamer outbox: commit")
	}
	return len(entries), nil
}

// PruneStreamerRecords deletes applied records received before before and returns how many.
// Unapplied records are never deleted. Keep more than 1NCE's 7 days of historic re-delivery,
// or a late re-send of a pruned record would be stored and applied again.
func (s *Store) PruneStreamerRecords(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM streamer_records WHERE applied_at IS NOT NULL AND received_at < ?`, formatTime(before))
	if err != nil {
		return 0, translate(err, "prune streamer records")
	}
	n, err := res.RowsAffected()
	return n, translate(err, "prune streamer records")
}

// StreamHealth returns the health row of every stream type that has had a record applied.
func (s *Store) StreamHealth(ctx context.Context) ([]record.StreamHealth, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT stream, last_record_at, last_received_at, applied_total FROM streamer_health ORDER BY stream`)
	if err != nil {
		return nil, translate(err, "stream health")
	}
	defer rows.Close()
	var out []record.StreamHealth
	for rows.Next() {
		var h record.StreamHealth
		var st string
		if err := rows.Scan(&st, scanTime(&h.LastRecordAt), scanTime(&h.LastReceivedAt), &h.Applied); err != nil {
			return nil, translate(err, "stream health")
		}
		h.Stream = record.Stream(st)
		out = append(out, h)
	}
	return out, translate(rows.Err(), "stream health")
}

// StreamerBacklog counts stored records not yet applied and the receipt time of the oldest.
func (s *Store) StreamerBacklog(ctx context.Context) (record.Backlog, error) {
	var b record.Backlog
	err := s.db.QueryRowContext(ctx, `SELECT count(*), min(received_at) FROM streamer_records WHERE applied_at IS NULL`).
		Scan(&b.Pending, scanTime(&b.OldestReceived))
	return b, translate(err, "streamer backlog")
}
