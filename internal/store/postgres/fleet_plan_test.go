package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/postgres"
)

// TestFleetPrefixFiltersUseIndexes proves each prefix filter can be answered by an index range
// scan: with sequential scans disabled, the plan must show an Index Cond on the column. A
// column without the "C" collation, or a pattern the planner cannot see, fails this.
func TestFleetPrefixFiltersUseIndexes(t *testing.T) {
	ctx := context.Background()
	s := dbtest.NewPostgres(t)
	// Statistics from a few thousand rows, so the planner judges the indexes as it would in
	// production rather than against an empty table.
	sims := make([]fleet.SIM, 5000)
	for i := range sims {
		sims[i] = fleet.SIM{ICCID: fmt.Sprintf("89882806660%08d", i), IMSI: fmt.Sprintf("90140510%07d", i),
			Label: fmt.Sprintf("%s-%d", []string{"pump", "meter", "gate"}[i%3], i), Status: []string{"Enabled", "Disabled"}[i%2]}
	}
	if err := s.UpsertSIMs(ctx, sims); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, "ANALYZE sims"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		f     fleet.SIMFilter
		count bool
		want  string
	}{
		{fleet.SIMFilter{ICCIDPrefix: "898828"}, false, "Index Cond: ((iccid >= "},
		{fleet.SIMFilter{ICCIDPrefix: "8988280666000001"}, true, "Index Only Scan using sims_pkey"},
		{fleet.SIMFilter{IMSIPrefix: "9014051000001"}, true, "Index Cond: ((imsi >= "},
		{fleet.SIMFilter{IMSIPrefix: "9014_5"}, false, "Index Cond: ((imsi >= "},
		{fleet.SIMFilter{MSISDNPrefix: "88228"}, false, "Index Cond: ((msisdn >= "},
		{fleet.SIMFilter{IMEIPrefix: "3569"}, false, "Index Cond: ((imei >= "},
		{fleet.SIMFilter{IPPrefix: "10.1.", Sort: "ip_address"}, false, "Index Cond: ((ip_address >= "},
	}
	for _, tc := range cases {
		f, err := tc.f.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		q, args := postgres.SIMListSQL(f)
		if tc.count {
			q, args = postgres.SIMCountSQL(f)
		}
		tx, err := s.Pool().Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		rows, err := tx.Query(ctx, "EXPLAIN "+q, append([]any{pgx.QueryExecModeExec}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		tx.Rollback(ctx) //nolint:errcheck
		if err != nil {
			t.Fatal(err)
		}
		plan := strings.Join(lines, "\n")
		if !strings.Contains(plan, tc.want) || strings.Contains(plan, "Seq Scan") {
			t.Errorf("%+v: plan does not use the index (%q):\n%s", tc.f, tc.want, plan)
		}
	}
}
