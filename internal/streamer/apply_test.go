package streamer_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/streamer"
)

func TestBothGenerationsLandInSameTables(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			s, db := openBackend(t, b)
			srv, _ := newServer(t, s, cred)
			for _, c := range []struct{ path, file string }{
				{"/usage", "v1_usage.json"}, {"/events", "v1_event.json"}, // v1 records, per-type streams
				{"", "p2_usage.json"}, {"", "p2_event.json"}, // Platform 2.0 events on the combined endpoint
			} {
				if r := post(t, srv.URL+streamer.Prefix+c.path, cred.Username, cred.Password, fixture(t, c.file)); r.status != 200 {
					t.Fatalf("%s: %d %s", c.file, r.status, r.body)
				}
			}
			bs := bus.New(bus.Options{})
			var mu sync.Mutex
			var got []bus.Event
			bs.Subscribe(func(_ context.Context, e bus.Event) {
				mu.Lock()
				got = append(got, e)
				mu.Unlock()
			})
			a := streamer.NewApplier(streamer.ApplierConfig{Store: s, Bus: bs})
			if n := applyAll(t, a); n != 6 {
				t.Fatalf("applied %d records, want 6", n)
			}
			bs.Close()

			// Usage: v1 data 0.15 MB + v1 SMS on SIM 17; 2.0 data 1.536 MB on SIM 18.
			for _, c := range []struct {
				iccid        string
				total, smsMO int64
			}{{"8988280666000000017", 157286, 1}, {"8988280666000000018", 1610613, 0}} {
				var total, mo int64
				var src string
				if err := db.QueryRow(`SELECT volume_total, sms_mo, source FROM sim_usage WHERE iccid = '`+c.iccid+`' AND day = '2026-11-20'`).Scan(&total, &mo, &src); err != nil {
					t.Fatalf("%s usage: %v", c.iccid, err)
				}
				if total != c.total || mo != c.smsMO || src != "streamer" {
					t.Errorf("%s usage = %d bytes, %d SMS MO, %q", c.iccid, total, mo, src)
				}
			}
			if n := count(t, db, `SELECT count(*) FROM sim_usage_hourly`); n != 2 {
				t.Errorf("hourly rows = %d, want 2 (SIM 17 hour 10, SIM 18 hour 11)", n)
			}
			if n := count(t, db, `SELECT count(*) FROM sim_events WHERE external_id IN ('stream:1200000042', 'stream:1200000043', 'stream:ev-2.0-000000000000000001')`); n != 3 {
				t.Errorf("events = %d, want 3", n)
			}
			// SIM 17: newest record is the SMS at 10:20; online from the PDP create at 10:16.
			var online17, online18 bool
			var imei17 string
			if err := db.QueryRow(`SELECT online, imei FROM sims WHERE iccid = '8988280666000000017'`).Scan(&online17, &imei17); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow(`SELECT online FROM sims WHERE iccid = '8988280666000000018'`).Scan(&online18); err != nil {
				t.Fatal(err)
			}
			if !online17 || imei17 != "356938035643809" || online18 {
				t.Errorf("sims: 17 online %v imei %q; 18 online %v (PDP deleted)", online17, imei17, online18)
			}
			if n := count(t, db, `SELECT count(*) FROM sim_connectivity WHERE source = 'streamer'`); n != 3 {
				t.Errorf("connectivity snapshots = %d, want 3 (location, PDP create, PDP delete)", n)
			}
			hs, err := s.StreamHealth(context.Background())
			if err != nil || len(hs) != 2 || hs[0].Applied+hs[1].Applied != 6 {
				t.Errorf("health = %+v, %v", hs, err)
			}

			kinds := map[string]int{}
			for _, e := range got {
				kinds[e.Kind()]++
			}
			if kinds["usage_recorded"] != 2 || kinds["sim_event"] != 3 {
				t.Errorf("bus events = %v, want 2 usage_recorded and 3 sim_event", kinds)
			}

			// Nothing is applied twice: a second pass finds nothing and the sums stay.
			if n := applyAll(t, a); n != 0 {
				t.Fatalf("second pass applied %d", n)
			}
			if v := count(t, db, `SELECT sum(volume_total) FROM sim_usage`); v != 1767899 {
				t.Fatalf("total volume = %d", v)
			}
		})
	}
}

func TestApplierRunWakesOnCommit(t *testing.T) {
	s, db := openBackend(t, "sqlite")
	// A long idle period: only Notify (wired as OnCommit) can make the applier pick the batch up
	// before the test's deadline.
	a := streamer.NewApplier(streamer.ApplierConfig{Store: s, Idle: time.Hour})
	srv := newHTTPServer(t, streamer.NewHandler(streamer.HandlerConfig{Store: s, Credential: cred, OnCommit: a.Notify}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	if r := post(t, srv+streamer.Prefix+"/events", cred.Username, cred.Password, fixture(t, "v1_event.json")); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for count(t, db, `SELECT count(*) FROM streamer_records WHERE applied_at IS NULL`) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("records were not applied after Notify")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := count(t, db, `SELECT count(*) FROM sim_events`); n != 2 {
		t.Fatalf("events = %d", n)
	}
}

func TestMonitorReportsSilenceAndResumption(t *testing.T) {
	s, _ := openBackend(t, "sqlite")
	srv, _ := newServer(t, s, cred)
	if r := post(t, srv.URL+streamer.Prefix+"/events", cred.Username, cred.Password, fixture(t, "v1_event.json")); r.status != 200 {
		t.Fatal(r.body)
	}
	applyAll(t, streamer.NewApplier(streamer.ApplierConfig{Store: s}))
	hs, err := s.StreamHealth(context.Background())
	if err != nil || len(hs) != 1 {
		t.Fatalf("health = %+v, %v", hs, err)
	}
	last := hs[0].LastReceivedAt

	bs := bus.New(bus.Options{})
	var mu sync.Mutex
	var got []bus.Event
	bs.Subscribe(func(_ context.Context, e bus.Event) { mu.Lock(); got = append(got, e); mu.Unlock() })
	now := last.Add(time.Minute)
	m := streamer.NewMonitor(streamer.MonitorConfig{Store: s, Bus: bs, SilentAfter: 10 * time.Minute, Now: func() time.Time { return now }})
	ctx := context.Background()
	check := func() {
		if err := m.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check() // 1 minute: fine
	now = last.Add(11 * time.Minute)
	check() // silent
	check() // still silent: no second event
	// Records arrive again.
	body := `[{"id":99,"event_type":"Update location","timestamp":"2026-11-20T12:00:00Z","sim":{"iccid":"1"}}]`
	if r := post(t, srv.URL+streamer.Prefix+"/events", cred.Username, cred.Password, body); r.status != 200 {
		t.Fatal(r.body)
	}
	applyAll(t, streamer.NewApplier(streamer.ApplierConfig{Store: s}))
	hs, _ = s.StreamHealth(ctx)
	now = hs[0].LastReceivedAt.Add(time.Second)
	check() // resumed
	bs.Close()

	if len(got) != 2 {
		t.Fatalf("events = %#v, want silent then resumed", got)
	}
	silent, ok := got[0].(bus.StreamSilent)
	if !ok || silent.Stream != "event" || silent.Silence < 10*time.Minute || !silent.LastReceivedAt.Equal(last) {
		t.Errorf("first event = %#v", got[0])
	}
	if r, ok := got[1].(bus.StreamResumed); !ok || r.Stream != "event" {
		t.Errorf("second event = %#v", got[1])
	}
}

// TestNotificationsSurviveACrashBetweenCommitAndPublish applies records the way an applier does
// right before dying (committed, never published), then checks the next applier publishes
// their notifications exactly once.
func TestNotificationsSurviveACrashBetweenCommitAndPublish(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			s, db := openBackend(t, b)
			srv, _ := newServer(t, s, cred)
			if r := post(t, srv.URL+streamer.Prefix, cred.Username, cred.Password, fixture(t, "v1_event.json")); r.status != 200 {
				t.Fatal(r.body)
			}
			if r := post(t, srv.URL+streamer.Prefix, cred.Username, cred.Password, fixture(t, "v1_usage.json")); r.status != 200 {
				t.Fatal(r.body)
			}
			// The "crashed" applier: its transaction commits, its process dies before publishing.
			res, err := s.ApplyStreamerBatch(context.Background(), 100, streamer.Plan)
			if err != nil || res.Records != 4 || len(res.Plan.Outbox) != 3 {
				t.Fatalf("apply = %d records, %d notifications, %v", res.Records, len(res.Plan.Outbox), err)
			}
			bs := bus.New(bus.Options{})
			var mu sync.Mutex
			var got []bus.Event
			bs.Subscribe(func(_ context.Context, e bus.Event) { mu.Lock(); got = append(got, e); mu.Unlock() })
			next := streamer.NewApplier(streamer.ApplierConfig{Store: s, Bus: bs, OutboxGrace: time.Nanosecond})
			time.Sleep(2 * time.Millisecond) // let the entries age past the (tiny) grace period
			n, err := next.RecoverOutbox(context.Background())
			if err != nil || n != 3 {
				t.Fatalf("recovered %d, %v; want 3", n, err)
			}
			if n, err := next.RecoverOutbox(context.Background()); err != nil || n != 0 {
				t.Fatalf("second recovery published %d, %v", n, err)
			}
			bs.Close()
			var usage, events int
			for _, e := range got {
				switch e := e.(type) {
				case bus.UsageRecorded:
					usage++
					if e.ICCID != "8988280666000000017" || e.TotalBytes != 157286 || e.SMSMO != 1 {
						t.Errorf("usage notification = %+v", e)
					}
				case bus.SIMEvent:
					events++
					if e.RecordID != "1200000042" && e.RecordID != "1200000043" {
						t.Errorf("event notification = %+v", e)
					}
					if e.RecordID == "1200000043" && (e.Online == nil || !*e.Online) {
						t.Errorf("PDP create should say online: %+v", e)
					}
				}
			}
			if usage != 1 || events != 2 {
				t.Fatalf("published %d usage and %d event notifications, want 1 and 2", usage, events)
			}
			if n := count(t, db, `SELECT count(*) FROM streamer_outbox`); n != 0 {
				t.Fatalf("%d notifications left in the outbox", n)
			}
		})
	}
}

// TestRunRecoversNotificationsOnStart: an applier started after a crash between commit and
// publish publishes the dead applier's notifications from Run, without being told to.
func TestRunRecoversNotificationsOnStart(t *testing.T) {
	s, _ := openBackend(t, "sqlite")
	srv, _ := newServer(t, s, cred)
	if r := post(t, srv.URL+streamer.Prefix+"/events", cred.Username, cred.Password, fixture(t, "v1_event.json")); r.status != 200 {
		t.Fatal(r.body)
	}
	if res, err := s.ApplyStreamerBatch(context.Background(), 100, streamer.Plan); err != nil || len(res.Plan.Outbox) != 2 {
		t.Fatalf("crashed apply: %d notifications, %v", len(res.Plan.Outbox), err)
	}
	time.Sleep(2 * time.Millisecond) // let the entries age past the (tiny) grace period
	bs := bus.New(bus.Options{})
	var mu sync.Mutex
	var got []bus.Event
	bs.Subscribe(func(_ context.Context, e bus.Event) { mu.Lock(); got = append(got, e); mu.Unlock() })
	a := streamer.NewApplier(streamer.ApplierConfig{Store: s, Bus: bs, OutboxGrace: time.Nanosecond, Idle: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run published %d recovered notifications, want 2", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	bs.Close()
	if len(got) != 2 {
		t.Fatalf("published %d notifications, want 2", len(got))
	}
}
