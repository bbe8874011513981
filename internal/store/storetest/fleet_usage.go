package storetest

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

var fleetDay0 = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)

func fleetUsage(iccid string, day int, src fleet.UsageSource, rx, tx int64) fleet.Usage {
	return fleet.Usage{ICCID: iccid, Day: fleetDay0.AddDate(0, 0, day), VolumeRx: rx, VolumeTx: tx,
		VolumeTotal: rx + tx, SMSMO: rx % 7, SMSMT: tx % 5, Cost: float64(rx+tx) / 1e6, Source: src}
}

func fleetCheckUsage(t *testing.T, s FleetStore, iccid string, day int, want fleet.Usage) {
	t.Helper()
	d := fleetDay0.AddDate(0, 0, day)
	rows, err := s.ListUsage(context.Background(), iccid, d, d)
	fleetMust(t, err, "list usage")
	if len(rows) != 1 {
		t.Fatalf("%s day %d: %d rows", iccid, day, len(rows))
	}
	got := rows[0]
	if !got.Day.Equal(d) || got.Day.Location() != time.UTC || got.ICCID != iccid {
		t.Errorf("key = %s %v, want %s %v", got.ICCID, got.Day, iccid, d)
	}
	if got.VolumeRx != want.VolumeRx || got.VolumeTx != want.VolumeTx || got.VolumeTotal != want.VolumeTotal ||
		got.SMSMO != want.SMSMO || got.SMSMT != want.SMSMT || got.Source != want.Source || got.Final != want.Final ||
		math.Abs(got.Cost-want.Cost) > 1e-9 {
		t.Errorf("%s day %d:\n got %+v\nwant %+v", iccid, day, got, want)
	}
	if got.UpdatedAt.IsZero() || got.UpdatedAt.Location() != time.UTC {
		t.Errorf("updated_at = %v", got.UpdatedAt)
	}
}

func fleetTestUsageMerge(t *testing.T, s FleetStore) {
	ctx := context.Background()
	const a = "8988280666000000100"
	sum := func(rows ...fleet.Usage) fleet.Usage {
		out := rows[0]
		for _, r := range rows[1:] {
			out.VolumeRx += r.VolumeRx
			out.VolumeTx += r.VolumeTx
			out.VolumeTotal += r.VolumeTotal
			out.SMSMO += r.SMSMO
			out.SMSMT += r.SMSMT
			out.Cost += r.Cost
		}
		return out
	}

	// Streamer increments add up.
	s1, s2 := fleetUsage(a, 0, fleet.UsageFromStreamer, 1000, 200), fleetUsage(a, 0, fleet.UsageFromStreamer, 30, 4)
	fleetMust(t, s.UpsertUsage(ctx, []fleet.Usage{s1}), "streamer 1")
	fleetMust(t, s.UpsertUsage(ctx, []fleet.Usage{s2}), "streamer 2")
	fleetCheckUsage(t, s, a, 0, sum(s1, s2))

	// The API's daily total replaces them.
	api := fleetUsage(a, 0, fleet.UsageFromAPI, 5000, 600)
	fleetMust(t, s.UpsertUsage(ctx, []fleet.Usage{api}), "api")
	fleetCheckUsage(t, s, a, 0, api)

	// Streamer after a non-final API row still adds, and the day's source becomes the
	// streamer's: it holds data no API total has seen (docs/DECISIONS.md).
	fleetMust(t, s.UpsertUsage(ctx, []fleet.Usage{s2}), "streamer 3")
	afterAPI := sum(api, s2)
	afterAPI.Source = fleet.UsageFromStreamer
	fleetCheckUsage(t, s, a, 0, afterAPI)

	// A final API row closes the day: later streamer rows are ignored.
	final := fleetUsage(a, 0, fleet.UsageFromAPI, 7000, 700)
	final.Final = true
	fleetMust(t, s.UpsertUsage(ctx, []fleet.Usage{final}), "final")
	fleetMust(t, s.UpsertUsage(ctx, []fleet.Usage{s1}), "streamer after final")
	fleetCheckUsage(t, s, a, 0, final)

	// ...but the API may still correct a final day.
	corr := fleetUsage(a, 0, fleet.UsageFromAPI, 7100, 700)
	corr.Final = true
	fleetMust(t, s.UpsertUsage(ctx, []fleet.Usage{corr}), "correction")
	fleetCheckUsage(t, s, a, 0, corr)

	// One batch with repeats of a key merges in order, the same as separate calls.
	b1, b2, b3 := fleetUsage(a, 1, fleet.UsageFromStreamer, 10, 1), fleetUsage(a, 1, fleet.UsageFromAPI, 100, 10), fleetUsage(a, 1, fleet.UsageFromStreamer, 5, 5)
	fleetMust(t, s.UpsertUsage(ctx, []fleet.Usage{b1, b2, b3}), "batch with repeats")
	fleetCheckUsage(t, s, a, 1, sum(b2, b3))
	s4, s5 := fleetUsage(a, 2, fleet.UsageFromStreamer, 1, 2), fleetUsage(a, 2, fleet.UsageFromStreamer, 3, 4)
	s4.Final = true // a streamer row can never close a day
	fleetMust(t, s.UpsertUsage(ctx, []fleet.Usage{s4, s5}), "streamer repeats")
	want := sum(s4, s5)
	want.Final = false
	fleetCheckUsage(t, s, a, 2, want)

	// The day is the UTC calendar day of whatever instant is given.
	late := fleetUsage(a, 3, fleet.UsageFromAPI, 9, 9)
	late.Day = fleetDay0.AddDate(0, 0, 3).Add(23*time.Hour + 59*time.Minute).In(time.FixedZone("EST", -5*3600))
	fleetMust(t, s.UpsertUsage(ctx, []fleet.Usage{late}), "late in the day")
	fleetCheckUsage(t, s, a, 3, fleetUsage(a, 3, fleet.UsageFromAPI, 9, 9))
}

func fleetTestUsageQueries(t *testing.T, s FleetStore) {
	ctx := context.Background()
	const a, b = "8988280666000000110", "8988280666000000111"
	var rows []fleet.Usage
	for d := 0; d < 10; d++ {
		rows = append(rows, fleetUsage(a, d, fleet.UsageFromAPI, int64(1000*(d+1)), int64(100*(d+1))))
		if d%2 == 0 {
			rows = append(rows, fleetUsage(b, d, fleet.UsageFromStreamer, 50, 5))
		}
	}
	fleetMust(t, s.UpsertUsage(ctx, rows), "seed")

	got, err := s.ListUsage(ctx, a, fleetDay0.AddDate(0, 0, 2), fleetDay0.AddDate(0, 0, 5).Add(13*time.Hour))
	fleetMust(t, err, "list")
	if len(got) != 4 {
		t.Fatalf("inclusive range 2..5 gave %d rows", len(got))
	}
	for i, u := range got {
		if !u.Day.Equal(fleetDay0.AddDate(0, 0, 2+i)) || u.VolumeRx != int64(1000*(3+i)) {
			t.Errorf("row %d = %+v", i, u)
		}
	}
	none, err := s.ListUsage(ctx, "8988280666000000199", fleetDay0, fleetDay0.AddDate(0, 0, 9))
	fleetMust(t, err, "list unknown")
	if len(none) != 0 {
		t.Errorf("unknown SIM usage = %v", none)
	}
	_, err = s.ListUsage(ctx, a, fleetDay0.AddDate(0, 0, 5), fleetDay0)
	fleetWantErr(t, err, fleet.ErrInvalid, "reversed range")

	sum, err := s.UsageSummary(ctx, a, fleetDay0, fleetDay0.AddDate(0, 0, 3))
	fleetMust(t, err, "summary")
	if sum.Days != 4 || sum.VolumeRx != 10_000 || sum.VolumeTx != 1000 || sum.VolumeTotal != 11_000 ||
		math.Abs(sum.Cost-0.011) > 1e-9 || !sum.From.Equal(fleetDay0) || !sum.To.Equal(fleetDay0.AddDate(0, 0, 3)) {
		t.Errorf("summary = %+v", sum)
	}
	var mo, mt int64
	for d := 0; d < 4; d++ {
		u := fleetUsage(a, d, fleet.UsageFromAPI, int64(1000*(d+1)), int64(100*(d+1)))
		mo, mt = mo+u.SMSMO, mt+u.SMSMT
	}
	if sum.SMSMO != mo || sum.SMSMT != mt {
		t.Errorf("summary sms = %d/%d, want %d/%d", sum.SMSMO, sum.SMSMT, mo, mt)
	}
	empty, err := s.UsageSummary(ctx, a, fleetDay0.AddDate(1, 0, 0), fleetDay0.AddDate(1, 0, 1))
	fleetMust(t, err, "empty summary")
	if empty.Days != 0 || empty.VolumeTotal != 0 || empty.ICCID != a {
		t.Errorf("empty summary = %+v", empty)
	}

	totals, err := s.DailyUsageTotals(ctx, fleetDay0.AddDate(0, 0, 1), fleetDay0.AddDate(0, 0, 4))
	fleetMust(t, err, "daily totals")
	if len(totals) != 4 {
		t.Fatalf("daily totals = %+v", totals)
	}
	for i, d := range totals {
		day := 1 + i
		wantSIMs, wantRx := int64(1), int64(1000*(day+1))
		if day%2 == 0 {
			wantSIMs, wantRx = 2, wantRx+50
		}
		if !d.Day.Equal(fleetDay0.AddDate(0, 0, day)) || d.SIMs != wantSIMs || d.VolumeRx != wantRx {
			t.Errorf("day %d = %+v, want %d SIMs rx %d", day, d, wantSIMs, wantRx)
		}
	}
}

func fleetTestUsageBigBatch(t *testing.T, s FleetStore) {
	ctx := context.Background()
	// 12,000 rows in one call: more than one SQLite statement can bind and more than one
	// PostgreSQL batch, so the multi-statement transaction path runs.
	const sims = 1200
	rows := make([]fleet.Usage, 0, sims*10)
	for i := 0; i < sims; i++ {
		for d := 0; d < 10; d++ {
			rows = append(rows, fleetUsage(fmt.Sprintf("89882806661%08d", i), d, fleet.UsageFromStreamer, int64(i), int64(d)))
		}
	}
	fleetMust(t, s.UpsertUsage(ctx, rows), "upsert")
	fleetMust(t, s.UpsertUsage(ctx, rows), "upsert again (adds)")
	totals, err := s.DailyUsageTotals(ctx, fleetDay0, fleetDay0.AddDate(0, 0, 9))
	fleetMust(t, err, "totals")
	if len(totals) != 10 {
		t.Fatalf("%d days", len(totals))
	}
	for d, tot := range totals {
		if tot.SIMs != sims || tot.VolumeRx != 2*(sims-1)*sims/2 || tot.VolumeTx != int64(2*sims*d) {
			t.Errorf("day %d = %+v", d, tot)
		}
	}
}

func fleetTestUsageValidation(t *testing.T, s FleetStore) {
	ctx := context.Background()
	ok := fleetUsage("8988280666000000120", 0, fleet.UsageFromAPI, 1, 1)
	for name, mutate := range map[string]func(*fleet.Usage){
		"no iccid":        func(u *fleet.Usage) { u.ICCID = "" },
		"no day":          func(u *fleet.Usage) { u.Day = time.Time{} },
		"unknown source":  func(u *fleet.Usage) { u.Source = "guess" },
		"negative volume": func(u *fleet.Usage) { u.VolumeRx = -1 },
		"negative cost":   func(u *fleet.Usage) { u.Cost = -0.5 },
	} {
		bad := ok
		mutate(&bad)
		err := s.UpsertUsage(ctx, []fleet.Usage{ok, bad})
		fleetWantErr(t, err, fleet.ErrInvalid, name)
	}
	rows, err := s.ListUsage(ctx, ok.ICCID, fleetDay0, fleetDay0)
	fleetMust(t, err, "list")
	if len(rows) != 0 {
		t.Errorf("rejected batch was partly written: %+v", rows)
	}
	fleetMust(t, s.UpsertUsage(ctx, nil), "empty")
	_, err = s.UsageSummary(ctx, ok.ICCID, time.Time{}, fleetDay0)
	fleetWantErr(t, err, fleet.ErrInvalid, "summary without from")
	_, err = s.DailyUsageTotals(ctx, fleetDay0, fleetDay0.AddDate(0, 0, -1))
	fleetWantErr(t, err, fleet.ErrInvalid, "totals reversed")
}
