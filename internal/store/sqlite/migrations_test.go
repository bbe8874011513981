package sqlite_test

import (
	"context"
	"testing"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
)

// Older versions stored the Data Streamer's times with milliseconds; migration 00013 rewrites
// them to the microsecond width every other time has, so text comparisons hold again.
func TestMigrationWidensMillisecondTimes(t *testing.T) {
	ctx := context.Background()
	s := dbtest.NewSQLite(t)
	// Roll back to just before 00013 (later migrations sit on top of it).
	for {
		st, err := s.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		applied := int64(0)
		for _, m := range st {
			if !m.AppliedAt.IsZero() && m.Source.Version > applied {
				applied = m.Source.Version
			}
		}
		if applied < 13 {
			break
		}
		if err := s.MigrateDown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	db := s.DB()
	if _, err := db.ExecContext(ctx, `INSERT INTO sim_usage_hourly (iccid, hour, volume_total, updated_at)
		VALUES ('8988', '2026-11-20T10:00:00.000Z', 7, '2026-11-20T10:59:59.999Z')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO streamer_records (stream, record_id, payload) VALUES ('usage', '1', '{}')`); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var hour, upd, recv string
	if err := db.QueryRowContext(ctx, `SELECT CAST(hour AS TEXT), CAST(updated_at AS TEXT) FROM sim_usage_hourly`).Scan(&hour, &upd); err != nil {
		t.Fatal(err)
	}
	if hour != "2026-11-20T10:00:00.000000Z" || upd != "2026-11-20T10:59:59.999000Z" {
		t.Errorf("hourly row = hour %q updated %q, want microsecond width", hour, upd)
	}
	if err := db.QueryRowContext(ctx, `SELECT CAST(received_at AS TEXT) FROM streamer_records`).Scan(&recv); err != nil {
		t.Fatal(err)
	}
	if len(recv) != len("2026-11-20T10:00:00.000000Z") {
		t.Errorf("received_at = %q (written by the column default), want microsecond width", recv)
	}
}
