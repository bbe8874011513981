package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

func TestFleetConformance(t *testing.T) {
	storetest.RunFleet(t, func(t *testing.T) storetest.FleetStore { return dbtest.NewPostgres(t) })
}

// TestFleetTotalsAfterRawWrites covers the writes no store method makes but an operator or a
// migration might: the trigger-kept counts must follow DELETE and TRUNCATE too.
func TestFleetTotalsAfterRawWrites(t *testing.T) {
	ctx := context.Background()
	s := dbtest.NewPostgres(t)
	var sims []fleet.SIM
	for i := 0; i < 30; i++ {
		sims = append(sims, fleet.SIM{ICCID: fmt.Sprintf("89882806660%08d", i), Status: []string{"Enabled", "Disabled", "Activated"}[i%3],
			OrganizationID: []string{"a", "b"}[i%2]})
	}
	if err := s.UpsertSIMs(ctx, sims); err != nil {
		t.Fatal(err)
	}
	storetest.FleetCheckTotals(t, s)
	if _, err := s.Pool().Exec(ctx, `DELETE FROM sims WHERE status = 'Disabled' OR organization_id = 'a' AND status = 'Enabled'`); err != nil {
		t.Fatal(err)
	}
	storetest.FleetCheckTotals(t, s)
	if _, err := s.Pool().Exec(ctx, `UPDATE sims SET online = true WHERE iccid < '8988280666000000015'`); err != nil {
		t.Fatal(err)
	}
	storetest.FleetCheckTotals(t, s)
	if _, err := s.Pool().Exec(ctx, `TRUNCATE sims`); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListSIMs(ctx, fleet.SIMFilter{Statuses: []string{"Enabled"}})
	if err != nil || page.Total != 0 {
		t.Fatalf("after truncate: total %d, %v", page.Total, err)
	}
	if err := s.UpsertSIMs(ctx, sims[:4]); err != nil {
		t.Fatal(err)
	}
	storetest.FleetCheckTotals(t, s)
}

// TestFleetUsageTable checks which sim_usage the migrations built: a TimescaleDB hypertable
// where the extension is available, a plain table (what CI runs) where it is not.
func TestFleetUsageTable(t *testing.T) {
	ctx := context.Background()
	s := dbtest.NewPostgres(t)
	var available bool
	if err := s.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')`).Scan(&available); err != nil {
		t.Fatal(err)
	}
	if available {
		var n int
		if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = 'sim_usage'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("timescaledb available but sim_usage is not a hypertable (%d, %v)", n, err)
		}
		return
	}
	var kind string
	if err := s.Pool().QueryRow(ctx, `SELECT relkind::text FROM pg_class WHERE relname = 'sim_usage'`).Scan(&kind); err != nil || kind != "r" {
		t.Fatalf("sim_usage relkind = %q (%v), want a plain table", kind, err)
	}
}
