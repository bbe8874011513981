package alerts

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/once"
)

// Job is the evaluate_alerts job: the rules no single event can decide (quota forecast, no
// session for N hours, 1NCE error rate), each one set-based query over the mirror per run.
func (e *Engine) Job(every time.Duration) jobs.Definition {
	return jobs.Definition{Name: "evaluate_alerts", Interval: every, Timeout: max(10*time.Minute, 2*every), Run: func(ctx context.Context) (jobs.Report, error) {
		return e.RunPeriodic(ctx)
	}}
}

// RunPeriodic evaluates the periodic rules once.
func (e *Engine) RunPeriodic(ctx context.Context) (jobs.Report, error) {
	if err := e.Reload(ctx); err != nil {
		return jobs.Report{}, err
	}
	e.mu.RLock()
	rules := e.periodic
	e.mu.RUnlock()
	var rep jobs.Report
	rep.Counts = map[string]int64{"rules": int64(len(rules))}
	for _, r := range rules {
		hits, err := e.evaluate(ctx, r)
		if err != nil {
			return rep, fmt.Errorf("evaluate alert rule %s: %w", r.ID, err)
		}
		rep.Items += hits
	}
	rep.Counts["matching"] = int64(rep.Items)
	if e.o.DeliveryRetention > 0 {
		n, err := e.o.Store.DeleteSentAlertDeliveriesBefore(ctx, e.now().Add(-e.o.DeliveryRetention))
		if err != nil {
			return rep, fmt.Errorf("delete old alert deliveries: %w", err)
		}
		rep.Counts["deliveries_deleted"] = int64(n)
	}
	rep.Detail = fmt.Sprintf("%d periodic rules, %d SIMs or conditions matching", len(rules), rep.Items)
	return rep, nil
}

// periodicBatch is how many alerts of a periodic run are stored in one transaction.
const periodicBatch = 1000

// evaluate runs one periodic rule: fires for every match (the store's dedup and cool-down
// keep it to one alert per SIM) and resolves the rule's open alerts that no longer match.
func (e *Engine) evaluate(ctx context.Context, r *rule) (int, error) {
	now := e.now()
	matching := map[string]bool{}
	var fs []firing
	fire := func(iccid, severity, msg string, detail map[string]any) {
		matching[iccid] = true
		fs = append(fs, firing{r: r, a: e.newAlert(r, iccid, iccid, severity, msg, detail, now)})
	}
	switch r.Kind {
	case fleet.AlertQuotaForecast:
		day := now.UTC().Truncate(24 * time.Hour)
		hits, err := e.o.Store.QuotaForecastHits(ctx, day.AddDate(0, 0, -r.spec.Days), r.spec.Days, r.spec.within(), e.o.PeriodicLimit)
		if err != nil {
			return 0, err
		}
		for _, h := range hits {
			if !r.spec.Scope.Matches(h.ICCID, h.Label) {
				continue
			}
			perDay := float64(h.Used) / float64(h.Days)
			left := float64(h.Remaining) / perDay
			fire(h.ICCID, fleet.SeverityWarning, fmt.Sprintf("data quota runs out in %.1f days at %.0f bytes/day", left, perDay),
				map[string]any{"remaining_bytes": h.Remaining, "bytes_per_day": perDay, "days_left": left})
		}
	case fleet.AlertNoSession:
		silent, err := e.o.Store.SilentSIMs(ctx, now.Add(-time.Duration(r.spec.Hours*float64(time.Hour))), e.o.PeriodicLimit)
		if err != nil {
			return 0, err
		}
		for _, s := range silent {
			if !r.spec.Scope.Matches(s.ICCID, s.Label) {
				continue
			}
			fire(s.ICCID, fleet.SeverityWarning, "no data session or attach since "+s.LastSeen.UTC().Format(time.RFC3339),
				map[string]any{"last_seen_at": s.LastSeen})
		}
	case fleet.AlertUpstreamErrors:
		total, bad := e.upstream.counts(now, r.spec.WindowMinutes)
		if total >= int64(r.spec.MinRequests) && float64(bad)*100 >= r.spec.ErrorPct*float64(total) {
			fire("", fleet.SeverityCritical, fmt.Sprintf("%d of %d 1NCE answers in %d min were errors or 429", bad, total, r.spec.WindowMinutes),
				map[string]any{"requests": total, "errors": bad})
		}
	}
	// One store transaction per batch, not per SIM: a run may match a large part of the fleet.
	for batch := range slices.Chunk(fs, periodicBatch) {
		e.raise(ctx, batch)
	}
	// Resolve what cleared: the rule's open alerts outside this run's matches.
	for offset := 0; ; {
		open, _, err := e.o.Store.ListAlerts(ctx, fleet.AlertFilter{RuleID: r.ID, OpenOnly: true, Limit: 1000, Offset: offset})
		if err != nil {
			return len(matching), err
		}
		var cs []clearing
		for _, a := range open {
			if !matching[a.ICCID] {
				cs = append(cs, clearing{r: r, iccid: a.ICCID, key: fleet.AlertDedupKey(r.ID, a.ICCID), at: now})
			}
		}
		e.resolveMany(ctx, cs) // one statement for the page
		resolved := len(cs)
		if len(open) < 1000 {
			break
		}
		offset += len(open) - resolved
	}
	return len(matching), nil
}

// upstreamWindow counts 1NCE answers per minute for the last hour.
type upstreamWindow struct {
	mu      sync.Mutex
	buckets [60]struct{ minute, total, bad int64 }
}

// ObserveUpstream counts one exchange with 1NCE (hook it into the client's Request hook): an
// answer of 429 or 5xx, or none at all, is an error.
func (e *Engine) ObserveUpstream(ri once.RequestInfo) {
	bad := ri.Status == 0 || ri.Status == 429 || ri.Status >= 500
	e.upstream.observe(e.now(), bad)
}

func (w *upstreamWindow) observe(now time.Time, bad bool) {
	m := now.Unix() / 60
	w.mu.Lock()
	defer w.mu.Unlock()
	b := &w.buckets[m%60]
	if b.minute != m {
		b.minute, b.total, b.bad = m, 0, 0
	}
	b.total++
	if bad {
		b.bad++
	}
}

func (w *upstreamWindow) counts(now time.Time, minutes int) (total, bad int64) {
	m := now.Unix() / 60
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, b := range w.buckets {
		if b.minute > m-int64(minutes) && b.minute <= m {
			total += b.total
			bad += b.bad
		}
	}
	return total, bad
}
