package web

import (
	"context"
	"sync"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// The overview's fleet-wide aggregates (usage per day summed over every SIM, the SIMs with
// the least data left) cost a scan of the usage series or a sort of the whole mirror: seconds
// at 100,000 SIMs on SQLite. A page must not wait for them, so the dashboard keeps a
// snapshot that a background loop refreshes: today's usage and the quota risks every
// minute, the closed days of the last month hourly (only late Data Streamer records and the
// usage sync change them). The overview says how old the snapshot is.
const (
	snapshotTodayEvery   = time.Minute
	snapshotHistoryEvery = time.Hour
	// riskListSize is how many at-risk SIMs the overview lists.
	riskListSize = 5
)

// snapshot is the latest fleet aggregates.
type snapshot struct {
	mu       sync.RWMutex
	history  map[time.Time]int64 // closed days of the last 30
	histFrom time.Time           // first day history covers
	histDay  time.Time           // the "today" history was computed for
	today    int64
	todayAt  time.Time // when today's figure and the risks were read (zero: never)
	risks    []fleet.SIM
	err      string
}

// usageView is the snapshot as the overview uses it.
type usageView struct {
	ByDay  map[time.Time]int64
	Today  int64
	Risks  []fleet.SIM
	At     time.Time
	Err    string
	Ready  bool
	Period time.Time // first day of the 30-day window
}

func (s *snapshot) view() usageView {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := usageView{Today: s.today, Risks: s.risks, At: s.todayAt, Err: s.err, Ready: !s.todayAt.IsZero() && s.history != nil, Period: s.histFrom}
	v.ByDay = make(map[time.Time]int64, len(s.history)+1)
	for d, n := range s.history {
		v.ByDay[d] = n
	}
	if !s.todayAt.IsZero() {
		v.ByDay[s.todayAt.Truncate(24*time.Hour)] = s.today
	}
	return v
}

// Run keeps the overview's snapshot fresh until ctx ends. The app runs it with the other
// background work of serve.
// It also announces new alerts to the open event streams.
func (s *Server) Run(ctx context.Context) error {
	t := time.NewTicker(snapshotTodayEvery)
	defer t.Stop()
	a := time.NewTicker(alertPollEvery)
	defer a.Stop()
	s.pollAlerts(ctx)
	s.refreshSnapshot(ctx, time.Now().UTC())
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.refreshSnapshot(ctx, time.Now().UTC())
		case <-a.C:
			s.pollAlerts(ctx)
		}
	}
}

// refreshSnapshot reads what is due: today's usage and the risks always, the closed days when
// the day changed or the hourly refresh is due.
func (s *Server) refreshSnapshot(ctx context.Context, now time.Time) {
	today := now.Truncate(24 * time.Hour)
	s.snap.mu.RLock()
	needHistory := s.snap.history == nil || !s.snap.histDay.Equal(today) || now.Sub(s.histAt) >= snapshotHistoryEvery
	s.snap.mu.RUnlock()
	var history map[time.Time]int64
	// 31 days: the chart's 30 and, on the 31st, the first day of the month.
	from := today.AddDate(0, 0, -30)
	if needHistory {
		totals, err := s.cfg.Store.DailyUsageTotals(ctx, from, today.AddDate(0, 0, -1))
		if err != nil {
			s.snapshotFailed(ctx, "usage history", err)
			return
		}
		history = make(map[time.Time]int64, len(totals))
		for _, t := range totals {
			history[t.Day.UTC().Truncate(24*time.Hour)] += t.VolumeTotal
		}
	}
	var todayTotal int64
	totals, err := s.cfg.Store.DailyUsageTotals(ctx, today, today)
	if err != nil {
		s.snapshotFailed(ctx, "today's usage", err)
		return
	}
	for _, t := range totals {
		todayTotal += t.VolumeTotal
	}
	risk, err := s.cfg.Store.ListSIMs(ctx, fleet.SIMFilter{Sort: "data_volume_left", PageSize: riskListSize, Statuses: []string{"Enabled"}})
	if err != nil {
		s.snapshotFailed(ctx, "quota risks", err)
		return
	}
	s.snap.mu.Lock()
	defer s.snap.mu.Unlock()
	if history != nil {
		s.snap.history, s.snap.histFrom, s.snap.histDay = history, from, today
		s.histAt = now
	}
	// Unknown volumes sort last; if they are all that is left, there is no risk to show.
	risks := make([]fleet.SIM, 0, len(risk.Items))
	for _, sim := range risk.Items {
		if sim.DataVolumeLeft != nil {
			risks = append(risks, sim)
		}
	}
	s.snap.today, s.snap.todayAt, s.snap.risks, s.snap.err = todayTotal, now, risks, ""
}

func (s *Server) snapshotFailed(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	s.log.WarnContext(ctx, "dashboard: refresh the overview snapshot", "part", what, "err", err)
	s.snap.mu.Lock()
	s.snap.err = what + ": " + message(err)
	s.snap.mu.Unlock()
}
