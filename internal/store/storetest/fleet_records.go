package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

func fleetTestQuotas(t *testing.T, s FleetStore) {
	ctx := context.Background()
	const a, b, c = "8988280666000000200", "8988280666000000201", "8988280666000000202"
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{{ICCID: a, DataQuotaStatus: "ACTIVE"}, {ICCID: b}}), "sims")
	q := fleet.Quota{ICCID: a, Kind: fleet.QuotaData, Volume: 100 << 20, TotalVolume: 500 << 20,
		LastVolumeAdded: 500 << 20, Status: "ACTIVE", ThresholdPct: fleetPtr(20), ExpiryDate: fleetBase,
		PeakThroughput: fleetPtr(int64(1_000_000)), AutoReload: true, LastStatusChangeDate: fleetBase.Add(-time.Hour)}
	qs := []fleet.Quota{
		q,
		{ICCID: a, Kind: fleet.QuotaSMS, Volume: 40, TotalVolume: 50, Status: "ACTIVE"},
		{ICCID: b, Kind: fleet.QuotaData, Volume: 499 << 20, TotalVolume: 500 << 20, Status: "EXHAUSTED"},
		{ICCID: b, Kind: fleet.QuotaSMS, Volume: 2, TotalVolume: 50},
		{ICCID: c, Kind: fleet.QuotaData, Volume: 0, TotalVolume: 0}, // no SIM row, no total
	}
	fleetMust(t, s.UpsertQuotas(ctx, qs), "upsert")
	got, err := s.GetQuota(ctx, a, fleet.QuotaData)
	fleetMust(t, err, "get")
	want := q
	want.ExpiryDate, want.LastStatusChangeDate = q.ExpiryDate.UTC().Truncate(time.Microsecond), q.LastStatusChangeDate.UTC().Truncate(time.Microsecond)
	if got.UpdatedAt.IsZero() || got.ExpiryDate.Location() != time.UTC {
		t.Errorf("times: %+v", got)
	}
	got.UpdatedAt = time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("quota:\n got %+v\nwant %+v", got, want)
	}
	if p := got.RemainingPct(); p != 20 {
		t.Errorf("remaining = %v%%", p)
	}

	// Replaced by the next report, nullable fields included.
	q2 := fleet.Quota{ICCID: a, Kind: fleet.QuotaData, Volume: 10 << 20, TotalVolume: 500 << 20, Status: "ACTIVE"}
	fleetMust(t, s.UpsertQuotas(ctx, []fleet.Quota{q2}), "replace")
	got, err = s.GetQuota(ctx, a, fleet.QuotaData)
	fleetMust(t, err, "get")
	if got.Volume != 10<<20 || got.ThresholdPct != nil || got.PeakThroughput != nil || !got.ExpiryDate.IsZero() || got.AutoReload {
		t.Errorf("replaced quota = %+v", got)
	}

	// The SIM rows mirror remaining volume and status, so GET /sims can filter by them.
	simA, err := s.GetSIM(ctx, a)
	fleetMust(t, err, "get sim")
	if simA.DataVolumeLeft == nil || *simA.DataVolumeLeft != 10<<20 || simA.SMSLeft == nil || *simA.SMSLeft != 40 || simA.DataQuotaStatus != "ACTIVE" || simA.SMSQuotaStatus != "ACTIVE" {
		t.Errorf("sim a quota fields = %+v", simA)
	}
	simB, err := s.GetSIM(ctx, b)
	fleetMust(t, err, "get sim")
	if *simB.DataVolumeLeft != 499<<20 || simB.DataQuotaStatus != "EXHAUSTED" || *simB.SMSLeft != 2 || simB.SMSQuotaStatus != "" {
		t.Errorf("sim b quota fields = %+v", simB)
	}
	page, err := s.ListSIMs(ctx, fleet.SIMFilter{DataQuotaStatus: "EXHAUSTED"})
	fleetMust(t, err, "list by quota status")
	if fleetICCIDs(page.Items)[0] != b || page.Total != 1 {
		t.Errorf("by quota status = %v", fleetICCIDs(page.Items))
	}
	_, err = s.GetSIM(ctx, c)
	fleetWantErr(t, err, fleet.ErrNotFound, "quota must not create a SIM")

	below, err := s.QuotasBelow(ctx, fleet.QuotaData, 5)
	fleetMust(t, err, "below 5%")
	if len(below) != 1 || below[0].ICCID != a {
		t.Errorf("data below 5%% = %+v", below)
	}
	below, err = s.QuotasBelow(ctx, fleet.QuotaSMS, 90)
	fleetMust(t, err, "sms below 90%")
	if len(below) != 2 || below[0].ICCID != a || below[1].ICCID != b {
		t.Errorf("sms below 90%% = %+v", below)
	}
	below, err = s.QuotasBelow(ctx, fleet.QuotaSMS, 80) // exactly 80% left is not below 80%
	fleetMust(t, err, "sms below 80%")
	if len(below) != 1 || below[0].ICCID != b {
		t.Errorf("sms below 80%% = %+v", below)
	}

	_, err = s.GetQuota(ctx, c, fleet.QuotaSMS)
	fleetWantErr(t, err, fleet.ErrNotFound, "missing quota")
	_, err = s.GetQuota(ctx, a, "voice")
	fleetWantErr(t, err, fleet.ErrInvalid, "unknown kind")
	_, err = s.QuotasBelow(ctx, fleet.QuotaData, 101)
	fleetWantErr(t, err, fleet.ErrInvalid, "threshold > 100")
	err = s.UpsertQuotas(ctx, []fleet.Quota{{ICCID: "8988280666000000203", Kind: fleet.QuotaData}, {ICCID: a, Kind: "voice"}})
	fleetWantErr(t, err, fleet.ErrInvalid, "bad kind in batch")
	_, err = s.GetQuota(ctx, "8988280666000000203", fleet.QuotaData)
	fleetWantErr(t, err, fleet.ErrNotFound, "rejected batch partly written")
	err = s.UpsertQuotas(ctx, []fleet.Quota{{ICCID: a, Kind: fleet.QuotaData, ThresholdPct: fleetPtr(120)}})
	fleetWantErr(t, err, fleet.ErrInvalid, "threshold out of range")
}

func fleetTestConnectivity(t *testing.T, s FleetStore) {
	ctx := context.Background()
	const a = "8988280666000000300"
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{{ICCID: a}}), "sim")
	_, err := s.LatestConnectivity(ctx, a)
	fleetWantErr(t, err, fleet.ErrNotFound, "latest of none")

	c1 := fleet.Connectivity{ICCID: a, ObservedAt: fleetBase, Connected: true, CellID: "262-01-1234-5678",
		SignalStrength: fleetPtr(-71), RAT: "LTE-M", Country: "DE", Operator: "Telekom"}
	got1, err := s.AddConnectivity(ctx, c1)
	fleetMust(t, err, "add")
	if got1.ID == 0 || got1.Source != "api" {
		t.Errorf("added = %+v", got1)
	}
	sim, err := s.GetSIM(ctx, a)
	fleetMust(t, err, "get sim")
	if !sim.Online || !sim.LastSeenAt.Equal(fleetBase.Truncate(time.Microsecond)) {
		t.Errorf("sim after connected observation: online %v seen %v", sim.Online, sim.LastSeenAt)
	}

	c2 := fleet.Connectivity{ICCID: a, ObservedAt: fleetBase.Add(time.Minute), Connected: false, Source: "streamer"}
	got2, err := s.AddConnectivity(ctx, c2)
	fleetMust(t, err, "add offline")
	sim, err = s.GetSIM(ctx, a)
	fleetMust(t, err, "get sim")
	if sim.Online || !sim.LastSeenAt.Equal(fleetBase.Truncate(time.Microsecond)) {
		t.Errorf("sim after offline observation: online %v seen %v", sim.Online, sim.LastSeenAt)
	}

	// A late, older observation is recorded but does not flip the SIM back online.
	late := fleet.Connectivity{ICCID: a, ObservedAt: fleetBase.Add(30 * time.Second), Connected: true}
	_, err = s.AddConnectivity(ctx, late)
	fleetMust(t, err, "add late")
	sim, err = s.GetSIM(ctx, a)
	fleetMust(t, err, "get sim")
	if sim.Online {
		t.Errorf("late observation flipped the SIM online")
	}

	latest, err := s.LatestConnectivity(ctx, a)
	fleetMust(t, err, "latest")
	if latest.ID != got2.ID || latest.Connected || latest.Source != "streamer" || latest.SignalStrength != nil {
		t.Errorf("latest = %+v", latest)
	}
	list, err := s.ListConnectivity(ctx, a, 10)
	fleetMust(t, err, "list")
	if len(list) != 3 || list[0].ID != got2.ID || list[2].ID != got1.ID {
		t.Fatalf("list = %+v", list)
	}
	want := c1
	want.ID, want.Source, want.ObservedAt = got1.ID, "api", fleetBase.UTC().Truncate(time.Microsecond)
	if !reflect.DeepEqual(list[2], want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", list[2], want)
	}
	list, err = s.ListConnectivity(ctx, a, 1)
	fleetMust(t, err, "list 1")
	if len(list) != 1 {
		t.Errorf("limit 1 gave %d", len(list))
	}
	_, err = s.ListConnectivity(ctx, a, 0)
	fleetWantErr(t, err, fleet.ErrInvalid, "limit 0")
	_, err = s.AddConnectivity(ctx, fleet.Connectivity{ICCID: a})
	fleetWantErr(t, err, fleet.ErrInvalid, "no time")

	// An observation of a SIM the mirror does not know yet is kept.
	_, err = s.AddConnectivity(ctx, fleet.Connectivity{ICCID: "8988280666000000301", ObservedAt: fleetBase, Connected: true})
	fleetMust(t, err, "unknown sim")
	_, err = s.LatestConnectivity(ctx, "8988280666000000301")
	fleetMust(t, err, "latest unknown sim")
}

func fleetEvent(iccid string, minute int, typ, ext string) fleet.Event {
	return fleet.Event{ICCID: iccid, OccurredAt: fleetBase.Add(time.Duration(minute) * time.Minute), Type: typ,
		Source: "api", Severity: "INFO", Description: fmt.Sprintf("%s at %d", typ, minute), Country: "DE",
		Operator: "Telekom", ExternalID: ext}
}

func fleetTestEvents(t *testing.T, s FleetStore) {
	ctx := context.Background()
	const a, b = "8988280666000000400", "8988280666000000401"
	full := fleetEvent(a, 0, "Location Update", "x-0")
	full.Alert, full.Detail = true, json.RawMessage(`{"imei":"356938035643809","cell":{"lac":1}}`)
	batch := []fleet.Event{full}
	for i := 1; i < 12; i++ {
		typ := []string{"Location Update", "PDP Context", "Status Change"}[i%3]
		batch = append(batch, fleetEvent(a, i, typ, fmt.Sprintf("x-%d", i)))
	}
	batch = append(batch, fleetEvent(b, 5, "PDP Context", "y-1"), fleetEvent(a, 3, "PDP Context", "x-3")) // repeat in batch
	n, err := s.InsertEvents(ctx, batch)
	fleetMust(t, err, "insert")
	if n != 13 {
		t.Errorf("inserted %d, want 13 (one repeat)", n)
	}
	n, err = s.InsertEvents(ctx, batch[:5])
	fleetMust(t, err, "resend")
	if n != 0 {
		t.Errorf("resend inserted %d", n)
	}
	// Without an external id there is nothing to deduplicate by.
	noID := fleetEvent(b, 6, "Status Change", "")
	n, err = s.InsertEvents(ctx, []fleet.Event{noID, noID})
	fleetMust(t, err, "insert without ids")
	if n != 2 {
		t.Errorf("inserted %d events without id, want 2", n)
	}

	page, err := s.ListEvents(ctx, fleet.EventFilter{ICCID: a, PageSize: 100})
	fleetMust(t, err, "list")
	if page.Total != 12 || len(page.Items) != 12 {
		t.Fatalf("list: total %d items %d", page.Total, len(page.Items))
	}
	for i, e := range page.Items {
		if want := fleetBase.Add(time.Duration(11-i) * time.Minute).UTC().Truncate(time.Microsecond); !e.OccurredAt.Equal(want) || e.OccurredAt.Location() != time.UTC {
			t.Errorf("item %d at %v, want %v (newest first)", i, e.OccurredAt, want)
		}
	}
	got := page.Items[11]
	fleetJSONEqual(t, got.Detail, full.Detail, "detail")
	got.Detail, full.Detail = nil, nil
	want := full
	want.ID, want.OccurredAt = got.ID, full.OccurredAt.UTC().Truncate(time.Microsecond)
	if !reflect.DeepEqual(got, want) || got.ID == 0 {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	plain := page.Items[0]
	fleetJSONEqual(t, plain.Detail, json.RawMessage(`{}`), "empty detail")

	cases := []struct {
		name string
		f    fleet.EventFilter
		want []int // minutes, newest first
	}{
		{"type", fleet.EventFilter{ICCID: a, Type: "PDP Context"}, []int{10, 7, 4, 1}},
		{"since inclusive", fleet.EventFilter{ICCID: a, Since: fleetBase.Add(9 * time.Minute)}, []int{11, 10, 9}},
		{"until exclusive", fleet.EventFilter{ICCID: a, Until: fleetBase.Add(2 * time.Minute)}, []int{1, 0}},
		{"window and type", fleet.EventFilter{ICCID: a, Type: "Status Change", Since: fleetBase.Add(2 * time.Minute), Until: fleetBase.Add(9 * time.Minute)}, []int{8, 5, 2}},
		{"page 2", fleet.EventFilter{ICCID: a, Page: 2, PageSize: 5}, []int{6, 5, 4, 3, 2}},
		{"past the end", fleet.EventFilter{ICCID: a, Page: 9, PageSize: 5}, []int{}},
		{"other sim", fleet.EventFilter{ICCID: b, Type: "PDP Context"}, []int{5}},
		{"unknown sim", fleet.EventFilter{ICCID: "8988280666000000499"}, []int{}},
	}
	for _, tc := range cases {
		page, err := s.ListEvents(ctx, tc.f)
		fleetMust(t, err, tc.name)
		var mins []int
		for _, e := range page.Items {
			mins = append(mins, int(e.OccurredAt.Sub(fleetBase.Truncate(time.Microsecond))/time.Minute))
		}
		if mins == nil {
			mins = []int{}
		}
		if !slices.Equal(mins, tc.want) || page.Items == nil {
			t.Errorf("%s: minutes %v, want %v", tc.name, mins, tc.want)
		}
	}
	for name, f := range map[string]fleet.EventFilter{
		"no iccid":       {},
		"empty window":   {ICCID: a, Since: fleetBase, Until: fleetBase},
		"page size 5000": {ICCID: a, PageSize: 5000},
	} {
		_, err := s.ListEvents(ctx, f)
		fleetWantErr(t, err, fleet.ErrInvalid, name)
	}
	_, err = s.InsertEvents(ctx, []fleet.Event{fleetEvent(a, 99, "ok", "z-1"), {ICCID: a, OccurredAt: fleetBase}})
	fleetWantErr(t, err, fleet.ErrInvalid, "event without type")
	page, err = s.ListEvents(ctx, fleet.EventFilter{ICCID: a, Since: fleetBase.Add(99 * time.Minute)})
	fleetMust(t, err, "list")
	if page.Total != 0 {
		t.Errorf("rejected batch partly written")
	}
}

func fleetTestEventsBigBatch(t *testing.T, s FleetStore) {
	ctx := context.Background()
	// 3,000 records, one Data Streamer request, sent twice.
	batch := make([]fleet.Event, 3000)
	for i := range batch {
		batch[i] = fleetEvent(fmt.Sprintf("89882806662%08d", i%300), i, "PDP Context", fmt.Sprintf("r-%d", i))
	}
	n, err := s.InsertEvents(ctx, batch)
	fleetMust(t, err, "insert")
	if n != 3000 {
		t.Errorf("inserted %d", n)
	}
	n, err = s.InsertEvents(ctx, batch)
	fleetMust(t, err, "resend")
	if n != 0 {
		t.Errorf("resend inserted %d", n)
	}
	page, err := s.ListEvents(ctx, fleet.EventFilter{ICCID: batch[7].ICCID})
	fleetMust(t, err, "list")
	if page.Total != 10 {
		t.Errorf("total = %d, want 10", page.Total)
	}

	// 10,500 more with 3,000 resends among them, one call: several statements, one transaction.
	big := make([]fleet.Event, 0, 10_500)
	big = append(big, batch...)
	for i := 0; len(big) < cap(big); i++ {
		big = append(big, fleetEvent("8988280666300000000", i, "Location Update", fmt.Sprintf("big-%d", i)))
	}
	n, err = s.InsertEvents(ctx, big)
	fleetMust(t, err, "big insert")
	if n != 7500 {
		t.Errorf("big insert added %d, want 7500", n)
	}
	page, err = s.ListEvents(ctx, fleet.EventFilter{ICCID: "8988280666300000000", PageSize: 1})
	fleetMust(t, err, "list big")
	if page.Total != 7500 || len(page.Items) != 1 || page.Items[0].ExternalID != "big-7499" {
		t.Errorf("big list: total %d, first %+v", page.Total, page.Items)
	}
}

func fleetTestSMS(t *testing.T, s FleetStore) {
	ctx := context.Background()
	const a = "8988280666000000500"
	m1 := fleet.SMS{ICCID: a, ID: 590, Direction: fleet.SMSMobileTerminated, Status: "BUFFERED", Payload: "reboot",
		SourceAddress: "1234567890", SubmitDate: fleetBase, ExpiryDate: fleetBase.Add(24 * time.Hour), SentBy: "user:ops"}
	var batch []fleet.SMS
	batch = append(batch, m1)
	for i := 1; i <= 6; i++ {
		batch = append(batch, fleet.SMS{ICCID: a, ID: int64(590 + i*10), Direction: fleet.SMSMobileOriginated, Status: "DELIVERED", Payload: fmt.Sprint("msg ", i)})
	}
	fleetMust(t, s.UpsertSMS(ctx, batch), "upsert")
	got, err := s.GetSMS(ctx, a, 590)
	fleetMust(t, err, "get")
	if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() || got.SubmitDate.Location() != time.UTC {
		t.Errorf("times = %+v", got)
	}
	want := m1
	want.SubmitDate, want.ExpiryDate = m1.SubmitDate.UTC().Truncate(time.Microsecond), m1.ExpiryDate.UTC().Truncate(time.Microsecond)
	want.CreatedAt, want.UpdatedAt = got.CreatedAt, got.UpdatedAt
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}

	// 1NCE's status update: delivered, with a delivery date; our sender is kept.
	upd := fleet.SMS{ICCID: a, ID: 590, Status: "DELIVERED", DeliveryDate: fleetBase.Add(time.Minute)}
	fleetMust(t, s.UpsertSMS(ctx, []fleet.SMS{upd}), "status update")
	got, err = s.GetSMS(ctx, a, 590)
	fleetMust(t, err, "get")
	if got.Status != "DELIVERED" || got.Payload != "reboot" || got.SentBy != "user:ops" || got.Direction != "MT" ||
		!got.DeliveryDate.Equal(fleetBase.Add(time.Minute).Truncate(time.Microsecond)) || !got.SubmitDate.Equal(want.SubmitDate) {
		t.Errorf("after status update = %+v", got)
	}
	if !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("created_at changed")
	}

	page, err := s.ListSMS(ctx, fleet.SMSFilter{ICCID: a, PageSize: 3, Page: 2})
	fleetMust(t, err, "list")
	if page.Total != 7 || len(page.Items) != 3 || page.Items[0].ID != 620 || page.Items[2].ID != 600 {
		t.Errorf("page 2 = total %d %+v", page.Total, page.Items)
	}
	empty, err := s.ListSMS(ctx, fleet.SMSFilter{ICCID: "8988280666000000599"})
	fleetMust(t, err, "list unknown")
	if empty.Total != 0 || empty.Items == nil {
		t.Errorf("unknown SIM list = %+v", empty)
	}

	fleetMust(t, s.DeleteSMS(ctx, a, 600), "delete")
	_, err = s.GetSMS(ctx, a, 600)
	fleetWantErr(t, err, fleet.ErrNotFound, "get deleted")
	fleetWantErr(t, s.DeleteSMS(ctx, a, 600), fleet.ErrNotFound, "delete twice")
	_, err = s.GetSMS(ctx, "8988280666000000599", 590)
	fleetWantErr(t, err, fleet.ErrNotFound, "other sim, same id")

	fleetWantErr(t, s.UpsertSMS(ctx, []fleet.SMS{{ICCID: a, ID: 0}}), fleet.ErrInvalid, "id 0")
	fleetWantErr(t, s.UpsertSMS(ctx, []fleet.SMS{{ICCID: a, ID: 1, Direction: "sideways"}}), fleet.ErrInvalid, "direction")
	_, err = s.ListSMS(ctx, fleet.SMSFilter{})
	fleetWantErr(t, err, fleet.ErrInvalid, "list without iccid")
}
