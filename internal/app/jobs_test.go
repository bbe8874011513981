package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/oncesim"
)

// statusRecorder keeps the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// TestThreeReplicasRunEachJobOncePerPeriod starts three serve processes (app.New) on one
// PostgreSQL and one Redis against one simulator at its real 10 requests/s, with short
// intervals, and lets them run a few periods. Then River's job table must hold one job per
// job and period, every run must be recorded once, the 1NCE token must have been fetched
// once, and the simulator must never have answered 429.
func TestThreeReplicasRunEachJobOncePerPeriod(t *testing.T) {
	const redisDB = 13 // this test's own Redis database, flushed before and after
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: redisDB})
	if err := rdb.FlushDB(t.Context()).Err(); err != nil {
		t.Fatalf("redis at 127.0.0.1:6379: %v", err)
	}
	t.Cleanup(func() { rdb.FlushDB(context.Background()); rdb.Close() })

	sim, err := oncesim.New(oncesim.Options{Sims: 300, Seed: 5, ClientID: "replicas", ClientSecret: "replicas-secret-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	var tokens, tooMany, served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		sim.ServeHTTP(rec, r)
		served.Add(1)
		if r.URL.Path == "/oauth/token" {
			tokens.Add(1)
		}
		if rec.status == http.StatusTooManyRequests {
			tooMany.Add(1)
		}
	}))
	t.Cleanup(func() { srv.Close(); sim.Close() })

	dbURL := dbtest.NewPostgresURL(t)
	intervals := map[string]time.Duration{"sync_sims": 2 * time.Second, "sync_usage": 3 * time.Second,
		"check_quotas": 2 * time.Second, "connectivity_snapshots": 3 * time.Second, "retention": 2 * time.Second}
	for i := range 3 {
		c := testConfig(t)
		c.DatabaseURL = config.Secret(dbURL)
		c.RedisURL = config.Secret("redis://127.0.0.1:6379/13")
		c.OnceBaseURL, c.OnceClientID, c.OnceClientSecret = srv.URL, "replicas", "replicas-secret-0123456789"
		c.MigrateOnStart = i == 0 // one replica migrates; the others start on the migrated schema
		c.Jobs.SyncSIMs, c.Jobs.SyncUsage, c.Jobs.CheckQuotas, c.Jobs.Connectivity, c.Jobs.Retention = "2s", "3s", "2s", "3s", "2s"
		c.Jobs.UsageMaxCalls, c.Jobs.QuotaMaxSIMs, c.Jobs.ConnectivityMax = 5, 3, "5"
		c.Jobs.AutoTopUp, c.Jobs.TrackSMS, c.Jobs.FleetReport = "off", "off", "off"
		c.Alerts.EvaluateEvery = "off"
		start(t, c, Options{})
	}

	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// Let every job complete at least three periods.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var least int
		if err := conn.QueryRow(t.Context(), `SELECT COALESCE(min(n), 0) FROM (
			SELECT args->>'name', count(*) AS n FROM river_job WHERE state = 'completed' AND NOT (args ? 'manual')
			GROUP BY 1) c`).Scan(&least); err != nil {
			t.Fatal(err)
		}
		var jobsSeen int
		if err := conn.QueryRow(t.Context(), `SELECT count(DISTINCT args->>'name') FROM river_job WHERE state = 'completed'`).Scan(&jobsSeen); err != nil {
			t.Fatal(err)
		}
		if least >= 3 && jobsSeen == len(intervals) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs did not complete three periods each (least %d, %d jobs seen)", least, jobsSeen)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// One River job per job and period: its scheduled time lies in exactly one period.
	rows, err := conn.Query(t.Context(), `SELECT args->>'name', scheduled_at FROM river_job WHERE NOT (args ? 'manual')`)
	if err != nil {
		t.Fatal(err)
	}
	perPeriod := map[string]int{}
	for rows.Next() {
		var name string
		var at time.Time
		if err := rows.Scan(&name, &at); err != nil {
			t.Fatal(err)
		}
		perPeriod[name+"@"+at.Truncate(intervals[name]).UTC().Format(time.RFC3339)]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for k, n := range perPeriod {
		if n != 1 {
			t.Errorf("%s: %d River jobs in one period, want 1", k, n)
		}
	}
	// Every attempt was recorded, by the one replica that ran it (a run that found another
	// still going is recorded as skipped: it is an attempt River completed too).
	var attempts, runs int
	if err := conn.QueryRow(t.Context(), `SELECT COALESCE(sum(attempt), 0) FROM river_job WHERE state = 'completed'`).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM job_runs WHERE finished_at IS NOT NULL`).Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if runs < attempts {
		t.Errorf("job_runs holds %d finished runs for %d completed attempts", runs, attempts)
	}
	var failed int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM job_runs WHERE ok = false`).Scan(&failed); err != nil {
		t.Fatal(err)
	}
	if failed != 0 {
		t.Errorf("%d runs failed", failed)
	}
	if n := tokens.Load(); n != 1 {
		t.Errorf("the 1NCE token was fetched %d times by three replicas, want once", n)
	}
	if n := tooMany.Load(); n != 0 {
		t.Errorf("the simulator answered 429 to %d of %d requests", n, served.Load())
	}
	var sims int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM sims`).Scan(&sims); err != nil || sims != 300 {
		t.Errorf("mirror holds %d SIMs (%v), want 300", sims, err)
	}
}
