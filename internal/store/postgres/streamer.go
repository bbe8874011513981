package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// saveStreamerSQL stores a batch in one statement (one round trip, one commit): arrays travel
// in pgx's binary format, ON CONFLICT DO NOTHING makes a re-sent record a no-op (also when the
// same id repeats inside the batch), and the CTE reports what was new per stream. Payloads go
// in as text, unparsed (migration 00012): the receiver has validated them.
const saveStreamerSQL = `
WITH ins AS (
    INSERT INTO streamer_records (stream, record_id, payload)
    SELECT s, r, p FROM unnest($1::text[], $2::text[], $3::text[]) AS u(s, r, p)
    ON CONFLICT (stream, record_id) DO NOTHING
    RETURNING stream
)
SELECT stream, count(*) FROM ins GROUP BY stream`

// saveStreamerOneSQL is saveStreamerSQL for a batch of one stream, the usual case (1NCE needs
// a stream per record type): the stream travels once, and the command tag's row count is what
// was new, so no rows come back.
const saveStreamerOneSQL = `
INSERT INTO streamer_records (stream, record_id, payload)
SELECT $1, r, p FROM unnest($2::text[], $3::text[]) AS u(r, p)
ON CONFLICT (stream, record_id) DO NOTHING`

// SaveStreamerBatch durably stores recs, idempotently by (stream, id), in one transaction:
// when it returns nil every record is committed; on error none is.
func (s *Store) SaveStreamerBatch(ctx context.Context, recs []record.Raw) (record.SaveResult, error) {
	var res record.SaveResult
	if len(recs) == 0 {
		return res, nil
	}
	ids := make([]string, len(recs))
	// Byte slices, not strings: pgx writes them into the text[] parameter without a copy each.
	payloads := make([][]byte, len(recs))
	var sent record.Counts
	mixed := false
	for i, r := range recs {
		ids[i], payloads[i] = r.ID, r.Payload
		sent.Add(r.Stream, 1)
		mixed = mixed || r.Stream != recs[0].Stream
	}
	// A single statement is its own transaction: all rows commit together or none does.
	if !mixed {
		tag, err := s.pool.Exec(ctx, saveStreamerOneSQL, string(recs[0].Stream), ids, payloads)
		if err != nil {
			return res, translateStreamerSave(err)
		}
		res.Inserted.Add(recs[0].Stream, int(tag.RowsAffected()))
		res.Duplicates.Add(recs[0].Stream, len(recs)-int(tag.RowsAffected()))
		return res, nil
	}
	streams := make([]string, len(recs))
	for i, r := range recs {
		streams[i] = string(r.Stream)
	}
	rows, err := s.pool.Query(ctx, saveStreamerSQL, streams, ids, payloads)
	if err != nil {
		return res, translateStreamerSave(err)
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return record.SaveResult{}, translateStreamerSave(err)
		}
		res.Inserted.Add(record.Stream(st), n)
	}
	if err := rows.Err(); err != nil {
		return record.SaveResult{}, translateStreamerSave(err)
	}
	res.Duplicates = record.Counts{Usage: sent.Usage - res.Inserted.Usage, Event: sent.Event - res.Inserted.Event}
	return res, nil
}

// translateStreamerSave is translate, also counting as invalid input the text PostgreSQL cannot
// hold (a NUL character, bytes not valid in the database encoding): the receiver rewrites or
// refuses such records before saving, but should one slip through, the batch is bad input to
// answer 400, not a store failure that 1NCE would re-send forever.
func translateStreamerSave(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "22021", "22P05": // character_not_in_repertoire, untranslatable_character
			return fmt.Errorf("save streamer batch: %w", fleet.Errorf(fleet.CodeInvalid, "save streamer batch: %s", pgErr.Message))
		}
	}
	return translate(err, "save streamer batch")
}

// claimStreamerSQL takes the oldest pending records. SKIP LOCKED lets several replicas apply in
// parallel: each claims rows no other open transaction holds, and a crashed applier's locks
// vanish with its connection, so its records are simply claimed again.
const claimStreamerSQL = `
SELECT ctid, stream, record_id, received_at, payload
FROM streamer_records
WHERE applied_at IS NULL
ORDER BY received_at
LIMIT $1
FOR UPDATE SKIP LOCKED`

// ApplyStreamerBatch claims up to limit unapplied records, asks plan for their effects, writes
// those effects and marks the records applied, all in one transaction: a record's effects are
// committed exactly when it is marked, so no crash can apply it twice or lose it.
func (s *Store) ApplyStreamerBatch(ctx context.Context, limit int, plan record.Planner) (record.Applied, error) {
	var out record.Applied
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return out, translate(err, "apply streamer records: begin")
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit

	rows, err := tx.Query(ctx, claimStreamerSQL, limit)
	if err != nil {
		return out, translate(err, "apply streamer records: claim")
	}
	var pending []record.Pending
	var tids []pgtype.TID
	for rows.Next() {
		var p record.Pending
		var st string
		var tid pgtype.TID
		if err := rows.Scan(&tid, &st, &p.ID, &p.ReceivedAt, &p.Payload); err != nil {
			rows.Close()
			return out, translate(err, "apply streamer records: claim")
		}
		p.Stream, p.ReceivedAt = record.Stream(st), p.ReceivedAt.UTC()
		pending, tids = append(pending, p), append(tids, tid)
	}
	if err := rows.Err(); err != nil {
		return out, translate(err, "apply streamer records: claim")
	}
	if len(pending) == 0 {
		return out, nil
	}
	pl, err := plan(ctx, pending)
	if err != nil {
		return out, fmt.Errorf("apply streamer records: plan: %w", err)
	}

	b := &pgx.Batch{}
	queueStreamerPlan(b, pl)
	// The claimed rows are locked by this transaction, so their ctids cannot change: a TID scan
	// marks them without an index lookup per row.
	b.Queue(`UPDATE streamer_records SET applied_at = now() WHERE ctid = ANY($1::tid[])`, tids)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return out, translate(err, "apply streamer records: write")
	}
	if err := insertStreamerOutbox(ctx, tx, pl.Outbox); err != nil {
		return out, err
	}
	if err := tx.Commit(ctx); err != nil {
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

// insertStreamerOutbox writes the plan's notifications and fills in their ids (in insertion
// order, which the ORDER BY over the ordinality fixes).
func insertStreamerOutbox(ctx context.Context, tx pgx.Tx, entries []record.Outbox) error {
	if len(entries) == 0 {
		return nil
	}
	kinds, payloads := make([]string, len(entries)), make([]string, len(entries))
	for i, e := range entries {
		kinds[i], payloads[i] = e.Kind, string(e.Payload)
	}
	rows, err := tx.Query(ctx, `INSERT INTO streamer_outbox (kind, payload)
		SELECT k, p::jsonb FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(k, p, n) ORDER BY n
		RETURNING id`, kinds, payloads)
	if err != nil {
		return translate(err, "apply streamer records: outbox")
	}
	i := 0
	for rows.Next() {
		if err := rows.Scan(&entries[i].ID); err != nil {
			rows.Close()
			return translate(err, "apply streamer records: outbox")
		}
		i++
	}
	return translate(rows.Err(), "apply streamer records: outbox")
}

// DeleteStreamerOutbox removes published notifications.
func (s *Store) DeleteStreamerOutbox(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM streamer_outbox WHERE id = ANY($1)`, ids)
	return translate(err, "delete streamer outbox")
}

// ClaimStreamerOutbox hands notifications written at least olderThan ago and still not deleted
// (their publisher crashed after committing) to fn, and deletes them if fn succeeds, all in one
// transaction. SKIP LOCKED keeps replicas from publishing the same entries at once; the age
// keeps them from taking entries a live applier is about to publish itself.
func (s *Store) ClaimStreamerOutbox(ctx context.Context, olderThan time.Duration, limit int, fn record.OutboxHandler) (int, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, translate(err, "claim streamer outbox: begin")
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	rows, err := tx.Query(ctx, `SELECT id, kind, payload::text FROM streamer_outbox
		WHERE created_at < now() - make_interval(secs => $1)
		ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`, olderThan.Seconds(), limit)
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
	if len(entries) == 0 {
		return 0, nil
	}
	if err := fn(ctx, entries); err != nil {
		return 0, fmt.Errorf("claim streamer outbox: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM streamer_outbox WHERE id = ANY($1)`, ids); err != nil {
		return 0, translate(err, "claim streamer outbox: delete")
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, translate(err, "claim streamer outbox: commit")
	}
	return len(entries), nil
}

// queueStreamerPlan adds one array-parameter statement per non-empty part of the plan, so applying a
// batch costs one round trip whatever its size.
func queueStreamerPlan(b *pgx.Batch, pl record.Plan) {
	// Daily usage follows UpsertUsage's rule for streamer rows: the volumes add to the stored
	// day, and a final day (1NCE's authoritative total) is left as it is.
	if n := len(pl.Daily); n > 0 {
		iccid, day := make([]string, n), make([]string, n)
		rx, tx, total, mo, mt := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		cost := make([]string, n)
		for i, d := range pl.Daily {
			iccid[i], day[i] = d.ICCID, d.Day.UTC().Format(time.DateOnly)
			rx[i], tx[i], total[i], mo[i], mt[i] = d.RxBytes, d.TxBytes, d.TotalBytes, d.SMSMO, d.SMSMT
			cost[i] = streamerE10(d.CostE10)
		}
		b.Queue(`INSERT INTO sim_usage (iccid, day, volume_rx, volume_tx, volume_total, sms_mo, sms_mt, cost, source, updated_at)
			SELECT i, d, rx, tx, tot, mo, mt, c, 'streamer', now()
			FROM unnest($1::text[], $2::date[], $3::bigint[], $4::bigint[], $5::bigint[], $6::int[], $7::int[], $8::numeric[])
			     AS u(i, d, rx, tx, tot, mo, mt, c)
			ON CONFLICT (iccid, day) DO UPDATE SET
			    volume_rx = sim_usage.volume_rx + EXCLUDED.volume_rx,
			    volume_tx = sim_usage.volume_tx + EXCLUDED.volume_tx,
			    volume_total = sim_usage.volume_total + EXCLUDED.volume_total,
			    sms_mo = sim_usage.sms_mo + EXCLUDED.sms_mo,
			    sms_mt = sim_usage.sms_mt + EXCLUDED.sms_mt,
			    cost = sim_usage.cost + EXCLUDED.cost,
			    source = 'streamer',
			    updated_at = now()
			WHERE NOT sim_usage.final`, iccid, day, rx, tx, total, mo, mt, cost)
	}
	if n := len(pl.Hourly); n > 0 {
		iccid, hour := make([]string, n), make([]time.Time, n)
		rx, tx, total, mo, mt, recs := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		for i, h := range pl.Hourly {
			iccid[i], hour[i] = h.ICCID, h.Hour.UTC()
			rx[i], tx[i], total[i], mo[i], mt[i], recs[i] = h.RxBytes, h.TxBytes, h.TotalBytes, h.SMSMO, h.SMSMT, h.Records
		}
		b.Queue(`INSERT INTO sim_usage_hourly (iccid, hour, volume_rx, volume_tx, volume_total, sms_mo, sms_mt, records, updated_at)
			SELECT i, h, rx, tx, tot, mo, mt, n, now()
			FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[], $6::int[], $7::int[], $8::int[])
			     AS u(i, h, rx, tx, tot, mo, mt, n)
			ON CONFLICT (iccid, hour) DO UPDATE SET
			    volume_rx = sim_usage_hourly.volume_rx + EXCLUDED.volume_rx,
			    volume_tx = sim_usage_hourly.volume_tx + EXCLUDED.volume_tx,
			    volume_total = sim_usage_hourly.volume_total + EXCLUDED.volume_total,
			    sms_mo = sim_usage_hourly.sms_mo + EXCLUDED.sms_mo,
			    sms_mt = sim_usage_hourly.sms_mt + EXCLUDED.sms_mt,
			    records = sim_usage_hourly.records + EXCLUDED.records,
			    updated_at = now()`, iccid, hour, rx, tx, total, mo, mt, recs)
	}
	if n := len(pl.Events); n > 0 {
		ext, iccid, at := make([]string, n), make([]string, n), make([]time.Time, n)
		typ, src, sev, desc, country, op, detail := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		alert := make([]bool, n)
		for i, e := range pl.Events {
			ext[i], iccid[i], at[i] = e.ExternalID, e.ICCID, e.At.UTC()
			typ[i], src[i], sev[i], desc[i], country[i], op[i] = e.Type, e.Source, e.Severity, e.Description, e.Country, e.Operator
			alert[i] = e.Alert
			detail[i] = "{}"
			if len(e.Detail) > 0 {
				detail[i] = string(e.Detail)
			}
		}
		b.Queue(`INSERT INTO sim_events (external_id, iccid, occurred_at, event_type, source, severity, description, country, operator, detail, alert)
			SELECT x, i, a, t, s, v, d, c, o, j::jsonb, al
			FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bool[])
			     AS u(x, i, a, t, s, v, d, c, o, j, al)
			ON CONFLICT (external_id) DO NOTHING`, ext, iccid, at, typ, src, sev, desc, country, op, detail, alert)
	}
	// SIMs whose records told whether they are online set it; the others keep the stored value.
	// Two statements, because one ON CONFLICT clause cannot tell the rows apart.
	var told, untold []record.SIMSeen
	for _, m := range pl.SIMs {
		if m.Online != nil {
			told = append(told, m)
		} else {
			untold = append(untold, m)
		}
	}
	queueStreamerSIMs(b, told, "EXCLUDED.online")
	queueStreamerSIMs(b, untold, "sims.online")
	if n := len(pl.Connectivity); n > 0 {
		iccid, at := make([]string, n), make([]time.Time, n)
		conn := make([]bool, n)
		rat, country, op, cell := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		for i, c := range pl.Connectivity {
			iccid[i], at[i], conn[i] = c.ICCID, c.At.UTC(), c.Connected
			rat[i], country[i], op[i], cell[i] = c.RAT, c.Country, c.Operator, c.CellID
		}
		b.Queue(`INSERT INTO sim_connectivity (iccid, observed_at, connected, rat, country, operator, cell_id, source)
			SELECT i, a, c, r, co, o, ce, 'streamer'
			FROM unnest($1::text[], $2::timestamptz[], $3::bool[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(i, a, c, r, co, o, ce)`,
			iccid, at, conn, rat, country, op, cell)
	}
	for _, h := range pl.Health {
		b.Queue(`INSERT INTO streamer_health (stream, last_record_at, last_received_at, applied_total, updated_at)
			VALUES ($1, $2, $3, $4, now())
			ON CONFLICT (stream) DO UPDATE SET
			    last_record_at = GREATEST(streamer_health.last_record_at, EXCLUDED.last_record_at),
			    last_received_at = GREATEST(streamer_health.last_received_at, EXCLUDED.last_received_at),
			    applied_total = streamer_health.applied_total + EXCLUDED.applied_total,
			    updated_at = now()`, string(h.Stream), h.LastRecordAt.UTC(), h.LastReceivedAt.UTC(), h.Applied)
	}
}

// queueStreamerSIMs upserts last-seen data. A SIM the mirror has not synced yet gets a row now (the
// fleet sync fills the rest), so its first sightings are not lost; the WHERE keeps last_seen_at,
// and with it IMEI, IP and online, from moving backwards when records arrive late.
func queueStreamerSIMs(b *pgx.Batch, sims []record.SIMSeen, online string) {
	n := len(sims)
	if n == 0 {
		return
	}
	iccid, at, imei, ip, org := make([]string, n), make([]time.Time, n), make([]string, n), make([]string, n), make([]string, n)
	on := make([]bool, n)
	for i, m := range sims {
		iccid[i], at[i], imei[i], ip[i], org[i] = m.ICCID, m.At.UTC(), m.IMEI, m.IPAddress, m.Organization
		on[i] = m.Online != nil && *m.Online
	}
	b.Queue(`INSERT INTO sims (iccid, imei, ip_address, online, last_seen_at, organization_id)
		SELECT i, im, ip, o, a, og
		FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::bool[], $6::text[]) AS u(i, a, im, ip, o, og)
		ON CONFLICT (iccid) DO UPDATE SET
		    last_seen_at = EXCLUDED.last_seen_at,
		    imei = CASE WHEN EXCLUDED.imei <> '' THEN EXCLUDED.imei ELSE sims.imei END,
		    ip_address = CASE WHEN EXCLUDED.ip_address <> '' THEN EXCLUDED.ip_address ELSE sims.ip_address END,
		    organization_id = CASE WHEN EXCLUDED.organization_id <> '' THEN EXCLUDED.organization_id ELSE sims.organization_id END,
		    online = `+online+`,
		    -- Only a changed identity or state bumps updated_at: a bare sighting then stays a
		    -- HOT update that touches none of the table's indexes.
		    updated_at = CASE WHEN (sims.imei, sims.ip_address, sims.organization_id, sims.online) IS DISTINCT FROM
		                          (CASE WHEN EXCLUDED.imei <> '' THEN EXCLUDED.imei ELSE sims.imei END,
		                           CASE WHEN EXCLUDED.ip_address <> '' THEN EXCLUDED.ip_address ELSE sims.ip_address END,
		                           CASE WHEN EXCLUDED.organization_id <> '' THEN EXCLUDED.organization_id ELSE sims.organization_id END,
		                           `+online+`)
		                      THEN now() ELSE sims.updated_at END
		WHERE sims.last_seen_at IS NULL OR sims.last_seen_at <= EXCLUDED.last_seen_at`, iccid, at, imei, ip, on, org)
}

// PruneStreamerRecords deletes applied records received before before and returns how many.
// Unapplied records are never deleted. Keep more than 1NCE's 7 days of historic re-delivery,
// or a late re-send of a pruned record would be stored and applied again.
func (s *Store) PruneStreamerRecords(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM streamer_records WHERE applied_at IS NOT NULL AND received_at < $1`, before.UTC())
	if err != nil {
		return 0, translate(err, "prune streamer records")
	}
	return tag.RowsAffected(), nil
}

// StreamHealth returns the health row of every stream type that has had a record applied.
func (s *Store) StreamHealth(ctx context.Context) ([]record.StreamHealth, error) {
	rows, err := s.pool.Query(ctx, `SELECT stream, last_record_at, last_received_at, applied_total FROM streamer_health ORDER BY stream`)
	if err != nil {
		return nil, translate(err, "stream health")
	}
	defer rows.Close()
	var out []record.StreamHealth
	for rows.Next() {
		var h record.StreamHealth
		var st string
		if err := rows.Scan(&st, &h.LastRecordAt, &h.LastReceivedAt, &h.Applied); err != nil {
			return nil, translate(err, "stream health")
		}
		h.Stream, h.LastRecordAt, h.LastReceivedAt = record.Stream(st), h.LastRecordAt.UTC(), h.LastReceivedAt.UTC()
		out = append(out, h)
	}
	return out, translate(rows.Err(), "stream health")
}

// StreamerBacklog counts stored records not yet applied and the receipt time of the oldest.
func (s *Store) StreamerBacklog(ctx context.Context) (record.Backlog, error) {
	var b record.Backlog
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT count(*), min(received_at) FROM streamer_records WHERE applied_at IS NULL`).Scan(&b.Pending, &oldest)
	if err != nil {
		return b, translate(err, "streamer backlog")
	}
	if oldest != nil {
		b.OldestReceived = oldest.UTC()
	}
	return b, nil
}

// streamerE10 renders an amount in 1e-10 units as an exact decimal string for NUMERIC.
func streamerE10(v int64) string {
	sign := ""
	u := uint64(v)
	if v < 0 {
		sign, u = "-", uint64(-v)
	}
	return fmt.Sprintf("%s%d.%010d", sign, u/1e10, u%1e10)
}
