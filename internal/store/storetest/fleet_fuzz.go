package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// FuzzFleetFilters feeds arbitrary text into every free-text SIM filter of s (seeded here with
// the suite's fixture) and checks each answer against the reference model: LIKE and GLOB
// metacharacters, backslashes, case, invalid UTF-8 and NUL must either match literally or be
// rejected as invalid input — never an internal error, never a wrong row.
func FuzzFleetFilters(f *testing.F, s FleetStore) {
	ctx := context.Background()
	if err := s.UpsertSIMs(ctx, fleetFixture()); err != nil {
		f.Fatal(err)
	}
	page, err := s.ListSIMs(ctx, fleet.SIMFilter{PageSize: fleet.MaxPageSize})
	if err != nil {
		f.Fatal(err)
	}
	all := page.Items
	for _, seed := range []string{"pump", "PUMP A", "100%_", "%", "_", `\`, `\%`, "*", "[", "901_", "10.1.", "8988", "org_b", "\xff", "a\x00", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, flt := range []fleet.SIMFilter{
			{Label: in}, {ICCIDPrefix: in}, {IMSIPrefix: in}, {MSISDNPrefix: in}, {IMEIPrefix: in},
			{IPPrefix: in, Sort: "label"}, {OrganizationID: in}, {DataQuotaStatus: in}, {Statuses: []string{in}},
		} {
			flt.PageSize = fleet.MaxPageSize
			page, err := s.ListSIMs(ctx, flt)
			if err != nil {
				if fleet.ErrorCode(err) != fleet.CodeInvalid {
					t.Fatalf("%+v: %v", flt, err)
				}
				continue
			}
			want := fleetICCIDs(fleetReference(all, flt))
			if got := fleetICCIDs(page.Items); !slices.Equal(got, want) || page.Total != int64(len(want)) {
				t.Fatalf("%+v:\n got %v (total %d)\nwant %v", flt, got, page.Total, want)
			}
		}
	})
}
