package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// SyncStore is what the background jobs (internal/fleetsync, internal/jobs, retention) need
// of a backend beyond the fleet mirror. *postgres.Store and *sqlite.Store implement it with
// the same semantics, which RunSync checks.
type SyncStore interface {
	FleetStore
	SyncSIMs(ctx context.Context, sims []fleet.SIM) (fleet.SIMSyncResult, error)
	GoneCandidates(ctx context.Context, syncedAfter time.Time, limit int) ([]string, error)
	MarkSIMsGone(ctx context.Context, iccids []string, at time.Time) (int, error)
	UsageGaps(ctx context.Context, q fleet.UsageGapQuery) ([]fleet.UsageGap, error)
	SaveUsageFetch(ctx context.Context, f fleet.UsageFetch) error
	QuotaCheckCandidates(ctx context.Context, q fleet.QuotaCheckQuery) ([]fleet.QuotaCandidate, error)
	ObserveQuotas(ctx context.Context, qs []fleet.Quota, at time.Time) ([]fleet.QuotaObservation, error)
	SetQuotaThresholds(ctx context.Context, iccid string, kind fleet.QuotaKind, thresholds []int) error
	ConnectivityCandidates(ctx context.Context, labelContains string, limit int) ([]fleet.ConnectivityCandidate, error)
	DeleteUsageBefore(ctx context.Context, day time.Time) (int, error)
	DeleteEventsBefore(ctx context.Context, before time.Time) (int, error)
	DeleteConnectivityBefore(ctx context.Context, before time.Time) (int, error)

	StartJobRun(ctx context.Context, job string, at time.Time) (int64, error)
	FinishJobRun(ctx context.Context, r *fleet.JobRun) error
	ListJobRuns(ctx context.Context, job string, limit int) ([]fleet.JobRun, error)

	// Streamer data decides the usage gap-fill's order.
	SaveStreamerBatch(ctx context.Context, recs []record.Raw) (record.SaveResult, error)
	ApplyStreamerBatch(ctx context.Context, limit int, plan record.Planner) (record.Applied, error)
}

// RunSync runs the background-sync conformance suite; newStore must return an empty, migrated
// store of its own for every call.
func RunSync(t *testing.T, newStore func(t *testing.T) SyncStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s SyncStore)
	}{
		{"SyncSIMsReportsChanges", syncTestChanges},
		{"GoneMarks", syncTestGone},
		{"UsageGapsAndWatermark", syncTestUsageGaps},
		{"QuotaObservations", syncTestQuotas},
		{"ConnectivityCandidates", syncTestConnectivity},
		{"RetentionDeletesOnlyExpired", syncTestRetention},
		{"JobRunCountsAndSkipped", syncTestJobRuns},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func syncTestChanges(t *testing.T, s SyncStore) {
	ctx := context.Background()
	const a, b = "8988280666000000500", "8988280666000000501"
	sim := func(iccid, status, label string) fleet.SIM {
		return fleet.SIM{ICCID: iccid, Status: status, Label: label, IPAddress: "10.0.0.1", IMEI: "3566", IMSI: "901405"}
	}
	res, err := s.SyncSIMs(ctx, []fleet.SIM{sim(a, "Enabled", "x"), sim(b, "Enabled", "y")})
	fleetMust(t, err, "first sync")
	if res.New != 2 || len(res.Changes) != 0 {
		t.Fatalf("first sync = %+v, want 2 new and no changes", res)
	}
	res, err = s.SyncSIMs(ctx, []fleet.SIM{sim(a, "Enabled", "x"), sim(b, "Enabled", "y")})
	fleetMust(t, err, "same again")
	if res.New != 0 || len(res.Changes) != 0 {
		t.Fatalf("unchanged sync = %+v", res)
	}
	changed := sim(a, "Disabled", "renamed")
	changed.IPAddress, changed.IMEI, changed.IMSI = "10.0.0.2", "3577", "901406"
	lvl := 1
	changed.DataQuotaLevel = &lvl
	res, err = s.SyncSIMs(ctx, []fleet.SIM{changed, sim(b, "Enabled", "y")})
	fleetMust(t, err, "changed sync")
	slices.SortFunc(res.Changes, func(x, y fleet.SIMChange) int { return cmpStr(x.Field, y.Field) })
	want := []fleet.SIMChange{
		{ICCID: a, Field: fleet.FieldIMEI, Old: "3566", New: "3577"},
		{ICCID: a, Field: fleet.FieldIMSI, Old: "901405", New: "901406"},
		{ICCID: a, Field: fleet.FieldIPAddress, Old: "10.0.0.1", New: "10.0.0.2"},
		{ICCID: a, Field: fleet.FieldLabel, Old: "x", New: "renamed"},
		{ICCID: a, Field: fleet.FieldStatus, Old: "Enabled", New: "Disabled"},
	}
	if res.New != 0 || !slices.Equal(res.Changes, want) {
		t.Fatalf("changes = %+v\nwant %+v", res.Changes, want)
	}
	got, err := s.GetSIM(ctx, a)
	fleetMust(t, err, "get")
	if got.Status != "Disabled" || got.DataQuotaLevel == nil || *got.DataQuotaLevel != 1 || got.SMSQuotaLevel != nil {
		t.Fatalf("stored sim = %+v", got)
	}
	// A level not reported keeps the stored one.
	_, err = s.SyncSIMs(ctx, []fleet.SIM{changed})
	fleetMust(t, err, "sync without level")
	if got, _ = s.GetSIM(ctx, a); got.DataQuotaLevel == nil || *got.DataQuotaLevel != 1 {
		t.Fatalf("level after a sync without one = %v", got.DataQuotaLevel)
	}
	bad := sim(b, "Enabled", "y")
	lvl = 3
	bad.SMSQuotaLevel = &lvl
	_, err = s.SyncSIMs(ctx, []fleet.SIM{bad})
	fleetWantErr(t, err, fleet.ErrInvalid, "level 3")
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func syncTestGone(t *testing.T, s SyncStore) {
	ctx := context.Background()
	const a, b, c = "8988280666000000510", "8988280666000000511", "8988280666000000512"
	_, err := s.SyncSIMs(ctx, []fleet.SIM{{ICCID: a}, {ICCID: b}})
	fleetMust(t, err, "first sync")
	cut := time.Now()
	time.Sleep(2 * time.Millisecond) // the stores keep microseconds; the next writes must be after cut
	_, err = s.SyncSIMs(ctx, []fleet.SIM{{ICCID: a}})
	fleetMust(t, err, "second sync lists only a")
	// c appears after the sync started (the Data Streamer saw it): not a candidate even though
	// its last sync is older than the cut.
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{{ICCID: c, LastSyncedAt: cut.Add(-time.Hour)}}), "late sim")
	cands, err := s.GoneCandidates(ctx, cut, 10)
	fleetMust(t, err, "candidates")
	if !slices.Equal(cands, []string{b}) {
		t.Fatalf("gone candidates = %v, want [%s]", cands, b)
	}
	at := cut.Add(time.Minute)
	n, err := s.MarkSIMsGone(ctx, []string{b, "8988280666000000599"}, at)
	fleetMust(t, err, "mark")
	if n != 1 {
		t.Fatalf("marked %d, want 1", n)
	}
	if n, _ = s.MarkSIMsGone(ctx, []string{b}, at.Add(time.Hour)); n != 0 {
		t.Fatalf("marking a gone SIM again changed %d rows", n)
	}
	got, err := s.GetSIM(ctx, b)
	fleetMust(t, err, "get gone")
	if !got.GoneAt.Equal(at.UTC().Truncate(time.Microsecond)) {
		t.Fatalf("gone_at = %v, want %v", got.GoneAt, at)
	}
	if cands, _ = s.GoneCandidates(ctx, cut, 10); len(cands) != 0 {
		t.Fatalf("a gone SIM is a candidate again: %v", cands)
	}
	// Listed again: present, reported as a change.
	res, err := s.SyncSIMs(ctx, []fleet.SIM{{ICCID: b}})
	fleetMust(t, err, "back")
	if len(res.Changes) != 1 || res.Changes[0] != (fleet.SIMChange{ICCID: b, Field: fleet.FieldGone, Old: "gone", New: "present"}) {
		t.Fatalf("reappearing sim changes = %+v", res.Changes)
	}
	if got, _ = s.GetSIM(ctx, b); !got.GoneAt.IsZero() {
		t.Fatalf("gone_at after reappearing = %v", got.GoneAt)
	}
}

func syncTestUsageGaps(t *testing.T, s SyncStore) {
	ctx := context.Background()
	const plain, streamed, near = "8988280666000000520", "8988280666000000521", "8988280666000000522"
	lvl := 1
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{{ICCID: plain, ActivationDate: fleetDay0}, {ICCID: streamed},
		{ICCID: near, DataQuotaLevel: &lvl}, {ICCID: "8988280666000000523"}}), "sims")
	_, err := s.MarkSIMsGone(ctx, []string{"8988280666000000523"}, fleetDay0)
	fleetMust(t, err, "gone")
	// streamed has streamer data (hourly rows) in the window.
	_, err = s.SaveStreamerBatch(ctx, []record.Raw{usage("gap-1")})
	fleetMust(t, err, "save streamer")
	_, err = s.ApplyStreamerBatch(ctx, 10, func(context.Context, []record.Pending) (record.Plan, error) {
		return record.Plan{Hourly: []record.HourlyUsage{{ICCID: streamed, Hour: fleetDay0.AddDate(0, 0, 9).Add(3 * time.Hour), TotalBytes: 5, Records: 1}}}, nil
	})
	fleetMust(t, err, "apply streamer")

	now := fleetDay0.AddDate(0, 0, 10).Add(12 * time.Hour)
	q := fleet.UsageGapQuery{SettledThrough: fleetDay0.AddDate(0, 0, 7), StreamerSince: fleetDay0.AddDate(0, 0, 3),
		RefreshBefore: now.Add(-30 * time.Minute), NearQuotaPct: 20, Limit: 10}
	gaps, err := s.UsageGaps(ctx, q)
	fleetMust(t, err, "gaps")
	var order []string
	for _, g := range gaps {
		order = append(order, g.ICCID)
	}
	if !slices.Equal(order, []string{near, plain, streamed}) {
		t.Fatalf("gap order = %v, want near quota, then without streamer data, then streamed", order)
	}
	if !gaps[0].NearQuota || gaps[2].NearQuota || !gaps[2].HasStreamer || gaps[1].HasStreamer ||
		!gaps[1].ActivationDate.Equal(fleetDay0) || !gaps[1].FinalThrough.IsZero() {
		t.Fatalf("gaps = %+v", gaps)
	}

	// plain is read: two settled days stored final, an open one not; then it needs nothing
	// until the settled day moves on or its last read ages past RefreshBefore.
	rows := []fleet.Usage{fleetUsage(plain, 6, fleet.UsageFromAPI, 10, 1), fleetUsage(plain, 7, fleet.UsageFromAPI, 20, 2),
		fleetUsage(plain, 9, fleet.UsageFromAPI, 30, 3)}
	rows[0].Final, rows[1].Final = true, true
	fleetMust(t, s.SaveUsageFetch(ctx, fleet.UsageFetch{ICCID: plain, Rows: rows, FinalThrough: q.SettledThrough, CheckedAt: now}), "save fetch")
	got, err := s.ListUsage(ctx, plain, fleetDay0.AddDate(0, 0, 6), fleetDay0.AddDate(0, 0, 9))
	fleetMust(t, err, "list")
	if len(got) != 3 || !got[0].Final || !got[1].Final || got[2].Final || got[2].VolumeRx != 30 {
		t.Fatalf("stored rows = %+v", got)
	}
	gaps, err = s.UsageGaps(ctx, q)
	fleetMust(t, err, "gaps after fetch")
	for _, g := range gaps {
		if g.ICCID == plain {
			t.Fatalf("a SIM read just now and final through the settled day is a gap again: %+v", g)
		}
	}
	later := q
	later.RefreshBefore = now.Add(time.Minute)
	gaps, err = s.UsageGaps(ctx, later)
	fleetMust(t, err, "gaps later")
	if i := slices.IndexFunc(gaps, func(g fleet.UsageGap) bool { return g.ICCID == plain }); i < 0 ||
		!gaps[i].FinalThrough.Equal(q.SettledThrough) || !gaps[i].CheckedAt.Equal(now) {
		t.Fatalf("open days of a SIM without streamer data are not read again once stale: %+v", gaps)
	}
	// The watermark never moves backwards.
	fleetMust(t, s.SaveUsageFetch(ctx, fleet.UsageFetch{ICCID: plain, FinalThrough: fleetDay0, CheckedAt: now.Add(-time.Hour)}), "older fetch")
	gaps, err = s.UsageGaps(ctx, q)
	fleetMust(t, err, "gaps after older fetch")
	if slices.ContainsFunc(gaps, func(g fleet.UsageGap) bool { return g.ICCID == plain }) {
		t.Fatalf("an older fetch moved the watermark back")
	}
	q.Limit = 1
	if gaps, _ = s.UsageGaps(ctx, q); len(gaps) != 1 {
		t.Fatalf("limit 1 gave %d", len(gaps))
	}
}

func syncTestQuotas(t *testing.T, s SyncStore) {
	ctx := context.Background()
	const a, b, c = "8988280666000000530", "8988280666000000531", "8988280666000000532"
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{{ICCID: a}, {ICCID: b}, {ICCID: c}}), "sims")
	at := fleetBase
	obs, err := s.ObserveQuotas(ctx, []fleet.Quota{{ICCID: a, Kind: fleet.QuotaData, Volume: 50, TotalVolume: 100}}, at)
	fleetMust(t, err, "first observation")
	if len(obs) != 1 || obs[0].PrevPct != nil || obs[0].Pct != 50 || obs[0].Thresholds != nil {
		t.Fatalf("first observation = %+v", obs)
	}
	q, err := s.GetQuota(ctx, a, fleet.QuotaData)
	fleetMust(t, err, "stored quota")
	if q.Volume != 50 {
		t.Fatalf("quota = %+v", q)
	}
	fleetMust(t, s.SetQuotaThresholds(ctx, a, fleet.QuotaData, []int{5, 25}), "thresholds")
	fleetWantErr(t, s.SetQuotaThresholds(ctx, a, fleet.QuotaData, []int{101}), fleet.ErrInvalid, "threshold 101")
	obs, err = s.ObserveQuotas(ctx, []fleet.Quota{{ICCID: a, Kind: fleet.QuotaData, Volume: 10, TotalVolume: 100},
		{ICCID: a, Kind: fleet.QuotaSMS, Volume: 5, TotalVolume: 10}}, at.Add(time.Minute))
	fleetMust(t, err, "second observation")
	slices.SortFunc(obs, func(x, y fleet.QuotaObservation) int { return cmpStr(string(x.Kind), string(y.Kind)) })
	if len(obs) != 2 || obs[0].PrevPct == nil || *obs[0].PrevPct != 50 || obs[0].Pct != 10 ||
		!slices.Equal(obs[0].Thresholds, []int{5, 25}) || obs[1].PrevPct != nil || obs[1].Thresholds != nil {
		t.Fatalf("second observation = %+v", obs)
	}
	// Back to the fleet default; the remembered share stays.
	fleetMust(t, s.SetQuotaThresholds(ctx, a, fleet.QuotaData, nil), "default thresholds")
	obs, err = s.ObserveQuotas(ctx, []fleet.Quota{{ICCID: a, Kind: fleet.QuotaData, Volume: 10, TotalVolume: 100}}, at.Add(2*time.Minute))
	fleetMust(t, err, "third observation")
	if obs[0].Thresholds != nil || obs[0].PrevPct == nil || *obs[0].PrevPct != 10 {
		t.Fatalf("third observation = %+v", obs)
	}

	// Candidates: at risk first (a: 10 % left; c: 1NCE's indicator), then never checked (b);
	// SIMs checked at or after CheckedBefore are skipped.
	lvl := 2
	_, err = s.SyncSIMs(ctx, []fleet.SIM{{ICCID: c, SMSQuotaLevel: &lvl}})
	fleetMust(t, err, "level")
	cands, err := s.QuotaCheckCandidates(ctx, fleet.QuotaCheckQuery{AtRiskPct: 20, ExpiringBefore: at, CheckedBefore: at.Add(time.Hour), Limit: 10})
	fleetMust(t, err, "candidates")
	want := []fleet.QuotaCandidate{{ICCID: c, AtRisk: true}, {ICCID: a, AtRisk: true}, {ICCID: b}}
	if !slices.Equal(cands, want) {
		t.Fatalf("candidates = %+v, want %+v", cands, want)
	}
	cands, err = s.QuotaCheckCandidates(ctx, fleet.QuotaCheckQuery{AtRiskPct: 20, ExpiringBefore: at, CheckedBefore: at, Limit: 10})
	fleetMust(t, err, "candidates checked before")
	if !slices.Equal(cands, []fleet.QuotaCandidate{{ICCID: c, AtRisk: true}, {ICCID: b}}) {
		t.Fatalf("candidates skipping recent checks = %+v", cands)
	}
}

func syncTestConnectivity(t *testing.T, s SyncStore) {
	ctx := context.Background()
	const a, b, c = "8988280666000000540", "8988280666000000541", "8988280666000000542"
	fleetMust(t, s.UpsertSIMs(ctx, []fleet.SIM{{ICCID: a, Label: "Truck 1"}, {ICCID: b, Label: "truck 2"}, {ICCID: c, Label: "meter"}}), "sims")
	_, err := s.AddConnectivity(ctx, fleet.Connectivity{ICCID: a, ObservedAt: fleetBase, Connected: true})
	fleetMust(t, err, "a old")
	last, err := s.AddConnectivity(ctx, fleet.Connectivity{ICCID: a, ObservedAt: fleetBase.Add(time.Hour), Connected: false, RAT: "LTE-M"})
	fleetMust(t, err, "a new")
	_, err = s.AddConnectivity(ctx, fleet.Connectivity{ICCID: c, ObservedAt: fleetBase.Add(time.Minute), Connected: true})
	fleetMust(t, err, "c")
	cands, err := s.ConnectivityCandidates(ctx, "", 10)
	fleetMust(t, err, "all")
	var order []string
	for _, cd := range cands {
		order = append(order, cd.ICCID)
	}
	if !slices.Equal(order, []string{b, c, a}) {
		t.Fatalf("order = %v, want never observed, then oldest observation first", order)
	}
	if cands[0].Last != nil || cands[2].Last == nil || cands[2].Last.ID != last.ID || cands[2].Last.Connected || cands[2].Last.RAT != "LTE-M" {
		t.Fatalf("candidates = %+v (last a %+v)", cands, cands[2].Last)
	}
	cands, err = s.ConnectivityCandidates(ctx, "TRUCK", 1)
	fleetMust(t, err, "label filter")
	if len(cands) != 1 || cands[0].ICCID != b {
		t.Fatalf("label filter = %+v", cands)
	}
}

func syncTestRetention(t *testing.T, s SyncStore) {
	ctx := context.Background()
	const a, b = "8988280666000000550", "8988280666000000551"
	fleetMust(t, s.UpsertUsage(ctx, []fleet.Usage{fleetUsage(a, 0, fleet.UsageFromAPI, 1, 1), fleetUsage(a, 5, fleet.UsageFromAPI, 2, 2)}), "usage")
	n, err := s.DeleteUsageBefore(ctx, fleetDay0.AddDate(0, 0, 5))
	fleetMust(t, err, "delete usage")
	left, _ := s.ListUsage(ctx, a, fleetDay0, fleetDay0.AddDate(0, 0, 10))
	if n != 1 || len(left) != 1 || left[0].VolumeRx != 2 {
		t.Fatalf("usage retention deleted %d, left %+v", n, left)
	}

	_, err = s.InsertEvents(ctx, []fleet.Event{fleetEvent(a, 0, "old", ""), fleetEvent(a, 60, "new", "")})
	fleetMust(t, err, "events")
	n, err = s.DeleteEventsBefore(ctx, fleetBase.Add(30*time.Minute))
	fleetMust(t, err, "delete events")
	page, _ := s.ListEvents(ctx, fleet.EventFilter{ICCID: a})
	if n != 1 || len(page.Items) != 1 || page.Items[0].Type != "new" {
		t.Fatalf("event retention deleted %d, left %+v", n, page.Items)
	}

	// Old observations go, except each SIM's latest (b has only old ones).
	for i, c := range []fleet.Connectivity{{ICCID: a, ObservedAt: fleetBase}, {ICCID: a, ObservedAt: fleetBase.Add(time.Hour)},
		{ICCID: b, ObservedAt: fleetBase}, {ICCID: b, ObservedAt: fleetBase.Add(time.Minute)}} {
		_, err := s.AddConnectivity(ctx, c)
		fleetMust(t, err, "connectivity "+string(rune('0'+i)))
	}
	n, err = s.DeleteConnectivityBefore(ctx, fleetBase.Add(30*time.Minute))
	fleetMust(t, err, "delete connectivity")
	la, _ := s.ListConnectivity(ctx, a, 10)
	lb, _ := s.ListConnectivity(ctx, b, 10)
	if n != 2 || len(la) != 1 || len(lb) != 1 || !lb[0].ObservedAt.Equal(fleetBase.Add(time.Minute).UTC().Truncate(time.Microsecond)) {
		t.Fatalf("connectivity retention deleted %d, left a %+v b %+v", n, la, lb)
	}
}

func syncTestJobRuns(t *testing.T, s SyncStore) {
	ctx := context.Background()
	id, err := s.StartJobRun(ctx, "sync_usage", fleetBase)
	fleetMust(t, err, "start")
	ok := true
	fleetMust(t, s.FinishJobRun(ctx, &fleet.JobRun{ID: id, OK: &ok, Skipped: true, Detail: "account has no v1",
		Counts: map[string]int64{"once_calls": 1}}), "finish")
	id2, err := s.StartJobRun(ctx, "sync_usage", fleetBase.Add(time.Hour))
	fleetMust(t, err, "start 2")
	fleetMust(t, s.FinishJobRun(ctx, &fleet.JobRun{ID: id2, OK: &ok}), "finish 2")
	runs, err := s.ListJobRuns(ctx, "sync_usage", 10)
	fleetMust(t, err, "list")
	if len(runs) != 2 || runs[1].ID != id || !runs[1].Skipped || runs[1].Counts["once_calls"] != 1 ||
		runs[0].Skipped || runs[0].Counts != nil {
		t.Fatalf("runs = %+v", runs)
	}
}
