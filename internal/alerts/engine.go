// Package alerts is oncefleet's alert engine (SPEC §8): rules over the fleet evaluated from
// the bus as events arrive (indexed by event kind, so an event costs the rules that can match
// it, never a fleet scan), periodic rules (quota forecast, no session) evaluated by set-based
// queries over the mirror, deduplication and cool-down through the store, grouping of many
// SIMs firing at once into one message, delivery to signed webhooks, Slack and e-mail with
// retries and a dead-letter list, and automatic actions through the control plane.
package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// Store is what the engine needs of the storage backend.
type Store interface {
	ListAlertRules(ctx context.Context, enabledOnly bool) ([]fleet.AlertRule, error)
	InsertAlerts(ctx context.Context, as []*fleet.Alert, cooldowns []time.Duration) ([]bool, error)
	ListAlerts(ctx context.Context, f fleet.AlertFilter) ([]fleet.Alert, int, error)
	ResolveOpenAlerts(ctx context.Context, keys []string, at time.Time) ([]string, error)
	GetSIM(ctx context.Context, iccid string) (fleet.SIM, error)
	ListUsage(ctx context.Context, iccid string, from, to time.Time) ([]fleet.Usage, error)

	AlertChannelByID(ctx context.Context, id string) (*fleet.AlertChannel, error)
	InsertAlertDelivery(ctx context.Context, d *fleet.AlertDelivery) error
	FinishAlertDelivery(ctx context.Context, id int64, state fleet.DeliveryState, attempts int, lastErr string) error
	AlertDeliveryByID(ctx context.Context, id int64) (*fleet.AlertDelivery, error)
	ListAlertDeliveries(ctx context.Context, f fleet.AlertDeliveryFilter) ([]fleet.AlertDelivery, int, error)
	DeleteSentAlertDeliveriesBefore(ctx context.Context, before time.Time) (int, error)

	QuotaForecastHits(ctx context.Context, since time.Time, days int, within time.Duration, limit int) ([]fleet.ForecastHit, error)
	SilentSIMs(ctx context.Context, before time.Time, limit int) ([]fleet.SilentSIM, error)
}

// Actions is the control plane's part the automatic actions use (*control.Service).
type Actions interface {
	UpdateSIM(ctx context.Context, a control.Actor, iccid string, c control.SIMChange) (fleet.SIM, error)
	TopUp(ctx context.Context, a control.Actor, iccid string, r control.TopUpRequest) (control.TopUp, error)
	SendSMS(ctx context.Context, a control.Actor, iccid string, r control.SendSMSRequest) (control.SentSMS, error)
}

// Options configure an Engine; zero durations take the defaults.
type Options struct {
	Store   Store
	Actions Actions // nil: rules' actions are skipped (logged)
	Logger  *slog.Logger
	Now     func() time.Time
	// Sender delivers messages (default: an HTTP client with a 10 s timeout).
	Sender *Sender
	// GroupQuiet is how long a rule must stop firing before its pending alerts go out as one
	// message (default 2 s); GroupMax bounds the wait while it keeps firing (default 30 s).
	GroupQuiet, GroupMax time.Duration
	// Retry: attempts per delivery (default 5) and the first backoff (default 1 s, doubling,
	// at most MaxBackoff, default 5 min).
	Attempts            int
	Backoff, MaxBackoff time.Duration
	// ReloadEvery is how often the rules are re-read for edits made on other replicas
	// (default 30 s).
	ReloadEvery time.Duration
	// PeriodicLimit bounds the SIMs a periodic rule raises per run (default 100,000).
	PeriodicLimit int
	// Registerer receives the alert metrics (nil: none).
	Registerer prometheus.Registerer
	// DeadLetterGaugeEvery is how often the dead-letter gauge is re-counted (default 1 min).
	DeadLetterGaugeEvery time.Duration
	// DeliveryRetention is how long sent deliveries are kept (0: forever); the periodic run
	// deletes older ones. Dead letters stay until re-sent.
	DeliveryRetention time.Duration
	// ActorRole is the role rules act with (default operator: enough to disable, top up and
	// send SMS, nothing more).
	ActorRole fleet.Role
}

// rule is a stored rule with its parsed spec.
type rule struct {
	fleet.AlertRule
	spec     Spec
	channels []string
}

// Engine evaluates the rules and delivers the alerts. It is safe for concurrent use.
type Engine struct {
	o       Options
	log     *slog.Logger
	now     func() time.Time
	sender  *Sender
	metrics *metrics

	mu sync.RWMutex
	// byEvent indexes the enabled rules by the bus event kinds that can fire or resolve them.
	byEvent  map[string][]*rule
	periodic []*rule
	byID     map[string]*rule

	grouper *grouper
	// seen remembers the last country/operator per SIM for field_changed rules (in memory:
	// the first sighting after a start sets the baseline).
	seenMu sync.Mutex
	seen   map[string][2]string
	// upstream counts 1NCE answers for upstream_errors rules.
	upstream upstreamWindow
	wg       sync.WaitGroup
}

// New builds an engine; call Reload (or Run) before events arrive.
func New(o Options) (*Engine, error) {
	if o.Store == nil {
		return nil, errors.New("alerts: Options.Store is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.GroupQuiet <= 0 {
		o.GroupQuiet = 2 * time.Second
	}
	if o.GroupMax <= 0 {
		o.GroupMax = 30 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.ReloadEvery <= 0 {
		o.ReloadEvery = 30 * time.Second
	}
	if o.PeriodicLimit <= 0 {
		o.PeriodicLimit = 100_000
	}
	if o.DeadLetterGaugeEvery <= 0 {
		o.DeadLetterGaugeEvery = time.Minute
	}
	if o.ActorRole == "" {
		o.ActorRole = fleet.RoleOperator
	}
	if o.Sender == nil {
		o.Sender = &Sender{}
	}
	if o.Sender.HTTP == nil {
		o.Sender.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Sender.Now == nil {
		o.Sender.Now = time.Now
	}
	if o.Sender.SMTPTimeout <= 0 {
		o.Sender.SMTPTimeout = 30 * time.Second
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	e := &Engine{o: o, log: o.Logger, now: o.Now, sender: o.Sender, metrics: m, byEvent: map[string][]*rule{}, byID: map[string]*rule{},
		seen: map[string][2]string{}}
	e.grouper = newGrouper(e)
	return e, nil
}

// eventKinds are the bus events each rule kind listens to.
var eventKinds = map[fleet.AlertKind][]string{
	fleet.AlertQuotaBelow:       {bus.QuotaObserved{}.Kind()},
	fleet.AlertConnectivityLost: {bus.SIMEvent{}.Kind(), bus.ConnectivityLost{}.Kind(), bus.ConnectivityRestored{}.Kind()},
	fleet.AlertStatusChanged:    {bus.SIMChanged{}.Kind()},
	fleet.AlertSIMFieldChanged:  {bus.SIMChanged{}.Kind(), bus.SIMEvent{}.Kind()},
	fleet.AlertUsageSpike:       {bus.UsageRecorded{}.Kind()},
	fleet.AlertSyncFailing:      {bus.SyncFailed{}.Kind(), bus.JobSucceeded{}.Kind()},
	fleet.AlertStreamSilent:     {bus.StreamSilent{}.Kind(), bus.StreamResumed{}.Kind()},
	fleet.AlertNoSession:        {bus.SIMEvent{}.Kind()}, // an attach resolves at once
}

// periodicKinds are evaluated by the evaluate_alerts job.
func periodicKind(k fleet.AlertKind) bool {
	return k == fleet.AlertQuotaForecast || k == fleet.AlertNoSession || k == fleet.AlertUpstreamErrors
}

// ParseChannelIDs reads a rule's stored channel list: an array of channel IDs.
func ParseChannelIDs(raw []byte) ([]string, error) {
	var ids []string
	if len(raw) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(raw, &ids); err != nil {
		return nil, fleet.Invalid("channel_ids", "must be an array of channel IDs")
	}
	return ids, nil
}

// Reload re-reads the enabled rules and rebuilds the index. The API calls it after every
// change; Run calls it periodically for changes made on other replicas.
func (e *Engine) Reload(ctx context.Context) error {
	rs, err := e.o.Store.ListAlertRules(ctx, true)
	if err != nil {
		return fmt.Errorf("alerts: load rules: %w", err)
	}
	byEvent, byID := map[string][]*rule{}, map[string]*rule{}
	var periodic []*rule
	for _, r := range rs {
		spec, err := ParseSpec(r.Kind, r.Params)
		if err != nil {
			e.log.Warn("alert rule skipped: bad params", "rule", r.ID, "err", err)
			continue
		}
		chans, _ := ParseChannelIDs(r.Channels)
		x := &rule{AlertRule: r, spec: spec, channels: chans}
		byID[r.ID] = x
		for _, k := range eventKinds[r.Kind] {
			byEvent[k] = append(byEvent[k], x)
		}
		if periodicKind(r.Kind) {
			periodic = append(periodic, x)
		}
	}
	e.mu.Lock()
	e.byEvent, e.byID, e.periodic = byEvent, byID, periodic
	e.mu.Unlock()
	return nil
}

func (e *Engine) rulesFor(kind string) []*rule {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.byEvent[kind]
}

// Run reloads the rules periodically, refreshes the dead-letter gauge and flushes pending
// groups until ctx ends; deliveries in flight are waited for.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.Reload(ctx); err != nil {
		e.log.Warn("alert rules not loaded", "err", err)
	}
	e.sweepInterrupted(ctx)
	e.refreshDeadGauge(ctx)
	reload := time.NewTicker(e.o.ReloadEvery)
	defer reload.Stop()
	gauge := time.NewTicker(e.o.DeadLetterGaugeEvery)
	defer gauge.Stop()
	for {
		select {
		case <-ctx.Done():
			e.grouper.flushAll(context.WithoutCancel(ctx))
			e.wg.Wait()
			return nil
		case <-reload.C:
			if err := e.Reload(ctx); err != nil {
				e.log.Warn("alert rules not reloaded", "err", err)
			}
		case <-gauge.C:
			e.refreshDeadGauge(ctx)
		}
	}
}

// OnEvent evaluates the rules listening to ev's kind. It runs on the bus's goroutine.
func (e *Engine) OnEvent(ctx context.Context, ev bus.Event) {
	rules := e.rulesFor(ev.Kind())
	if len(rules) == 0 {
		return
	}
	var sim *fleet.SIM // looked up once, only when a label-scoped rule needs it
	label := func(iccid string) string {
		if sim == nil {
			s, err := e.o.Store.GetSIM(ctx, iccid)
			if err != nil {
				s = fleet.SIM{ICCID: iccid}
			}
			sim = &s
		}
		return sim.Label
	}
	inScope := func(r *rule, iccid string) bool {
		if iccid == "" {
			return true
		}
		l := ""
		if r.spec.Scope.needsLabel() {
			l = label(iccid)
		}
		return r.spec.Scope.Matches(iccid, l)
	}
	// What the event clears is resolved in one query after the loop: most events clear
	// nothing, and one read says so for every rule at once.
	var clears []clearing
	clear := func(r *rule, iccid, key string, at time.Time) {
		if at.IsZero() {
			at = e.now()
		}
		clears = append(clears, clearing{r: r, iccid: iccid, key: key, at: at})
	}
	defer func() { e.resolveMany(ctx, clears) }()
	// What it raises is stored in one transaction, also after the loop.
	var fires []firing
	fire := func(r *rule, iccid, key, severity, msg string, detail map[string]any, at time.Time) {
		fires = append(fires, firing{r: r, a: e.newAlert(r, iccid, key, severity, msg, detail, at)})
	}
	defer func() { e.raise(ctx, fires) }()
	if sc, ok := ev.(bus.SIMEvent); ok && (sc.Country != "" || sc.Operator != "") && hasKind(rules, fleet.AlertSIMFieldChanged) {
		e.trackPlace(sc, rules, inScope, fire)
	}
	for _, r := range rules {
		switch ev := ev.(type) {
		case bus.QuotaObserved:
			if r.spec.Quota != ev.Quota || !inScope(r, ev.ICCID) {
				continue
			}
			if ev.RemainingPct <= *r.spec.ThresholdPct {
				fire(r, ev.ICCID, ev.ICCID, fleet.SeverityWarning, fmt.Sprintf("%s quota at %.1f %% left (threshold %g %%)", ev.Quota, ev.RemainingPct, *r.spec.ThresholdPct),
					map[string]any{"quota": ev.Quota, "remaining_pct": ev.RemainingPct}, ev.At)
			} else {
				clear(r, ev.ICCID, fleet.AlertDedupKey(r.ID, ev.ICCID), ev.At)
			}
		case bus.SIMEvent:
			if ev.Online == nil || !inScope(r, ev.ICCID) {
				continue
			}
			switch {
			case r.Kind == fleet.AlertConnectivityLost && !*ev.Online:
				fire(r, ev.ICCID, ev.ICCID, fleet.SeverityWarning, "data session lost ("+ev.Type+")", map[string]any{"event": ev.Type}, ev.At)
			case (r.Kind == fleet.AlertConnectivityLost || r.Kind == fleet.AlertNoSession) && *ev.Online:
				clear(r, ev.ICCID, fleet.AlertDedupKey(r.ID, ev.ICCID), ev.At)
			}
		case bus.ConnectivityLost:
			if r.Kind == fleet.AlertConnectivityLost && inScope(r, ev.ICCID) {
				fire(r, ev.ICCID, ev.ICCID, fleet.SeverityWarning, "SIM not connected since "+ev.Since.UTC().Format(time.RFC3339), map[string]any{"since": ev.Since}, ev.At)
			}
		case bus.ConnectivityRestored:
			if r.Kind == fleet.AlertConnectivityLost && inScope(r, ev.ICCID) {
				clear(r, ev.ICCID, fleet.AlertDedupKey(r.ID, ev.ICCID), ev.At)
			}
		case bus.SIMChanged:
			if !inScope(r, ev.ICCID) {
				continue
			}
			switch {
			case r.Kind == fleet.AlertStatusChanged && ev.Field == "status" && (r.spec.To == "" || strings.EqualFold(r.spec.To, ev.New)):
				fire(r, ev.ICCID, ev.ICCID, fleet.SeverityInfo, fmt.Sprintf("status changed from %s to %s", ev.Old, ev.New),
					map[string]any{"field": ev.Field, "old": ev.Old, "new": ev.New}, ev.At)
			case r.Kind == fleet.AlertSIMFieldChanged && ev.Field == r.spec.Field:
				fire(r, ev.ICCID, ev.ICCID, fleet.SeverityWarning, fmt.Sprintf("%s changed from %s to %s", ev.Field, ev.Old, ev.New),
					map[string]any{"field": ev.Field, "old": ev.Old, "new": ev.New}, ev.At)
			}
		case bus.UsageRecorded:
			if inScope(r, ev.ICCID) {
				e.checkSpike(ctx, r, ev, fire)
			}
		case bus.SyncFailed:
			if (r.spec.Job == "" || r.spec.Job == ev.Job) && (ev.Attempt >= r.spec.Failures || ev.Final) {
				fire(r, "", "job:"+ev.Job, fleet.SeverityCritical, fmt.Sprintf("job %s failed (attempt %d): %s", ev.Job, ev.Attempt, ev.Error),
					map[string]any{"job": ev.Job, "attempt": ev.Attempt, "final": ev.Final}, ev.At)
			}
		case bus.JobSucceeded:
			if r.spec.Job == "" || r.spec.Job == ev.Job {
				clear(r, "", fleet.AlertDedupKey(r.ID, "job:"+ev.Job), ev.At)
			}
		case bus.StreamSilent:
			if r.spec.Stream == "" || r.spec.Stream == ev.Stream {
				fire(r, "", "stream:"+ev.Stream, fleet.SeverityCritical, fmt.Sprintf("Data Streamer %s silent for %s", ev.Stream, ev.Silence.Round(time.Second)),
					map[string]any{"stream": ev.Stream, "last_received_at": ev.LastReceivedAt}, e.now())
			}
		case bus.StreamResumed:
			if r.spec.Stream == "" || r.spec.Stream == ev.Stream {
				clear(r, "", fleet.AlertDedupKey(r.ID, "stream:"+ev.Stream), e.now())
			}
		}
	}
}

func hasKind(rules []*rule, k fleet.AlertKind) bool {
	for _, r := range rules {
		if r.Kind == k {
			return true
		}
	}
	return false
}

// trackPlace fires field_changed rules on country/operator changes seen in streamed events.
// It raises through fire and checks scope through inScope, like the other event rules, so the
// SIM is looked up once and the alerts are stored in the event's one transaction.
func (e *Engine) trackPlace(ev bus.SIMEvent, rules []*rule, inScope func(*rule, string) bool, fire fireFunc) {
	e.seenMu.Lock()
	prev, had := e.seen[ev.ICCID]
	cur := prev
	if ev.Country != "" {
		cur[0] = ev.Country
	}
	if ev.Operator != "" {
		cur[1] = ev.Operator
	}
	e.seen[ev.ICCID] = cur
	e.seenMu.Unlock()
	for _, r := range rules {
		if r.Kind != fleet.AlertSIMFieldChanged {
			continue
		}
		if !had || !inScope(r, ev.ICCID) {
			continue
		}
		i := 0
		if r.spec.Field == "operator" {
			i = 1
		} else if r.spec.Field != "country" {
			continue
		}
		if prev[i] != "" && cur[i] != prev[i] {
			fire(r, ev.ICCID, ev.ICCID, fleet.SeverityWarning, fmt.Sprintf("%s changed from %s to %s", r.spec.Field, prev[i], cur[i]),
				map[string]any{"field": r.spec.Field, "old": prev[i], "new": cur[i]}, ev.At)
		}
	}
}

// checkSpike compares the SIM's day against its own baseline: the median of the previous
// days and their median absolute deviation, robust to the odd outlier day a mean and a
// standard deviation would chase.
func (e *Engine) checkSpike(ctx context.Context, r *rule, ev bus.UsageRecorded, fire fireFunc) {
	day := ev.Day.UTC().Truncate(24 * time.Hour)
	rows, err := e.o.Store.ListUsage(ctx, ev.ICCID, day.AddDate(0, 0, -r.spec.BaselineDays), day)
	if err != nil {
		e.log.Warn("usage spike: read usage", "iccid", ev.ICCID, "err", err)
		return
	}
	var today int64
	var base []float64
	for _, u := range rows {
		if u.Day.Equal(day) {
			today = u.VolumeTotal
			continue
		}
		base = append(base, float64(u.VolumeTotal))
	}
	// Fewer than three days is no baseline: a new SIM's first busy day is not a spike.
	if len(base) < 3 || today < r.spec.MinBytes {
		return
	}
	med, mad := MedianMAD(base)
	limit := med + r.spec.Factor*1.4826*mad
	if float64(today) > limit && float64(today) > med {
		fire(r, ev.ICCID, ev.ICCID+"/"+day.Format(time.DateOnly), fleet.SeverityWarning,
			fmt.Sprintf("usage %d bytes today against a baseline of %.0f (MAD %.0f)", today, med, mad),
			map[string]any{"bytes": today, "median": med, "mad": mad, "day": day.Format(time.DateOnly)}, e.now())
	}
}

// MedianMAD returns the median of xs and the median absolute deviation from it.
func MedianMAD(xs []float64) (median, mad float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	median = mid(s)
	for i, v := range s {
		s[i] = math.Abs(v - median)
	}
	slices.Sort(s)
	return median, mid(s)
}

func mid(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// fireFunc queues an alert of rule r for the SIM (key: its dedup key within the rule).
type fireFunc func(r *rule, iccid, key, severity, msg string, detail map[string]any, at time.Time)

// firing is an alert a rule raises, not stored yet.
type firing struct {
	r *rule
	a *fleet.Alert
}

func (e *Engine) newAlert(r *rule, iccid, key, severity, msg string, detail map[string]any, at time.Time) *fleet.Alert {
	if at.IsZero() {
		at = e.now()
	}
	raw, _ := json.Marshal(detail)
	return &fleet.Alert{RuleID: r.ID, Kind: r.Kind, ICCID: iccid, DedupKey: fleet.AlertDedupKey(r.ID, key), Severity: severity,
		Message: msg, Detail: raw, FiredAt: at}
}

// raise stores the alerts unless their rule raised one for the key within its cool-down (the
// store decides, so replicas agree), then queues each new one for its channels and runs its
// rule's actions.
func (e *Engine) raise(ctx context.Context, fs []firing) {
	if len(fs) == 0 {
		return
	}
	as, cds := make([]*fleet.Alert, len(fs)), make([]time.Duration, len(fs))
	for i, f := range fs {
		as[i], cds[i] = f.a, f.r.Cooldown
	}
	inserted, err := e.o.Store.InsertAlerts(ctx, as, cds)
	if err != nil {
		e.log.Error("alerts not stored", "rule", fs[0].r.ID, "iccid", fs[0].a.ICCID, "alerts", len(fs), "err", err)
		return
	}
	for i, f := range fs {
		if !inserted[i] {
			continue
		}
		e.metrics.fired.WithLabelValues(string(f.r.Kind)).Inc()
		e.grouper.add(f.r, "fired", *f.a)
		if f.a.ICCID != "" && len(f.r.spec.Actions) > 0 {
			e.act(ctx, f.r, f.a)
		}
	}
}

// clearing is a condition an event found clear: the rule's alert for the key, if open, resolves.
type clearing struct {
	r          *rule
	iccid, key string
	at         time.Time
}

// resolveMany resolves the open alerts among cs in one store call and queues one resolved
// notice for each.
func (e *Engine) resolveMany(ctx context.Context, cs []clearing) {
	if len(cs) == 0 {
		return
	}
	keys := make([]string, len(cs))
	for i, c := range cs {
		keys[i] = c.key
	}
	done, err := e.o.Store.ResolveOpenAlerts(ctx, keys, cs[0].at)
	if err != nil {
		e.log.Error("alerts not resolved", "keys", len(keys), "err", err)
		return
	}
	byKey := make(map[string]clearing, len(cs))
	for _, c := range cs {
		if _, seen := byKey[c.key]; !seen {
			byKey[c.key] = c
		}
	}
	for _, k := range done {
		c, ok := byKey[k]
		if !ok {
			continue
		}
		at := c.at
		e.metrics.resolved.WithLabelValues(string(c.r.Kind)).Inc()
		e.grouper.add(c.r, "resolved", fleet.Alert{RuleID: c.r.ID, Kind: c.r.Kind, ICCID: c.iccid, DedupKey: c.key, ResolvedAt: &at,
			Message: "condition cleared", Severity: fleet.SeverityInfo})
	}
}

// act runs the rule's automatic actions for the SIM, as the rule, through the control plane
// (role check, idempotency, audit). The top-up's key is the alert's, so it books once.
func (e *Engine) act(ctx context.Context, r *rule, a *fleet.Alert) {
	e.mu.RLock()
	acts := e.o.Actions
	e.mu.RUnlock()
	if acts == nil {
		e.log.Warn("alert rule actions skipped: no control plane", "rule", r.ID)
		return
	}
	actor := control.SystemActor("rule", r.ID, r.Name, e.o.ActorRole)
	for _, act := range r.spec.Actions {
		var err error
		switch act.Type {
		case ActionDisable:
			st := "Disabled"
			_, err = acts.UpdateSIM(ctx, actor, a.ICCID, control.SIMChange{Status: &st})
		case ActionTopUp:
			_, err = acts.TopUp(ctx, actor, a.ICCID, control.TopUpRequest{Key: "alert:" + strconv.FormatInt(a.ID, 10), Reason: fleet.TopUpAuto})
		case ActionSMS:
			_, err = acts.SendSMS(ctx, actor, a.ICCID, control.SendSMSRequest{Payload: act.Text})
		}
		result := "ok"
		if err != nil {
			result = "error"
			e.log.Warn("alert rule action failed", "rule", r.ID, "action", act.Type, "iccid", a.ICCID, "err", err)
		}
		e.metrics.actions.WithLabelValues(act.Type, result).Inc()
	}
}

// SetActions gives the engine the control plane its rules act through; call it before Run.
func (e *Engine) SetActions(a Actions) {
	e.mu.Lock()
	e.o.Actions = a
	e.mu.Unlock()
}
