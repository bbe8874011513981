package streamer

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/valyala/fastjson"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// ApplyStore claims stored records and writes a plan for them in one transaction, and keeps
// the plan's notifications in an outbox until they are published (postgres.Store and
// sqlite.Store).
type ApplyStore interface {
	ApplyStreamerBatch(ctx context.Context, limit int, plan record.Planner) (record.Applied, error)
	DeleteStreamerOutbox(ctx context.Context, ids []int64) error
	ClaimStreamerOutbox(ctx context.Context, olderThan time.Duration, limit int, fn record.OutboxHandler) (int, error)
}

// Publisher receives the events of applied records after their transaction committed.
type Publisher interface {
	Publish(ctx context.Context, e bus.Event) int
}

// ApplierConfig configures an Applier.
type ApplierConfig struct {
	Store ApplyStore
	// Bus, when set, gets a bus.UsageRecorded per SIM and day and a bus.SIMEvent per event
	// record, through a transactional outbox: each notification is published once after its
	// records commit, or, if this process dies first, by the next applier to run
	// (after OutboxGrace), so across a crash it may be published twice, never zero times.
	// Consumers deduplicate on bus.SIMEvent.RecordID and the (ICCID, Day) of usage.
	Bus Publisher
	// OutboxGrace is how old an unpublished notification must be before another applier
	// publishes it in place of the one that wrote it (default 1 minute). Run looks for such
	// notifications when it starts and then every OutboxGrace/2.
	OutboxGrace time.Duration
	// BatchSize is the most records claimed per transaction (default 1000).
	BatchSize int
	// Idle is how long the applier sleeps when nothing is pending and no Notify came (default 1s).
	Idle    time.Duration
	Metrics *Metrics
	Logger  *slog.Logger
}

// Applier applies stored records to the fleet mirror in the background. Each record's effects
// commit in the transaction that marks it applied, so after a crash the applier resumes with
// exactly the records not yet applied. Several appliers (one per replica) may run against
// PostgreSQL at once; each claims different records.
type Applier struct {
	cfg  ApplierConfig
	wake chan struct{}
}

// NewApplier returns an applier; call Run to start it.
func NewApplier(cfg ApplierConfig) *Applier {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.Idle <= 0 {
		cfg.Idle = time.Second
	}
	if cfg.OutboxGrace <= 0 {
		cfg.OutboxGrace = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Applier{cfg: cfg, wake: make(chan struct{}, 1)}
}

// Notify wakes an idle applier early; it never blocks. Pass it as HandlerConfig.OnCommit.
func (a *Applier) Notify() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// Run applies records until ctx ends, then returns ctx's error. Store failures are logged and
// retried with exponential backoff; the records stay pending meanwhile.
func (a *Applier) Run(ctx context.Context) error {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = 100 * time.Millisecond
	bo.MaxInterval = 30 * time.Second
	// Nothing younger than OutboxGrace can be recovered, so looking on every round (a
	// transaction per batch applied) would only repeat an empty query.
	var nextRecover time.Time
	for {
		if a.cfg.Bus != nil && !time.Now().Before(nextRecover) {
			if _, err := a.RecoverOutbox(ctx); err != nil && ctx.Err() == nil {
				a.cfg.Logger.ErrorContext(ctx, "streamer: publish recovered notifications", "err", err)
			}
			nextRecover = time.Now().Add(a.cfg.OutboxGrace / 2)
		}
		n, err := a.ApplyOnce(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var wait time.Duration
		switch {
		case err != nil:
			wait = bo.NextBackOff()
			a.cfg.Logger.ErrorContext(ctx, "streamer: apply records", "err", err, "retry_in", wait)
		case n >= a.cfg.BatchSize:
			bo.Reset()
			continue // more may be pending: go on without waiting
		default:
			bo.Reset()
			wait = a.cfg.Idle
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-a.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// ApplyOnce claims and applies one batch and publishes its notifications; it returns how many
// records were applied (0 when none was pending).
func (a *Applier) ApplyOnce(ctx context.Context) (int, error) {
	res, err := a.cfg.Store.ApplyStreamerBatch(ctx, a.cfg.BatchSize, a.plan)
	if err != nil {
		return 0, err
	}
	if m := a.cfg.Metrics; m != nil {
		if res.Records == 0 {
			m.applyLag.Set(0)
		} else {
			m.applyLag.Set(time.Since(res.OldestReceived).Seconds())
		}
		for _, h := range res.Plan.Health {
			m.applied.WithLabelValues(string(h.Stream)).Add(float64(h.Applied))
			m.lastRecord.WithLabelValues(string(h.Stream)).Set(float64(h.LastReceivedAt.UnixNano()) / 1e9)
		}
	}
	if len(res.Plan.Outbox) > 0 {
		publishOutbox(ctx, a.cfg.Bus, res.Plan.Outbox)
		ids := make([]int64, len(res.Plan.Outbox))
		for i, e := range res.Plan.Outbox {
			ids[i] = e.ID
		}
		// Failing here only means RecoverOutbox publishes these again later.
		if err := a.cfg.Store.DeleteStreamerOutbox(ctx, ids); err != nil {
			return res.Records, fmt.Errorf("streamer: clear published notifications: %w", err)
		}
	}
	return res.Records, nil
}

// RecoverOutbox publishes notifications whose applier died between commit and publish; it
// returns how many it published.
func (a *Applier) RecoverOutbox(ctx context.Context) (int, error) {
	if a.cfg.Bus == nil {
		return 0, nil
	}
	total := 0
	for {
		n, err := a.cfg.Store.ClaimStreamerOutbox(ctx, a.cfg.OutboxGrace, a.cfg.BatchSize, func(ctx context.Context, es []record.Outbox) error {
			publishOutbox(ctx, a.cfg.Bus, es)
			return nil
		})
		total += n
		if err != nil || n < a.cfg.BatchSize {
			return total, err
		}
	}
}

// plan is Plan, without notifications when nobody listens (they would pile up in the outbox).
func (a *Applier) plan(ctx context.Context, recs []record.Pending) (record.Plan, error) {
	pl, err := Plan(ctx, recs)
	if a.cfg.Bus == nil {
		pl.Outbox = nil
	}
	return pl, err
}

// outboxEntry encodes a bus event for the outbox.
func outboxEntry(e bus.Event) record.Outbox {
	b, err := json.Marshal(e)
	if err != nil {
		// The events are plain structs of strings, numbers and times: Marshal cannot fail.
		panic(fmt.Sprintf("streamer: encode %s: %v", e.Kind(), err))
	}
	return record.Outbox{Kind: e.Kind(), Payload: b}
}

// publishOutbox decodes entries and publishes them; entries of unknown kinds (written by a
// newer version) are skipped.
func publishOutbox(ctx context.Context, b Publisher, es []record.Outbox) {
	for _, o := range es {
		var e bus.Event
		switch o.Kind {
		case bus.UsageRecorded{}.Kind():
			var u bus.UsageRecorded
			if json.Unmarshal(o.Payload, &u) != nil {
				continue
			}
			e = u
		case bus.SIMEvent{}.Kind():
			var s bus.SIMEvent
			if json.Unmarshal(o.Payload, &s) != nil {
				continue
			}
			e = s
		default:
			continue
		}
		b.Publish(ctx, e)
	}
}

// eventPrefix marks sim_events rows that came from the Data Streamer.
const eventPrefix = "stream:"

// Plan computes the effects of applying recs: per-SIM daily and hourly usage sums, event rows,
// the newest sighting of each SIM, connectivity snapshots and stream health. It is a
// record.Planner. Every stored record passed validation on receipt; one that no longer parses
// (only possible if the parser became stricter since) counts towards health but has no other
// effect, rather than blocking every later record. Its raw payload stays stored.
func Plan(_ context.Context, recs []record.Pending) (record.Plan, error) {
	type dayKey struct {
		iccid string
		day   time.Time
	}
	daily := map[dayKey]*record.DailyUsage{}
	hourly := map[dayKey]*record.HourlyUsage{}
	sims := map[string]*record.SIMSeen{}
	health := map[record.Stream]*record.Health{}
	var pl record.Plan
	var parser fastjson.Parser // reused: its value cache makes parsing allocation-free

	for _, p := range recs {
		h := health[p.Stream]
		if h == nil {
			h = &record.Health{Stream: p.Stream}
			health[p.Stream] = h
		}
		h.Applied++
		if p.ReceivedAt.After(h.LastReceivedAt) {
			h.LastReceivedAt = p.ReceivedAt
		}
		rec, err := parseRecord(&parser, p.Payload, p.Stream, true)
		if err != nil {
			continue
		}
		if rec.At.After(h.LastRecordAt) {
			h.LastRecordAt = rec.At
		}
		if rec.ICCID == "" {
			continue // nothing to attach the record to
		}
		seen(sims, rec)
		switch p.Stream {
		case record.StreamUsage:
			mo, mt := rec.SMSMO, rec.SMSMT
			dk := dayKey{rec.ICCID, rec.At.Truncate(24 * time.Hour)}
			d := daily[dk]
			if d == nil {
				d = &record.DailyUsage{ICCID: rec.ICCID, Day: dk.day}
				daily[dk] = d
			}
			d.RxBytes += rec.RxBytes
			d.TxBytes += rec.TxBytes
			d.TotalBytes += rec.TotalBytes
			d.SMSMO += mo
			d.SMSMT += mt
			d.CostE10 += rec.CostE10
			hk := dayKey{rec.ICCID, rec.At.Truncate(time.Hour)}
			hr := hourly[hk]
			if hr == nil {
				hr = &record.HourlyUsage{ICCID: rec.ICCID, Hour: hk.day}
				hourly[hk] = hr
			}
			hr.RxBytes += rec.RxBytes
			hr.TxBytes += rec.TxBytes
			hr.TotalBytes += rec.TotalBytes
			hr.SMSMO += mo
			hr.SMSMT += mt
			hr.Records++
		case record.StreamEvent:
			pl.Events = append(pl.Events, record.Event{
				ExternalID: eventPrefix + rec.ID, ICCID: rec.ICCID, At: rec.At, Type: rec.EventType,
				Source: rec.EventSource, Severity: rec.Severity, Alert: rec.Alert, Description: rec.Description,
				Country: rec.Country, Operator: rec.Operator, Detail: rec.Detail,
			})
			if c, ok := connectivityOf(rec); ok {
				pl.Connectivity = append(pl.Connectivity, c)
			}
		}
	}

	// Sorted keys give every transaction the same lock order, so concurrent appliers on
	// PostgreSQL cannot deadlock on the same usage rows.
	for _, d := range daily {
		pl.Daily = append(pl.Daily, *d)
	}
	slices.SortFunc(pl.Daily, func(a, b record.DailyUsage) int {
		return cmp.Or(strings.Compare(a.ICCID, b.ICCID), a.Day.Compare(b.Day))
	})
	for _, h := range hourly {
		pl.Hourly = append(pl.Hourly, *h)
	}
	slices.SortFunc(pl.Hourly, func(a, b record.HourlyUsage) int {
		return cmp.Or(strings.Compare(a.ICCID, b.ICCID), a.Hour.Compare(b.Hour))
	})
	for _, s := range sims {
		pl.SIMs = append(pl.SIMs, *s)
	}
	slices.SortFunc(pl.SIMs, func(a, b record.SIMSeen) int { return strings.Compare(a.ICCID, b.ICCID) })
	slices.SortFunc(pl.Events, func(a, b record.Event) int { return strings.Compare(a.ExternalID, b.ExternalID) })
	for _, d := range pl.Daily {
		pl.Outbox = append(pl.Outbox, outboxEntry(bus.UsageRecorded{ICCID: d.ICCID, Day: d.Day, RxBytes: d.RxBytes, TxBytes: d.TxBytes, TotalBytes: d.TotalBytes, SMSMO: d.SMSMO, SMSMT: d.SMSMT}))
	}
	for _, e := range pl.Events {
		pl.Outbox = append(pl.Outbox, outboxEntry(bus.SIMEvent{
			RecordID: strings.TrimPrefix(e.ExternalID, eventPrefix), ICCID: e.ICCID, At: e.At, Type: e.Type,
			Source: e.Source, Severity: e.Severity, Alert: e.Alert, Description: e.Description, Online: onlineFor(e.Type),
			Country: e.Country, Operator: e.Operator,
		}))
	}
	for _, s := range []record.Stream{record.StreamUsage, record.StreamEvent} {
		if h := health[s]; h != nil {
			if h.LastRecordAt.IsZero() {
				h.LastRecordAt = h.LastReceivedAt
			}
			pl.Health = append(pl.Health, *h)
		}
	}
	return pl, nil
}

// seen folds rec into the newest sighting of its SIM: the newest record wins, but an older
// record's IMEI or IP fills a gap the newest left.
func seen(sims map[string]*record.SIMSeen, rec Record) {
	s := sims[rec.ICCID]
	online := onlineFor(rec.EventType)
	if s == nil {
		sims[rec.ICCID] = &record.SIMSeen{ICCID: rec.ICCID, At: rec.At, IMEI: rec.IMEI, IPAddress: rec.IPAddress, Organization: rec.Organization, Online: online}
		return
	}
	if !rec.At.Before(s.At) {
		s.At = rec.At
		if rec.IMEI != "" {
			s.IMEI = rec.IMEI
		}
		if rec.IPAddress != "" {
			s.IPAddress = rec.IPAddress
		}
		if rec.Organization != "" {
			s.Organization = rec.Organization
		}
		if online != nil {
			s.Online = online
		}
		return
	}
	if s.IMEI == "" {
		s.IMEI = rec.IMEI
	}
	if s.IPAddress == "" {
		s.IPAddress = rec.IPAddress
	}
	if s.Organization == "" {
		s.Organization = rec.Organization
	}
	if s.Online == nil {
		s.Online = online
	}
}

// onlineFor tells the data session state an event type implies, if any.
func onlineFor(eventType string) *bool {
	t := strings.ToLower(eventType)
	var v bool
	switch {
	case strings.Contains(t, "create pdp"), strings.Contains(t, "pdp context created"):
		v = true
	case strings.Contains(t, "delete pdp"), strings.Contains(t, "pdp context deleted"), strings.Contains(t, "purge"):
		v = false
	default:
		return nil
	}
	return &v
}

// connectivityOf derives a connectivity snapshot from location and PDP events.
func connectivityOf(rec Record) (record.Connectivity, bool) {
	t := strings.ToLower(rec.EventType)
	c := record.Connectivity{ICCID: rec.ICCID, At: rec.At, RAT: rec.RAT, Country: rec.Country, Operator: rec.Operator}
	switch {
	case strings.Contains(t, "update location"), strings.Contains(t, "update gprs location"):
		c.Connected = true
	case onlineFor(rec.EventType) != nil:
		c.Connected = *onlineFor(rec.EventType)
	default:
		return c, false
	}
	return c, true
}

var _ record.Planner = Plan
