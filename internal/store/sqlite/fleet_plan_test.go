package sqlite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/sqlite"
)

// TestFleetPrefixFiltersUseIndexes proves each prefix filter is an index range search in
// SQLite's plan (a LIKE would be a full scan: SQLite's LIKE ignores case, the indexes do not).
func TestFleetPrefixFiltersUseIndexes(t *testing.T) {
	ctx := context.Background()
	s := dbtest.NewSQLite(t)
	cases := []struct {
		f    fleet.SIMFilter
		want string
	}{
		{fleet.SIMFilter{ICCIDPrefix: "898828"}, "(iccid>? AND iccid<?)"},
		{fleet.SIMFilter{IMSIPrefix: "9014_5"}, "(imsi>? AND imsi<?)"},
		{fleet.SIMFilter{MSISDNPrefix: "88228", Sort: "label"}, "(msisdn>? AND msisdn<?)"},
		{fleet.SIMFilter{IMEIPrefix: "3569"}, "(imei>? AND imei<?)"},
		{fleet.SIMFilter{IPPrefix: "10.1.", Sort: "ip_address"}, "(ip_address>? AND ip_address<?)"},
		{fleet.SIMFilter{Statuses: []string{"Enabled"}}, "(status=?)"},
		{fleet.SIMFilter{OrganizationID: "org-1", Sort: "iccid", Desc: true}, "(organization_id=?)"},
	}
	for _, tc := range cases {
		f, err := tc.f.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		q, args := sqlite.SIMListSQL(f)
		rows, err := s.DB().QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "\n"); !strings.Contains(p, tc.want) {
			t.Errorf("%+v: plan does not search the index for %s:\n%s", tc.f, tc.want, p)
		}
	}
}
