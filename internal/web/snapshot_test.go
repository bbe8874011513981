package web

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// usageStore answers the snapshot's queries from fixed data and counts the history scans.
type usageStore struct {
	Store
	days         map[time.Time]int64
	historyScans int
	fail         error
}

func (u *usageStore) DailyUsageTotals(_ context.Context, from, to time.Time) ([]fleet.DailyTotal, error) {
	if u.fail != nil {
		return nil, u.fail
	}
	if !from.Equal(to) {
		u.historyScans++
	}
	var out []fleet.DailyTotal
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if v, ok := u.days[d]; ok {
			out = append(out, fleet.DailyTotal{Day: d, VolumeTotal: v})
		}
	}
	return out, nil
}

func (u *usageStore) ListSIMs(context.Context, fleet.SIMFilter) (fleet.Page[fleet.SIM], error) {
	left := int64(1 << 20)
	return fleet.Page[fleet.SIM]{Items: []fleet.SIM{{ICCID: "8900", DataVolumeLeft: &left}, {ICCID: "8901"}}, Total: 2}, nil
}

func TestSnapshotRefresh(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	today := now.Truncate(24 * time.Hour)
	st := &usageStore{days: map[time.Time]int64{today: 5, today.AddDate(0, 0, -1): 7, today.AddDate(0, 0, -30): 11, today.AddDate(0, 0, -31): 1000}}
	s := &Server{cfg: Config{Store: st}, log: slog.New(slog.DiscardHandler)}
	if v := s.snap.view(); v.Ready {
		t.Fatal("ready before the first refresh")
	}
	ctx := context.Background()
	s.refreshSnapshot(ctx, now)
	v := s.snap.view()
	if !v.Ready || v.Today != 5 || v.ByDay[today.AddDate(0, 0, -1)] != 7 || v.ByDay[today.AddDate(0, 0, -30)] != 11 || len(v.Risks) != 1 {
		t.Fatalf("first snapshot: %+v", v)
	}
	if _, ok := v.ByDay[today.AddDate(0, 0, -31)]; ok {
		t.Fatal("history reaches past 31 days")
	}
	// Within the hour only today is read again; the closed days are kept.
	st.days[today] = 9
	s.refreshSnapshot(ctx, now.Add(time.Minute))
	if v := s.snap.view(); v.Today != 9 || st.historyScans != 1 {
		t.Fatalf("minute refresh: today %d, history scans %d", v.Today, st.historyScans)
	}
	// After an hour, and on a new day, the closed days are read again.
	s.refreshSnapshot(ctx, now.Add(61*time.Minute))
	if st.historyScans != 2 {
		t.Fatalf("hourly refresh: %d history scans", st.historyScans)
	}
	s.refreshSnapshot(ctx, today.AddDate(0, 0, 1).Add(time.Minute))
	if st.historyScans != 3 {
		t.Fatalf("new day: %d history scans", st.historyScans)
	}
	// A failing store keeps the last snapshot and says why.
	st.fail = errors.New("database down")
	s.refreshSnapshot(ctx, today.AddDate(0, 0, 2))
	if v := s.snap.view(); !v.Ready || v.Err == "" {
		t.Fatalf("after a failure: %+v", v)
	}
}
