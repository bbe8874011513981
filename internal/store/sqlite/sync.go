package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// The background-sync side of the store (see the PostgreSQL store's sync.go; storetest.RunSync
// holds both to the same semantics). Transactions take SQLite's write lock at BEGIN
// (_txlock=immediate), so a read-compare-write inside one sees no concurrent writer.

// inList renders n placeholders for an IN list.
func inList(n int) string { return "(?" + strings.Repeat(",?", n-1) + ")" }

// maxInList bounds one IN list below SQLite's variable limit.
const maxInList = 30000

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
	ts := nowText()
	err := s.inTx(ctx, "sync sims", func(tx *sql.Tx) error {
		type tracked struct {
			fields [5]string
			gone   bool
		}
		old := make(map[string]tracked, len(sims))
		for start := 0; start < len(sims); start += maxInList {
			chunk := sims[start:min(start+maxInList, len(sims))]
			args := make([]any, len(chunk))
			for i, m := range chunk {
				args[i] = m.ICCID
			}
			rows, err := tx.QueryContext(ctx, `SELECT iccid, status, ip_address, imei, label, imsi, gone_at IS NOT NULL
				FROM sims WHERE iccid IN `+inList(len(chunk)), args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var (
					iccid string
					t     tracked
				)
				if err := rows.Scan(&iccid, &t.fields[0], &t.fields[1], &t.fields[2], &t.fields[3], &t.fields[4], &t.gone); err != nil {
					rows.Close()
					return err
				}
				old[iccid] = t
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
		if err := upsertSIMsTx(ctx, tx, sims, ts); err != nil {
			return err
		}
		// The tracked fields are replaced by every upsert, so the new values are the input's.
		for _, m := range sims {
			t, ok := old[m.ICCID]
			res = appendSIMChanges(res, m.ICCID, !ok, t.gone, t.fields, [5]string{m.Status, m.IPAddress, m.IMEI, m.Label, m.IMSI})
		}
		return nil
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
	at := formatTime(syncedAfter)
	rows, err := s.db.QueryContext(ctx, `SELECT iccid FROM sims
		WHERE gone_at IS NULL AND (last_synced_at IS NULL OR last_synced_at < ?) AND created_at < ?
		ORDER BY iccid LIMIT ?`, at, at, max(limit, 0))
	if err != nil {
		return nil, translate(err, "gone candidates")
	}
	return scanAll(rows, "gone candidates", func(r rowScanner, v *string) error { return r.Scan(v) })
}

// MarkSIMsGone marks the listed SIMs as no longer at 1NCE (kept, not deleted) and returns how
// many were present until now.
func (s *Store) MarkSIMsGone(ctx context.Context, iccids []string, at time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, "mark sims gone", func(tx *sql.Tx) error {
		for start := 0; start < len(iccids); start += maxInList {
			chunk := iccids[start:min(start+maxInList, len(iccids))]
			args := []any{formatTime(at), nowText()}
			for _, id := range chunk {
				args = append(args, id)
			}
			res, err := tx.ExecContext(ctx, `UPDATE sims SET gone_at = ?, updated_at = ?
				WHERE gone_at IS NULL AND iccid IN `+inList(len(chunk)), args...)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(k)
		}
		return nil
	})
	return n, err
}

// UsageGaps returns the SIMs whose daily usage the gap-fill should read next, best first: near
// their quota, then without streamer data, then the longest unread.
func (s *Store) UsageGaps(ctx context.Context, q fleet.UsageGapQuery) ([]fleet.UsageGap, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT iccid, activation_date, final_through, checked_at, has_streamer, near_quota FROM (
		SELECT s.iccid, s.activation_date, u.final_through, u.checked_at,
			EXISTS (SELECT 1 FROM sim_usage_hourly h WHERE h.iccid = s.iccid AND h.hour >= ?2) AS has_streamer,
			(COALESCE(s.data_quota_level, 0) >= 1 OR EXISTS (SELECT 1 FROM sim_quotas q
				WHERE q.iccid = s.iccid AND q.kind = 'data' AND q.total_volume > 0
				AND CAST(q.volume AS REAL) * 100 < ?4 * q.total_volume)) AS near_quota
		FROM sims s LEFT JOIN sim_usage_sync u ON u.iccid = s.iccid
		WHERE s.gone_at IS NULL
	) c
	WHERE final_through IS NULL OR final_through < ?1
		OR (NOT has_streamer AND (checked_at IS NULL OR checked_at < ?3))
	ORDER BY near_quota DESC, has_streamer, checked_at IS NOT NULL, checked_at, iccid
	LIMIT ?5`, dayText(q.SettledThrough), formatTime(q.StreamerSince), formatTime(q.RefreshBefore), q.NearQuotaPct, max(q.Limit, 0))
	if err != nil {
		return nil, translate(err, "usage gaps")
	}
	return scanAll(rows, "usage gaps", func(r rowScanner, g *fleet.UsageGap) error {
		return r.Scan(&g.ICCID, scanTime(&g.ActivationDate), scanTime(&g.FinalThrough), scanTime(&g.CheckedAt), &g.HasStreamer, &g.NearQuota)
	})
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
	var final any
	if !f.FinalThrough.IsZero() {
		final = dayText(f.FinalThrough)
	}
	return s.inTx(ctx, "save usage fetch", func(tx *sql.Tx) error {
		if len(rows) > 0 {
			if err := upsertUsageTx(ctx, tx, rows, nowText()); err != nil {
				return err
			}
		}
		// The watermark never moves backwards (a slow read racing a newer one); SQLite's
		// max() of NULL is NULL, hence the COALESCEs.
		_, err := tx.ExecContext(ctx, `INSERT INTO sim_usage_sync (iccid, final_through, checked_at) VALUES (?1, ?2, ?3)
			ON CONFLICT (iccid) DO UPDATE SET
				final_through = max(COALESCE(sim_usage_sync.final_through, excluded.final_through), COALESCE(excluded.final_through, sim_usage_sync.final_through)),
				checked_at = max(COALESCE(sim_usage_sync.checked_at, excluded.checked_at), COALESCE(excluded.checked_at, sim_usage_sync.checked_at))`,
			f.ICCID, final, nullableTime(f.CheckedAt))
		return err
	})
}

// QuotaCheckCandidates returns present SIMs for a quota check, at-risk ones first, then the
// longest unchecked, skipping those checked at or after q.CheckedBefore.
func (s *Store) QuotaCheckCandidates(ctx context.Context, q fleet.QuotaCheckQuery) ([]fleet.QuotaCandidate, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT iccid, at_risk FROM (
		SELECT s.iccid, w.checked_at,
			(COALESCE(s.data_quota_level, 0) >= 1 OR COALESCE(s.sms_quota_level, 0) >= 1
			 OR EXISTS (SELECT 1 FROM sim_quotas q WHERE q.iccid = s.iccid AND (
				(q.total_volume > 0 AND CAST(q.volume AS REAL) * 100 < ?1 * q.total_volume)
				OR (q.expiry_date IS NOT NULL AND q.expiry_date < ?2)))) AS at_risk
		FROM sims s LEFT JOIN (SELECT iccid, min(checked_at) AS checked_at FROM quota_watch GROUP BY iccid) w
			ON w.iccid = s.iccid
		WHERE s.gone_at IS NULL AND (w.checked_at IS NULL OR w.checked_at < ?3)
	) c ORDER BY at_risk DESC, checked_at IS NOT NULL, checked_at, iccid LIMIT ?4`,
		q.AtRiskPct, formatTime(q.ExpiringBefore), formatTime(q.CheckedBefore), max(q.Limit, 0))
	if err != nil {
		return nil, translate(err, "quota check candidates")
	}
	return scanAll(rows, "quota check candidates", func(r rowScanner, c *fleet.QuotaCandidate) error {
		return r.Scan(&c.ICCID, &c.AtRisk)
	})
}

// ObserveQuotas stores quotas just read from 1NCE (UpsertQuotas' effects) and, in the same
// transaction, swaps each quota's remembered share left for the new one, returning the
// previous share; the write lock taken at BEGIN orders concurrent observers, so each crossing
// is seen by one.
func (s *Store) ObserveQuotas(ctx context.Context, qs []fleet.Quota, at time.Time) ([]fleet.QuotaObservation, error) {
	if err := fleet.ValidateEach("quota", qs); err != nil {
		return nil, fmt.Errorf("observe quotas: %w", err)
	}
	qs = fleet.DedupeQuotas(qs)
	if len(qs) == 0 {
		return nil, nil
	}
	out := make([]fleet.QuotaObservation, 0, len(qs))
	err := s.inTx(ctx, "observe quotas", func(tx *sql.Tx) error {
		if err := upsertQuotasTx(ctx, tx, qs, nowText()); err != nil {
			return err
		}
		sel, err := tx.PrepareContext(ctx, `SELECT last_pct, thresholds FROM quota_watch WHERE iccid = ? AND kind = ?`)
		if err != nil {
			return err
		}
		defer sel.Close()
		up, err := tx.PrepareContext(ctx, `INSERT INTO quota_watch (iccid, kind, last_pct, checked_at) VALUES (?1, ?2, ?3, ?4)
			ON CONFLICT (iccid, kind) DO UPDATE SET last_pct = excluded.last_pct, checked_at = excluded.checked_at`)
		if err != nil {
			return err
		}
		defer up.Close()
		checked := formatTime(at)
		for _, q := range qs {
			o := fleet.QuotaObservation{ICCID: q.ICCID, Kind: q.Kind, Pct: q.RemainingPct()}
			var (
				prev sql.NullFloat64
				thr  sql.NullString
			)
			switch err := sel.QueryRowContext(ctx, q.ICCID, string(q.Kind)).Scan(&prev, &thr); {
			case err == sql.ErrNoRows:
			case err != nil:
				return err
			}
			if prev.Valid {
				o.PrevPct = &prev.Float64
			}
			if thr.Valid {
				if o.Thresholds, err = fleet.ParseThresholds(thr.String); err != nil {
					return err
				}
			}
			if _, err := up.ExecContext(ctx, q.ICCID, string(q.Kind), o.Pct, checked); err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
	var text any
	if thresholds != nil {
		text = fleet.FormatThresholds(thresholds)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO quota_watch (iccid, kind, thresholds) VALUES (?, ?, ?)
		ON CONFLICT (iccid, kind) DO UPDATE SET thresholds = excluded.thresholds`, iccid, string(kind), text)
	return translate(err, "set quota thresholds")
}

// ConnectivityCandidates returns up to limit present SIMs (with a label containing
// labelContains, ASCII case-insensitively, when it is set) for a connectivity snapshot, the
// ones observed longest ago first, each with its latest stored observation.
func (s *Store) ConnectivityCandidates(ctx context.Context, labelContains string, limit int) ([]fleet.ConnectivityCandidate, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT s.iccid, c.id, c.observed_at, c.connected, c.cell_id,
			c.signal_strength, c.rat, c.country, c.operator, c.source
		FROM sims s LEFT JOIN sim_connectivity c ON c.id = (SELECT c2.id FROM sim_connectivity c2
			WHERE c2.iccid = s.iccid ORDER BY c2.observed_at DESC, c2.id DESC LIMIT 1)
		WHERE s.gone_at IS NULL AND (?1 = '' OR s.label LIKE ?2 ESCAPE '\')
		ORDER BY c.observed_at IS NOT NULL, c.observed_at, s.iccid LIMIT ?3`,
		labelContains, "%"+likeEscaper.Replace(labelContains)+"%", max(limit, 0))
	if err != nil {
		return nil, translate(err, "connectivity candidates")
	}
	return scanAll(rows, "connectivity candidates", func(r rowScanner, cand *fleet.ConnectivityCandidate) error {
		var (
			id                             sql.NullInt64
			at                             time.Time
			connected                      sql.NullBool
			sig                            sql.NullInt64
			cell, rat, country, op, source sql.NullString
		)
		if err := r.Scan(&cand.ICCID, &id, scanTime(&at), &connected, &cell, &sig, &rat, &country, &op, &source); err != nil {
			return err
		}
		if id.Valid {
			cand.Last = &fleet.Connectivity{ID: id.Int64, ICCID: cand.ICCID, ObservedAt: at,
				Connected: connected.Bool, CellID: cell.String, SignalStrength: fromNullInt(sig),
				RAT: rat.String, Country: country.String, Operator: op.String, Source: source.String}
		}
		return nil
	})
}

// DeleteUsageBefore removes daily usage of days before day, and hourly streamer usage of
// hours before it (retention); it returns how many rows went.
func (s *Store) DeleteUsageBefore(ctx context.Context, day time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, "delete old usage", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sim_usage WHERE day < ?`, dayText(day))
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return err
		}
		n = int(k)
		res, err = tx.ExecContext(ctx, `DELETE FROM sim_usage_hourly WHERE hour < ?`, formatTime(fleet.Day(day)))
		if err != nil {
			return err
		}
		k, err = res.RowsAffected()
		n += int(k)
		return err
	})
	return n, err
}

// DeleteEventsBefore removes SIM events that occurred before before (retention).
func (s *Store) DeleteEventsBefore(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sim_events WHERE occurred_at < ?`, formatTime(before))
	if err != nil {
		return 0, translate(err, "delete old events")
	}
	return rowsAffected(res, "delete old events")
}

// DeleteConnectivityBefore removes connectivity observations made before before (retention),
// keeping each SIM's latest one: it is the SIM's current state, against which the next
// observation is compared.
func (s *Store) DeleteConnectivityBefore(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sim_connectivity WHERE observed_at < ?1
		AND EXISTS (SELECT 1 FROM sim_connectivity n WHERE n.iccid = sim_connectivity.iccid
			AND (n.observed_at > sim_connectivity.observed_at
			     OR (n.observed_at = sim_connectivity.observed_at AND n.id > sim_connectivity.id)))`, formatTime(before))
	if err != nil {
		return 0, translate(err, "delete old connectivity")
	}
	return rowsAffected(res, "delete old connectivity")
}
