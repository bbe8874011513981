package streamer_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/postgres"
	"github.com/oncefleet/oncefleet/internal/streamer"
	"github.com/oncefleet/oncefleet/once/wire"
	"github.com/oncefleet/oncefleet/oncesim"
)

// helperEnv makes the test binary run a receiver instead of the tests (see TestMain), so the
// kill -9 test can SIGKILL a real process mid-stream.
const (
	helperEnv   = "ONCEFLEET_STREAMER_HELPER_DB"
	helperReady = "RECEIVER LISTENING ON "
)

func TestMain(m *testing.M) {
	if dbURL := os.Getenv(helperEnv); dbURL != "" {
		runReceiverProcess(dbURL)
		return
	}
	os.Exit(m.Run())
}

// runReceiverProcess serves the receiver with its applier against dbURL until killed.
func runReceiverProcess(dbURL string) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, dbURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	a := streamer.NewApplier(streamer.ApplierConfig{Store: s, BatchSize: 500, Idle: 20 * time.Millisecond})
	h := streamer.NewHandler(streamer.HandlerConfig{Store: s, Credential: cred, OnCommit: a.Notify})
	srv := httptest.NewUnstartedServer(h)
	srv.Start()
	fmt.Println(helperReady + srv.URL)
	if err := a.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
}

// receiverProcess is a running helper process.
type receiverProcess struct {
	cmd    *exec.Cmd
	url    *url.URL
	stderr *bytes.Buffer
}

func startReceiver(t *testing.T, dbURL string) *receiverProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dbURL)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &receiverProcess{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, helperReady) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("receiver process did not start: %q %v; stderr: %s", line, err, p.stderr)
	}
	if p.url, err = url.Parse(strings.TrimSpace(strings.TrimPrefix(line, helperReady))); err != nil {
		t.Fatal(err)
	}
	return p
}

// kill sends SIGKILL: no deferred code, no graceful shutdown, open transactions abandoned.
func (p *receiverProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// switchProxy forwards to whichever receiver process is current; with none it answers 502, as
// a load balancer with no healthy backend does, and the emitter re-sends.
type switchProxy struct {
	target atomic.Pointer[httputil.ReverseProxy]
}

func (s *switchProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := s.target.Load()
	if p == nil {
		http.Error(w, "no receiver", http.StatusBadGateway)
		return
	}
	p.ServeHTTP(w, r)
}

func (s *switchProxy) point(u *url.URL) {
	if u == nil {
		s.target.Store(nil)
		return
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ErrorLog = log.New(io.Discard, "", 0) // resets from the killed process are the point
	s.target.Store(p)
}

func kib(b int64) int64 { return (b + 1023) / 1024 * 1024 }

// TestKill9WhileStreamingLosesNothingAndAppliesOnce streams v1 and Platform 2.0 records from
// the simulator's emitter into a receiver process, SIGKILLs the receiver twice mid-stream and
// restarts it, then checks every record is stored once and applied once: usage sums, event
// rows and record counts match exactly what the simulator produced.
func TestKill9WhileStreamingLosesNothingAndAppliesOnce(t *testing.T) {
	dbURL := dbtest.NewPostgresURL(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	proxy := &switchProxy{}
	front := httptest.NewServer(proxy)
	defer front.Close()
	recv := startReceiver(t, dbURL)
	defer func() { recv.kill(t) }()
	proxy.point(recv.url)

	opts := oncesim.EmitterOptions{
		Username: cred.Username, Password: cred.Password, BatchSize: 250, FlushInterval: 5 * time.Millisecond,
		DuplicateRate: 0.1, RetryInitial: 10 * time.Millisecond, RetryMax: 200 * time.Millisecond, RequestTimeout: 20 * time.Second,
	}
	o1 := opts
	o1.URL, o1.Format = front.URL+streamer.Prefix, oncesim.StreamV1
	e1, err := oncesim.NewEmitter(o1, 1)
	if err != nil {
		t.Fatal(err)
	}
	o2 := opts
	o2.UsageURL, o2.EventsURL, o2.Format = front.URL+streamer.Prefix+"/usage", front.URL+streamer.Prefix+"/events", oncesim.StreamV2
	e2, err := oncesim.NewEmitter(o2, 2)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = e1.Run(runCtx) })
	wg.Go(func() { _ = e2.Run(runCtx) })
	defer func() { stop(); wg.Wait() }()

	// 4,000 activities per generation over 40 SIMs: data usage, and every fifth an event.
	const perGen, sims = 4000, 40
	var wantV1, wantV2, wantEvents int64
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	activity := func(gen, i int) oncesim.Activity {
		n := int64(i)
		a := oncesim.Activity{
			ID: int64(gen)*1_000_000 + n, SIMID: n % sims, ICCID: fmt.Sprintf("89882806660%d%07d", gen, n%sims),
			At: at.Add(time.Duration(i) * time.Second), Start: at.Add(time.Duration(i-900) * time.Second),
			Operator: "Telekom", Country: "Germany", MCC: "262", MNC: "01", IMEI: "356938035643809",
		}
		if i%5 == 4 {
			a.Kind, a.EventType, a.EventSource, a.Severity = oncesim.ActivityEvent, "Update location", "Network", "INFO"
			return a
		}
		a.Kind, a.Traffic, a.RxBytes, a.TxBytes = oncesim.ActivityUsage, "Data", 5_000+n*7, 1_000+n
		return a
	}
	var published sync.WaitGroup
	published.Go(func() {
		for i := range perGen {
			for gen, e := range []*oncesim.Emitter{e1, e2} {
				a := activity(gen+1, i)
				e.Publish(a)
			}
		}
	})
	for i := range perGen {
		a1, a2 := activity(1, i), activity(2, i)
		if a1.Kind == oncesim.ActivityEvent {
			wantEvents += 2
			continue
		}
		// v1 records carry MB with six decimals, which is not a whole number of 1,048,576-byte
		// MB: what lands is the wire value converted back, so expect exactly that.
		total, err := json.Marshal(oncesim.NewUsageRecord(a1).Volume.Total)
		if err != nil {
			t.Fatal(err)
		}
		wire, err := wire.MBToBytes(wire.Decimal(total))
		if err != nil {
			t.Fatal(err)
		}
		wantV1 += wire
		wantV2 += kib(a2.RxBytes + a2.TxBytes)
	}

	acked := func() int64 { return e1.Stats().Acked + e2.Stats().Acked }
	waitFor := func(what string, limit time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting for %s (acked %d, e1 %+v, e2 %+v); receiver stderr: %s", what, acked(), e1.Stats(), e2.Stats(), recv.stderr)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for _, frac := range []int64{3, 2} {
		waitFor("records acknowledged before the kill", 3*time.Minute, func() bool { return acked() >= 2*perGen/frac })
		before := acked()
		recv.kill(t)
		if b, err := st.StreamerBacklog(ctx); err == nil {
			t.Logf("killed with %d records stored but not yet applied", b.Pending)
		}
		proxy.point(nil)
		t.Logf("SIGKILL after %d records acknowledged", before)
		recv = startReceiver(t, dbURL)
		proxy.point(recv.url)
	}
	published.Wait()
	waitFor("every record acknowledged", 5*time.Minute, func() bool {
		return e1.Stats().Pending == 0 && e2.Stats().Pending == 0
	})
	waitFor("every record applied", 5*time.Minute, func() bool {
		b, err := st.StreamerBacklog(ctx)
		return err == nil && b.Pending == 0
	})
	stop()
	wg.Wait()

	db := sqlDB(t, st)
	if n := count(t, db, `SELECT count(*) FROM streamer_records`); n != 2*perGen {
		t.Errorf("stored %d records, want %d (each acknowledged record exactly once)", n, 2*perGen)
	}
	if n := count(t, db, `SELECT count(*) FROM streamer_records WHERE applied_at IS NULL`); n != 0 {
		t.Errorf("%d records never applied", n)
	}
	if v := count(t, db, `SELECT sum(volume_total) FROM sim_usage WHERE iccid LIKE '898828066601%'`); v != wantV1 {
		t.Errorf("v1 daily volume = %d, want %d", v, wantV1)
	}
	if v := count(t, db, `SELECT sum(volume_total) FROM sim_usage WHERE iccid LIKE '898828066602%'`); v != wantV2 {
		t.Errorf("2.0 daily volume = %d, want %d", v, wantV2)
	}
	if v := count(t, db, `SELECT sum(volume_total) FROM sim_usage_hourly`); v != wantV1+wantV2 {
		t.Errorf("hourly volume = %d, want %d", v, wantV1+wantV2)
	}
	if n := count(t, db, `SELECT count(*) FROM sim_events WHERE external_id LIKE 'stream:%'`); n != wantEvents {
		t.Errorf("events = %d, want %d", n, wantEvents)
	}
	if n := count(t, db, `SELECT sum(applied_total) FROM streamer_health`); n != 2*perGen {
		t.Errorf("health counts %d applied records, want %d", n, 2*perGen)
	}
	if e1.Stats().Duplicates+e2.Stats().Duplicates == 0 {
		t.Errorf("the emitters re-sent no record: idempotency went unexercised")
	}
}
