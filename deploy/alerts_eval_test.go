package deploy

import (
	"context"
	"maps"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// anyValue is the expected value of a result whose value the case does not pin down.
var anyValue = math.NaN()

// alertCase is a made-up history of series (one sample a minute from time 0, in the notation
// of promtool's rule tests: "0x30 1+1x10 _") and what an alert's expression returns at given
// times: the label sets of the result and, unless anyValue, their values.
type alertCase struct {
	alert  string
	series []string
	at     map[time.Duration]map[string]float64
}

// TestAlertRulesFire evaluates the alert expressions of the background jobs and the fleet with
// Prometheus's engine over made-up histories, as Prometheus would after scraping oncefleet: the
// jobs' own job label arrives as job_name, gauges come from several replicas, counters start
// at zero (the server exposes them so) and one counter appears at 1 to show why that matters.
func TestAlertRulesFire(t *testing.T) {
	exprs := map[string]string{}
	for _, r := range alertRules(t) {
		exprs[r.Alert] = r.Expr
	}
	const (
		syncSIMs    = `{job="oncefleet", job_name="sync_sims"}`
		checkQuotas = `{job="oncefleet", job_name="check_quotas"}`
	)
	cases := []alertCase{{
		alert: "OncefleetJobFailing",
		series: []string{
			// sync_sims fails three times at 21–23 min and has no success since before.
			`job_runs_total{job="oncefleet",job_name="sync_sims",result="failed"} 0x20 1 2 3x100`,
			`job_runs_total{job="oncefleet",job_name="sync_sims",result="ok"} 4x123`,
			`job_runs_total{job="oncefleet",job_name="sync_sims",result="skipped"} 0x123`,
			// check_quotas fails the same way but succeeds at 41 min.
			`job_runs_total{job="oncefleet",job_name="check_quotas",result="failed"} 0x20 1 2 3x100`,
			`job_runs_total{job="oncefleet",job_name="check_quotas",result="ok"} 0x40 1x82`,
			`job_runs_total{job="oncefleet",job_name="check_quotas",result="skipped"} 0x123`,
			// track_sms fails only twice.
			`job_runs_total{job="oncefleet",job_name="track_sms",result="failed"} 0x20 1 2x101`,
			`job_runs_total{job="oncefleet",job_name="track_sms",result="ok"} 0x123`,
		},
		at: map[time.Duration]map[string]float64{
			20 * time.Minute:  {},
			30 * time.Minute:  {syncSIMs: 3, checkQuotas: 3},
			50 * time.Minute:  {syncSIMs: 3},
			90 * time.Minute:  {},
			120 * time.Minute: {},
		},
	}, {
		alert: "OncefleetJobStale",
		series: []string{
			// sync_sims last succeeded at 0 on replica a and never on b (no series there).
			`job_last_success_timestamp_seconds{job="oncefleet",instance="a",job_name="sync_sims"} 0x3100`,
			// check_quotas is stale on replica a, but b runs it every minute: max counts.
			`job_last_success_timestamp_seconds{job="oncefleet",instance="a",job_name="check_quotas"} 0x3100`,
			`job_last_success_timestamp_seconds{job="oncefleet",instance="b",job_name="check_quotas"} 0+60x3100`,
			`job_last_success_timestamp_seconds{job="oncefleet",instance="a",job_name="track_sms"} 0+60x3100`,
			`job_last_success_timestamp_seconds{job="oncefleet",instance="a",job_name="retention"} 0x3100`,
			`job_last_success_timestamp_seconds{job="oncefleet",instance="a",job_name="a_new_job"} 0x3100`,
		},
		at: map[time.Duration]map[string]float64{
			30 * time.Minute: {},
			70 * time.Minute: {syncSIMs: 70 * 60},
			49 * time.Hour:   {syncSIMs: 49 * 3600},
			51 * time.Hour: {syncSIMs: 51 * 3600, `{job="oncefleet", job_name="retention"}`: 51 * 3600,
				`{job="oncefleet", job_name="a_new_job"}`: 51 * 3600},
		},
	}, {
		alert: "OncefleetTopUpOutcomeUnknown",
		series: []string{
			`topups_total{job="oncefleet",reason="manual",state="unknown"} 0x30 1x90`,
			`topups_total{job="oncefleet",reason="auto",state="sent"} 0+1x120`,
			// A series born at 1 (not exposed at zero from the start) is invisible to increase().
			`topups_total{job="oncefleet",reason="bulk",state="unknown"} _x30 1x90`,
		},
		at: map[time.Duration]map[string]float64{
			20 * time.Minute:  {},
			40 * time.Minute:  {`{job="oncefleet", reason="manual"}`: 1},
			100 * time.Minute: {},
		},
	}, {
		alert: "OncefleetActiveSIMsDropped",
		series: []string{
			// Two replicas report the same fleet: 100 active SIMs, then 80.
			`active_sims_count{job="oncefleet",instance="a"} 100x60 80x70`,
			`active_sims_count{job="oncefleet",instance="b"} 100x60 80x70`,
			// 15 % of a small fleet, but only 3 SIMs; 5 % of a large one.
			`active_sims_count{job="small",instance="a"} 20x60 17x70`,
			`active_sims_count{job="large",instance="a"} 1000x60 950x70`,
		},
		at: map[time.Duration]map[string]float64{
			30 * time.Minute:  {},
			70 * time.Minute:  {`{job="oncefleet"}`: 20},
			125 * time.Minute: {},
		},
	}, {
		alert: "OncefleetAutoTopUpCapped",
		series: []string{
			`auto_topup_checks_total{job="oncefleet",outcome="fleet_capped"} 0x30 1+1x30 31x70`,
			`auto_topup_checks_total{job="oncefleet",outcome="sim_capped"} 0x130`,
			`auto_topup_checks_total{job="oncefleet",outcome="enough"} 0+5x130`,
		},
		at: map[time.Duration]map[string]float64{
			20 * time.Minute:  {},
			45 * time.Minute:  {`{job="oncefleet", outcome="fleet_capped"}`: anyValue},
			125 * time.Minute: {},
		},
	}, {
		// Webhook deliveries die at 21 min; e-mail retries but always gets through.
		alert: "OncefleetAlertDeliveriesFailing",
		series: []string{
			`alert_deliveries_total{job="oncefleet",channel="webhook",result="dead"} 0x20 1x60`,
			`alert_deliveries_total{job="oncefleet",channel="webhook",result="sent"} 0+2x80`,
			`alert_deliveries_total{job="oncefleet",channel="email",result="retry"} 0+1x80`,
			`alert_deliveries_total{job="oncefleet",channel="email",result="dead"} 0x80`,
		},
		at: map[time.Duration]map[string]float64{
			15 * time.Minute: {},
			25 * time.Minute: {`{channel="webhook", job="oncefleet"}`: anyValue},
			60 * time.Minute: {},
		},
	}}

	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 1_000_000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute})
	for _, c := range cases {
		t.Run(c.alert, func(t *testing.T) {
			expr, ok := exprs[c.alert]
			if !ok {
				t.Fatalf("no alert %s in %s", c.alert, alertsFile)
			}
			db := seriesStore(t, c.series)
			for at, want := range c.at {
				q, err := engine.NewInstantQuery(context.Background(), db, nil, expr, time.Unix(0, 0).Add(at).UTC())
				if err != nil {
					t.Fatal(err)
				}
				res := q.Exec(context.Background())
				if res.Err != nil {
					t.Fatalf("at %s: %v", at, res.Err)
				}
				vec, err := res.Vector()
				if err != nil {
					t.Fatalf("at %s: %v", at, err)
				}
				got := map[string]float64{}
				for _, s := range vec {
					got[s.Metric.String()] = s.F
				}
				for ls, v := range got {
					w, ok := want[ls]
					switch {
					case !ok:
						t.Errorf("at %s: fires for %s (%v), want only %v", at, ls, v, slices.Sorted(maps.Keys(want)))
					case !math.IsNaN(w) && math.Abs(v-w) > 1e-9:
						t.Errorf("at %s: %s = %v, want %v", at, ls, v, w)
					}
				}
				for ls := range want {
					if _, ok := got[ls]; !ok {
						t.Errorf("at %s: does not fire for %s (fires for %v)", at, ls, slices.Sorted(maps.Keys(got)))
					}
				}
				q.Close()
			}
		})
	}
}

// seriesStore holds series written in promtool's notation, one sample a minute from time 0.
func seriesStore(t *testing.T, defs []string) storage.Queryable {
	t.Helper()
	var all []storage.Series
	for _, def := range defs {
		lset, values, err := promqlParser().ParseSeriesDesc(def)
		if err != nil {
			t.Fatalf("%s: %v", def, err)
		}
		var samples []chunks.Sample
		for i, v := range values {
			if !v.Omitted {
				samples = append(samples, fSample{t: int64(i) * time.Minute.Milliseconds(), f: v.Value})
			}
		}
		all = append(all, storage.NewListSeries(lset, samples))
	}
	slices.SortFunc(all, func(a, b storage.Series) int { return labels.Compare(a.Labels(), b.Labels()) })
	return &storage.MockQueryable{MockQuerier: &storage.MockQuerier{
		SelectMockFunction: func(_ bool, _ *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
			var out []storage.Series
			for _, s := range all {
				if matchAll(ms, s.Labels()) {
					out = append(out, s)
				}
			}
			return &listSet{series: out, i: -1}
		},
	}}
}

func matchAll(ms []*labels.Matcher, ls labels.Labels) bool {
	for _, m := range ms {
		if !m.Matches(ls.Get(m.Name)) {
			return false
		}
	}
	return true
}

// listSet is a storage.SeriesSet over a slice.
type listSet struct {
	series []storage.Series
	i      int
}

func (s *listSet) Next() bool                      { s.i++; return s.i < len(s.series) }
func (s *listSet) At() storage.Series              { return s.series[s.i] }
func (*listSet) Err() error                        { return nil }
func (*listSet) Warnings() annotations.Annotations { return nil }
func (f fSample) T() int64                         { return f.t }
func (fSample) ST() int64                          { return 0 }
func (f fSample) F() float64                       { return f.f }
func (fSample) H() *histogram.Histogram            { return nil }
func (fSample) FH() *histogram.FloatHistogram      { return nil }
func (fSample) Type() chunkenc.ValueType           { return chunkenc.ValFloat }
func (f fSample) Copy() chunks.Sample              { return f }

// fSample is one float sample.
type fSample struct {
	t int64
	f float64
}
