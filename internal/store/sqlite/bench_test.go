package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/sqlite"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

// Benchmarks compare each batched path with a row-by-row baseline (one prepared single-row
// statement per row, in the same single transaction, so only the statement shape differs).
// Record results in docs/BENCHMARKS.md with the command, e.g.
//
//	go test -run '^$' -bench . -benchtime 2x ./internal/store/sqlite/

const ts = "2006-01-02T15:04:05.000000Z"

func rowByRowSIMs(ctx context.Context, s *sqlite.Store, sims []fleet.SIM) error {
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	st, err := tx.PrepareContext(ctx, `INSERT INTO sims (iccid, iccid_with_luhn, imsi, current_imsi,
		msisdn, status, label, ip_address, imei, activation_date, organization_id, data_quota_status,
		sms_quota_status, last_synced_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (iccid) DO UPDATE SET iccid_with_luhn = excluded.iccid_with_luhn,
		imsi = excluded.imsi, current_imsi = excluded.current_imsi, msisdn = excluded.msisdn,
		status = excluded.status, label = excluded.label, ip_address = excluded.ip_address,
		imei = excluded.imei, activation_date = excluded.activation_date,
		organization_id = excluded.organization_id, data_quota_status = excluded.data_quota_status,
		sms_quota_status = excluded.sms_quota_status, last_synced_at = excluded.last_synced_at,
		updated_at = excluded.last_synced_at`)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC().Format(ts)
	for _, m := range sims {
		if _, err := st.ExecContext(ctx, m.ICCID, m.ICCIDWithLuhn, m.IMSI, m.CurrentIMSI, m.MSISDN,
			m.Status, m.Label, m.IPAddress, m.IMEI, m.ActivationDate.UTC().Format(ts), m.OrganizationID,
			m.DataQuotaStatus, m.SMSQuotaStatus, now); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func truncate(b *testing.B, s *sqlite.Store, table string) {
	b.Helper()
	if _, err := s.DB().Exec("DELETE FROM " + table); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkUpsertSIMs100k upserts 100,000 new SIMs into an empty table per iteration.
func BenchmarkUpsertSIMs100k(b *testing.B) {
	ctx := context.Background()
	s := dbtest.NewSQLite(b)
	sims := storetest.BenchSIMs(100_000)
	for _, bc := range []struct {
		name string
		fn   func() error
	}{
		{"batched", func() error { return s.UpsertSIMs(ctx, sims) }},
		{"baseline-row-by-row", func() error { return rowByRowSIMs(ctx, s, sims) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				truncate(b, s, "sims")
				b.StartTimer()
				if err := bc.fn(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(sims)*b.N)/b.Elapsed().Seconds(), "sims/s")
		})
	}
}

func rowByRowUsage(ctx context.Context, s *sqlite.Store, rows []fleet.Usage) error {
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	st, err := tx.PrepareContext(ctx, `INSERT INTO sim_usage AS t (iccid, day, volume_rx, volume_tx,
		volume_total, sms_mo, sms_mt, cost, source, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (iccid, day) DO UPDATE SET volume_rx = t.volume_rx + excluded.volume_rx,
		volume_tx = t.volume_tx + excluded.volume_tx, volume_total = t.volume_total + excluded.volume_total,
		sms_mo = t.sms_mo + excluded.sms_mo, sms_mt = t.sms_mt + excluded.sms_mt,
		cost = t.cost + excluded.cost, updated_at = excluded.updated_at WHERE NOT t.final`)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC().Format(ts)
	for _, u := range rows {
		if _, err := st.ExecContext(ctx, u.ICCID, u.Day.Format(time.DateOnly), u.VolumeRx, u.VolumeTx,
			u.VolumeTotal, u.SMSMO, u.SMSMT, u.Cost, string(u.Source), now); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// BenchmarkInsertUsage100k inserts 100,000 daily usage rows (10,000 SIMs × 10 days) per iteration.
func BenchmarkInsertUsage100k(b *testing.B) {
	ctx := context.Background()
	s := dbtest.NewSQLite(b)
	rows := storetest.BenchUsage(100_000)
	for _, bc := range []struct {
		name string
		fn   func() error
	}{
		{"batched", func() error { return s.UpsertUsage(ctx, rows) }},
		{"baseline-row-by-row", func() error { return rowByRowUsage(ctx, s, rows) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				truncate(b, s, "sim_usage")
				b.StartTimer()
				if err := bc.fn(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
