package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// The background-sync side of the store: what the fleet sync, the usage gap-fill, the quota
// check and the connectivity snapshots read and write (internal/fleetsync), and the retention
// deletes. Semantics are those of storetest.RunSync, which both backends pass.

// syncSIMsSQL is upsertSIMsSQL with the tracked fields of the rows it touches as they were
// before: a data-modifying CTE's sibling SELECT sees the snapshot the statement started from.
// (No FOR UPDATE there: a row the same statement updates would be skipped by it. A writer
// committing between the snapshot and the update, such as the Data Streamer moving an IMEI,
// can make a reported old value one step stale; the stored value is right either way.)
var syncSIMsSQL = `WITH old AS (
	SELECT iccid, status, ip_address, imei, label, imsi, gone_at IS NOT NULL AS gone
	FROM sims WHERE iccid = ANY($1::text[])
), up AS (
` + upsertSIMsSQL + `
	RETURNING iccid, status, ip_address, imei, label, imsi
)
SELECT up.iccid, old.iccid IS NULL, up.status, up.ip_address, up.imei, up.label, up.imsi,
	COALESCE(old.status, ''), COALESCE(old.ip_address, ''), COALESCE(old.imei, ''),
	COALESCE(old.label, ''), COALESCE(old.imsi, ''), COALESCE(old.gone, false)
FROM up LEFT JOIN old USING (iccid)`

// SyncSIMs upserts SIMs read from 1NCE's list with UpsertSIMs' merge rules (which also clear a
// gone mark) and reports which were new and which tracked fields (status, IP, IMEI, label,
// IMSI, presence) changed on SIMs the mirror already held.
func (s *Store) SyncSIMs(ctx context.Context, sims []fleet.SIM) (fleet.SIMSyncResult, error) {
	var res fleet.SIMSyncResult
	if err := fleet.ValidateEach("sim", sims); err != nil {
		return res, fmt.Errorf("sync sims: %w", err)
	}
	sims = fleet.DedupeSIMs(sims)
	if len(sims) == 0 {
		return res, nil
	}
	ts := nowTS()
	err := s.transact(ctx, "sync sims", func(tx pgx.Tx) (bool, error) {
		for start := 0; start < len(sims); start += simBatch {
			args, err := simArrays(sims[start:min(start+simBatch, len(sims))], ts)
			if err != nil {
				return false, err
			}
			rows, err := tx.Query(ctx, syncSIMsSQL, args...)
			if err != nil {
				return false, translate(err, "sync sims")
			}
			for rows.Next() {
				var (
					iccid    string
					isNew    bool
					now, was [5]string
					gone     bool
				)
				if err := rows.Scan(&iccid, &isNew, &now[0], &now[1], &now[2], &now[3], &now[4],
					&was[0], &was[1], &was[2], &was[3], &was[4], &gone); err != nil {
					rows.Close()
					return false, translate(err, "sync sims")
				}
				res = appendSIMChanges(res, iccid, isNew, gone, was, now)
			}
			if err := rows.Err(); err != nil {
				return false, translate(err, "sync sims")
			}
		}
		return false, nil
	})
	return res, err
}

// trackedFields are the fields appendSIMChanges compares, in the order of its arrays.
var trackedFields = [5]string{fleet.FieldStatus, fleet.FieldIPAddress, fleet.FieldIMEI, fleet.FieldLabel, fleet.FieldIMSI}

func appendSIMChanges(res fleet.SIMSyncResult, iccid string, isNew, wasGone bool, was, now [5]string) fleet.SIMSyncResult {
	if isNew {
		res.New++
		return res
	}
	if wasGone {
		res.Changes = append(res.Changes, fleet.SIMChange{ICCID: iccid, Field: fleet.FieldGone, Old: "gone", New: "present"})
	}
	for i, f := range trackedFields {
		if was[i] != now[i] {
			res.Changes = append(res.Changes, fleet.SIMChange{ICCID: iccid, Field: f, Old: was[i], New: now[i]})
		}
	}
	return res
}

// GoneCandidates returns up to limit present SIMs that no sync has written since syncedAfter
// (usually the start of a complete sync): SIMs 1NCE did not list. Rows created after that
// instant (by the Data Streamer while the sync ran) are not candidates.
func (s *Store) GoneCandidates(ctx context.Context, syncedAfter time.Time, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT iccid FROM sims
		WHERE gone_at IS NULL AND (last_synced_at IS NULL OR last_synced_at < $1) AND created_at < $1
		ORDER BY iccid LIMIT $2`, pgTime(syncedAfter), max(limit, 0))
	if err != nil {
		return nil, translate(err, "gone candidates")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, translate(err, "gone candidates")
}

// MarkSIMsGone marks the listed SIMs as no longer at 1NCE (kept, not deleted) and returns how
// many were present until now.
func (s *Store) MarkSIMsGone(ctx context.Context, iccids []string, at time.Time) (int, error) {
	if len(iccids) == 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `UPDATE sims SET gone_at = $2, updated_at = $3
		WHERE iccid = ANY($1::text[]) AND gone_at IS NULL`, iccids, pgTime(at), nowTS())
	if err != nil {
		return 0, translate(err, "mark sims gone")
	}
	return int(tag.RowsAffected()), nil
}

// usageGapsSQL ranks present SIMs for the usage gap-fill: those near their quota first, then
// those without streamer data, then the longest unread; a SIM qualifies when some settled day
// is not final yet, or (without streamer data) its open days were last read long enough ago.
const usageGapsSQL = `SELECT iccid, activation_date, final_through, checked_at, has_streamer, near_quota FROM (
	SELECT s.iccid, s.activation_date, u.final_through, u.checked_at,
		EXISTS (SELECT 1 FROM sim_usage_hourly h WHERE h.iccid = s.iccid AND h.hour >= $2) AS has_streamer,
		(COALESCE(s.data_quota_level, 0) >= 1 OR EXISTS (SELECT 1 FROM sim_quotas q
			WHERE q.iccid = s.iccid AND q.kind = 'data' AND q.total_volume > 0
			AND q.volume::float8 * 100 < $4 * q.total_volume::float8)) AS near_quota
	FROM sims s LEFT JOIN sim_usage_sync u ON u.iccid = s.iccid
	WHERE s.gone_at IS NULL
) c
WHERE final_through IS NULL OR final_through < $1
	OR (NOT has_streamer AND (checked_at IS NULL OR checked_at < $3))
ORDER BY near_quota DESC, has_streamer, checked_at NULLS FIRST, iccid
LIMIT $5`

// UsageGaps returns the SIMs whose daily usage the gap-fill should read next, best first.
func (s *Store) UsageGaps(ctx context.Context, q fleet.UsageGapQuery) ([]fleet.UsageGap, error) {
	rows, err := s.pool.Query(ctx, usageGapsSQL, pgDay(q.SettledThrough), pgTime(q.StreamerSince),
		pgTime(q.RefreshBefore), q.NearQuotaPct, max(q.Limit, 0))
	if err != nil {
		return nil, translate(err, "usage gaps")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fleet.UsageGap, error) {
		var (
			g         fleet.UsageGap
			act, chk  pgtype.Timestamptz
			finalDate pgtype.Date
		)
		err := r.Scan(&g.ICCID, &act, &finalDate, &chk, &g.HasStreamer, &g.NearQuota)
		g.ActivationDate, g.CheckedAt = fromPgTime(act), fromPgTime(chk)
		if finalDate.Valid {
			g.FinalThrough = fleet.Day(finalDate.Time)
		}
		return g, err
	})
	return out, translate(err, "usage gaps")
}

// SaveUsageFetch stores what one read of a SIM's usage from 1NCE gave, atomically: its rows
// (UpsertUsage's rules) and how far its usage is final.
func (s *Store) SaveUsageFetch(ctx context.Context, f fleet.UsageFetch) error {
	if err := fleet.ValidateICCID("iccid", f.ICCID); err != nil {
		return fmt.Errorf("save usage fetch: %w", err)
	}
	if err := fleet.ValidateEach("row", f.Rows); err != nil {
		return fmt.Errorf("save usage fetch: %w", err)
	}
	rows := fleet.MergeUsage(f.Rows)
	ts := nowTS()
	final := pgtype.Date{}
	if !f.FinalThrough.IsZero() {
		final = pgDay(f.FinalThrough)
	}
	return s.transact(ctx, "save usage fetch", func(tx pgx.Tx) (bool, error) {
		if len(rows) > 0 {
			if _, err := tx.Exec(ctx, upsertUsageSQL, usageArgs(rows, ts)...); err != nil {
				return false, translate(err, "save usage fetch")
			}
		}
		// The watermark never moves backwards (a slow read racing a newer one).
		_, err := tx.Exec(ctx, `INSERT INTO sim_usage_sync (iccid, final_through, checked_at) VALUES ($1, $2, $3)
			ON CONFLICT (iccid) DO UPDATE SET
				final_through = GREATEST(sim_usage_sync.final_through, excluded.final_through),
				checked_at = GREATEST(sim_usage_sync.checked_at, excluded.checked_at)`,
			f.ICCID, final, pgTime(f.CheckedAt))
		return false, translate(err, "save usage fetch")
	})
}

// QuotaCheckCandidates returns present SIMs for a quota check, at-risk ones first, then the
// longest unchecked, skipping those checked at or after q.CheckedBefore.
func (s *Store) QuotaCheckCandidates(ctx context.Context, q fleet.QuotaCheckQuery) ([]fleet.QuotaCandidate, error) {
	rows, err := s.pool.Query(ctx, `SELECT iccid, at_risk FROM (
		SELECT s.iccid, w.checked_at,
			(COALESCE(s.data_quota_level, 0) >= 1 OR COALESCE(s.sms_quota_level, 0) >= 1
			 OR EXISTS (SELECT 1 FROM sim_quotas q WHERE q.iccid = s.iccid AND (
				(q.total_volume > 0 AND q.volume::float8 * 100 < $1 * q.total_volume::float8)
				OR (q.expiry_date IS NOT NULL AND q.expiry_date < $2)))) AS at_risk
		FROM sims s LEFT JOIN (SELECT iccid, min(checked_at) AS checked_at FROM quota_watch GROUP BY iccid) w
			ON w.iccid = s.iccid
		WHERE s.gone_at IS NULL AND (w.checked_at IS NULL OR w.checked_at < $3)
	) c ORDER BY at_risk DESC, checked_at NULLS FIRST, iccid LIMIT $4`,
		q.AtRiskPct, pgTime(q.ExpiringBefore), pgTime(q.CheckedBefore), max(q.Limit, 0))
	if err != nil {
		return nil, translate(err, "quota check candidates")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fleet.QuotaCandidate, error) {
		var c fleet.QuotaCandidate
		return c, r.Scan(&c.ICCID, &c.AtRisk)
	})
	return out, translate(err, "quota check candidates")
}

// ObserveQuotas stores quotas just read from 1NCE (UpsertQuotas' effects) and, in the same
// transaction, swaps each quota's remembered share left for the new one, returning the
// previous share: row locks order concurrent observers, so each crossing is seen by one.
func (s *Store) ObserveQuotas(ctx context.Context, qs []fleet.Quota, at time.Time) ([]fleet.QuotaObservation, error) {
	if err := fleet.ValidateEach("quota", qs); err != nil {
		return nil, fmt.Errorf("observe quotas: %w", err)
	}
	qs = fleet.DedupeQuotas(qs)
	if len(qs) == 0 {
		return nil, nil
	}
	n := len(qs)
	iccid, kind := make([]string, n), make([]string, n)
	pct := make([]float64, n)
	for i, q := range qs {
		iccid[i], kind[i], pct[i] = q.ICCID, string(q.Kind), q.RemainingPct()
	}
	var out []fleet.QuotaObservation
	err := s.transact(ctx, "observe quotas", func(tx pgx.Tx) (bool, error) {
		if err := upsertQuotasTx(ctx, tx, qs, nowTS()); err != nil {
			return false, err
		}
		// Lock the rows first, in a statement of their own: the next statement then reads, with
		// a fresh snapshot, what a concurrent observer committed while this one waited.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM quota_watch w
			JOIN unnest($1::text[], $2::text[]) AS u(iccid, kind) ON u.iccid = w.iccid AND u.kind = w.kind
			ORDER BY w.iccid, w.kind FOR UPDATE OF w`, iccid, kind); err != nil {
			return false, translate(err, "observe quotas: lock")
		}
		rows, err := tx.Query(ctx, `WITH old AS (
				SELECT w.iccid, w.kind, w.last_pct, w.thresholds FROM quota_watch w
				JOIN unnest($1::text[], $2::text[]) AS u(iccid, kind) ON u.iccid = w.iccid AND u.kind = w.kind
			), up AS (
				INSERT INTO quota_watch (iccid, kind, last_pct, checked_at)
				SELECT * FROM unnest($1::text[], $2::text[], $3::float8[]) AS u(iccid, kind, pct), (SELECT $4::timestamptz) t
				ON CONFLICT (iccid, kind) DO UPDATE SET last_pct = excluded.last_pct, checked_at = excluded.checked_at
				RETURNING iccid, kind, last_pct
			)
			SELECT up.iccid, up.kind, old.last_pct, up.last_pct, old.thresholds
			FROM up LEFT JOIN old ON old.iccid = up.iccid AND old.kind = up.kind`,
			iccid, kind, pct, pgTime(at))
		if err != nil {
			return false, translate(err, "observe quotas")
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (fleet.QuotaObservation, error) {
			var (
				o    fleet.QuotaObservation
				k    string
				prev pgtype.Float8
				thr  pgtype.Text
			)
			if err := r.Scan(&o.ICCID, &k, &prev, &o.Pct, &thr); err != nil {
				return o, err
			}
			o.Kind = fleet.QuotaKind(k)
			if prev.Valid {
				o.PrevPct = &prev.Float64
			}
			if thr.Valid {
				ts, err := fleet.ParseThresholds(thr.String)
				if err != nil {
					return o, err
				}
				o.Thresholds = ts
			}
			return o, nil
		})
		return false, translate(err, "observe quotas")
	})
	return out, err
}

// SetQuotaThresholds sets a SIM's own thresholds for one quota kind (percent left; an empty
// list means none); nil returns it to the fleet default.
func (s *Store) SetQuotaThresholds(ctx context.Context, iccid string, kind fleet.QuotaKind, thresholds []int) error {
	if err := fleet.ValidateICCID("iccid", iccid); err != nil {
		return fmt.Errorf("set quota thresholds: %w", err)
	}
	if err := kind.Validate(); err != nil {
		return fmt.Errorf("set quota thresholds: %w", err)
	}
	if err := fleet.ValidateThresholds(thresholds); err != nil {
		return fmt.Errorf("set quota thresholds: %w", err)
	}
	var text *string
	if thresholds != nil {
		t := fleet.FormatThresholds(thresholds)
		text = &t
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO quota_watch (iccid, kind, thresholds) VALUES ($1, $2, $3)
		ON CONFLICT (iccid, kind) DO UPDATE SET thresholds = excluded.thresholds`, iccid, string(kind), text)
	return translate(err, "set quota thresholds")
}

// ConnectivityCandidates returns up to limit present SIMs (with a label containing
// labelContains, case-insensitively, when it is set) for a connectivity snapshot, the ones
// observed longest ago first, each with its latest stored observation.
func (s *Store) ConnectivityCandidates(ctx context.Context, labelContains string, limit int) ([]fleet.ConnectivityCandidate, error) {
	rows, err := s.pool.Query(ctx, `SELECT s.iccid, c.id, c.observed_at, c.connected, c.cell_id,
			c.signal_strength, c.rat, c.country, c.operator, c.source
		FROM sims s LEFT JOIN LATERAL (SELECT * FROM sim_connectivity c WHERE c.iccid = s.iccid
			ORDER BY observed_at DESC, id DESC LIMIT 1) c ON true
		WHERE s.gone_at IS NULL AND ($1 = '' OR s.label ILIKE $2)
		ORDER BY c.observed_at NULLS FIRST, s.iccid LIMIT $3`,
		pgx.QueryExecModeExec, labelContains, likeContains(labelContains), max(limit, 0))
	if err != nil {
		return nil, translate(err, "connectivity candidates")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fleet.ConnectivityCandidate, error) {
		var (
			cand                           fleet.ConnectivityCandidate
			id                             pgtype.Int8
			at                             pgtype.Timestamptz
			connected                      pgtype.Bool
			sig                            pgtype.Int4
			cell, rat, country, op, source pgtype.Text
		)
		if err := r.Scan(&cand.ICCID, &id, &at, &connected, &cell, &sig, &rat, &country, &op, &source); err != nil {
			return cand, err
		}
		if id.Valid {
			cand.Last = &fleet.Connectivity{ID: id.Int64, ICCID: cand.ICCID, ObservedAt: fromPgTime(at),
				Connected: connected.Bool, CellID: cell.String, SignalStrength: fromPgInt4(sig),
				RAT: rat.String, Country: country.String, Operator: op.String, Source: source.String}
		}
		return cand, nil
	})
	return out, translate(err, "connectivity candidates")
}

// DeleteUsageBefore removes daily usage of days before day, and hourly streamer usage of
// hours before it (retention); it returns how many rows went.
func (s *Store) DeleteUsageBefore(ctx context.Context, day time.Time) (int, error) {
	var n int64
	err := s.transact(ctx, "delete old usage", func(tx pgx.Tx) (bool, error) {
		tag, err := tx.Exec(ctx, `DELETE FROM sim_usage WHERE day < $1`, pgDay(day))
		if err != nil {
			return false, translate(err, "delete old usage")
		}
		n = tag.RowsAffected()
		tag, err = tx.Exec(ctx, `DELETE FROM sim_usage_hourly WHERE hour < $1`, fleet.Day(day))
		if err != nil {
			return false, translate(err, "delete old hourly usage")
		}
		n += tag.RowsAffected()
		return false, nil
	})
	return int(n), err
}

// DeleteEventsBefore removes SIM events that occurred before before (retention).
func (s *Store) DeleteEventsBefore(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sim_events WHERE occurred_at < $1`, pgTime(before))
	if err != nil {
		return 0, translate(err, "delete old events")
	}
	return int(tag.RowsAffected()), nil
}

// DeleteConnectivityBefore removes connectivity observations made before before (retention),
// keeping each SIM's latest one: it is the SIM's current state, against which the next
// observation is compared.
func (s *Store) DeleteConnectivityBefore(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sim_connectivity c WHERE c.observed_at < $1
		AND EXISTS (SELECT 1 FROM sim_connectivity n WHERE n.iccid = c.iccid
			AND (n.observed_at > c.observed_at OR (n.observed_at = c.observed_at AND n.id > c.id)))`, pgTime(before))
	if err != nil {
		return 0, translate(err, "delete old connectivity")
	}
	return int(tag.RowsAffected()), nil
}
