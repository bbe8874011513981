// Package report builds the daily fleet report (SPEC §7): SIMs by status, the day's usage and
// top consumers, quota risks, the top-ups booked, and the health of the Data Streamer, stored
// as JSON and CSV and downloadable from /api/v1/reports.
package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// Store is what the report reads and where it is kept.
type Store interface {
	CountSIMsByStatus(ctx context.Context) ([]fleet.StatusCount, error)
	DailyUsageTotals(ctx context.Context, from, to time.Time) ([]fleet.DailyTotal, error)
	TopConsumers(ctx context.Context, from, to time.Time, limit int) ([]fleet.UsageSummary, error)
	QuotasBelow(ctx context.Context, kind fleet.QuotaKind, pct float64) ([]fleet.Quota, error)
	ListTopUps(ctx context.Context, f fleet.TopUpFilter) ([]fleet.TopUp, int, error)
	StreamHealth(ctx context.Context) ([]record.StreamHealth, error)
	PutReport(ctx context.Context, r *fleet.Report) error
}

// Limits of one report: the lists are for a person to read, not an export of the fleet.
const (
	TopConsumers = 20
	// RiskPct is the remaining data share below which a SIM is a quota risk.
	RiskPct   = 20
	MaxRisks  = 100
	maxTopUps = 1000
)

// Daily is the content of a daily report.
type Daily struct {
	Kind        string    `json:"kind"`
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	GeneratedAt time.Time `json:"generated_at"`
	SIMs        struct {
		Total    int64               `json:"total"`
		ByStatus []fleet.StatusCount `json:"by_status"`
	} `json:"sims"`
	Usage struct {
		SIMsWithUsage int64 `json:"sims_with_usage"`
		VolumeTotal   int64 `json:"volume_total_bytes"`
		SMSMO         int64 `json:"sms_mo"`
		SMSMT         int64 `json:"sms_mt"`
	} `json:"usage"`
	TopConsumers []Consumer `json:"top_consumers"`
	QuotaRisks   []Risk     `json:"quota_risks"`
	TopUps       struct {
		Count   int            `json:"count"`
		ByState map[string]int `json:"by_state"`
		ByCause map[string]int `json:"by_reason"`
	} `json:"topups"`
	Streamer []Stream `json:"streamer"`
}

// Consumer is one of the day's top data users.
type Consumer struct {
	ICCID       string `json:"iccid"`
	VolumeTotal int64  `json:"volume_total_bytes"`
	SMS         int64  `json:"sms"`
}

// Risk is a SIM whose data quota runs low.
type Risk struct {
	ICCID        string  `json:"iccid"`
	RemainingPct float64 `json:"remaining_pct"`
	Volume       int64   `json:"volume_bytes"`
	TotalVolume  int64   `json:"total_volume_bytes"`
}

// Stream is the state of one Data Streamer stream.
type Stream struct {
	Stream         string    `json:"stream"`
	LastReceivedAt time.Time `json:"last_received_at,omitzero"`
	Applied        int64     `json:"applied"`
}

// Build makes the daily report of the UTC day that contains day.
func Build(ctx context.Context, st Store, day time.Time, now time.Time) (*Daily, error) {
	start := fleet.Day(day)
	d := &Daily{Kind: "daily", PeriodStart: start, PeriodEnd: start.AddDate(0, 0, 1), GeneratedAt: now.UTC()}
	counts, err := st.CountSIMsByStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: sims by status: %w", err)
	}
	d.SIMs.ByStatus = counts
	for _, c := range counts {
		d.SIMs.Total += c.Count
	}
	totals, err := st.DailyUsageTotals(ctx, start, start)
	if err != nil {
		return nil, fmt.Errorf("report: usage: %w", err)
	}
	for _, t := range totals {
		d.Usage.SIMsWithUsage += t.SIMs
		d.Usage.VolumeTotal += t.VolumeTotal
		d.Usage.SMSMO += t.SMSMO
		d.Usage.SMSMT += t.SMSMT
	}
	top, err := st.TopConsumers(ctx, start, start, TopConsumers)
	if err != nil {
		return nil, fmt.Errorf("report: top consumers: %w", err)
	}
	d.TopConsumers = make([]Consumer, 0, len(top))
	for _, u := range top {
		d.TopConsumers = append(d.TopConsumers, Consumer{ICCID: u.ICCID, VolumeTotal: u.VolumeTotal, SMS: u.SMSMO + u.SMSMT})
	}
	low, err := st.QuotasBelow(ctx, fleet.QuotaData, RiskPct)
	if err != nil {
		return nil, fmt.Errorf("report: quota risks: %w", err)
	}
	d.QuotaRisks = make([]Risk, 0, min(len(low), MaxRisks))
	for i, q := range low {
		if i == MaxRisks {
			break
		}
		d.QuotaRisks = append(d.QuotaRisks, Risk{ICCID: q.ICCID, RemainingPct: q.RemainingPct(), Volume: q.Volume, TotalVolume: q.TotalVolume})
	}
	tus, _, err := st.ListTopUps(ctx, fleet.TopUpFilter{Limit: maxTopUps})
	if err != nil {
		return nil, fmt.Errorf("report: top-ups: %w", err)
	}
	d.TopUps.ByState, d.TopUps.ByCause = map[string]int{}, map[string]int{}
	for _, t := range tus {
		if t.CreatedAt.Before(d.PeriodStart) || !t.CreatedAt.Before(d.PeriodEnd) {
			continue
		}
		d.TopUps.Count++
		d.TopUps.ByState[string(t.State)]++
		d.TopUps.ByCause[string(t.Reason)]++
	}
	health, err := st.StreamHealth(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: streamer health: %w", err)
	}
	d.Streamer = make([]Stream, 0, len(health))
	for _, h := range health {
		d.Streamer = append(d.Streamer, Stream{Stream: string(h.Stream), LastReceivedAt: h.LastReceivedAt, Applied: h.Applied})
	}
	return d, nil
}

// CSV writes the report as section,key,value rows (one table a spreadsheet opens as is).
func (d *Daily) CSV() (string, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	row := func(section, key string, value any) { _ = w.Write([]string{section, key, fmt.Sprint(value)}) }
	row("section", "key", "value")
	row("period", "start", d.PeriodStart.Format(time.RFC3339))
	row("period", "end", d.PeriodEnd.Format(time.RFC3339))
	row("sims", "total", d.SIMs.Total)
	for _, c := range d.SIMs.ByStatus {
		row("sims_by_status", c.Status, c.Count)
	}
	row("usage", "sims_with_usage", d.Usage.SIMsWithUsage)
	row("usage", "volume_total_bytes", d.Usage.VolumeTotal)
	row("usage", "sms_mo", d.Usage.SMSMO)
	row("usage", "sms_mt", d.Usage.SMSMT)
	for _, c := range d.TopConsumers {
		row("top_consumer_bytes", c.ICCID, c.VolumeTotal)
	}
	for _, r := range d.QuotaRisks {
		row("quota_risk_remaining_pct", r.ICCID, strconv.FormatFloat(r.RemainingPct, 'f', 1, 64))
	}
	row("topups", "count", d.TopUps.Count)
	for k, v := range d.TopUps.ByState {
		row("topups_by_state", k, v)
	}
	for k, v := range d.TopUps.ByCause {
		row("topups_by_reason", k, v)
	}
	for _, s := range d.Streamer {
		last := ""
		if !s.LastReceivedAt.IsZero() {
			last = s.LastReceivedAt.Format(time.RFC3339)
		}
		row("streamer_last_received", s.Stream, last)
	}
	w.Flush()
	return b.String(), w.Error()
}

// Save builds the report of day and stores it (replacing an earlier one of that day).
func Save(ctx context.Context, st Store, day, now time.Time) (*fleet.Report, error) {
	d, err := Build(ctx, st, day, now)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("report: encode: %w", err)
	}
	text, err := d.CSV()
	if err != nil {
		return nil, fmt.Errorf("report: csv: %w", err)
	}
	r := &fleet.Report{Kind: d.Kind, PeriodStart: d.PeriodStart, PeriodEnd: d.PeriodEnd, JSON: raw, CSV: text}
	if err := st.PutReport(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// Job is the daily report job: each run reports the UTC day that ended last (a run made by
// hand during the day reports the day so far).
func Job(st Store, every time.Duration, now func() time.Time) jobs.Definition {
	if now == nil {
		now = time.Now
	}
	return jobs.Definition{Name: "fleet_report", Interval: every, Run: func(ctx context.Context) (jobs.Report, error) {
		t := now()
		day := t.AddDate(0, 0, -1)
		if t.Sub(fleet.Day(t)) > time.Hour {
			// Not the scheduled midnight run: report today so far.
			day = t
		}
		r, err := Save(ctx, st, day, t)
		if err != nil {
			return jobs.Report{}, err
		}
		return jobs.Report{Items: 1, Detail: "report " + r.ID + " for " + r.PeriodStart.Format(time.DateOnly)}, nil
	}}
}
