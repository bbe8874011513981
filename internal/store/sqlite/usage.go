package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const (
	upsertUsageHead = `INSERT INTO sim_usage AS t
	(iccid, day, volume_rx, volume_tx, volume_total, sms_mo, sms_mt, cost, source, final, updated_at) VALUES `
	upsertUsageRow  = `(?,?,?,?,?,?,?,?,?,?,?)`
	upsertUsageTail = ` ON CONFLICT (iccid, day) DO UPDATE SET
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
)

// UpsertUsage merges daily usage rows with multi-row statements in one transaction.
//
// Merge semantics (as in the PostgreSQL store, docs/DECISIONS.md "A day fed by both sources"):
// an API row replaces the stored day; a streamer row adds its volumes to the stored day unless
// that day is final; the stored source is the source of the last write that changed the day.
// Rows for the same SIM and day in one call are combined first by the same rules
// (fleet.MergeUsage).
func (s *Store) UpsertUsage(ctx context.Context, rows []fleet.Usage) error {
	if err := fleet.ValidateEach("row", rows); err != nil {
		return fmt.Errorf("upsert usage: %w", err)
	}
	rows = fleet.MergeUsage(rows)
	if len(rows) == 0 {
		return nil
	}
	ts := nowText()
	return s.inTx(ctx, "upsert usage", func(tx *sql.Tx) error { return upsertUsageTx(ctx, tx, rows, ts) })
}

// upsertUsageTx writes merged rows inside tx.
func upsertUsageTx(ctx context.Context, tx *sql.Tx, rows []fleet.Usage, ts string) error {
	_, err := execRows(ctx, tx, upsertUsageHead, upsertUsageRow, upsertUsageTail, len(rows), func(i int, dst []any) []any {
		u := rows[i]
		return append(dst, u.ICCID, dayText(u.Day), u.VolumeRx, u.VolumeTx, u.VolumeTotal, u.SMSMO,
			u.SMSMT, u.Cost, string(u.Source), u.Final, ts)
	})
	return err
}

// ListUsage returns one SIM's daily rows for the inclusive day range, oldest first. A SIM
// without usage yields an empty list, not an error.
func (s *Store) ListUsage(ctx context.Context, iccid string, from, to time.Time) ([]fleet.Usage, error) {
	from, to, err := fleet.ValidateDayRange(from, to)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT iccid, day, volume_rx, volume_tx, volume_total, sms_mo,
		sms_mt, CAST(cost AS REAL), source, final, updated_at FROM sim_usage
		WHERE iccid = ? AND day BETWEEN ? AND ? ORDER BY day`, iccid, dayText(from), dayText(to))
	if err != nil {
		return nil, translate(err, "list usage "+iccid)
	}
	defer rows.Close()
	out := []fleet.Usage{}
	for rows.Next() {
		var (
			u   fleet.Usage
			src string
		)
		if err := rows.Scan(&u.ICCID, scanTime(&u.Day), &u.VolumeRx, &u.VolumeTx, &u.VolumeTotal, &u.SMSMO, &u.SMSMT, &u.Cost, &src, &u.Final, scanTime(&u.UpdatedAt)); err != nil {
			return nil, translate(err, "list usage "+iccid)
		}
		u.Day, u.Source = fleet.Day(u.Day), fleet.UsageSource(src)
		out = append(out, u)
	}
	return out, translate(rows.Err(), "list usage "+iccid)
}

// UsageSummary totals one SIM's usage over the inclusive day range (zero totals without rows).
func (s *Store) UsageSummary(ctx context.Context, iccid string, from, to time.Time) (fleet.UsageSummary, error) {
	from, to, err := fleet.ValidateDayRange(from, to)
	if err != nil {
		return fleet.UsageSummary{}, err
	}
	sum := fleet.UsageSummary{ICCID: iccid, From: from, To: to}
	err = s.db.QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(volume_rx), 0), COALESCE(sum(volume_tx), 0),
		COALESCE(sum(volume_total), 0), COALESCE(sum(sms_mo), 0), COALESCE(sum(sms_mt), 0),
		CAST(COALESCE(sum(cost), 0) AS REAL)
		FROM sim_usage WHERE iccid = ? AND day BETWEEN ? AND ?`, iccid, dayText(from), dayText(to)).
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
	rows, err := s.db.QueryContext(ctx, `SELECT day, count(*), sum(volume_rx), sum(volume_tx),
		sum(volume_total), sum(sms_mo), sum(sms_mt), CAST(sum(cost) AS REAL)
		FROM sim_usage WHERE day BETWEEN ? AND ? GROUP BY day ORDER BY day`, dayText(from), dayText(to))
	if err != nil {
		return nil, translate(err, "daily usage totals")
	}
	defer rows.Close()
	out := []fleet.DailyTotal{}
	for rows.Next() {
		var d fleet.DailyTotal
		if err := rows.Scan(scanTime(&d.Day), &d.SIMs, &d.VolumeRx, &d.VolumeTx, &d.VolumeTotal, &d.SMSMO, &d.SMSMT, &d.Cost); err != nil {
			return nil, translate(err, "daily usage totals")
		}
		d.Day = fleet.Day(d.Day)
		out = append(out, d)
	}
	return out, translate(rows.Err(), "daily usage totals")
}
