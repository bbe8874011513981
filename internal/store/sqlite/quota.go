package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const quotaColumns = `iccid, kind, volume, total_volume, last_volume_added, status, threshold_pct,
	expiry_date, peak_throughput, auto_reload, last_status_change_date, updated_at`

const (
	upsertQuotasHead = `INSERT INTO sim_quotas (` + quotaColumns + `) VALUES `
	upsertQuotasRow  = `(?,?,?,?,?,?,?,?,?,?,?,?)`
	upsertQuotasTail = ` ON CONFLICT (iccid, kind) DO UPDATE SET
	volume = excluded.volume, total_volume = excluded.total_volume,
	last_volume_added = excluded.last_volume_added, status = excluded.status,
	threshold_pct = excluded.threshold_pct, expiry_date = excluded.expiry_date,
	peak_throughput = excluded.peak_throughput, auto_reload = excluded.auto_reload,
	last_status_change_date = excluded.last_status_change_date, updated_at = excluded.updated_at`
)

// syncSIMQuotaSQL copies a quota's remaining volume and status onto the SIM row, so GET /sims
// can filter and sort by them without a join; %s are the column pair of the quota kind.
const syncSIMQuotaSQL = `UPDATE sims SET %[1]s = ?1,
	%[2]s = CASE WHEN ?2 = '' THEN %[2]s ELSE ?2 END,
	updated_at = CASE WHEN %[1]s IS DISTINCT FROM ?1 OR (?2 <> '' AND %[2]s <> ?2) THEN ?3 ELSE updated_at END
	WHERE iccid = ?4`

// UpsertQuotas stores the latest quota reports in one transaction and mirrors each SIM's
// remaining volume and quota status onto its sims row (when the SIM is known).
func (s *Store) UpsertQuotas(ctx context.Context, qs []fleet.Quota) error {
	if err := fleet.ValidateEach("quota", qs); err != nil {
		return fmt.Errorf("upsert quotas: %w", err)
	}
	qs = fleet.DedupeQuotas(qs)
	if len(qs) == 0 {
		return nil
	}
	ts := nowText()
	return s.inTx(ctx, "upsert quotas", func(tx *sql.Tx) error { return upsertQuotasTx(ctx, tx, qs, ts) })
}

// upsertQuotasTx writes validated, de-duplicated quotas and mirrors them onto the SIM rows.
func upsertQuotasTx(ctx context.Context, tx *sql.Tx, qs []fleet.Quota, ts string) error {
	_, err := execRows(ctx, tx, upsertQuotasHead, upsertQuotasRow, upsertQuotasTail, len(qs), func(i int, dst []any) []any {
		q := qs[i]
		var thr any
		if q.ThresholdPct != nil {
			thr = *q.ThresholdPct
		}
		return append(dst, q.ICCID, string(q.Kind), q.Volume, q.TotalVolume, q.LastVolumeAdded, q.Status,
			thr, nullableTime(q.ExpiryDate), nullInt64(q.PeakThroughput), q.AutoReload, nullableTime(q.LastStatusChangeDate), ts)
	})
	if err != nil {
		return err
	}
	// Per-row updates through prepared statements: in-process SQLite has no round trip to
	// save, and the rows are already in the transaction's pages.
	stmts := map[fleet.QuotaKind]*sql.Stmt{}
	for k, cols := range map[fleet.QuotaKind][2]string{
		fleet.QuotaData: {"data_volume_left", "data_quota_status"},
		fleet.QuotaSMS:  {"sms_left", "sms_quota_status"},
	} {
		st, err := tx.PrepareContext(ctx, fmt.Sprintf(syncSIMQuotaSQL, cols[0], cols[1]))
		if err != nil {
			return err
		}
		defer st.Close()
		stmts[k] = st
	}
	for _, q := range qs {
		if _, err := stmts[q.Kind].ExecContext(ctx, q.Volume, q.Status, ts, q.ICCID); err != nil {
			return err
		}
	}
	return nil
}

func scanQuota(row rowScanner) (fleet.Quota, error) {
	var (
		q         fleet.Quota
		kind      string
		thr, peak sql.NullInt64
	)
	err := row.Scan(&q.ICCID, &kind, &q.Volume, &q.TotalVolume, &q.LastVolumeAdded, &q.Status, &thr,
		scanTime(&q.ExpiryDate), &peak, &q.AutoReload, scanTime(&q.LastStatusChangeDate), scanTime(&q.UpdatedAt))
	q.Kind = fleet.QuotaKind(kind)
	if thr.Valid {
		n := int(thr.Int64)
		q.ThresholdPct = &n
	}
	q.PeakThroughput = fromNullInt64(peak)
	return q, err
}

// GetQuota returns one SIM's quota of the given kind; none stored is a not-found error.
func (s *Store) GetQuota(ctx context.Context, iccid string, kind fleet.QuotaKind) (fleet.Quota, error) {
	what := fmt.Sprintf("get %s quota %s", kind, iccid)
	if err := kind.Validate(); err != nil {
		return fleet.Quota{}, fmt.Errorf("%s: %w", what, err)
	}
	q, err := scanQuota(s.db.QueryRowContext(ctx, `SELECT `+quotaColumns+` FROM sim_quotas WHERE iccid = ? AND kind = ?`, iccid, string(kind)))
	if err != nil {
		return fleet.Quota{}, translate(err, what)
	}
	return q, nil
}

// QuotasBelow returns the quotas of kind whose remaining share of the total is below pct
// percent (quotas without a total are skipped), ordered by ICCID: the quota check's input.
func (s *Store) QuotasBelow(ctx context.Context, kind fleet.QuotaKind, pct float64) ([]fleet.Quota, error) {
	if err := fleet.ValidateQuotasBelow(kind, pct); err != nil {
		return nil, fmt.Errorf("quotas below: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+quotaColumns+` FROM sim_quotas
		WHERE kind = ? AND total_volume > 0 AND CAST(volume AS REAL) * 100 < ? * CAST(total_volume AS REAL)
		ORDER BY iccid`, string(kind), pct)
	if err != nil {
		return nil, translate(err, "quotas below")
	}
	defer rows.Close()
	out := []fleet.Quota{}
	for rows.Next() {
		q, err := scanQuota(rows)
		if err != nil {
			return nil, translate(err, "quotas below")
		}
		out = append(out, q)
	}
	return out, translate(rows.Err(), "quotas below")
}
