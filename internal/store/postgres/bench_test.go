package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/postgres"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

// Benchmarks compare each batched path with the obvious row-by-row baseline in the same run.
// Record results in docs/BENCHMARKS.md with the command, e.g.
//
//	go test -run '^$' -bench . -benchtime 2x ./internal/store/postgres/

// rowByRowSIMs is the baseline: one INSERT … ON CONFLICT round trip per SIM, in a transaction.
func rowByRowSIMs(ctx context.Context, s *postgres.Store, sims []fleet.SIM) error {
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	for _, m := range sims {
		if _, err := tx.Exec(ctx, `INSERT INTO sims (iccid, iccid_with_luhn, imsi, current_imsi, msisdn,
			status, label, ip_address, imei, activation_date, organization_id, data_quota_status,
			sms_quota_status, last_synced_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13, now())
			ON CONFLICT (iccid) DO UPDATE SET iccid_with_luhn = excluded.iccid_with_luhn,
			imsi = excluded.imsi, current_imsi = excluded.current_imsi, msisdn = excluded.msisdn,
			status = excluded.status, label = excluded.label, ip_address = excluded.ip_address,
			imei = excluded.imei, activation_date = excluded.activation_date,
			organization_id = excluded.organization_id, data_quota_status = excluded.data_quota_status,
			sms_quota_status = excluded.sms_quota_status, last_synced_at = excluded.last_synced_at,
			updated_at = now()`,
			m.ICCID, m.ICCIDWithLuhn, m.IMSI, m.CurrentIMSI, m.MSISDN, m.Status, m.Label, m.IPAddress,
			m.IMEI, m.ActivationDate, m.OrganizationID, m.DataQuotaStatus, m.SMSQuotaStatus); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// copyTempSIMs is the other batched design the brief names: COPY into a temporary table, then
// one INSERT … SELECT … ON CONFLICT. It is measured beside the array upsert UpsertSIMs uses.
func copyTempSIMs(ctx context.Context, s *postgres.Store, sims []fleet.SIM) error {
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE sims_stage (LIKE sims INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return err
	}
	cols := []string{"iccid", "iccid_with_luhn", "imsi", "current_imsi", "msisdn", "status", "label",
		"ip_address", "imei", "activation_date", "organization_id", "data_quota_status", "sms_quota_status"}
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(sims) {
			return nil, nil
		}
		m := sims[i]
		i++
		return []any{m.ICCID, m.ICCIDWithLuhn, m.IMSI, m.CurrentIMSI, m.MSISDN, m.Status, m.Label,
			m.IPAddress, m.IMEI, m.ActivationDate, m.OrganizationID, m.DataQuotaStatus, m.SMSQuotaStatus}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"sims_stage"}, cols, src); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO sims SELECT * FROM sims_stage
		ON CONFLICT (iccid) DO UPDATE SET `+postgres.SIMUpsertSet()); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func truncate(b *testing.B, s *postgres.Store, table string) {
	b.Helper()
	if _, err := s.Pool().Exec(context.Background(), "TRUNCATE "+table); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkUpsertSIMs100k upserts 100,000 new SIMs into an empty table per iteration.
func BenchmarkUpsertSIMs100k(b *testing.B) {
	ctx := context.Background()
	s := dbtest.NewPostgres(b)
	sims := storetest.BenchSIMs(100_000)
	for _, bc := range []struct {
		name string
		fn   func() error
	}{
		{"batched", func() error { return s.UpsertSIMs(ctx, sims) }},
		{"alternative-copy-temp-table", func() error { return copyTempSIMs(ctx, s, sims) }},
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

// BenchmarkUpsertSIMPage100 upserts one 1NCE page (100 SIMs, the API's maximum page size)
// into a table of 10,000: the statement the fleet sync runs 1,000 times for 100,000 SIMs.
func BenchmarkUpsertSIMPage100(b *testing.B) {
	ctx := context.Background()
	s := dbtest.NewPostgres(b)
	sims := storetest.BenchSIMs(10_000)
	if err := s.UpsertSIMs(ctx, sims); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		fn   func(page []fleet.SIM) error
	}{
		{"batched", func(page []fleet.SIM) error { return s.UpsertSIMs(ctx, page) }},
		{"alternative-copy-temp-table", func(page []fleet.SIM) error { return copyTempSIMs(ctx, s, page) }},
		{"baseline-row-by-row", func(page []fleet.SIM) error { return rowByRowSIMs(ctx, s, page) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				start := i % 100 * 100
				page := slices.Clone(sims[start : start+100])
				for j := range page {
					page[j].Label = fmt.Sprintf("page-%d", i) // a real change on every row
				}
				if err := bc.fn(page); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func rowByRowUsage(ctx context.Context, s *postgres.Store, rows []fleet.Usage) error {
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	for _, u := range rows {
		if _, err := tx.Exec(ctx, `INSERT INTO sim_usage AS t (iccid, day, volume_rx, volume_tx,
			volume_total, sms_mo, sms_mt, cost, source) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
			ON CONFLICT (iccid, day) DO UPDATE SET volume_rx = t.volume_rx + excluded.volume_rx,
			volume_tx = t.volume_tx + excluded.volume_tx, volume_total = t.volume_total + excluded.volume_total,
			sms_mo = t.sms_mo + excluded.sms_mo, sms_mt = t.sms_mt + excluded.sms_mt,
			cost = t.cost + excluded.cost, updated_at = now() WHERE NOT t.final`,
			u.ICCID, u.Day, u.VolumeRx, u.VolumeTx, u.VolumeTotal, u.SMSMO, u.SMSMT, u.Cost, string(u.Source)); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// BenchmarkInsertUsage100k inserts 100,000 daily usage rows (10,000 SIMs × 10 days) per iteration.
func BenchmarkInsertUsage100k(b *testing.B) {
	ctx := context.Background()
	s := dbtest.NewPostgres(b)
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

// seedMillion COPYs 1,000,000 SIMs with realistic skew (80 % Enabled, 30 % online, 5 %
// exhausted, some never seen) into the sims table.
func seedMillion(b *testing.B, s *postgres.Store) {
	b.Helper()
	ctx := context.Background()
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	words := []string{"pump", "meter", "tracker", "gate", "sensor", "boiler", "scooter", "tank"}
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		status := "Enabled"
		switch r := rng.IntN(100); {
		case r >= 95:
			status = "Activated"
		case r >= 80:
			status = "Disabled"
		}
		dqs := "ACTIVE"
		if rng.IntN(100) < 5 {
			dqs = "EXHAUSTED"
		}
		var seen any
		if rng.IntN(10) > 0 {
			seen = t0.Add(time.Duration(rng.Int64N(int64(300 * 24 * time.Hour))))
		}
		upd := t0.Add(time.Duration(rng.Int64N(int64(300 * 24 * time.Hour))))
		row := []any{
			fmt.Sprintf("89882806660%08d", i), fmt.Sprintf("90140510%07d", i), fmt.Sprintf("8822851%08d", i),
			status, fmt.Sprintf("%s-%d", words[i%len(words)], rng.IntN(100_000)),
			fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), fmt.Sprintf("3569380%08d", rng.IntN(100_000_000)),
			t0.Add(time.Duration(i) * time.Minute), fmt.Sprintf("org-%d", rng.IntN(50)), dqs,
			rng.Int64N(1 << 30), rng.IntN(100) < 30, seen, upd, upd, upd,
		}
		i++
		return row, nil
	})
	cols := []string{"iccid", "imsi", "msisdn", "status", "label", "ip_address", "imei",
		"activation_date", "organization_id", "data_quota_status", "data_volume_left", "online",
		"last_seen_at", "created_at", "updated_at", "last_synced_at"}
	start := time.Now()
	if _, err := s.Pool().CopyFrom(ctx, pgx.Identifier{"sims"}, cols, src); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d SIMs with COPY in %v", n, time.Since(start).Round(time.Millisecond))
}

// pageQueries are the GET /sims calls the dashboard and API clients make.
var pageQueries = []struct {
	name string
	f    fleet.SIMFilter
}{
	{"status=Enabled sort=label", fleet.SIMFilter{Statuses: []string{"Enabled"}, Sort: "label"}},
	{"status=Enabled sort=-last_seen_at page=3", fleet.SIMFilter{Statuses: []string{"Enabled"}, Sort: "last_seen_at", Desc: true, Page: 3}},
	{"status=Disabled,Activated sort=iccid", fleet.SIMFilter{Statuses: []string{"Disabled", "Activated"}}},
	{"imsi prefix sort=imsi", fleet.SIMFilter{IMSIPrefix: "9014051000123", Sort: "imsi"}},
	{"iccid prefix + status", fleet.SIMFilter{ICCIDPrefix: "8988280666000042", Statuses: []string{"Enabled"}}},
	{"label contains sort=label", fleet.SIMFilter{Label: "tracker-4242", Sort: "label"}},
	{"org + online sort=-updated_at", fleet.SIMFilter{OrganizationID: "org-7", Online: fleetBool(true), Sort: "updated_at", Desc: true}},
	{"quota EXHAUSTED sort=iccid", fleet.SIMFilter{DataQuotaStatus: "EXHAUSTED"}},
	{"online sort=-last_seen_at", fleet.SIMFilter{Online: fleetBool(true), Sort: "last_seen_at", Desc: true}},
	{"unfiltered sort=iccid page=100", fleet.SIMFilter{Page: 100}},
	{"ip prefix sort=ip_address", fleet.SIMFilter{IPPrefix: "10.3.1", Sort: "ip_address"}},
	{"updated since sort=-updated_at", fleet.SIMFilter{UpdatedSince: time.Date(2025, 10, 20, 0, 0, 0, 0, time.UTC), Sort: "updated_at", Desc: true}},
}

func fleetBool(v bool) *bool { return &v }

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p/100))]
}

// runPageQueries runs every page query once per iteration and reports latency percentiles
// over all of them (page and exact total, as ListSIMs returns them).
func runPageQueries(b *testing.B, s *postgres.Store) {
	ctx := context.Background()
	perQuery := make([][]time.Duration, len(pageQueries))
	var all []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for q, pq := range pageQueries {
			start := time.Now()
			page, err := s.ListSIMs(ctx, pq.f)
			d := time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if len(page.Items) == 0 {
				b.Fatalf("%s: empty page (total %d)", pq.name, page.Total)
			}
			perQuery[q] = append(perQuery[q], d)
			all = append(all, d)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(all, 50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(all, 95).Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(percentile(all, 100).Microseconds())/1000, "max-ms")
	b.ReportMetric(0, "ns/op") // one op is a dozen queries: the percentiles are the result
	var sb strings.Builder
	for q, pq := range pageQueries {
		fmt.Fprintf(&sb, "\n  %-42s p50 %7.2f ms  p95 %7.2f ms", pq.name,
			float64(percentile(perQuery[q], 50).Microseconds())/1000, float64(percentile(perQuery[q], 95).Microseconds())/1000)
	}
	// Printed rather than logged: the testing package cuts long benchmark logs.
	fmt.Printf("%s: per query (%d runs each):%s\n", b.Name(), b.N, sb.String())
}

// BenchmarkListSIMs1M measures filtered, sorted page queries (with exact totals) over
// 1,000,000 SIMs. Seeding takes a minute or two, so it exists only under -bench. The baseline
// runs the same queries on the same data before the secondary indexes exist (primary key and
// the trigger-kept counts only): what the schema's indexes buy.
func BenchmarkListSIMs1M(b *testing.B) {
	ctx := context.Background()
	s := dbtest.NewPostgres(b)
	// Drop the secondary indexes for the load (COPY into a bare table, then one index build
	// each is several times faster than maintaining them row by row), keeping their DDL.
	rows, err := s.Pool().Query(ctx, `SELECT indexname, indexdef FROM pg_indexes
		WHERE tablename = 'sims' AND indexname <> 'sims_pkey'`)
	if err != nil {
		b.Fatal(err)
	}
	type index struct{ name, def string }
	indexes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var ix index
		return ix, r.Scan(&ix.name, &ix.def)
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, ix := range indexes {
		if _, err := s.Pool().Exec(ctx, "DROP INDEX "+ix.name); err != nil {
			b.Fatal(err)
		}
	}
	seedMillion(b, s)
	if _, err := s.Pool().Exec(ctx, "VACUUM ANALYZE sims"); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-primary-key-only", func(b *testing.B) { runPageQueries(b, s) })

	start := time.Now()
	for _, ix := range indexes {
		if _, err := s.Pool().Exec(ctx, ix.def); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.Pool().Exec(ctx, "VACUUM ANALYZE sims"); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d indexes in %v", len(indexes), time.Since(start).Round(time.Millisecond))
	b.Run("indexed", func(b *testing.B) { runPageQueries(b, s) })
}
