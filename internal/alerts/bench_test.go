package alerts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/alerts"
	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/sqlite"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

const benchSIMs = 1_000_000

// eventsPerOp is the batch one op of the events benchmarks publishes.
const eventsPerOp = 10_000

// seedMirror fills a SQLite mirror with benchSIMs SIMs (storetest.BenchSIMs, labels pump-<i>),
// three days of usage each (1 MB a day) and a data quota (500 MB left; every 1,000th SIM 1 MB,
// so 1,000 SIMs run out within days at their rate).
func seedMirror(b *testing.B, now time.Time) *sqlite.Store {
	b.Helper()
	ctx := context.Background()
	st := dbtest.NewSQLite(b)
	sims := storetest.BenchSIMs(benchSIMs)
	const batch = 10_000
	day := now.Truncate(24 * time.Hour)
	for i := 0; i < len(sims); i += batch {
		part := sims[i:min(i+batch, len(sims))]
		if err := st.UpsertSIMs(ctx, part); err != nil {
			b.Fatal(err)
		}
		usage := make([]fleet.Usage, 0, 3*len(part))
		quotas := make([]fleet.Quota, 0, len(part))
		for j, s := range part {
			for d := 1; d <= 3; d++ {
				usage = append(usage, fleet.Usage{ICCID: s.ICCID, Day: day.AddDate(0, 0, -d), VolumeTotal: 1 << 20, Source: fleet.UsageFromAPI})
			}
			left := int64(500 << 20)
			if (i+j)%1000 == 0 {
				left = 1 << 20
			}
			quotas = append(quotas, fleet.Quota{ICCID: s.ICCID, Kind: fleet.QuotaData, Volume: left, TotalVolume: 1 << 30, UpdatedAt: now})
		}
		if err := st.UpsertUsage(ctx, usage); err != nil {
			b.Fatal(err)
		}
		if err := st.UpsertQuotas(ctx, quotas); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

func iccid(i int) string { return fmt.Sprintf("89882806660%08d", i) }

// hundredRules are 100 rules of the event kinds with a mix of scopes (label globs need the
// SIM's label, ICCID lists do not).
func hundredRules(b *testing.B, st *sqlite.Store, rng *rand.Rand) {
	ctx := context.Background()
	add := func(i int, kind fleet.AlertKind, params string) {
		r := &fleet.AlertRule{Name: fmt.Sprintf("rule-%03d", i), Kind: kind, Params: json.RawMessage(params), Cooldown: time.Hour, Enabled: true}
		if err := st.CreateAlertRule(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	list := func() string {
		ids := make([]string, 100)
		for k := range ids {
			ids[k] = iccid(rng.IntN(benchSIMs))
		}
		raw, _ := json.Marshal(ids)
		return string(raw)
	}
	for i := range 40 {
		scope := ""
		if i%2 == 0 {
			scope = fmt.Sprintf(`, "scope": {"label": "pump-%d*"}`, i%10)
		}
		add(i, fleet.AlertQuotaBelow, fmt.Sprintf(`{"threshold_pct": %d%s}`, (i%10)*2+1, scope))
	}
	for i := 40; i < 60; i++ {
		scope := ""
		if i%2 == 0 {
			scope = `"scope": {"iccids": ` + list() + `}`
		}
		add(i, fleet.AlertConnectivityLost, "{"+scope+"}")
	}
	for i := 60; i < 80; i++ {
		add(i, fleet.AlertStatusChanged, `{"to": "Disabled"}`)
	}
	for i := 80; i < 90; i++ {
		add(i, fleet.AlertSIMFieldChanged, `{"field": "imei"}`)
	}
	for i := 90; i < 100; i++ {
		add(i, fleet.AlertUsageSpike, fmt.Sprintf(`{"factor": 3, "baseline_days": 3, "scope": {"label": "pump-%d*"}}`, i%10))
	}
}

// benchEvents is a deterministic mix over random SIMs of the mirror: quota readings, data
// sessions ending and starting, status and IMEI changes, streamed usage. One event in every
// `every` is one that fires rules (a quota at 0-5 %, a session lost, a SIM disabled, an IMEI
// changed); the others are the common case, seen and cleared (a quota well above every
// threshold, a session starting, a label change, an ordinary day of usage).
func benchEvents(n, every int, now time.Time) []bus.Event {
	rng := rand.New(rand.NewPCG(1, 2))
	off, on := false, true
	out := make([]bus.Event, n)
	for i := range out {
		id := iccid(rng.IntN(benchSIMs))
		firing := rng.IntN(every) == 0
		switch i % 5 {
		case 0:
			pct := 20 + rng.Float64()*80
			if firing {
				pct = rng.Float64() * 5
			}
			out[i] = bus.QuotaObserved{ICCID: id, Quota: "data", RemainingPct: pct, At: now}
		case 1:
			if firing {
				out[i] = bus.SIMEvent{ICCID: id, Type: "Delete PDP Context", Online: &off, At: now}
			} else {
				out[i] = bus.SIMEvent{ICCID: id, Type: "Create PDP Context", Online: &on, At: now}
			}
		case 2:
			if firing {
				out[i] = bus.SIMChanged{ICCID: id, Field: "status", Old: "Enabled", New: "Disabled", At: now}
			} else {
				out[i] = bus.SIMChanged{ICCID: id, Field: "label", Old: "a", New: "b", At: now}
			}
		case 3:
			if firing {
				out[i] = bus.SIMChanged{ICCID: id, Field: "imei", Old: "1", New: "2", At: now}
			} else {
				out[i] = bus.SIMEvent{ICCID: id, Type: "Update location", At: now}
			}
		case 4:
			out[i] = bus.UsageRecorded{ICCID: id, Day: now.Truncate(24 * time.Hour), TotalBytes: 1 << 20}
		}
	}
	return out
}

// BenchmarkEngine1M (opt-in, seeds a 1,000,000-SIM SQLite mirror first, about a minute):
//
//	go test -run '^$' -bench BenchmarkEngine1M -benchtime 3x ./internal/alerts/
//
// events: events/s (batches of 10,000) through the bus into the engine with 100 rules (1 % of
// the events firing rules, and all of them), beside the same events
// published to the bus and engine with no rules. forecast: one quota_forecast run over the
// 1,000,000 SIMs, beside a plain scan of the same usage window.
func BenchmarkEngine1M(b *testing.B) {
	now := time.Now().UTC()
	st := seedMirror(b, now)
	ctx := context.Background()

	runEvents := func(b *testing.B, withRules bool, every int) {
		var store alerts.Store = st
		if !withRules {
			store = noRules{st}
		}
		eng, err := alerts.New(alerts.Options{Store: store, Now: func() time.Time { return now }})
		if err != nil {
			b.Fatal(err)
		}
		if err := eng.Reload(ctx); err != nil {
			b.Fatal(err)
		}
		bs := bus.New(bus.Options{QueueSize: 4096, PublishTimeout: time.Hour})
		defer bs.Close()
		var done atomic.Int64
		bs.Subscribe(func(ctx context.Context, ev bus.Event) {
			eng.OnEvent(ctx, ev)
			done.Add(1)
		})
		// One op is a batch of eventsPerOp events, published and evaluated.
		evs := benchEvents(eventsPerOp*b.N, every, now)
		b.ResetTimer()
		start := time.Now()
		for _, ev := range evs {
			bs.Publish(ctx, ev)
		}
		for done.Load() < int64(len(evs)) {
			time.Sleep(time.Millisecond)
		}
		b.ReportMetric(float64(len(evs))/time.Since(start).Seconds(), "events/s")
	}
	b.Run("events/baseline-no-rules", func(b *testing.B) { runEvents(b, false, 100) })
	hundredRules(b, st, rand.New(rand.NewPCG(3, 4)))
	b.Run("events/100-rules-1pct-firing", func(b *testing.B) { runEvents(b, true, 100) })
	b.Run("events/100-rules-all-firing", func(b *testing.B) { runEvents(b, true, 1) })

	b.Run("forecast/baseline-scan", func(b *testing.B) {
		since := now.Truncate(24*time.Hour).AddDate(0, 0, -3).Format(time.DateOnly)
		for b.Loop() {
			var n, sum int64
			if err := st.DB().QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(volume_total), 0) FROM sim_usage WHERE day >= $1`, since).Scan(&n, &sum); err != nil {
				b.Fatal(err)
			}
			if n != 3*benchSIMs {
				b.Fatalf("%d usage rows", n)
			}
		}
	})
	b.Run("forecast/query", func(b *testing.B) {
		for b.Loop() {
			hits, err := st.QuotaForecastHits(ctx, now.Truncate(24*time.Hour).AddDate(0, 0, -3), 3, 5*24*time.Hour, 100_000)
			if err != nil || len(hits) != benchSIMs/1000 {
				b.Fatalf("%d hits: %v", len(hits), err)
			}
		}
	})
	fst := dbtestRuleOnly(b, st)
	b.Run("forecast/rule-run", func(b *testing.B) {
		eng, err := alerts.New(alerts.Options{Store: fst, Now: func() time.Time { return now }})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			rep, err := eng.RunPeriodic(ctx)
			if err != nil || rep.Items != benchSIMs/1000 {
				b.Fatalf("%+v: %v", rep, err)
			}
		}
	})
}

// noRules is the store with no rules, for the baseline.
type noRules struct{ *sqlite.Store }

func (noRules) ListAlertRules(context.Context, bool) ([]fleet.AlertRule, error) { return nil, nil }

// ruleOnly is the store seeing only the forecast rule, so the periodic run measures it alone.
type ruleOnly struct {
	*sqlite.Store
	rule fleet.AlertRule
}

func (r ruleOnly) ListAlertRules(context.Context, bool) ([]fleet.AlertRule, error) {
	return []fleet.AlertRule{r.rule}, nil
}

func dbtestRuleOnly(b *testing.B, st *sqlite.Store) ruleOnly {
	r := fleet.AlertRule{Name: "forecast", Kind: fleet.AlertQuotaForecast, Params: json.RawMessage(`{"within_days": 5, "days": 3}`),
		Cooldown: time.Hour, Enabled: true}
	if err := st.CreateAlertRule(context.Background(), &r); err != nil {
		b.Fatal(err)
	}
	return ruleOnly{Store: st, rule: r}
}
