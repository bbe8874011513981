// Package autotopup books data top-ups on its own when a SIM's quota runs low, by the local
// policies people set (POST /api/v1/sims/auto-topup): a threshold, a cap per SIM and month,
// and an optional cap for the whole fleet per month. It is what bounds oncefleet's spending;
// 1NCE's own auto-reload is a separate switch.
//
// A SIM is checked when the quota check finds it crossed a threshold downwards, when Data
// Streamer usage brings its estimated remaining volume below its policy's threshold, and by an
// hourly sweep over the SIMs the mirror shows below a threshold. Each check confirms the quota
// with 1NCE before spending, and books through the control plane — the same reserved,
// idempotent and audited path as a person's top-up, recorded as done by the policy. The
// reservation key names the quota generation the top-up answers (its total and when it last
// changed), so one crossing is never topped up twice, whatever replica or restart looks at it.
package autotopup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/cache"
	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/once"
)

// Store is what the engine reads.
type Store interface {
	ListTopUpPolicies(ctx context.Context) ([]fleet.TopUpPolicy, error)
	CountTopUps(ctx context.Context, iccid string, month time.Time, reason fleet.TopUpReason) (int, error)
	GetSIM(ctx context.Context, iccid string) (fleet.SIM, error)
	GetQuota(ctx context.Context, iccid string, kind fleet.QuotaKind) (fleet.Quota, error)
	QuotasBelow(ctx context.Context, kind fleet.QuotaKind, pct float64) ([]fleet.Quota, error)
	UsageSummary(ctx context.Context, iccid string, from, to time.Time) (fleet.UsageSummary, error)
}

// Controller is the control plane's part the engine acts through.
type Controller interface {
	Quota(ctx context.Context, iccid string, kind fleet.QuotaKind, refresh bool) (control.Read[fleet.Quota], error)
	TopUp(ctx context.Context, a control.Actor, iccid string, r control.TopUpRequest) (control.TopUp, error)
}

// Locker serialises the cap check and the booking across replicas.
type Locker interface {
	Lock(ctx context.Context, name string, ttl time.Duration) (*cache.Lock, error)
}

// Options configure an Engine.
type Options struct {
	Store   Store
	Control Controller
	Locker  Locker
	// FleetMonthlyCap bounds automatic top-ups of the whole fleet per calendar month (UTC);
	// 0 means no fleet cap.
	FleetMonthlyCap int
	// Registerer receives the metrics (nil: none).
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	Now        func() time.Time
}

// Engine checks SIMs against their auto top-up policies.
type Engine struct {
	o       Options
	checks  *prometheus.CounterVec
	queue   chan string
	mu      sync.Mutex
	queued  map[string]bool
	lastRun map[string]time.Time // streamer-triggered checks, per SIM
}

// Outcome says what a check did.
type Outcome string

// The outcomes of a check.
const (
	NoPolicy    Outcome = "no_policy"    // no enabled policy covers the SIM
	Enough      Outcome = "enough"       // the quota is above the threshold
	SIMCapped   Outcome = "sim_capped"   // the SIM had its monthly top-ups
	FleetCapped Outcome = "fleet_capped" // the fleet had its monthly top-ups
	ToppedUp    Outcome = "topped_up"    // a top-up was booked (or this crossing's was, before)
	Failed      Outcome = "failed"       // reading the quota or booking failed
)

// outcomes are every Outcome, the label values of auto_topup_checks_total.
var outcomes = []Outcome{NoPolicy, Enough, SIMCapped, FleetCapped, ToppedUp, Failed}

// New returns an engine.
func New(o Options) (*Engine, error) {
	if o.Store == nil || o.Control == nil || o.Locker == nil {
		return nil, errors.New("autotopup: Store, Control and Locker are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e := &Engine{o: o, queue: make(chan string, 4096), queued: map[string]bool{}, lastRun: map[string]time.Time{},
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "auto_topup_checks_total",
			Help: "Auto top-up checks of SIMs, by outcome (topped_up, enough, sim_capped, fleet_capped, no_policy, failed)."}, []string{"outcome"})}
	// Every outcome exists from the start, at zero, so that increase() sees the first capped
	// check and a fresh replica's /metrics lists the family.
	for _, out := range outcomes {
		e.checks.WithLabelValues(string(out))
	}
	if o.Registerer != nil {
		if err := o.Registerer.Register(e.checks); err != nil {
			return nil, fmt.Errorf("autotopup: metrics: %w", err)
		}
	}
	return e, nil
}

// policyFor resolves the policy of a SIM: its own, else the first label policy (by pattern
// order) whose pattern matches its label, else the fleet default; nil when none is enabled.
func policyFor(policies []fleet.TopUpPolicy, iccid, label string) *fleet.TopUpPolicy {
	var byLabel []fleet.TopUpPolicy
	var fleetDefault *fleet.TopUpPolicy
	for i := range policies {
		p := &policies[i]
		switch pat, isLabel := p.LabelPattern(); {
		case p.ICCID == iccid:
			return enabled(p)
		case isLabel && fleet.MatchLabel(pat, label):
			byLabel = append(byLabel, *p)
		case p.ICCID == fleet.FleetDefault:
			fleetDefault = p
		}
	}
	if len(byLabel) > 0 {
		sort.Slice(byLabel, func(i, j int) bool { return byLabel[i].ICCID < byLabel[j].ICCID })
		return enabled(&byLabel[0])
	}
	return enabled(fleetDefault)
}

func enabled(p *fleet.TopUpPolicy) *fleet.TopUpPolicy {
	if p == nil || !p.Enabled || p.ThresholdPct <= 0 {
		return nil
	}
	return p
}

// capLockTTL bounds how long a crashed check can hold the cap lock.
const capLockTTL = 2 * time.Minute

// Check evaluates one SIM: when a policy covers it and 1NCE confirms its data quota is below
// the threshold, it books a top-up within the caps.
func (e *Engine) Check(ctx context.Context, iccid string) (Outcome, error) {
	out, err := e.check(ctx, iccid)
	e.checks.WithLabelValues(string(out)).Inc()
	return out, err
}

func (e *Engine) check(ctx context.Context, iccid string) (Outcome, error) {
	policies, err := e.o.Store.ListTopUpPolicies(ctx)
	if err != nil {
		return Failed, fmt.Errorf("auto top-up %s: policies: %w", iccid, err)
	}
	label := ""
	if sim, err := e.o.Store.GetSIM(ctx, iccid); err == nil {
		label = sim.Label
	}
	p := policyFor(policies, iccid, label)
	if p == nil {
		return NoPolicy, nil
	}
	// Confirm with 1NCE at at-risk priority: money is spent on its word, not the mirror's.
	q, err := e.o.Control.Quota(once.WithPriority(ctx, once.PriorityAtRisk), iccid, fleet.QuotaData, true)
	if err != nil {
		return Failed, fmt.Errorf("auto top-up %s: quota: %w", iccid, err)
	}
	if q.Stale || q.Value.TotalVolume <= 0 || q.Value.RemainingPct() >= float64(p.ThresholdPct) {
		return Enough, nil
	}
	lock, err := e.o.Locker.Lock(ctx, "autotopup:caps", capLockTTL)
	if err != nil {
		return Failed, fmt.Errorf("auto top-up %s: lock: %w", iccid, err)
	}
	defer func() { _ = lock.Unlock(context.WithoutCancel(ctx)) }()
	now := e.o.Now()
	key := crossingKey(iccid, q.Value)
	n, err := e.o.Store.CountTopUps(ctx, iccid, now, fleet.TopUpAuto)
	if err != nil {
		return Failed, fmt.Errorf("auto top-up %s: count: %w", iccid, err)
	}
	if p.MaxPerMonth > 0 && n >= p.MaxPerMonth {
		return SIMCapped, nil
	}
	if e.o.FleetMonthlyCap > 0 {
		all, err := e.o.Store.CountTopUps(ctx, "", now, fleet.TopUpAuto)
		if err != nil {
			return Failed, fmt.Errorf("auto top-up %s: count fleet: %w", iccid, err)
		}
		if all >= e.o.FleetMonthlyCap {
			return FleetCapped, nil
		}
	}
	actor := control.SystemActor("policy", p.ICCID, "auto top-up policy "+p.ICCID, fleet.RoleOperator)
	if _, err := e.o.Control.TopUp(ctx, actor, iccid, control.TopUpRequest{Key: key, Reason: fleet.TopUpAuto}); err != nil {
		return Failed, fmt.Errorf("auto top-up %s: %w", iccid, err)
	}
	return ToppedUp, nil
}

// crossingKey names the quota generation a top-up answers: a top-up changes the quota's total
// and its change date, so the next crossing gets a new key, while every look at this one —
// another replica, a restart, a second event — finds the same reservation.
func crossingKey(iccid string, q fleet.Quota) string {
	return "auto:" + iccid + ":" + strconv.FormatInt(q.TotalVolume, 10) + ":" + strconv.FormatInt(q.LastStatusChangeDate.Unix(), 10) +
		":" + strconv.FormatInt(q.ExpiryDate.Unix(), 10)
}

// streamerDebounce keeps Data Streamer usage from checking one SIM more than this often (each
// check reads 1NCE).
const streamerDebounce = 10 * time.Minute

// OnEvent queues the SIMs an event may have brought below their threshold. It never blocks:
// the bus must not wait for 1NCE.
func (e *Engine) OnEvent(ctx context.Context, ev bus.Event) {
	switch ev := ev.(type) {
	case bus.QuotaThresholdCrossed:
		if ev.Quota == string(fleet.QuotaData) && ev.Direction == "down" {
			e.enqueue(ev.ICCID)
		}
	case bus.UsageRecorded:
		if ev.TotalBytes > 0 && e.belowByEstimate(ctx, ev.ICCID) {
			e.enqueue(ev.ICCID)
		}
	}
}

// belowByEstimate reports whether a SIM with an enabled policy has, by its last quota reading
// minus the streamed usage since, probably fallen below its threshold.
func (e *Engine) belowByEstimate(ctx context.Context, iccid string) bool {
	e.mu.Lock()
	last := e.lastRun[iccid]
	e.mu.Unlock()
	if e.o.Now().Sub(last) < streamerDebounce {
		return false
	}
	policies, err := e.o.Store.ListTopUpPolicies(ctx)
	if err != nil || len(policies) == 0 {
		return false
	}
	sim, err := e.o.Store.GetSIM(ctx, iccid)
	if err != nil {
		return false
	}
	p := policyFor(policies, iccid, sim.Label)
	if p == nil {
		return false
	}
	q, err := e.o.Store.GetQuota(ctx, iccid, fleet.QuotaData)
	if err != nil || q.TotalVolume <= 0 {
		return false
	}
	// Days since the reading count in full: the estimate errs towards checking early.
	used, err := e.o.Store.UsageSummary(ctx, iccid, fleet.Day(q.UpdatedAt), fleet.Day(e.o.Now()))
	if err != nil {
		return false
	}
	left := q.Volume - used.VolumeTotal
	return float64(left)*100/float64(q.TotalVolume) < float64(p.ThresholdPct)
}

func (e *Engine) enqueue(iccid string) {
	e.mu.Lock()
	if e.queued[iccid] {
		e.mu.Unlock()
		return
	}
	e.queued[iccid] = true
	e.mu.Unlock()
	select {
	case e.queue <- iccid:
	default:
		// The hourly sweep finds what a full queue drops.
		e.mu.Lock()
		delete(e.queued, iccid)
		e.mu.Unlock()
	}
}

// Run checks queued SIMs until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case iccid := <-e.queue:
			e.mu.Lock()
			delete(e.queued, iccid)
			e.lastRun[iccid] = e.o.Now()
			if len(e.lastRun) > 100_000 {
				clear(e.lastRun)
			}
			e.mu.Unlock()
			if out, err := e.Check(ctx, iccid); err != nil && ctx.Err() == nil {
				e.o.Logger.WarnContext(ctx, "auto top-up check failed", "iccid", iccid, "outcome", out, "err", err)
			}
		}
	}
}

// sweepLimit bounds the SIMs one hourly sweep checks (each check reads 1NCE once).
const sweepLimit = 5000

// Job is the hourly sweep: every SIM the mirror shows below the highest enabled threshold is
// checked (and confirmed with 1NCE before anything is booked).
func (e *Engine) Job(every time.Duration) jobs.Definition {
	return jobs.Definition{Name: "auto_topup", Interval: every, Run: func(ctx context.Context) (jobs.Report, error) {
		policies, err := e.o.Store.ListTopUpPolicies(ctx)
		if err != nil {
			return jobs.Report{}, fmt.Errorf("auto top-up: policies: %w", err)
		}
		highest := 0
		for _, p := range policies {
			if p.Enabled {
				highest = max(highest, p.ThresholdPct)
			}
		}
		rep := jobs.Report{Counts: map[string]int64{}}
		if highest == 0 {
			rep.Detail = "no enabled policy"
			return rep, nil
		}
		low, err := e.o.Store.QuotasBelow(ctx, fleet.QuotaData, float64(highest))
		if err != nil {
			return rep, fmt.Errorf("auto top-up: quotas below %d%%: %w", highest, err)
		}
		for i, q := range low {
			if i == sweepLimit || ctx.Err() != nil {
				break
			}
			out, err := e.Check(ctx, q.ICCID)
			rep.Items++
			rep.Counts[string(out)]++
			if err != nil {
				rep.Errors++
				e.o.Logger.WarnContext(ctx, "auto top-up check failed", "iccid", q.ICCID, "err", err)
			}
		}
		rep.Detail = fmt.Sprintf("checked %d SIMs, topped up %d", rep.Items, rep.Counts[string(ToppedUp)])
		return rep, nil
	}}
}
