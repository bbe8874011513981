package control

import (
	"context"
	"fmt"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/mirror"
	"github.com/oncefleet/oncefleet/once"
)

// MaxUsageRange bounds one usage query: 1NCE keeps about six months of usage, the mirror
// keeps what retention allows; a year per query keeps answers small.
const MaxUsageRange = 366 * 24 * time.Hour

// UsageReport is a SIM's daily usage over a date range, with its sum.
type UsageReport struct {
	ICCID   string             `json:"iccid"`
	From    time.Time          `json:"from"`
	To      time.Time          `json:"to"`
	Days    []fleet.Usage      `json:"days"`
	Summary fleet.UsageSummary `json:"summary"`
}

// Usage returns a SIM's daily usage from the mirror (fed by the Data Streamer and the usage
// sync). With refresh, the range is first read from 1NCE's v1 usage API (accounts without v1
// get CodeUnsupported) and stored; with 1NCE unavailable the mirror's answer is marked stale.
func (s *Service) Usage(ctx context.Context, iccid string, from, to time.Time, refresh bool) (Read[UsageReport], error) {
	if err := ValidateICCID("iccid", iccid); err != nil {
		return Read[UsageReport]{}, err
	}
	from, to, err := fleet.ValidateDayRange(from, to)
	if err != nil {
		return Read[UsageReport]{}, err
	}
	if to.Sub(from) > MaxUsageRange {
		return Read[UsageReport]{}, fleet.Invalid("to", "at most %d days per query", int(MaxUsageRange.Hours()/24))
	}
	var staleErr error
	syncedAt := time.Time{}
	if refresh {
		if err := s.refreshUsage(ctx, iccid, from, to); err != nil {
			if !degraded(err) {
				return Read[UsageReport]{}, err
			}
			staleErr = err
		} else {
			syncedAt = s.now().UTC()
		}
	}
	days, err := s.store.ListUsage(ctx, iccid, from, to)
	if err != nil {
		return Read[UsageReport]{}, err
	}
	sum, err := s.store.UsageSummary(ctx, iccid, from, to)
	if err != nil {
		return Read[UsageReport]{}, err
	}
	if days == nil {
		days = []fleet.Usage{}
	}
	rep := UsageReport{ICCID: iccid, From: from, To: to, Days: days, Summary: sum}
	if staleErr != nil {
		return stale(rep, syncedAt, staleErr), nil
	}
	return Read[UsageReport]{Value: rep, SyncedAt: syncedAt}, nil
}

func (s *Service) refreshUsage(ctx context.Context, iccid string, from, to time.Time) error {
	up, err := s.upstream()
	if err != nil {
		return err
	}
	got, err := up.Usage(ctx, once.UsageParams{ICCID: iccid, Start: from, End: to})
	if err != nil {
		return upstreamErr(err, "reading usage")
	}
	now := s.now()
	rows := make([]fleet.Usage, 0, len(got))
	for _, d := range got {
		rows = append(rows, mirror.Usage(iccid, d, now))
	}
	if err := s.store.UpsertUsage(ctx, rows); err != nil {
		return fmt.Errorf("usage %s: store: %w", iccid, err)
	}
	return nil
}

// eventRefreshWindow is how many of a SIM's newest events a refresh reads from 1NCE (one
// request of the budget).
const eventRefreshWindow = 1000

// Events returns a page of a SIM's events from the mirror (fed by the Data Streamer). With
// refresh, the newest events are first read from 1NCE and stored; with 1NCE unavailable the
// mirror's page is marked stale.
func (s *Service) Events(ctx context.Context, f fleet.EventFilter, refresh bool) (Read[fleet.Page[fleet.Event]], error) {
	if err := ValidateICCID("iccid", f.ICCID); err != nil {
		return Read[fleet.Page[fleet.Event]]{}, err
	}
	f, err := f.Normalize()
	if err != nil {
		return Read[fleet.Page[fleet.Event]]{}, err
	}
	var staleErr error
	var syncedAt time.Time
	if refresh {
		if err := s.refreshEvents(ctx, f.ICCID); err != nil {
			if !degraded(err) {
				return Read[fleet.Page[fleet.Event]]{}, err
			}
			staleErr = err
		} else {
			syncedAt = s.now().UTC()
		}
	}
	p, err := s.store.ListEvents(ctx, f)
	if err != nil {
		return Read[fleet.Page[fleet.Event]]{}, err
	}
	if p.Items == nil {
		p.Items = []fleet.Event{}
	}
	if staleErr != nil {
		return stale(p, syncedAt, staleErr), nil
	}
	return Read[fleet.Page[fleet.Event]]{Value: p, SyncedAt: syncedAt}, nil
}

func (s *Service) refreshEvents(ctx context.Context, iccid string) error {
	up, err := s.upstream()
	if err != nil {
		return err
	}
	var batch []fleet.Event
	for e, err := range up.ListEvents(ctx, once.EventListOptions{ICCID: iccid, ListOptions: once.ListOptions{PageSize: eventRefreshWindow}}) {
		if err != nil {
			return upstreamErr(err, "listing events")
		}
		if ev := mirror.Event(iccid, e); ev.Validate() == nil {
			batch = append(batch, ev)
		}
		if len(batch) == eventRefreshWindow {
			break
		}
	}
	if _, err := s.store.InsertEvents(ctx, batch); err != nil {
		return fmt.Errorf("events %s: store: %w", iccid, err)
	}
	return nil
}
