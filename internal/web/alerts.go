package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// alertPollEvery is how often new alerts are looked for while a browser listens: one indexed
// query per replica, however many tabs are open.
const alertPollEvery = 5 * time.Second

// pollAlerts announces alerts fired since the last look to the open event streams. The alert
// engine publishes nothing on the bus (it may run in another replica); the store is where
// every replica's alerts meet. The mark moves on every look, listeners or not: an alert that
// fired while nobody watched is no news to a page opened later (it counts it already), and
// one that fires just after a page opened must be.
func (s *Server) pollAlerts(ctx context.Context) {
	as, _, err := s.cfg.Store.ListAlerts(ctx, fleet.AlertFilter{Limit: 20})
	if err != nil {
		if ctx.Err() == nil {
			s.log.WarnContext(ctx, "dashboard: look for new alerts", "err", err)
		}
		return
	}
	// The first look only sets the mark: alerts from before this process started are not news.
	announce := s.alertsSeen != 0 && s.events.count() > 0
	newest := s.alertsSeen
	// Oldest first, so the browser sees them in order.
	for i := len(as) - 1; i >= 0; i-- {
		a := as[i]
		if a.ID <= s.alertsSeen {
			continue
		}
		newest = max(newest, a.ID)
		if !announce {
			continue
		}
		data, _ := json.Marshal(map[string]any{"id": a.ID, "kind": a.Kind, "iccid": a.ICCID, "severity": a.Severity, "message": a.Message, "fired_at": a.FiredAt})
		s.events.send(liveEvent{Name: "alert", Data: data})
	}
	if newest == 0 {
		newest = -1 // looked, found none: every alert from now on is news
	}
	s.alertsSeen = newest
}

// openAlerts counts open alerts.
func (s *Server) openAlerts(r *http.Request) (int64, bool) {
	_, total, err := s.cfg.Store.ListAlerts(r.Context(), fleet.AlertFilter{OpenOnly: true, Limit: 1})
	if err != nil {
		return 0, false
	}
	return int64(total), true
}

type alertsData struct {
	Alerts []fleet.Alert
	Total  int
	Page   int
	Pages  int
	State  string
	ICCID  string
	States []string
	Rules  map[string]string // rule id → name
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request, v viewer) {
	pg, err := pageParam(r.URL.Query(), "page")
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	q := r.URL.Query()
	d := alertsData{Page: pg, State: q.Get("state"), ICCID: q.Get("iccid"), States: fleet.AlertStates()}
	f := fleet.AlertFilter{ICCID: d.ICCID, Limit: 50, Offset: (pg - 1) * 50}
	if err := f.SetState(d.State); err != nil {
		s.errorPage(w, r, err)
		return
	}
	if d.ICCID != "" {
		if err := fleet.ValidateICCID("iccid", d.ICCID); err != nil {
			s.errorPage(w, r, err)
			return
		}
	}
	as, total, err := s.cfg.Store.ListAlerts(r.Context(), f)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	d.Alerts, d.Total, d.Pages = as, total, max((total+49)/50, 1)
	d.Rules = map[string]string{}
	if rules, err := s.cfg.Store.ListAlertRules(r.Context(), false); err == nil {
		for _, ru := range rules {
			d.Rules[ru.ID] = ru.Name
		}
	}
	s.render(w, r, http.StatusOK, "alerts", page{Title: "Alerts", Nav: "alerts", V: v, Data: d})
}

// ruleKind is a kind the form offers, with an example of its parameters.
type ruleKind struct {
	Kind    fleet.AlertKind
	Label   string
	Example string
}

var ruleKinds = []ruleKind{
	{fleet.AlertQuotaBelow, "Quota below a threshold", `{"threshold_pct": 20, "quota": "data"}`},
	{fleet.AlertQuotaForecast, "Quota runs out soon at the recent rate", `{"days": 7, "within_days": 3}`},
	{fleet.AlertConnectivityLost, "Connectivity lost", `{}`},
	{fleet.AlertNoSession, "No data session for hours", `{"hours": 24}`},
	{fleet.AlertStatusChanged, "SIM status changed", `{}`},
	{fleet.AlertSIMFieldChanged, "IMEI, country or operator changed", `{"field": "imei"}`},
	{fleet.AlertUsageSpike, "Usage spike against the SIM's baseline", `{"factor": 3, "baseline_days": 14}`},
	{fleet.AlertSyncFailing, "A sync job keeps failing", `{"failures": 3}`},
	{fleet.AlertStreamSilent, "Data Streamer silent", `{}`},
	{fleet.AlertUpstreamErrors, "1NCE error rate high", `{"error_pct": 20, "window_minutes": 10}`},
}

type ruleRow struct {
	fleet.AlertRule
	Params   string
	Channels []string
}

type rulesData struct {
	Rules    []ruleRow
	Kinds    []ruleKind
	Channels []fleet.AlertChannel
}

func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request, v viewer) {
	ctx := r.Context()
	rules, err := s.cfg.Store.ListAlertRules(ctx, false)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	chans, err := s.cfg.Store.ListAlertChannels(ctx)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	names := map[string]string{}
	for _, c := range chans {
		names[c.ID] = c.Name
	}
	d := rulesData{Kinds: ruleKinds, Channels: chans}
	for _, ru := range rules {
		row := ruleRow{AlertRule: ru, Params: string(ru.Params)}
		var ids []string
		_ = json.Unmarshal(ru.Channels, &ids)
		for _, id := range ids {
			if n, ok := names[id]; ok {
				row.Channels = append(row.Channels, n)
			} else {
				row.Channels = append(row.Channels, id)
			}
		}
		d.Rules = append(d.Rules, row)
	}
	slices.SortStableFunc(d.Rules, func(a, b ruleRow) int { return b.Created.Compare(a.Created) })
	s.render(w, r, http.StatusOK, "rules", page{Title: "Alert rules", Nav: "alerts", V: v, Data: d})
}
