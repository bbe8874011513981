package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

type metrics struct {
	fired, resolved *prometheus.CounterVec
	deliveries      *prometheus.CounterVec
	actions         *prometheus.CounterVec
	dead            prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		fired: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "alerts_fired_total",
			Help: "Alerts raised, by rule kind (after deduplication and cool-down)."}, []string{"kind"}),
		resolved: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "alerts_resolved_total",
			Help: "Alerts resolved because their condition cleared, by rule kind."}, []string{"kind"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "alert_deliveries_total",
			Help: "Alert messages delivered to channels, by channel type and result (sent, retry, dead)."}, []string{"channel", "result"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "alert_actions_total",
			Help: "Automatic actions alert rules took, by action and result (ok, error)."}, []string{"action", "result"}),
		dead: prometheus.NewGauge(prometheus.GaugeOpts{Name: "alert_dead_letters",
			Help: "Alert deliveries in the dead-letter list (retries spent, not re-sent)."}),
	}
	// The series exist from the start, so "no failures" is 0 and not absent.
	for _, k := range fleet.AlertKinds {
		m.fired.WithLabelValues(string(k))
		m.resolved.WithLabelValues(string(k))
	}
	for _, c := range []fleet.AlertChannelType{fleet.ChannelWebhook, fleet.ChannelSlack, fleet.ChannelEmail} {
		for _, r := range []string{"sent", "retry", "dead"} {
			m.deliveries.WithLabelValues(string(c), r)
		}
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.fired, m.resolved, m.deliveries, m.actions, m.dead} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("alerts: metrics: %w", err)
		}
	}
	return m, nil
}

func (e *Engine) refreshDeadGauge(ctx context.Context) {
	_, n, err := e.o.Store.ListAlertDeliveries(ctx, fleet.AlertDeliveryFilter{State: fleet.DeliveryDead, Limit: 1})
	if err != nil {
		e.log.Warn("dead-letter count", "err", err)
		return
	}
	e.metrics.dead.Set(float64(n))
}

// grouper collects what a rule raises or resolves in a burst and sends it as one message per
// channel once the rule has been quiet for GroupQuiet (or GroupMax after the first).
type grouper struct {
	e       *Engine
	mu      sync.Mutex
	pending map[string]*group
}

type group struct {
	r      *rule
	event  string
	alerts []fleet.Alert
	first  time.Time
	timer  *time.Timer
}

func newGrouper(e *Engine) *grouper { return &grouper{e: e, pending: map[string]*group{}} }

func (g *grouper) add(r *rule, event string, a fleet.Alert) {
	key := r.ID + "/" + event
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pending[key]
	if p == nil {
		p = &group{r: r, event: event, first: time.Now()}
		g.pending[key] = p
		p.timer = time.AfterFunc(g.e.o.GroupQuiet, func() { g.flush(key) })
	} else if time.Since(p.first) < g.e.o.GroupMax {
		p.timer.Reset(g.e.o.GroupQuiet)
	}
	p.alerts = append(p.alerts, a)
}

func (g *grouper) flush(key string) {
	g.mu.Lock()
	p := g.pending[key]
	delete(g.pending, key)
	g.mu.Unlock()
	if p != nil {
		g.e.deliver(context.Background(), p.r, p.event, p.alerts)
	}
}

func (g *grouper) flushAll(ctx context.Context) {
	g.mu.Lock()
	all := g.pending
	g.pending = map[string]*group{}
	g.mu.Unlock()
	for _, p := range all {
		p.timer.Stop()
		g.e.deliver(ctx, p.r, p.event, p.alerts)
	}
}

// Payload is the JSON body of a webhook (and the stored record of every delivery).
type Payload struct {
	// Event is fired, resolved or test.
	Event  string     `json:"event"`
	Rule   *RuleRef   `json:"rule,omitempty"`
	Count  int        `json:"count"`
	Alerts []AlertRef `json:"alerts"`
}

// RuleRef names the rule a message is about.
type RuleRef struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Kind fleet.AlertKind `json:"kind"`
}

// AlertRef is one alert in a message.
type AlertRef struct {
	ID         int64           `json:"id,omitempty"`
	ICCID      string          `json:"iccid,omitempty"`
	Severity   string          `json:"severity"`
	Message    string          `json:"message"`
	Detail     json.RawMessage `json:"detail,omitempty"`
	FiredAt    *time.Time      `json:"fired_at,omitempty"`
	ResolvedAt *time.Time      `json:"resolved_at,omitempty"`
}

// maxListed bounds the SIMs a Slack or e-mail text lists by name.
const maxListed = 50

func buildMessage(r *rule, event string, alerts []fleet.Alert) (Message, []int64) {
	p := Payload{Event: event, Rule: &RuleRef{ID: r.ID, Name: r.Name, Kind: r.Kind}, Count: len(alerts), Alerts: make([]AlertRef, 0, len(alerts))}
	var ids []int64
	for _, a := range alerts {
		ref := AlertRef{ID: a.ID, ICCID: a.ICCID, Severity: a.Severity, Message: a.Message, ResolvedAt: a.ResolvedAt}
		if len(a.Detail) > 0 && string(a.Detail) != "{}" {
			ref.Detail = a.Detail
		}
		if !a.FiredAt.IsZero() {
			t := a.FiredAt
			ref.FiredAt = &t
		}
		if a.ID != 0 {
			ids = append(ids, a.ID)
		}
		p.Alerts = append(p.Alerts, ref)
	}
	body, _ := json.Marshal(p)
	m := messageOf(p)
	m.Payload = body
	return m, ids
}

// messageOf writes a payload for people: the subject and text of an e-mail or a Slack post.
func messageOf(p Payload) Message {
	verb := "FIRING"
	switch p.Event {
	case "resolved":
		verb = "RESOLVED"
	case "test":
		verb = "TEST"
	}
	name, kind := "", fleet.AlertKind("")
	if p.Rule != nil {
		name, kind = p.Rule.Name, p.Rule.Kind
	}
	subject := fmt.Sprintf("[oncefleet] %s: %s", verb, name)
	if len(p.Alerts) > 1 {
		subject += fmt.Sprintf(" (%d)", len(p.Alerts))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s — rule %q (%s), %d alert(s)\n", verb, name, kind, len(p.Alerts))
	for i, a := range p.Alerts {
		if i == maxListed {
			fmt.Fprintf(&b, "… and %d more\n", len(p.Alerts)-maxListed)
			break
		}
		who := a.ICCID
		if who == "" {
			who = "fleet"
		}
		fmt.Fprintf(&b, "• %s: %s\n", who, a.Message)
	}
	return Message{Subject: subject, Text: b.String(), Event: p.Event}
}

// deliver sends one message per channel of the rule, each recorded and retried in the
// background.
func (e *Engine) deliver(ctx context.Context, r *rule, event string, alerts []fleet.Alert) {
	msg, ids := buildMessage(r, event, alerts)
	for _, chID := range r.channels {
		ch, err := e.o.Store.AlertChannelByID(ctx, chID)
		if err != nil {
			e.log.Warn("alert channel missing", "rule", r.ID, "channel", chID, "err", err)
			continue
		}
		d := &fleet.AlertDelivery{ChannelID: ch.ID, RuleID: r.ID, Event: event, AlertIDs: ids, Payload: msg.Payload}
		if err := e.o.Store.InsertAlertDelivery(ctx, d); err != nil {
			e.log.Error("alert delivery not recorded", "rule", r.ID, "channel", ch.ID, "err", err)
			continue
		}
		m := msg
		m.DeliveryID = d.ID
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.send(context.WithoutCancel(ctx), ch, d, m, e.o.Attempts)
		}()
	}
}

// send tries one delivery up to attempts times with exponential backoff, then records it as
// sent or dead (the dead-letter list).
func (e *Engine) send(ctx context.Context, ch *fleet.AlertChannel, d *fleet.AlertDelivery, m Message, attempts int) fleet.AlertDelivery {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = e.o.Backoff, e.o.MaxBackoff
	tries := 0
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		tries++
		err := e.sender.Send(ctx, ch, m)
		var pe *PermanentError
		if errors.As(err, &pe) {
			return struct{}{}, backoff.Permanent(err)
		}
		if err != nil && tries < attempts {
			e.metrics.deliveries.WithLabelValues(string(ch.Type), "retry").Inc()
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxTries(uint(attempts)), backoff.WithMaxElapsedTime(0))
	state, lastErr := fleet.DeliverySent, ""
	if err != nil {
		state, lastErr = fleet.DeliveryDead, err.Error()
		e.log.Warn("alert delivery failed", "channel", ch.ID, "type", ch.Type, "delivery", d.ID, "attempts", tries, "err", err)
	}
	e.metrics.deliveries.WithLabelValues(string(ch.Type), string(state)).Inc()
	total := d.Attempts + tries
	if ferr := e.o.Store.FinishAlertDelivery(ctx, d.ID, state, total, lastErr); ferr != nil {
		e.log.Error("alert delivery outcome not recorded", "delivery", d.ID, "err", ferr)
	}
	if state == fleet.DeliveryDead {
		e.metrics.dead.Inc()
	}
	out := *d
	out.State, out.Attempts, out.LastError = state, total, lastErr
	return out
}

// interruptedAfter is how long a delivery may stay pending before it counts as interrupted (its
// process stopped mid-retry): far longer than any retry schedule the settings allow.
const interruptedAfter = 2 * time.Hour

// sweepInterrupted moves deliveries left pending by a stopped process to the dead-letter list,
// where an admin sees and re-sends them.
func (e *Engine) sweepInterrupted(ctx context.Context) {
	for {
		ds, _, err := e.o.Store.ListAlertDeliveries(ctx, fleet.AlertDeliveryFilter{State: fleet.DeliveryPending, Limit: 1000})
		if err != nil {
			e.log.Warn("interrupted alert deliveries not swept", "err", err)
			return
		}
		moved := 0
		for _, d := range ds {
			if e.now().Sub(d.Updated) < interruptedAfter {
				continue
			}
			if err := e.o.Store.FinishAlertDelivery(ctx, d.ID, fleet.DeliveryDead, d.Attempts, "interrupted: the process stopped before the delivery finished"); err != nil {
				e.log.Warn("interrupted alert delivery not swept", "delivery", d.ID, "err", err)
				return
			}
			moved++
		}
		if moved == 0 || len(ds) < 1000 {
			return
		}
	}
}

// Resend delivers a dead (or any) delivery again now, once, with its stored payload and a
// fresh signature; it returns the delivery with its new state.
func (e *Engine) Resend(ctx context.Context, id int64) (fleet.AlertDelivery, error) {
	d, err := e.o.Store.AlertDeliveryByID(ctx, id)
	if err != nil {
		return fleet.AlertDelivery{}, err
	}
	if d.State == fleet.DeliveryPending && e.now().Sub(d.Updated) < interruptedAfter {
		return fleet.AlertDelivery{}, fleet.Errorf(fleet.CodeConflict, "delivery %d is still being tried", id)
	}
	ch, err := e.o.Store.AlertChannelByID(ctx, d.ChannelID)
	if err != nil {
		return fleet.AlertDelivery{}, err
	}
	wasDead := d.State == fleet.DeliveryDead
	// The stored payload is what was sent; e-mail and Slack get its text again.
	var p Payload
	_ = json.Unmarshal(d.Payload, &p)
	p.Event = d.Event
	m := messageOf(p)
	m.Payload, m.DeliveryID = d.Payload, d.ID
	out := e.send(ctx, ch, d, m, 1)
	if wasDead {
		e.metrics.dead.Dec()
	}
	return out, nil
}

// TestChannel sends a test message to a channel now, once, and records it.
func (e *Engine) TestChannel(ctx context.Context, ch *fleet.AlertChannel) (fleet.AlertDelivery, error) {
	now := e.now().UTC()
	p := Payload{Event: "test", Count: 1, Alerts: []AlertRef{{Severity: fleet.SeverityInfo, Message: "test message from oncefleet", FiredAt: &now}}}
	body, _ := json.Marshal(p)
	d := &fleet.AlertDelivery{ChannelID: ch.ID, Event: "test", Payload: body}
	if err := e.o.Store.InsertAlertDelivery(ctx, d); err != nil {
		return fleet.AlertDelivery{}, err
	}
	m := Message{Subject: "[oncefleet] test message", Text: "This is a test message from oncefleet for channel " + ch.Name + ".", Payload: body, Event: "test", DeliveryID: d.ID}
	return e.send(ctx, ch, d, m, 1), nil
}
