package fleetsync_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/fleetsync"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
	"github.com/oncefleet/oncefleet/once"
	"github.com/oncefleet/oncefleet/oncesim"
)

const (
	clientID     = "fleetsync-test"
	clientSecret = "fleetsync-secret-0123456789"
)

// epoch is the simulators' start: a fixed instant, so days and usage are the same every run.
var epoch = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

// world is a simulator over real loopback HTTP and a client for it.
type world struct {
	sim    *oncesim.Simulator
	clock  *oncesim.ManualClock
	url    string
	served atomic.Int64 // API requests the simulator answered (the token endpoint excluded)
}

// wallClock is real time: the simulator's rate limit refills only as its clock moves.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func newWorld(t *testing.T, opts oncesim.Options) *world {
	t.Helper()
	w := &world{clock: oncesim.NewManualClock(epoch)}
	opts.ClientID, opts.ClientSecret = clientID, clientSecret
	if opts.Clock == nil {
		opts.Clock = w.clock
	}
	opts.Seed = 11
	sim, err := oncesim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	w.sim = sim
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		sim.ServeHTTP(rw, r)
		if r.URL.Path != "/oauth/token" {
			w.served.Add(1)
		}
	}))
	t.Cleanup(func() { srv.Close(); sim.Close() })
	w.url = srv.URL
	return w
}

// client returns a 1NCE client for the simulator; without a budget unless opts set one.
func (w *world) client(t *testing.T, opts ...once.Option) *once.Client {
	t.Helper()
	c, err := once.New(clientID, clientSecret, append([]once.Option{once.WithBaseURL(w.url), once.WithRate(math.Inf(1), 0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// events collects what is published on a real bus.
type events struct {
	mu  sync.Mutex
	got []bus.Event
}

func newBus(t *testing.T) (*bus.Bus, *events) {
	b := bus.New(bus.Options{QueueSize: 100000})
	ev := &events{}
	b.Subscribe(func(_ context.Context, e bus.Event) {
		// Every quota reading is published for the alert rules; these tests count changes.
		if _, ok := e.(bus.QuotaObserved); ok {
			return
		}
		ev.mu.Lock()
		ev.got = append(ev.got, e)
		ev.mu.Unlock()
	})
	t.Cleanup(b.Close)
	return b, ev
}

// take closes nothing: it returns what arrived once the bus delivered count events (Publish
// enqueues; delivery runs on the subscriber's goroutine).
func (e *events) wait(t *testing.T, count int) []bus.Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		e.mu.Lock()
		n := len(e.got)
		out := append([]bus.Event(nil), e.got...)
		e.mu.Unlock()
		if n >= count {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d events, want %d: %+v", n, count, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type backend struct {
	name string
	open func(t *testing.T) storetest.SyncStore
}

var backends = []backend{
	{"sqlite", func(t *testing.T) storetest.SyncStore { return dbtest.NewSQLite(t) }},
	{"postgres", func(t *testing.T) storetest.SyncStore { return dbtest.NewPostgres(t) }},
}

func forEach(t *testing.T, fn func(t *testing.T, s storetest.SyncStore)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.open(t))
		})
	}
}

// TestSIMSyncMirrorsChangesAndGone: a change made in 1NCE (status and label, through a second
// client) appears in the mirror and as bus events after one sync, and a SIM 1NCE no longer
// has is marked gone, not deleted.
func TestSIMSyncMirrorsChangesAndGone(t *testing.T) {
	forEach(t, func(t *testing.T, s storetest.SyncStore) {
		ctx := t.Context()
		w := newWorld(t, oncesim.Options{Sims: 250, RateLimit: -1})
		b, ev := newBus(t)
		const stale = "8988280666999999999" // in the mirror, unknown to 1NCE
		if err := s.UpsertSIMs(ctx, []fleet.SIM{{ICCID: stale, Status: "Enabled"}}); err != nil {
			t.Fatal(err)
		}
		sync := &fleetsync.SIMSync{Store: s, Once: w.client(t), Bus: b, Batch: 100}
		res, err := sync.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Seen != 250 || res.New != 250 || res.Pages != 3 || res.Changed != 0 || res.Gone != 1 || res.Calls != 5 {
			t.Fatalf("first sync = %+v, want 250 new SIMs in 3 pages, 1 gone, 5 calls (token, 3 pages, 1 confirmation)", res)
		}
		first := ev.wait(t, 1)
		if e, ok := first[0].(bus.SIMChanged); !ok || e.ICCID != stale || e.Field != fleet.FieldGone || e.New != "gone" {
			t.Fatalf("first sync events = %+v", first)
		}
		gone, err := s.GetSIM(ctx, stale)
		if err != nil || gone.GoneAt.IsZero() {
			t.Fatalf("stale SIM = %+v, %v; want kept and marked gone", gone, err)
		}

		// Someone changes two SIMs in the 1NCE portal.
		iccids := w.sim.ICCIDs()
		a, c := iccids[7], iccids[123]
		disabled, label := once.SIMDisabled, "moved to depot"
		portal := w.client(t)
		if _, err := portal.UpdateSIM(ctx, once.SIMUpdate{ICCID: a, Status: disabled}); err != nil {
			t.Fatal(err)
		}
		if _, err := portal.UpdateSIM(ctx, once.SIMUpdate{ICCID: c, Label: &label}); err != nil {
			t.Fatal(err)
		}
		before, _ := s.GetSIM(ctx, c)
		res, err = sync.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Seen != 250 || res.New != 0 || res.Changed != 2 || res.Gone != 0 {
			t.Fatalf("second sync = %+v, want 2 changes", res)
		}
		got := ev.wait(t, 3)[1:]
		want := map[bus.SIMChanged]bool{
			{ICCID: a, Field: fleet.FieldStatus, Old: "Enabled", New: "Disabled"}:         true,
			{ICCID: c, Field: fleet.FieldLabel, Old: before.Label, New: "moved to depot"}: true,
		}
		for _, e := range got {
			sc, ok := e.(bus.SIMChanged)
			sc.At = time.Time{}
			if !ok || !want[sc] {
				t.Fatalf("second sync events = %+v, want %v", got, want)
			}
			delete(want, sc)
		}
		if sa, _ := s.GetSIM(ctx, a); sa.Status != "Disabled" {
			t.Fatalf("mirror status of %s = %q", a, sa.Status)
		}
		if sc, _ := s.GetSIM(ctx, c); sc.Label != "moved to depot" {
			t.Fatalf("mirror label of %s = %q", c, sc.Label)
		}
	})
}

// TestUsageFillSecondRunFetchesNothing: the gap-fill reads each SIM's open and settled days
// once; a second run at the same simulated time makes no call.
func TestUsageFillSecondRunFetchesNothing(t *testing.T) {
	forEach(t, func(t *testing.T, s storetest.SyncStore) {
		ctx := t.Context()
		w := newWorld(t, oncesim.Options{Sims: 40, RateLimit: -1})
		w.sim.Advance(5 * 24 * time.Hour)
		c := w.client(t)
		if _, err := (&fleetsync.SIMSync{Store: s, Once: c}).Run(ctx); err != nil {
			t.Fatal(err)
		}
		fill := &fleetsync.UsageFill{Store: s, Once: c, Now: w.clock.Now, Lookback: 10 * 24 * time.Hour}
		res, err := fill.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.SIMs != 40 || res.Calls != 40 || res.Errors != 0 || res.Rows == 0 || res.Skipped != "" {
			t.Fatalf("first run = %+v, want one call per SIM", res)
		}
		// The stored days equal what 1NCE reports, and settled days are final.
		iccid := w.sim.ICCIDs()[3]
		today := fleet.Day(w.clock.Now())
		api, err := c.Usage(ctx, once.UsageParams{ICCID: iccid, Start: today.AddDate(0, 0, -5), End: today})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.ListUsage(ctx, iccid, today.AddDate(0, 0, -5), today)
		if err != nil {
			t.Fatal(err)
		}
		byDay := map[time.Time]fleet.Usage{}
		for _, u := range stored {
			byDay[u.Day] = u
		}
		for _, d := range api {
			u, ok := byDay[fleet.Day(d.Date)]
			if d.DataBytes == 0 && d.SMSMO+d.SMSMT == 0 {
				continue
			}
			if !ok || u.VolumeTotal != d.DataBytes || u.SMSMO != d.SMSMO || u.Source != fleet.UsageFromAPI ||
				u.Final != !fleet.Day(d.Date).After(today.AddDate(0, 0, -3)) {
				t.Fatalf("day %v: stored %+v, 1NCE %+v", d.Date, u, d)
			}
		}
		res, err = fill.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Calls != 0 || res.SIMs != 0 || res.Rows != 0 {
			t.Fatalf("second run = %+v, want nothing fetched", res)
		}
	})
}

// TestUsageFillSkipsV2OnlyAccount: on an account without v1 the gap-fill stops after the first
// answer and says so; the next run makes no call at all.
func TestUsageFillSkipsV2OnlyAccount(t *testing.T) {
	s := dbtest.NewSQLite(t)
	ctx := t.Context()
	w := newWorld(t, oncesim.Options{Sims: 20, RateLimit: -1, Mode: oncesim.ModeV2Only})
	c := w.client(t)
	if _, err := (&fleetsync.SIMSync{Store: s, Once: c}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	fill := &fleetsync.UsageFill{Store: s, Once: c, Now: w.clock.Now}
	for run := 1; run <= 2; run++ {
		res, err := fill.Run(ctx)
		if err != nil || res.Skipped == "" || res.Errors != 0 || res.SIMs != 0 {
			t.Fatalf("run %d = %+v, %v; want skipped without errors", run, res, err)
		}
		if want := map[int]int{1: 1, 2: 0}[run]; res.Calls != want {
			t.Fatalf("run %d made %d calls, want %d", run, res.Calls, want)
		}
	}
}

// TestQuotaCrossingPublishedOnce: a quota that falls past a threshold between two checks
// publishes one event; checking again publishes nothing.
func TestQuotaCrossingPublishedOnce(t *testing.T) {
	forEach(t, func(t *testing.T, s storetest.SyncStore) {
		ctx := t.Context()
		w := newWorld(t, oncesim.Options{Sims: 30, RateLimit: -1})
		b, ev := newBus(t)
		c := w.client(t)
		if _, err := (&fleetsync.SIMSync{Store: s, Once: c}).Run(ctx); err != nil {
			t.Fatal(err)
		}
		// A steady SIM: it uses data every day.
		var iccid string
		for _, id := range w.sim.ICCIDs() {
			if st, _ := w.sim.SIM(id); st.Profile == "steady" && st.Status == "Enabled" {
				iccid = id
				break
			}
		}
		if iccid == "" {
			t.Fatal("no steady SIM in the fleet")
		}
		pct := func() float64 {
			st, _ := w.sim.SIM(iccid)
			return st.Data.Remaining * 100 / st.Data.Total
		}
		w.sim.Advance(24 * time.Hour)
		check := &fleetsync.QuotaCheck{Store: s, Once: c, Bus: b, Thresholds: []int{}, MaxSIMs: 100, Now: w.clock.Now}
		if _, err := check.Run(ctx); err != nil {
			t.Fatal(err)
		}
		// Put a threshold of the SIM's own just below its share left, and let usage pass it.
		threshold := int(math.Ceil(pct())) - 1
		for day := 0; pct() > float64(threshold); day++ {
			if day > 400 {
				t.Fatalf("quota of %s did not fall to %d %% (%.3f %%)", iccid, threshold, pct())
			}
			w.sim.Advance(24 * time.Hour)
		}
		if err := s.SetQuotaThresholds(ctx, iccid, fleet.QuotaData, []int{threshold}); err != nil {
			t.Fatal(err)
		}
		check.Interval = time.Nanosecond // check every SIM again at once
		res, err := check.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Crossings != 1 {
			t.Fatalf("second check = %+v, want 1 crossing", res)
		}
		got := ev.wait(t, 1)
		e, ok := got[0].(bus.QuotaThresholdCrossed)
		if len(got) != 1 || !ok || e.ICCID != iccid || e.Quota != "data" || e.Threshold != threshold || e.Direction != bus.CrossedDown ||
			e.RemainingPct > float64(threshold) {
			t.Fatalf("events = %+v, want one crossing of %d %% for %s", got, threshold, iccid)
		}
		res, err = check.Run(ctx)
		if err != nil || res.Crossings != 0 {
			t.Fatalf("third check = %+v, %v; want no crossing", res, err)
		}
		if got := ev.wait(t, 1); len(got) != 1 {
			t.Fatalf("events after the third check = %+v", got)
		}
	})
}

// TestInteractiveCallWaitsAtMostOneSlot: while a full sync runs through the client against the
// simulator at its real 10 requests/s, an interactive call through the same client waits for
// at most one background budget grant (counted with the BudgetWait hook, not timed).
func TestInteractiveCallWaitsAtMostOneSlot(t *testing.T) {
	s := dbtest.NewSQLite(t)
	w := newWorld(t, oncesim.Options{Sims: 3000, Clock: wallClock{}}) // 30 pages: about 3 s at 10/s
	var background atomic.Int64                                       // grants to background work so far
	var mu sync.Mutex
	var grantedAt []int64 // background grants counted when each interactive call got its turn
	hooks := once.Hooks{BudgetWait: func(p once.Priority, _ time.Duration) {
		if p == once.PriorityInteractive {
			mu.Lock()
			grantedAt = append(grantedAt, background.Load())
			mu.Unlock()
			return
		}
		background.Add(1)
	}}
	c := w.client(t, once.WithRate(once.DefaultRate, once.DefaultBurst), once.WithHooks(hooks))
	ctx := t.Context()
	// Warm the token so the interactive calls measure the budget only.
	if _, err := c.GetSIM(ctx, w.sim.ICCIDs()[0]); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := (&fleetsync.SIMSync{Store: s, Once: c, Concurrency: 8}).Run(context.Background())
		done <- err
	}()
	var waited []int64
	for i := 0; i < 8; i++ {
		// Wait until the sync has queued work again (a few more background grants).
		for start := background.Load(); background.Load() < start+2; {
			time.Sleep(time.Millisecond)
		}
		mu.Lock()
		n := len(grantedAt)
		mu.Unlock()
		before := background.Load()
		if _, err := c.GetSIM(ctx, w.sim.ICCIDs()[i*100]); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		waited = append(waited, grantedAt[n]-before)
		mu.Unlock()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i, n := range waited {
		if n > 1 {
			t.Fatalf("interactive call %d waited for %d background grants (all: %v), want at most 1", i, n, waited)
		}
	}
	if got := w.served.Load(); got < 31 {
		t.Fatalf("simulator served %d requests; the sync did not run alongside", got)
	}
	t.Logf("background grants waited per interactive call: %v", waited)
}

// TestConnectivityTransitionsPublished: snapshots publish ConnectivityLost when a SIM that was
// connected is not any more (here: disabled in the portal, so the network blocks it) and
// ConnectivityRestored when it is back; a SIM's first snapshot and unchanged ones publish
// nothing.
func TestConnectivityTransitionsPublished(t *testing.T) {
	forEach(t, func(t *testing.T, s storetest.SyncStore) {
		ctx := t.Context()
		w := newWorld(t, oncesim.Options{Sims: 20, RateLimit: -1})
		b, ev := newBus(t)
		c := w.client(t)
		if _, err := (&fleetsync.SIMSync{Store: s, Once: c}).Run(ctx); err != nil {
			t.Fatal(err)
		}
		var iccid string
		for _, id := range w.sim.ICCIDs() {
			if st, _ := w.sim.SIM(id); st.Status == "Enabled" && (st.Connectivity == "ONLINE" || st.Connectivity == "ATTACHED") {
				iccid = id
				break
			}
		}
		if iccid == "" {
			t.Fatal("no connected SIM in the fleet")
		}
		check := &fleetsync.ConnectivityCheck{Store: s, Once: c, Bus: b, Now: w.clock.Now}
		step := func(want int) fleetsync.ConnectivityResult {
			t.Helper()
			w.clock.Advance(time.Minute) // snapshots are ordered by time
			res, err := check.Run(ctx)
			// Other SIMs of the fleet may come and go while the simulator moves on hours.
			if n := res.Lost + res.Restored; err != nil || res.SIMs != 20 || n < want || (want == 0 && n != 0) {
				t.Fatalf("check = %+v, %v; want 20 SIMs read, %d transitions", res, err, want)
			}
			return res
		}
		step(0) // first snapshots
		step(0) // nothing changed
		if _, err := c.UpdateSIM(ctx, once.SIMUpdate{ICCID: iccid, Status: once.SIMDisabled}); err != nil {
			t.Fatal(err)
		}
		if res := step(1); res.Lost < 1 {
			t.Fatalf("after disabling: %+v", res)
		}
		if _, err := c.UpdateSIM(ctx, once.SIMUpdate{ICCID: iccid, Status: once.SIMEnabled}); err != nil {
			t.Fatal(err)
		}
		// Enabled again, the device attaches when it next becomes active.
		for hours := 0; ; hours++ {
			if st, _ := w.sim.SIM(iccid); st.Connectivity == "ONLINE" || st.Connectivity == "ATTACHED" {
				break
			}
			if hours > 24*30 {
				t.Fatalf("%s did not reattach within 30 simulated days", iccid)
			}
			w.sim.Advance(time.Hour)
		}
		if res := step(1); res.Restored < 1 {
			t.Fatalf("after enabling: %+v", res)
		}
		var mine []bus.Event
		for n := 2; len(mine) < 2; n++ { // the bus delivers on its own goroutine
			mine = mine[:0]
			for _, e := range ev.wait(t, n) {
				switch e := e.(type) {
				case bus.ConnectivityLost:
					if e.ICCID == iccid {
						mine = append(mine, e)
					}
				case bus.ConnectivityRestored:
					if e.ICCID == iccid {
						mine = append(mine, e)
					}
				}
			}
		}
		lost, ok1 := mine[0].(bus.ConnectivityLost)
		_, ok2 := mine[len(mine)-1].(bus.ConnectivityRestored)
		if len(mine) != 2 || !ok1 || !ok2 || lost.Since.IsZero() {
			t.Fatalf("events of %s = %+v, want lost then restored", iccid, mine)
		}
	})
}
