package jobs_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
)

type backend struct {
	name string
	open func(t *testing.T) (jobs.Database, jobs.RunStore)
}

var backends = []backend{
	{"sqlite", func(t *testing.T) (jobs.Database, jobs.RunStore) {
		s := dbtest.NewSQLite(t)
		return jobs.SQLite(s.DB()), s
	}},
	{"postgres", func(t *testing.T) (jobs.Database, jobs.RunStore) {
		s := dbtest.NewPostgres(t)
		return jobs.Postgres(s.Pool()), s
	}},
}

// recorder collects published events.
type recorder struct {
	mu     sync.Mutex
	events []bus.Event
}

func (r *recorder) Publish(_ context.Context, e bus.Event) int {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	return 0
}

func (r *recorder) failures() []bus.SyncFailed {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []bus.SyncFailed
	for _, e := range r.events {
		if f, ok := e.(bus.SyncFailed); ok {
			out = append(out, f)
		}
	}
	return out
}

// waitFor polls cond until it holds; the deadline only bounds a broken test, it asserts no
// timing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func start(t *testing.T, r *jobs.Runner) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
}

func TestPeriodicRunsRecordedAndManualTrigger(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db, runs := b.open(t)
			var periodic, manual atomic.Int64
			reg := prometheus.NewRegistry()
			r, err := jobs.New(jobs.Config{Database: db, Runs: runs, Work: true, Registerer: reg, PollInterval: 50 * time.Millisecond},
				jobs.Definition{Name: "tick", Interval: time.Second, Run: func(ctx context.Context) (jobs.Report, error) {
					periodic.Add(1)
					return jobs.Report{Items: 3, Counts: map[string]int64{"pages": 1}}, nil
				}},
				jobs.Definition{Name: "manual", Run: func(ctx context.Context) (jobs.Report, error) {
					manual.Add(1)
					return jobs.Report{Skipped: "nothing to do"}, nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			start(t, r)
			waitFor(t, "two periodic runs", func() bool { return periodic.Load() >= 2 })
			ctl := r.Control()
			tr, err := ctl.RunNow(t.Context(), "manual")
			if err != nil || tr.JobID == 0 {
				t.Fatalf("run now = %+v, %v", tr, err)
			}
			waitFor(t, "the manual run", func() bool { return manual.Load() == 1 })
			if _, err := ctl.RunNow(t.Context(), "nope"); !errors.Is(err, fleet.ErrNotFound) {
				t.Fatalf("unknown job: %v", err)
			}
			waitFor(t, "the manual run's record", func() bool {
				st, err := ctl.Job(t.Context(), "manual", 10)
				return err == nil && len(st.Runs) == 1 && st.Runs[0].FinishedAt != nil
			})
			st, err := ctl.Job(t.Context(), "manual", 10)
			if err != nil || !st.Runs[0].Skipped || st.Runs[0].Detail != "nothing to do" || !st.NextRun.IsZero() {
				t.Fatalf("manual job = %+v, %v", st, err)
			}
			all, err := ctl.Jobs(t.Context(), 5)
			if err != nil || len(all) != 2 || all[1].Name != "tick" || all[1].NextRun.IsZero() || len(all[1].Runs) < 2 {
				t.Fatalf("jobs = %+v, %v", all, err)
			}
			for _, run := range all[1].Runs {
				if run.FinishedAt != nil && (!*run.OK || run.Items != 3 || run.Counts["pages"] != 1) {
					t.Fatalf("periodic run = %+v", run)
				}
			}
			if n := counterValue(t, reg, "job_runs_total", "tick", "ok"); n < 2 {
				t.Fatalf("job_runs_total{tick,ok} = %v", n)
			}
		})
	}
}

// counterValue reads a counter from the registry by its label values in label order.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for i, l := range m.GetLabel() {
				if l.GetValue() != labels[i] {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}

func TestFailedRunsRetryAndAnnounce(t *testing.T) {
	db, runs := backends[0].open(t)
	pub := &recorder{}
	var attempts atomic.Int64
	r, err := jobs.New(jobs.Config{Database: db, Runs: runs, Work: true, Bus: pub, PollInterval: 50 * time.Millisecond},
		jobs.Definition{Name: "flaky", MaxAttempts: 2, Run: func(ctx context.Context) (jobs.Report, error) {
			if attempts.Add(1) == 1 {
				return jobs.Report{}, errors.New("1NCE answered 503")
			}
			return jobs.Report{Items: 1}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	start(t, r)
	if _, err := r.Control().RunNow(t.Context(), "flaky"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the retry", func() bool {
		st, err := r.Control().Job(t.Context(), "flaky", 10)
		return err == nil && len(st.Runs) == 2 && st.Runs[0].OK != nil
	})
	st, _ := r.Control().Job(t.Context(), "flaky", 10)
	if !*st.Runs[0].OK || *st.Runs[1].OK || st.Runs[1].Detail != "1NCE answered 503" {
		t.Fatalf("runs = %+v", st.Runs)
	}
	f := pub.failures()
	if len(f) != 1 || f[0].Job != "flaky" || f[0].Attempt != 1 || f[0].Final {
		t.Fatalf("failures published = %+v", f)
	}
}
