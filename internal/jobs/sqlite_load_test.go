package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
)

// errorLog keeps records at error level or above (River logs its own retried failures there).
type errorLog struct {
	mu   sync.Mutex
	msgs []string
}

func (h *errorLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *errorLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.mu.Lock()
		h.msgs = append(h.msgs, r.Message)
		h.mu.Unlock()
	}
	return nil
}
func (h *errorLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *errorLog) WithGroup(string) slog.Handler      { return h }

// TestSQLiteCarriesJobsUnderWriteLoad runs River on the embedded store's SQLite handle while
// its jobs write hundreds of SIMs each and another writer keeps the database busy with usage
// batches, as the Data Streamer does: every job must run its periods and triggers, and no run
// and no store write may fail (SQLITE_BUSY past the busy timeout would show here).
func TestSQLiteCarriesJobsUnderWriteLoad(t *testing.T) {
	s := dbtest.NewSQLite(t)
	logs := &errorLog{}
	var runs [3]atomic.Int64
	var defs []jobs.Definition
	for i := range runs {
		defs = append(defs, jobs.Definition{Name: fmt.Sprintf("write_%d", i), Interval: time.Second, Run: func(ctx context.Context) (jobs.Report, error) {
			sims := make([]fleet.SIM, 500/loadScale)
			for k := range sims {
				sims[k] = fleet.SIM{ICCID: fmt.Sprintf("89882806%02d%09d", i, k), Status: "Enabled", Label: fmt.Sprint(runs[i].Load())}
			}
			if _, err := s.SyncSIMs(ctx, sims); err != nil {
				return jobs.Report{}, err
			}
			runs[i].Add(1)
			return jobs.Report{Items: len(sims)}, nil
		}})
	}
	r, err := jobs.New(jobs.Config{Database: jobs.SQLite(s.DB()), Runs: s, Work: true, Logger: slog.New(logs), PollInterval: 50 * time.Millisecond}, defs...)
	if err != nil {
		t.Fatal(err)
	}
	start(t, r)
	stop := make(chan struct{})
	writerDone := make(chan error, 1)
	go func() { // the streamer's share of the single writer
		for day := 0; ; day++ {
			select {
			case <-stop:
				writerDone <- nil
				return
			default:
			}
			rows := make([]fleet.Usage, 1000/loadScale)
			for k := range rows {
				rows[k] = fleet.Usage{ICCID: fmt.Sprintf("8988280699%09d", k), Day: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day%300),
					VolumeTotal: 1, Source: fleet.UsageFromStreamer}
			}
			if err := s.UpsertUsage(context.Background(), rows); err != nil {
				writerDone <- err
				return
			}
			// A stream's requests arrive apart; a writer that never lets go of SQLite's one
			// write lock starves every other writer past the busy timeout (docs/DECISIONS.md).
			time.Sleep(50 * time.Millisecond)
		}
	}()
	for round := 0; round < 2; round++ {
		for i := range runs {
			if _, err := r.Control().RunNow(t.Context(), fmt.Sprintf("write_%d", i)); err != nil {
				t.Fatalf("run now: %v", err)
			}
		}
		waitFor(t, "every job to run again", func() bool {
			for i := range runs {
				if runs[i].Load() < int64(2*(round+1)) {
					return false
				}
			}
			return true
		})
	}
	close(stop)
	if err := <-writerDone; err != nil {
		t.Fatalf("concurrent writer: %v", err)
	}
	failed, err := s.ListJobRuns(t.Context(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range failed {
		if run.OK != nil && !*run.OK {
			t.Fatalf("run failed: %+v", run)
		}
	}
	// River retries its own operations (leader election, fetching, completing) after an
	// error; slowed down by the race detector they can meet SQLITE_BUSY and log it. What must
	// hold is above: every job ran its rounds and no run and no store write failed.
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if len(logs.msgs) > 0 {
		t.Logf("River logged %d retried errors under load: %v", len(logs.msgs), logs.msgs)
	}
}
