package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// usageBatch bounds the rows per statement; a 3,000-record Data Streamer request is one.
const usageBatch = 10000

// upsertUsageSQL merges a batch of (SIM, day) rows by the rule of docs/DECISIONS.md ("A day fed
// by both sources"): API rows replace the stored day; streamer rows add to it and are ignored
// once the day is final (the WHERE of the conflict action); source names who wrote last.
const upsertUsageSQL = `INSERT INTO sim_usage AS t
	(iccid, day, volume_rx, volume_tx, volume_total, sms_mo, sms_mt, cost, source, final, updated_at)
SELECT u.iccid, u.day, u.rx, u.tx, u.total, u.mo, u.mt, u.cost, u.source, u.final, $11
FROM unnest($1::text[], $2::date[], $3::int8[], $4::int8[], $5::int8[], $6::int4[], $7::int4[],
	$8::float8[], $9::text[], $10::bool[]) AS u(iccid, day, rx, tx, total, mo, mt, cost, source, final)
ON CONFLICT (iccid, day) DO UPDATE SET
	volume_rx    = CASE WHEN excluded.source = 'api' THEN excluded.volume_rx    ELSE t.volume_rx    + excluded.volume_rx END,
	volume_tx    = CASE WHEN excluded.source = 'api' THEN excluded.volume_tx    ELSE t.volume_tx    + excluded.volume_tx END,
	volume_total = CASE WHEN excluded.source = 'api' THEN excluded.volume_total ELSE t.volume_total + excluded.volume_total END,
	sms_mo       = CASE WHEN excluded.source = 'api' THEN excluded.sms_mo       ELSE t.sms_mo       + excluded.sms_mo END,
	sms_mt       = CASE WHEN excluded.source = 'api' THEN excluded.sms_mt       ELSE t.sms_mt       + excluded.sms_mt END,
	cost         = CASE WHEN excluded.source = 'api' THEN excluded.cost         ELSE t.cost         + excluded.cost END,
	source       = excluded.source,
	final        = CASE WHEN excluded.source = 'api' THEN excluded.final ELSE t.final END,
	updated_at   = excluded.updated_at
WHERE excluded.source = 'api' OR NOT t.final`

// UpsertUsage merges daily usage rows in batches inside one transaction.
//
// Merge semantics: a row from the API (Source "api") replaces the stored day, because 1NCE's
// daily total includes what the Data Streamer already reported; a streamer row adds its
// volumes to the stored day, unless that day is final. The stored source is the source of
// the last write that changed the day: "streamer" once an increment was added to an API total
// (the Data Streamer applier follows the same rule). Rows for the same SIM and day in one call
// are combined first by the same rules (fleet.MergeUsage; an API row followed by streamer rows
// in one call is stored as one API total).
func (s *Store) UpsertUsage(ctx context.Context, rows []fleet.Usage) error {
	if err := fleet.ValidateEach("row", rows); err != nil {
		return fmt.Errorf("upsert usage: %w", err)
	}
	rows = fleet.MergeUsage(rows)
	if len(rows) == 0 {
		return nil
	}
	ts := nowTS()
	return s.inBatches(ctx, "upsert usage", len(rows), usageBatch, func(db execer, start, end int) error {
		_, err := db.Exec(ctx, upsertUsageSQL, usageArgs(rows[start:end], ts)...)
		return err
	})
}

// usageArgs are upsertUsageSQL's arguments for merged rows b.
func usageArgs(b []fleet.Usage, ts pgtype.Timestamptz) []any {
	n := len(b)
	iccid, source := make([]string, n), make([]string, n)
	day := make([]pgtype.Date, n)
	rx, tx, total, mo, mt := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	cost, final := make([]float64, n), make([]bool, n)
	for i, u := range b {
		iccid[i], source[i] = u.ICCID, string(u.Source)
		day[i] = pgtype.Date{Time: u.Day, Valid: true}
		rx[i], tx[i], total[i], mo[i], mt[i] = u.VolumeRx, u.VolumeTx, u.VolumeTotal, u.SMSMO, u.SMSMT
		cost[i], final[i] = u.Cost, u.Final
	}
	return []any{iccid, day, rx, tx, total, mo, mt, cost, source, final, ts}
}

func scanUsage(r pgx.CollectableRow) (fleet.Usage, error) {
	var (
		u   fleet.Usage
		day pgtype.Date
		upd pgtype.Timestamptz
		src string
	)
	err := r.Scan(&u.ICCID, &day, &u.VolumeRx, &u.VolumeTx, &u.VolumeTotal, &u.SMSMO, &u.SMSMT, &u.Cost, &src, &u.Final, &upd)
	u.Day = fleet.Day(day.Time)
	u.Source = fleet.UsageSource(src)
	u.UpdatedAt = fromPgTime(upd)
	return u, err
}

func pgDay(t time.Time) pgtype.Date { return pgtype.Date{Time: fleet.Day(t), Valid: true} }

// ListUsage returns one SIM's daily rows for the inclusive day range, oldest first. A SIM
// without usage yields an empty list, not an error.
func (s *Store) ListUsage(ctx context.Context, iccid string, from, to time.Time) ([]fleet.Usage, error) {
	from, to, err := fleet.ValidateDayRange(from, to)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT iccid, day, volume_rx, volume_tx, volume_total, sms_mo,
		sms_mt, cost::float8, source, final, updated_at FROM sim_usage
		WHERE iccid = $1 AND day BETWEEN $2 AND $3 ORDER BY day`, iccid, pgDay(from), pgDay(to))
	if err != nil {
		return nil, translate(err, "list usage "+iccid)
	}
	out, err := pgx.CollectRows(rows, scanUsage)
	if err != nil {
		return nil, translate(err, "list usage "+iccid)
	}
	return out, nil
}

// UsageSummary totals one SIM's usage over the inclusive day range (zero totals without rows).
func (s *Store) UsageSummary(ctx context.Context, iccid string, from, to time.Time) (fleet.UsageSummary, error) {
	from, to, err := fleet.ValidateDayRange(from, to)
	if err != nil {
		return fleet.UsageSummary{}, err
	}
	sum := fleet.UsageSummary{ICCID: iccid, From: from, To: to}
	err = s.pool.QueryRow(ctx, `SELECT count(*), COALESCE(sum(volume_rx), 0)::int8,
		COALESCE(sum(volume_tx), 0)::int8, COALESCE(sum(volume_total), 0)::int8,
		COALESCE(sum(sms_mo), 0)::int8, COALESCE(sum(sms_mt), 0)::int8, COALESCE(sum(cost), 0)::float8
		FROM sim_usage WHERE iccid = $1 AND day BETWEEN $2 AND $3`, iccid, pgDay(from), pgDay(to)).
		Scan(&sum.Days, &sum.VolumeRx, &sum.VolumeTx, &sum.VolumeTotal, &sum.SMSMO, &sum.SMSMT, &sum.Cost)
	if err != nil {
		return fleet.UsageSummary{}, translate(err, "usage summary "+iccid)
	}
	return sum, nil
}

// DailyUsageTotals returns the fleet's usage per day over the inclusive range, oldest first;
// days without any usage are absent.
func (s *Store) DailyUsageTotals(ctx context.Context, from, to time.Time) ([]fleet.DailyTotal, error) {
	from, to, err := fleet.ValidateDayRange(from, to)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT day, count(*), sum(volume_rx)::int8, sum(volume_tx)::int8,
		sum(volume_total)::int8, sum(sms_mo)::int8, sum(sms_mt)::int8, sum(cost)::float8
		FROM sim_usage WHERE day BETWEEN $1 AND $2 GROUP BY day ORDER BY day`, pgDay(from), pgDay(to))
	if err != nil {
		return nil, translate(err, "daily usage totals")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fleet.DailyTotal, error) {
		var (
			d   fleet.DailyTotal
			day pgtype.Date
		)
		err := r.Scan(&day, &d.SIMs, &d.VolumeRx, &d.VolumeTx, &d.VolumeTotal, &d.SMSMO, &d.SMSMT, &d.Cost)
		d.Day = fleet.Day(day.Time)
		return d, err
	})
	if err != nil {
		return nil, translate(err, "daily usage totals")
	}
	return out, nil
}
