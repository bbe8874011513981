package storetest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// RunFleet runs the fleet-mirror conformance suite; newStore must return an empty, migrated
// store of its own for every call (each subtest gets a fresh database).
func RunFleet(t *testing.T, newStore func(t *testing.T) FleetStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s FleetStore)
	}{
		{"SIMRoundTrip", fleetTestSIMRoundTrip},
		{"SIMNotFound", fleetTestSIMNotFound},
		{"SIMUpsertMerge", fleetTestSIMUpsertMerge},
		{"SIMMergeMatchesStore", fleetTestSIMMergeMatchesStore},
		{"SIMUpsertValidation", fleetTestSIMUpsertValidation},
		{"SIMUpsertDuplicatesInBatch", fleetTestSIMUpsertDuplicates},
		{"SIMUpsertBigBatch", fleetTestSIMUpsertBigBatch},
		{"SIMListFilters", fleetTestSIMListFilters},
		{"SIMListSorts", fleetTestSIMListSorts},
		{"SIMListPaging", fleetTestSIMListPaging},
		{"SIMListInvalid", fleetTestSIMListInvalid},
		{"SIMTotalsFollowWrites", fleetTestSIMTotalsFollowWrites},
		{"SIMUpdate", fleetTestSIMUpdate},
		{"SIMCountByStatus", fleetTestSIMCountByStatus},
		{"UsageMerge", fleetTestUsageMerge},
		{"UsageQueries", fleetTestUsageQueries},
		{"UsageBigBatch", fleetTestUsageBigBatch},
		{"UsageValidation", fleetTestUsageValidation},
		{"Quotas", fleetTestQuotas},
		{"Connectivity", fleetTestConnectivity},
		{"Events", fleetTestEvents},
		{"EventsBigBatch", fleetTestEventsBigBatch},
		{"SMS", fleetTestSMS},
		{"PendingSMSAndTopConsumers", fleetTestPendingAndTop},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

// fleetBase is a fixed instant with sub-microsecond digits and a non-UTC zone: stores must return
// it in UTC, truncated to microseconds.
var fleetBase = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

func fleetPtr[T any](v T) *T { return &v }

func fleetMust(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func fleetWantErr(t *testing.T, err error, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

func fleetJSONEqual(t *testing.T, got, want json.RawMessage, what string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: stored JSON %q: %v", what, got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: want JSON %q: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s: JSON = %s, want %s", what, got, want)
	}
}

func fleetFullSIM(iccid string) fleet.SIM {
	return fleet.SIM{
		ICCID: iccid, ICCIDWithLuhn: iccid + "7", IMSI: "901405100000018", IMSI2: "901405100000019",
		CurrentIMSI: "901405100000018", MSISDN: "882285100000018", Status: "Enabled",
		Label: "Pump 7 — Köln", IPAddress: "10.0.0.7", IMEI: "356938035643809", IMEILock: true,
		ActivationDate: fleetBase, OrganizationID: "org-1", DataQuotaStatus: "ACTIVE",
		SMSQuotaStatus: "ACTIVE", DataVolumeLeft: fleetPtr(int64(524_288_000)), SMSLeft: fleetPtr(int64(250)),
		Online: true, LastSeenAt: fleetBase.Add(time.Hour), Metadata: json.RawMessage(`{"site": "Köln", "n": [1, 2]}`),
		LastSyncedAt: fleetBase.Add(2 * time.Hour),
	}
}

// fleetNormSIM blanks store-kept fields and normalises times for comparison.
func fleetNormSIM(s fleet.SIM) fleet.SIM {
	s.CreatedAt, s.UpdatedAt, s.Metadata = time.Time{}, time.Time{}, nil
	for _, p := range []*time.Time{&s.ActivationDate, &s.LastSeenAt, &s.LastSyncedAt} {
		if !p.IsZero() {
			*p = p.UTC().Truncate(time.Microsecond)
		}
	}
	return s
}

func fleetTestSIMRoundTrip(t *testing.T, s FleetStore) {
	ctx := context.Background()
	want := fleetFullSIM("8988280666000000001")
	before := time.Now().UTC().Add(-time.Minute)
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{want}), "upsert")
	got, err := s.GetSIM(ctx, want.ICCID)
	fleetMust(t, err, "get")
	if got.ActivationDate.Location() != time.UTC || got.LastSeenAt.Location() != time.UTC ||
		got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC || got.LastSyncedAt.Location() != time.UTC {
		t.Errorf("times not in UTC: %v %v %v %v", got.ActivationDate, got.LastSeenAt, got.CreatedAt, got.UpdatedAt)
	}
	if !got.ActivationDate.Equal(fleetBase.Truncate(time.Microsecond)) {
		t.Errorf("activation_date = %v, want %v", got.ActivationDate, fleetBase.Truncate(time.Microsecond))
	}
	if got.CreatedAt.Before(before) || got.UpdatedAt.Before(before) {
		t.Errorf("created/updated not set: %v %v", got.CreatedAt, got.UpdatedAt)
	}
	fleetJSONEqual(t, got.Metadata, want.Metadata, "metadata")
	if g, w := fleetNormSIM(got), fleetNormSIM(want); !reflect.DeepEqual(g, w) {
		t.Errorf("round trip:\n got %+v\nwant %+v", g, w)
	}

	// A minimal SIM: unknowns stay unknown, metadata is an empty object, last_synced_at is now.
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{{ICCID: "8988280666000000002"}}), "upsert minimal")
	min, err := s.GetSIM(ctx, "8988280666000000002")
	fleetMust(t, err, "get minimal")
	if !min.ActivationDate.IsZero() || !min.LastSeenAt.IsZero() || min.DataVolumeLeft != nil || min.SMSLeft != nil || min.Online {
		t.Errorf("minimal SIM has values it was not given: %+v", min)
	}
	if min.LastSyncedAt.Before(before) {
		t.Errorf("last_synced_at = %v, want about now", min.LastSyncedAt)
	}
	fleetJSONEqual(t, min.Metadata, json.RawMessage(`{}`), "minimal metadata")

	// The same SIM read through the list must be identical to GetSIM.
	page, err := s.ListSIMs(ctx, fleet.SIMFilter{ICCIDPrefix: want.ICCID})
	fleetMust(t, err, "list")
	if len(page.Items) != 1 || !reflect.DeepEqual(fleetNormSIM(page.Items[0]), fleetNormSIM(got)) || !page.Items[0].UpdatedAt.Equal(got.UpdatedAt) {
		t.Errorf("list item differs from get: %+v", page.Items)
	}
}

func fleetTestSIMNotFound(t *testing.T, s FleetStore) {
	ctx := context.Background()
	_, err := s.GetSIM(ctx, "8988280666000009999")
	fleetWantErr(t, err, fleet.ErrNotFound, "get missing")
	_, err = s.UpdateSIM(ctx, "8988280666000009999", fleet.SIMUpdate{Label: fleetPtr("x")})
	fleetWantErr(t, err, fleet.ErrNotFound, "update missing")
}

func fleetTestSIMUpsertMerge(t *testing.T, s FleetStore) {
	ctx := context.Background()
	const id = "8988280666000000010"
	first := fleetFullSIM(id)
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{first}), "first upsert")
	stored, err := s.GetSIM(ctx, id)
	fleetMust(t, err, "get")

	// Identical sync: nothing changes, so updated_at stays; last_synced_at follows the input.
	again := first
	again.LastSyncedAt = fleetBase.Add(3 * time.Hour)
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{again}), "identical upsert")
	same, err := s.GetSIM(ctx, id)
	fleetMust(t, err, "get")
	if !same.UpdatedAt.Equal(stored.UpdatedAt) {
		t.Errorf("identical upsert moved updated_at %v -> %v", stored.UpdatedAt, same.UpdatedAt)
	}
	if !same.CreatedAt.Equal(stored.CreatedAt) {
		t.Errorf("created_at changed")
	}
	if !same.LastSyncedAt.Equal(again.LastSyncedAt.UTC().Truncate(time.Microsecond)) {
		t.Errorf("last_synced_at = %v", same.LastSyncedAt)
	}

	// A sync page as 1NCE returns it: no connectivity, quota or metadata; a new label.
	sync := fleet.SIM{ICCID: id, IMSI: first.IMSI, Status: "Disabled", Label: "renamed", IMEI: first.IMEI}
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{sync}), "sync upsert")
	got, err := s.GetSIM(ctx, id)
	fleetMust(t, err, "get")
	if got.Status != "Disabled" || got.Label != "renamed" || got.MSISDN != "" || got.IMEILock {
		t.Errorf("sync-owned fields not replaced: %+v", got)
	}
	if !got.Online || !got.LastSeenAt.Equal(first.LastSeenAt.UTC().Truncate(time.Microsecond)) {
		t.Errorf("online/last_seen_at not kept: %v %v", got.Online, got.LastSeenAt)
	}
	if got.OrganizationID != first.OrganizationID || first.OrganizationID == "" { // the Data Streamer's, not the sync's
		t.Errorf("organization_id not kept: %q (was %q)", got.OrganizationID, first.OrganizationID)
	}
	if got.DataQuotaStatus != "ACTIVE" || got.SMSQuotaStatus != "ACTIVE" || got.DataVolumeLeft == nil || *got.DataVolumeLeft != 524_288_000 || got.SMSLeft == nil || *got.SMSLeft != 250 {
		t.Errorf("quota fields not kept: %+v", got)
	}
	fleetJSONEqual(t, got.Metadata, first.Metadata, "metadata kept")
	if got.UpdatedAt.Before(same.UpdatedAt) {
		t.Errorf("updated_at went backwards")
	}
	if !got.CreatedAt.Equal(stored.CreatedAt) {
		t.Errorf("created_at changed")
	}

	// Given values win: going offline with a newer last_seen_at, new quota, new metadata.
	given := sync
	given.Online, given.LastSeenAt = false, fleetBase.Add(5*time.Hour)
	given.DataQuotaStatus, given.DataVolumeLeft, given.SMSLeft = "EXHAUSTED", fleetPtr(int64(0)), fleetPtr(int64(0))
	given.Metadata = json.RawMessage(`{"site":"Bonn"}`)
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{given}), "given upsert")
	got, err = s.GetSIM(ctx, id)
	fleetMust(t, err, "get")
	if got.Online || !got.LastSeenAt.Equal(given.LastSeenAt.UTC().Truncate(time.Microsecond)) {
		t.Errorf("online/last_seen_at not replaced: %v %v", got.Online, got.LastSeenAt)
	}
	if got.DataQuotaStatus != "EXHAUSTED" || got.SMSQuotaStatus != "ACTIVE" || *got.DataVolumeLeft != 0 || *got.SMSLeft != 0 {
		t.Errorf("given quota fields: %+v", got)
	}
	fleetJSONEqual(t, got.Metadata, given.Metadata, "metadata replaced")
}

// fleetTestSIMMergeMatchesStore holds fleet.MergeSIM (which lets a read answer before its
// mirror write lands) to what the store's upsert really keeps.
func fleetTestSIMMergeMatchesStore(t *testing.T, s FleetStore) {
	ctx := context.Background()
	full := fleetFullSIM("8988280666000000020")
	bare := fleet.SIM{ICCID: "8988280666000000020", IMSI: "901405100000020", Status: "Disabled", Label: "renamed", LastSyncedAt: fleetBase.Add(4 * time.Hour)}
	given := bare
	given.Online, given.LastSeenAt, given.DataQuotaStatus, given.SMSLeft = false, fleetBase.Add(6*time.Hour), "EXHAUSTED", fleetPtr(int64(3))
	given.Metadata = json.RawMessage(`{"site":"Bonn"}`)
	same := full
	same.LastSyncedAt = fleetBase.Add(5 * time.Hour)
	for i, c := range []struct {
		name         string
		stored, next fleet.SIM
	}{{"sync page over a full record", full, bare}, {"given values", full, given}, {"identical", full, same}, {"full over bare", bare, full}} {
		iccid := fmt.Sprintf("89882806660000001%02d", i)
		c.stored.ICCID, c.next.ICCID = iccid, iccid
		fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{c.stored}), c.name+": first")
		before, err := s.GetSIM(ctx, iccid)
		fleetMust(t, err, c.name+": get")
		now := time.Now().UTC()
		want := fleet.MergeSIM(before, c.next, now)
		fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{c.next}), c.name+": second")
		got, err := s.GetSIM(ctx, iccid)
		fleetMust(t, err, c.name+": get")
		if !reflect.DeepEqual(fleetNormSIM(got), fleetNormSIM(want)) {
			t.Errorf("%s: store kept\n%+v\nMergeSIM predicted\n%+v", c.name, fleetNormSIM(got), fleetNormSIM(want))
		}
		fleetJSONEqual(t, got.Metadata, want.Metadata, c.name+": metadata")
		if moved := !got.UpdatedAt.Equal(before.UpdatedAt); moved != !want.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("%s: store moved updated_at %v, MergeSIM %v", c.name, moved, !moved)
		}
	}
}

func fleetTestSIMUpsertValidation(t *testing.T, s FleetStore) {
	ctx := context.Background()
	cases := []struct {
		name string
		sim  fleet.SIM
	}{
		{"empty iccid", fleet.SIM{}},
		{"space in iccid", fleet.SIM{ICCID: "8988 2806"}},
		{"too long", fleet.SIM{ICCID: strings.Repeat("8", 40)}},
		{"negative volume", fleet.SIM{ICCID: "1", DataVolumeLeft: fleetPtr(int64(-1))}},
		{"metadata not an object", fleet.SIM{ICCID: "1", Metadata: json.RawMessage(`[1,2]`)}},
		{"metadata not JSON", fleet.SIM{ICCID: "1", Metadata: json.RawMessage(`{`)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A valid SIM in the same call must not be written either: all or nothing.
			err := s.UpsertSIMs(ctx, []fleet.SIM{{ICCID: "8988280666000000020"}, tc.sim})
			fleetWantErr(t, err, fleet.ErrInvalid, "upsert")
			_, err = s.GetSIM(ctx, "8988280666000000020")
			fleetWantErr(t, err, fleet.ErrNotFound, "partial write")
		})
	}
	fleetMust(t, s.UpsertSIMs(ctx, nil), "empty upsert")
}

func fleetTestSIMUpsertDuplicates(t *testing.T, s FleetStore) {
	ctx := context.Background()
	a, b := fleet.SIM{ICCID: "8988280666000000030", Label: "first"}, fleet.SIM{ICCID: "8988280666000000031", Label: "other"}
	a2 := a
	a2.Label = "second"
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{a, b, a2}), "upsert")
	got, err := s.GetSIM(ctx, a.ICCID)
	fleetMust(t, err, "get")
	if got.Label != "second" {
		t.Errorf("label = %q, want the last duplicate's", got.Label)
	}
	page, err := s.ListSIMs(ctx, fleet.SIMFilter{})
	fleetMust(t, err, "list")
	if page.Total != 2 {
		t.Errorf("total = %d, want 2", page.Total)
	}
}

func fleetTestSIMUpsertBigBatch(t *testing.T, s FleetStore) {
	ctx := context.Background()
	// 40,000 SIMs: more rows than one SQLite statement may bind (32,766 variables) and more
	// than one PostgreSQL batch, in a single call.
	const n = 40_000
	sims := make([]fleet.SIM, n)
	for i := range sims {
		sims[i] = fleet.SIM{ICCID: fmt.Sprintf("89882806660%08d", i), IMSI: fmt.Sprintf("90140510%07d", i),
			Status: []string{"Enabled", "Disabled"}[i%2], Label: fmt.Sprintf("dev-%d", i)}
	}
	fleetMust(t, s.UpsertSIMs(ctx, sims), "upsert")
	sims[n-1].Label = "changed"
	fleetMust(t, s.UpsertSIMs(ctx, sims), "re-upsert")
	page, err := s.ListSIMs(ctx, fleet.SIMFilter{Statuses: []string{"Disabled"}, PageSize: 10, Desc: true})
	fleetMust(t, err, "list")
	if page.Total != n/2 {
		t.Errorf("total = %d, want %d", page.Total, n/2)
	}
	if len(page.Items) != 10 || page.Items[0].ICCID != sims[n-1].ICCID || page.Items[0].Label != "changed" {
		t.Errorf("first item = %+v", page.Items[0])
	}
	for _, i := range []int{0, 12_345, n - 2} {
		got, err := s.GetSIM(ctx, sims[i].ICCID)
		fleetMust(t, err, "get")
		if got.IMSI != sims[i].IMSI || got.Label != sims[i].Label {
			t.Errorf("sim %d = %+v", i, got)
		}
	}
}

// fleetFixture is a small fleet covering every filter and sort edge: LIKE metacharacters in
// identifiers and labels, ASCII case, NULLs in nullable columns, equal sort keys.
func fleetFixture() []fleet.SIM {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []fleet.SIM
	statuses := []string{"Enabled", "Disabled", "Enabled", "Activated", "Enabled"}
	labels := []string{"Pump A", "pump b", "100%_done", "100% done", "Gate", "", "gate-2", "x_y", `back\slash`}
	for i := 0; i < 27; i++ {
		s := fleet.SIM{
			ICCID:           fmt.Sprintf("898828066600000%04d", i*7%27),
			IMSI:            fmt.Sprintf("9014051%08d", i%9),
			MSISDN:          fmt.Sprintf("88228%d", 100+i%5),
			Status:          statuses[i%len(statuses)],
			Label:           labels[i%len(labels)],
			IPAddress:       fmt.Sprintf("10.%d.0.%d", i%3, i),
			IMEI:            fmt.Sprintf("35693803%07d", i%4),
			IMEILock:        i%2 == 0,
			OrganizationID:  []string{"org-a", "org_b", "org-c"}[i%3],
			DataQuotaStatus: []string{"ACTIVE", "EXHAUSTED", ""}[i%3],
			SMSQuotaStatus:  []string{"ACTIVE", ""}[i%2],
		}
		if i%4 != 0 {
			s.ActivationDate = t0.Add(time.Duration(i%6) * 24 * time.Hour)
			s.DataVolumeLeft = fleetPtr(int64(i%5) * 1_000_000)
		}
		if i%3 != 0 {
			s.SMSLeft = fleetPtr(int64(i % 4))
			s.LastSeenAt = t0.Add(time.Duration(i%5) * time.Hour)
			s.Online = i%2 == 1
		}
		if i == 5 {
			s.IMSI = "901_05100000005" // an underscore must match literally, not any character
		}
		out = append(out, s)
	}
	return out
}

// fleetSortKey returns the sort key of column col: nil for NULL.
func fleetSortKey(s fleet.SIM, col string) any {
	tm := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UnixMicro()
	}
	i64 := func(p *int64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	b := func(v bool) any {
		if v {
			return int64(1)
		}
		return int64(0)
	}
	switch col {
	case "iccid":
		return s.ICCID
	case "iccid_with_luhn":
		return s.ICCIDWithLuhn
	case "imsi":
		return s.IMSI
	case "imsi_2":
		return s.IMSI2
	case "current_imsi":
		return s.CurrentIMSI
	case "msisdn":
		return s.MSISDN
	case "status":
		return s.Status
	case "label":
		return s.Label
	case "ip_address":
		return s.IPAddress
	case "imei":
		return s.IMEI
	case "imei_lock":
		return b(s.IMEILock)
	case "activation_date":
		return tm(s.ActivationDate)
	case "organization_id":
		return s.OrganizationID
	case "data_quota_status":
		return s.DataQuotaStatus
	case "sms_quota_status":
		return s.SMSQuotaStatus
	case "data_volume_left":
		return i64(s.DataVolumeLeft)
	case "sms_left":
		return i64(s.SMSLeft)
	case "online":
		return b(s.Online)
	case "last_seen_at":
		return tm(s.LastSeenAt)
	case "created_at":
		return tm(s.CreatedAt)
	case "updated_at":
		return tm(s.UpdatedAt)
	case "last_synced_at":
		return tm(s.LastSyncedAt)
	}
	panic("storetest: no sort key for " + col)
}

// fleetCompareKeys orders two keys with NULL as the largest value; strings compare bytewise.
func fleetCompareKeys(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch av := a.(type) {
	case string:
		return strings.Compare(av, b.(string))
	case int64:
		return cmp.Compare(av, b.(int64))
	}
	panic(fmt.Sprintf("storetest: key type %T", a))
}

// fleetReference applies f to sims the way the stores must: the test's model of GET /sims.
func fleetReference(sims []fleet.SIM, f fleet.SIMFilter) []fleet.SIM {
	var out []fleet.SIM
	for _, s := range sims {
		if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, s.Status) {
			continue
		}
		if f.Label != "" && !strings.Contains(fleetASCIILower(s.Label), fleetASCIILower(f.Label)) {
			continue
		}
		if !strings.HasPrefix(s.ICCID, f.ICCIDPrefix) || !strings.HasPrefix(s.IMSI, f.IMSIPrefix) ||
			!strings.HasPrefix(s.MSISDN, f.MSISDNPrefix) || !strings.HasPrefix(s.IMEI, f.IMEIPrefix) ||
			!strings.HasPrefix(s.IPAddress, f.IPPrefix) {
			continue
		}
		if f.OrganizationID != "" && s.OrganizationID != f.OrganizationID {
			continue
		}
		if f.DataQuotaStatus != "" && s.DataQuotaStatus != f.DataQuotaStatus {
			continue
		}
		if f.Online != nil && s.Online != *f.Online {
			continue
		}
		if !f.UpdatedSince.IsZero() && s.UpdatedAt.Before(f.UpdatedSince) {
			continue
		}
		out = append(out, s)
	}
	col := cmp.Or(f.Sort, "iccid")
	slices.SortStableFunc(out, func(a, b fleet.SIM) int {
		c := cmp.Or(fleetCompareKeys(fleetSortKey(a, col), fleetSortKey(b, col)), strings.Compare(a.ICCID, b.ICCID))
		if f.Desc {
			return -c
		}
		return c
	})
	return out
}

// fleetASCIILower folds ASCII letters only: the label filter ignores ASCII case, as SQLite's
// LIKE and PostgreSQL's ILIKE under the "C" collation do.
func fleetASCIILower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func fleetICCIDs(sims []fleet.SIM) []string {
	out := make([]string, len(sims))
	for i, s := range sims {
		out[i] = s.ICCID
	}
	return out
}

func fleetSeed(t *testing.T, s FleetStore) []fleet.SIM {
	t.Helper()
	ctx := context.Background()
	fleetMust(t, s.UpsertSIMs(ctx, fleetFixture()), "seed")
	page, err := s.ListSIMs(ctx, fleet.SIMFilter{PageSize: fleet.MaxPageSize})
	fleetMust(t, err, "list all")
	if len(page.Items) != 27 || page.Total != 27 {
		t.Fatalf("seeded %d SIMs (total %d), want 27", len(page.Items), page.Total)
	}
	return page.Items
}

func fleetTestSIMListFilters(t *testing.T, s FleetStore) {
	ctx := context.Background()
	all := fleetSeed(t, s)
	// Touch two SIMs later so "updated since" has something to separate. Stores keep
	// microseconds, and a touch can read the clock within the same microsecond as mid.
	mid := time.Now().UTC().Truncate(time.Microsecond)
	for _, id := range []string{all[3].ICCID, all[20].ICCID} {
		_, err := s.UpdateSIM(ctx, id, fleet.SIMUpdate{Label: fleetPtr("touched")})
		fleetMust(t, err, "touch")
	}
	page, err := s.ListSIMs(ctx, fleet.SIMFilter{PageSize: fleet.MaxPageSize})
	fleetMust(t, err, "list all")
	all = page.Items

	cases := []struct {
		name string
		f    fleet.SIMFilter
		min  int // the fixture must give at least this many matches, so a case cannot pass empty
	}{
		{"none", fleet.SIMFilter{}, 27},
		{"status", fleet.SIMFilter{Statuses: []string{"Enabled"}}, 5},
		{"statuses", fleet.SIMFilter{Statuses: []string{"Disabled", "Activated"}}, 5},
		{"status none", fleet.SIMFilter{Statuses: []string{"Gone"}}, 0},
		{"label substring ignores case", fleet.SIMFilter{Label: "PUMP"}, 2},
		{"label percent literal", fleet.SIMFilter{Label: "100%_"}, 1},
		{"label percent space", fleet.SIMFilter{Label: "0% d"}, 1},
		{"label underscore literal", fleet.SIMFilter{Label: "x_y"}, 1},
		{"label underscore not wildcard", fleet.SIMFilter{Label: "e_2"}, 0},
		{"label backslash", fleet.SIMFilter{Label: `k\s`}, 1},
		{"iccid prefix", fleet.SIMFilter{ICCIDPrefix: "898828066600000001"}, 10},
		{"iccid prefix exact", fleet.SIMFilter{ICCIDPrefix: all[4].ICCID}, 1},
		{"imsi prefix", fleet.SIMFilter{IMSIPrefix: "901405100000000"}, 3},
		{"imsi underscore literal", fleet.SIMFilter{IMSIPrefix: "901_"}, 1},
		{"imsi percent", fleet.SIMFilter{IMSIPrefix: "%"}, 0},
		{"msisdn prefix", fleet.SIMFilter{MSISDNPrefix: "882281"}, 27},
		{"imei prefix", fleet.SIMFilter{IMEIPrefix: "356938030000003"}, 6},
		{"ip prefix", fleet.SIMFilter{IPPrefix: "10.1."}, 9},
		{"ip prefix dot is literal", fleet.SIMFilter{IPPrefix: "10.1.0.1"}, 3},
		{"organization", fleet.SIMFilter{OrganizationID: "org_b"}, 9},
		{"organization underscore exact", fleet.SIMFilter{OrganizationID: "org-b"}, 0},
		{"data quota status", fleet.SIMFilter{DataQuotaStatus: "EXHAUSTED"}, 9},
		{"online", fleet.SIMFilter{Online: fleetPtr(true)}, 5},
		{"offline", fleet.SIMFilter{Online: fleetPtr(false)}, 5},
		{"updated since", fleet.SIMFilter{UpdatedSince: mid}, 2},
		{"combined", fleet.SIMFilter{Statuses: []string{"Enabled"}, OrganizationID: "org-a", IPPrefix: "10.0."}, 1},
		{"combined with sort", fleet.SIMFilter{IMEIPrefix: "35693803", Online: fleetPtr(false), Sort: "last_seen_at", Desc: true}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := fleetICCIDs(fleetReference(all, tc.f))
			if len(want) < tc.min {
				t.Fatalf("fixture gives %d matches, case expects at least %d", len(want), tc.min)
			}
			f := tc.f
			f.PageSize = fleet.MaxPageSize
			page, err := s.ListSIMs(ctx, f)
			fleetMust(t, err, "list")
			if got := fleetICCIDs(page.Items); !slices.Equal(got, want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
			if page.Total != int64(len(want)) {
				t.Errorf("total = %d, want %d", page.Total, len(want))
			}
		})
	}
}

func fleetTestSIMListSorts(t *testing.T, s FleetStore) {
	ctx := context.Background()
	all := fleetSeed(t, s)
	for _, col := range fleet.SIMSortColumns() {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s desc=%v", col, desc), func(t *testing.T) {
				f := fleet.SIMFilter{Sort: col, Desc: desc, PageSize: fleet.MaxPageSize}
				page, err := s.ListSIMs(ctx, f)
				fleetMust(t, err, "list")
				if got, want := fleetICCIDs(page.Items), fleetICCIDs(fleetReference(all, f)); !slices.Equal(got, want) {
					t.Errorf("got  %v\nwant %v", got, want)
				}
			})
		}
	}
	var f fleet.SIMFilter
	f.ParseSort("-label")
	if f.Sort != "label" || !f.Desc {
		t.Errorf("ParseSort(-label) = %q %v", f.Sort, f.Desc)
	}
}

func fleetTestSIMListPaging(t *testing.T, s FleetStore) {
	ctx := context.Background()
	all := fleetSeed(t, s)
	for _, f := range []fleet.SIMFilter{
		{Sort: "label", PageSize: 4},
		{Sort: "activation_date", Desc: true, PageSize: 5},
		{Statuses: []string{"Enabled"}, Sort: "imsi", PageSize: 2},
	} {
		want := fleetICCIDs(fleetReference(all, f))
		var got []string
		for p := 1; ; p++ {
			f.Page = p
			page, err := s.ListSIMs(ctx, f)
			fleetMust(t, err, "list")
			if page.Total != int64(len(want)) || page.Page != p || page.PageSize != f.PageSize {
				t.Fatalf("page %d: total %d page %d size %d, want total %d", p, page.Total, page.Page, page.PageSize, len(want))
			}
			if len(page.Items) == 0 {
				break
			}
			if len(page.Items) > f.PageSize {
				t.Fatalf("page %d has %d items", p, len(page.Items))
			}
			got = append(got, fleetICCIDs(page.Items)...)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%+v: pages concatenate to\n%v\nwant\n%v", f, got, want)
		}
	}
	page, err := s.ListSIMs(ctx, fleet.SIMFilter{Page: 1000})
	fleetMust(t, err, "page past the end")
	if page.Items == nil || len(page.Items) != 0 || page.Total != 27 || page.PageSize != fleet.DefaultPageSize {
		t.Errorf("page past the end = %+v", page)
	}
}

func fleetTestSIMListInvalid(t *testing.T, s FleetStore) {
	ctx := context.Background()
	for _, f := range []fleet.SIMFilter{
		{Sort: "password"},
		{Sort: "iccid; DROP TABLE sims"},
		{Sort: "metadata"},
		{PageSize: -1},
		{PageSize: fleet.MaxPageSize + 1},
		{Page: -1},
		{Page: fleet.MaxPage + 1},
		{Statuses: []string{""}},
	} {
		_, err := s.ListSIMs(ctx, f)
		fleetWantErr(t, err, fleet.ErrInvalid, fmt.Sprintf("%+v", f))
	}
}

func fleetTestSIMUpdate(t *testing.T, s FleetStore) {
	ctx := context.Background()
	sim := fleetFullSIM("8988280666000000040")
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{sim}), "upsert")
	before, err := s.GetSIM(ctx, sim.ICCID)
	fleetMust(t, err, "get")
	got, err := s.UpdateSIM(ctx, sim.ICCID, fleet.SIMUpdate{Label: fleetPtr("new label"), IMEILock: fleetPtr(false)})
	fleetMust(t, err, "update")
	if got.Label != "new label" || got.IMEILock || got.Status != sim.Status {
		t.Errorf("updated = %+v", got)
	}
	fleetJSONEqual(t, got.Metadata, sim.Metadata, "metadata untouched")
	if got.UpdatedAt.Before(before.UpdatedAt) {
		t.Errorf("updated_at went backwards")
	}
	got, err = s.UpdateSIM(ctx, sim.ICCID, fleet.SIMUpdate{Status: fleetPtr("Disabled"), Metadata: json.RawMessage(`{}`)})
	fleetMust(t, err, "update")
	fleetJSONEqual(t, got.Metadata, json.RawMessage(`{}`), "metadata cleared")
	if got.Status != "Disabled" || got.Label != "new label" {
		t.Errorf("updated = %+v", got)
	}
	reread, err := s.GetSIM(ctx, sim.ICCID)
	fleetMust(t, err, "get")
	if !reflect.DeepEqual(fleetNormSIM(reread), fleetNormSIM(got)) {
		t.Errorf("returned SIM differs from stored:\n%+v\n%+v", got, reread)
	}
	_, err = s.UpdateSIM(ctx, sim.ICCID, fleet.SIMUpdate{})
	fleetWantErr(t, err, fleet.ErrInvalid, "empty update")
	_, err = s.UpdateSIM(ctx, sim.ICCID, fleet.SIMUpdate{Metadata: json.RawMessage(`"x"`)})
	fleetWantErr(t, err, fleet.ErrInvalid, "bad metadata")
}

func fleetTestSIMCountByStatus(t *testing.T, s FleetStore) {
	ctx := context.Background()
	got, err := s.CountSIMsByStatus(ctx)
	fleetMust(t, err, "count empty")
	if len(got) != 0 {
		t.Errorf("empty fleet counts = %v", got)
	}
	fleetSeed(t, s)
	got, err = s.CountSIMsByStatus(ctx)
	fleetMust(t, err, "count")
	want := []fleet.StatusCount{{Status: "Activated", Count: 5}, {Status: "Disabled", Count: 6}, {Status: "Enabled", Count: 16}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
}

// FleetCheckTotals compares ListSIMs totals for every combination of the equality filters
// with a count over the full list. A backend may count those filters from summary tables
// (PostgreSQL does), so the totals must follow every write path; backends call it from their
// own tests after writes the suite cannot make (raw DELETE, TRUNCATE).
func FleetCheckTotals(t *testing.T, s FleetStore) {
	t.Helper()
	ctx := context.Background()
	page, err := s.ListSIMs(ctx, fleet.SIMFilter{PageSize: fleet.MaxPageSize})
	fleetMust(t, err, "list all")
	all := page.Items
	if page.Total != int64(len(all)) {
		t.Errorf("unfiltered total = %d, want %d", page.Total, len(all))
	}
	on, off := true, false
	var statuses [][]string
	var orgs, quotas []string
	seen := map[string]bool{}
	for _, m := range all {
		if !seen["s"+m.Status] {
			seen["s"+m.Status] = true
			statuses = append(statuses, []string{m.Status})
		}
		if !seen["o"+m.OrganizationID] {
			seen["o"+m.OrganizationID] = true
			orgs = append(orgs, m.OrganizationID)
		}
		if !seen["q"+m.DataQuotaStatus] && m.DataQuotaStatus != "" {
			seen["q"+m.DataQuotaStatus] = true
			quotas = append(quotas, m.DataQuotaStatus)
		}
	}
	statuses = append(statuses, nil, []string{"Enabled", "Disabled"}, []string{"none"})
	orgs = append(orgs, "", "none")
	quotas = append(quotas, "")
	for _, st := range statuses {
		for _, org := range orgs {
			for _, q := range quotas {
				for _, online := range []*bool{nil, &on, &off} {
					f := fleet.SIMFilter{Statuses: st, OrganizationID: org, DataQuotaStatus: q, Online: online, PageSize: 1}
					page, err := s.ListSIMs(ctx, f)
					fleetMust(t, err, "list")
					if want := int64(len(fleetReference(all, f))); page.Total != want {
						t.Errorf("%+v: total %d, want %d", f, page.Total, want)
					}
				}
			}
		}
	}
}

func fleetTestSIMTotalsFollowWrites(t *testing.T, s FleetStore) {
	ctx := context.Background()
	all := fleetSeed(t, s)
	FleetCheckTotals(t, s)

	// A sync moving SIMs between statuses and organisations, with one new SIM.
	moved := []fleet.SIM{all[0], all[1], all[2], {ICCID: "8988280666000009000", Status: "Enabled", OrganizationID: "org-new"}}
	moved[0].Status, moved[1].OrganizationID, moved[2].DataQuotaStatus = "Disabled", "org-c", "EXHAUSTED"
	fleetMust(t, s.UpsertSIMs(ctx, moved), "sync")
	FleetCheckTotals(t, s)

	_, err := s.UpdateSIM(ctx, all[5].ICCID, fleet.SIMUpdate{Status: fleetPtr("Activated")})
	fleetMust(t, err, "update status")
	fleetMust(t, s.UpsertQuotas(ctx, []fleet.Quota{{ICCID: all[6].ICCID, Kind: fleet.QuotaData, Status: "EXHAUSTED"}}), "quota")
	_, err = s.AddConnectivity(ctx, fleet.Connectivity{ICCID: all[7].ICCID, ObservedAt: time.Now(), Connected: !all[7].Online})
	fleetMust(t, err, "connectivity")
	FleetCheckTotals(t, s)

	// A failed call changes nothing.
	err = s.UpsertSIMs(ctx, []fleet.SIM{{ICCID: all[8].ICCID, Status: "Disabled"}, {}})
	fleetWantErr(t, err, fleet.ErrInvalid, "bad batch")
	FleetCheckTotals(t, s)
}

func fleetTestPendingAndTop(t *testing.T, s FleetStore) {
	ctx := context.Background()
	const a, b = "8988280666000000600", "8988280666000000601"
	fleetMust(t, s.UpsertSMS(ctx, []fleet.SMS{
		{ICCID: a, ID: 1, Direction: fleet.SMSMobileTerminated, Status: "PENDING", Payload: "x", SentBy: "user:ops"},
		{ICCID: a, ID: 2, Direction: fleet.SMSMobileTerminated, Status: "DELIVERED", Payload: "y", SentBy: "user:ops"},
		{ICCID: b, ID: 3, Direction: fleet.SMSMobileTerminated, Status: "PENDING", Payload: "z"}, // not ours
		{ICCID: b, ID: 4, Direction: fleet.SMSMobileTerminated, Status: "PENDING", Payload: "w", SentBy: "key:k"},
	}), "sms")
	pending, err := s.PendingSMS(ctx, 10)
	fleetMust(t, err, "pending")
	if len(pending) != 2 || pending[0].SentBy == "" || pending[1].SentBy == "" {
		t.Fatalf("pending = %+v", pending)
	}
	if one, err := s.PendingSMS(ctx, 1); err != nil || len(one) != 1 {
		t.Fatalf("pending limit 1 = %+v %v", one, err)
	}
	day := fleet.Day(fleetBase)
	fleetMust(t, s.UpsertUsage(ctx, []fleet.Usage{
		{ICCID: a, Day: day, VolumeTotal: 100, Source: fleet.UsageFromAPI},
		{ICCID: a, Day: day.AddDate(0, 0, 1), VolumeTotal: 100, Source: fleet.UsageFromAPI},
		{ICCID: b, Day: day, VolumeTotal: 150, Source: fleet.UsageFromAPI},
		{ICCID: b, Day: day.AddDate(0, 0, 5), VolumeTotal: 999, Source: fleet.UsageFromAPI}, // outside the range
	}), "usage")
	top, err := s.TopConsumers(ctx, day, day.AddDate(0, 0, 1), 10)
	fleetMust(t, err, "top")
	if len(top) != 2 || top[0].ICCID != a || top[0].VolumeTotal != 200 || top[0].Days != 2 || top[1].VolumeTotal != 150 {
		t.Fatalf("top = %+v", top)
	}
	if one, err := s.TopConsumers(ctx, day, day.AddDate(0, 0, 1), 1); err != nil || len(one) != 1 || one[0].ICCID != a {
		t.Fatalf("top 1 = %+v %v", one, err)
	}
}
