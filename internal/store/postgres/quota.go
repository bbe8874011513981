package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const quotaColumns = `iccid, kind, volume, total_volume, last_volume_added, status, threshold_pct,
	expiry_date, peak_throughput, auto_reload, last_status_change_date, updated_at`

// upsertQuotasSQL replaces each (SIM, kind) quota with 1NCE's latest report.
const upsertQuotasSQL = `INSERT INTO sim_quotas (` + quotaColumns + `)
SELECT u.iccid, u.kind, u.volume, u.total, u.added, u.status, u.threshold, u.expiry, u.peak,
	u.auto_reload, u.changed, $12
FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[], $6::text[], $7::int4[],
	$8::timestamptz[], $9::int8[], $10::bool[], $11::timestamptz[])
	AS u(iccid, kind, volume, total, added, status, threshold, expiry, peak, auto_reload, changed)
ON CONFLICT (iccid, kind) DO UPDATE SET
	volume = excluded.volume, total_volume = excluded.total_volume,
	last_volume_added = excluded.last_volume_added, status = excluded.status,
	threshold_pct = excluded.threshold_pct, expiry_date = excluded.expiry_date,
	peak_throughput = excluded.peak_throughput, auto_reload = excluded.auto_reload,
	last_status_change_date = excluded.last_status_change_date, updated_at = excluded.updated_at`

// syncSIMQuotaSQL copies the remaining volume and status onto the SIM rows, so GET /sims can
// filter and sort by them without a join; %s are the column pair of the quota kind.
const syncSIMQuotaSQL = `UPDATE sims SET %[1]s = u.volume,
	%[2]s = CASE WHEN u.status = '' THEN sims.%[2]s ELSE u.status END,
	updated_at = CASE WHEN sims.%[1]s IS DISTINCT FROM u.volume
		OR (u.status <> '' AND sims.%[2]s <> u.status) THEN $4 ELSE sims.updated_at END
FROM unnest($1::text[], $2::int8[], $3::text[]) AS u(iccid, volume, status)
WHERE sims.iccid = u.iccid`

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
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return translate(err, "upsert quotas")
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	if err := upsertQuotasTx(ctx, tx, qs, nowTS()); err != nil {
		return err
	}
	return translate(tx.Commit(ctx), "upsert quotas")
}

// upsertQuotasTx writes validated, de-duplicated quotas and mirrors them onto the SIM rows.
func upsertQuotasTx(ctx context.Context, tx pgx.Tx, qs []fleet.Quota, ts pgtype.Timestamptz) error {
	n := len(qs)
	iccid, kind, status := make([]string, n), make([]string, n), make([]string, n)
	vol, total, added := make([]int64, n), make([]int64, n), make([]int64, n)
	thr, peak := make([]pgtype.Int4, n), make([]pgtype.Int8, n)
	expiry, changed := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
	reload := make([]bool, n)
	perKind := map[fleet.QuotaKind]*struct {
		iccid, status []string
		vol           []int64
	}{fleet.QuotaData: {}, fleet.QuotaSMS: {}}
	for i, q := range qs {
		iccid[i], kind[i], status[i] = q.ICCID, string(q.Kind), q.Status
		vol[i], total[i], added[i] = q.Volume, q.TotalVolume, q.LastVolumeAdded
		thr[i], peak[i] = pgInt4(q.ThresholdPct), pgInt8(q.PeakThroughput)
		expiry[i], changed[i] = pgTime(q.ExpiryDate), pgTime(q.LastStatusChangeDate)
		reload[i] = q.AutoReload
		k := perKind[q.Kind]
		k.iccid, k.vol, k.status = append(k.iccid, q.ICCID), append(k.vol, q.Volume), append(k.status, q.Status)
	}
	if _, err := tx.Exec(ctx, upsertQuotasSQL, iccid, kind, vol, total, added, status, thr, expiry, peak, reload, changed, ts); err != nil {
		return translate(err, "upsert quotas")
	}
	for k, cols := range map[fleet.QuotaKind][2]string{
		fleet.QuotaData: {"data_volume_left", "data_quota_status"},
		fleet.QuotaSMS:  {"sms_left", "sms_quota_status"},
	} {
		if p := perKind[k]; len(p.iccid) > 0 {
			if _, err := tx.Exec(ctx, fmt.Sprintf(syncSIMQuotaSQL, cols[0], cols[1]), p.iccid, p.vol, p.status, ts); err != nil {
				return translate(err, "upsert quotas: update sims")
			}
		}
	}
	return nil
}

func scanQuota(r pgx.CollectableRow) (fleet.Quota, error) {
	var (
		q                    fleet.Quota
		kind                 string
		thr                  pgtype.Int4
		peak                 pgtype.Int8
		expiry, changed, upd pgtype.Timestamptz
	)
	err := r.Scan(&q.ICCID, &kind, &q.Volume, &q.TotalVolume, &q.LastVolumeAdded, &q.Status, &thr,
		&expiry, &peak, &q.AutoReload, &changed, &upd)
	q.Kind = fleet.QuotaKind(kind)
	q.ThresholdPct, q.PeakThroughput = fromPgInt4(thr), fromPgInt8(peak)
	q.ExpiryDate, q.LastStatusChangeDate, q.UpdatedAt = fromPgTime(expiry), fromPgTime(changed), fromPgTime(upd)
	return q, err
}

// GetQuota returns one SIM's quota of the given kind; none stored is a not-found error.
func (s *Store) GetQuota(ctx context.Context, iccid string, kind fleet.QuotaKind) (fleet.Quota, error) {
	what := fmt.Sprintf("get %s quota %s", kind, iccid)
	if err := kind.Validate(); err != nil {
		return fleet.Quota{}, fmt.Errorf("%s: %w", what, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+quotaColumns+` FROM sim_quotas WHERE iccid = $1 AND kind = $2`, iccid, string(kind))
	if err != nil {
		return fleet.Quota{}, translate(err, what)
	}
	q, err := pgx.CollectExactlyOneRow(rows, scanQuota)
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
	rows, err := s.pool.Query(ctx, `SELECT `+quotaColumns+` FROM sim_quotas
		WHERE kind = $1 AND total_volume > 0 AND volume::float8 * 100 < $2 * total_volume::float8
		ORDER BY iccid`, string(kind), pct)
	if err != nil {
		return nil, translate(err, "quotas below")
	}
	out, err := pgx.CollectRows(rows, scanQuota)
	if err != nil {
		return nil, translate(err, "quotas below")
	}
	return out, nil
}
