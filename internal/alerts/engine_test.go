package alerts_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/alerts"
	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/sqlite"
	"github.com/oncefleet/oncefleet/once"
)

// sink is a webhook receiver that keeps verified payloads.
type sink struct {
	mu  sync.Mutex
	got []alerts.Payload
	srv *httptest.Server
}

const secret = "engine-test-secret-0123"

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if alerts.VerifySignature([]byte(secret), r.Header.Get(alerts.SignatureHeader), body, time.Now(), time.Minute) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p alerts.Payload
		_ = json.Unmarshal(body, &p)
		s.mu.Lock()
		s.got = append(s.got, p)
		s.mu.Unlock()
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) payloads() []alerts.Payload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]alerts.Payload(nil), s.got...)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type env struct {
	st   *sqlite.Store
	e    *alerts.Engine
	sink *sink
	ch   string
	now  time.Time
}

func newEnv(t *testing.T) *env {
	st := dbtest.NewSQLite(t)
	ev := &env{st: st, sink: newSink(t), now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
	e, err := alerts.New(alerts.Options{Store: st, GroupQuiet: 50 * time.Millisecond, Backoff: time.Millisecond, Attempts: 2,
		Now: func() time.Time { return ev.now }})
	if err != nil {
		t.Fatal(err)
	}
	ev.e = e
	cfg, _ := json.Marshal(alerts.WebhookConfig{URL: ev.sink.srv.URL, Secret: secret})
	c := &fleet.AlertChannel{Name: "hook", Type: fleet.ChannelWebhook, Config: cfg}
	if err := st.CreateAlertChannel(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	ev.ch = c.ID
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ev
}

func (ev *env) rule(t *testing.T, kind fleet.AlertKind, params string) string {
	t.Helper()
	r := &fleet.AlertRule{Name: string(kind), Kind: kind, Params: json.RawMessage(params), Channels: json.RawMessage(`["` + ev.ch + `"]`),
		Cooldown: time.Hour, Enabled: true}
	if err := ev.st.CreateAlertRule(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if err := ev.e.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func TestForecastAndNoSessionRunAsSetQueries(t *testing.T) {
	ev := newEnv(t)
	ctx := context.Background()
	day := ev.now.Truncate(24 * time.Hour)
	const mb = 1 << 20
	var usage []fleet.Usage
	for d := 1; d <= 7; d++ {
		usage = append(usage, fleet.Usage{ICCID: "89000000000000000001", Day: day.AddDate(0, 0, -d), VolumeTotal: 10 * mb, Source: fleet.UsageFromAPI},
			fleet.Usage{ICCID: "89000000000000000002", Day: day.AddDate(0, 0, -d), VolumeTotal: mb, Source: fleet.UsageFromAPI})
	}
	if err := ev.st.UpsertUsage(ctx, usage); err != nil {
		t.Fatal(err)
	}
	if err := ev.st.UpsertQuotas(ctx, []fleet.Quota{{ICCID: "89000000000000000001", Kind: fleet.QuotaData, Volume: 20 * mb, TotalVolume: 500 * mb, UpdatedAt: ev.now},
		{ICCID: "89000000000000000002", Kind: fleet.QuotaData, Volume: 400 * mb, TotalVolume: 500 * mb, UpdatedAt: ev.now}}); err != nil {
		t.Fatal(err)
	}
	if err := ev.st.UpsertSIMs(ctx, []fleet.SIM{{ICCID: "89000000000000000003", Status: "Enabled", Label: "pump-3", LastSeenAt: ev.now.Add(-30 * time.Hour)},
		{ICCID: "89000000000000000004", Status: "Enabled", Label: "meter-4", LastSeenAt: ev.now.Add(-30 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	forecast := ev.rule(t, fleet.AlertQuotaForecast, `{"within_days": 3}`)
	silent := ev.rule(t, fleet.AlertNoSession, `{"hours": 24, "scope": {"label": "meter-*"}}`)
	rep, err := ev.e.RunPeriodic(ctx)
	if err != nil || rep.Items != 2 {
		t.Fatalf("run: %v %+v", err, rep)
	}
	waitFor(t, "two messages", func() bool { return len(ev.sink.payloads()) == 2 })
	open := openAlerts(t, ev, fleet.AlertFilter{OpenOnly: true})
	byRule := map[string]string{}
	for _, a := range open {
		byRule[a.RuleID] = a.ICCID
	}
	if len(open) != 2 || byRule[forecast] != "89000000000000000001" || byRule[silent] != "89000000000000000004" {
		t.Fatalf("open alerts %+v", open)
	}
	// A second run changes nothing; once the SIM is seen again the next run resolves it.
	if _, err := ev.e.RunPeriodic(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ev.st.UpsertSIMs(ctx, []fleet.SIM{{ICCID: "89000000000000000004", Status: "Enabled", Label: "meter-4", LastSeenAt: ev.now}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ev.e.RunPeriodic(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the resolved notice", func() bool { return len(ev.sink.payloads()) == 3 })
	if p := ev.sink.payloads()[2]; p.Event != "resolved" || p.Rule.ID != silent {
		t.Fatalf("third message %+v", p)
	}
}

func TestEventRulesSpikeStatusSyncStream(t *testing.T) {
	ev := newEnv(t)
	ctx := context.Background()
	spike := ev.rule(t, fleet.AlertUsageSpike, `{"factor": 3, "baseline_days": 7}`)
	status := ev.rule(t, fleet.AlertStatusChanged, `{"to": "Disabled"}`)
	syncing := ev.rule(t, fleet.AlertSyncFailing, `{"job": "sync_sims", "failures": 2}`)
	stream := ev.rule(t, fleet.AlertStreamSilent, `{}`)
	country := ev.rule(t, fleet.AlertSIMFieldChanged, `{"field": "country"}`)
	day := ev.now.Truncate(24 * time.Hour)
	var usage []fleet.Usage
	for d := 1; d <= 7; d++ {
		usage = append(usage, fleet.Usage{ICCID: "89000000000000000001", Day: day.AddDate(0, 0, -d), VolumeTotal: int64(1000 + d*10), Source: fleet.UsageFromAPI})
	}
	usage = append(usage, fleet.Usage{ICCID: "89000000000000000001", Day: day, VolumeTotal: 50_000, Source: fleet.UsageFromAPI})
	if err := ev.st.UpsertUsage(ctx, usage); err != nil {
		t.Fatal(err)
	}
	ev.e.OnEvent(ctx, bus.UsageRecorded{ICCID: "89000000000000000001", Day: day, TotalBytes: 100})
	ev.e.OnEvent(ctx, bus.SIMChanged{ICCID: "89000000000000000002", Field: "status", Old: "Enabled", New: "Enabled"})
	ev.e.OnEvent(ctx, bus.SIMChanged{ICCID: "89000000000000000002", Field: "status", Old: "Enabled", New: "Disabled"})
	ev.e.OnEvent(ctx, bus.SyncFailed{Job: "sync_sims", Attempt: 1})
	ev.e.OnEvent(ctx, bus.SyncFailed{Job: "sync_sims", Attempt: 2})
	ev.e.OnEvent(ctx, bus.StreamSilent{Stream: "usage", Silence: time.Hour})
	ev.e.OnEvent(ctx, bus.SIMEvent{ICCID: "89000000000000000003", Country: "Germany"})
	ev.e.OnEvent(ctx, bus.SIMEvent{ICCID: "89000000000000000003", Country: "Austria"})
	open := openAlerts(t, ev, fleet.AlertFilter{OpenOnly: true})
	rules := map[string]int{}
	for _, a := range open {
		rules[a.RuleID]++
	}
	for _, id := range []string{spike, status, syncing, stream, country} {
		if rules[id] != 1 {
			t.Fatalf("rule %s raised %d alerts; all: %+v", id, rules[id], open)
		}
	}
	ev.e.OnEvent(ctx, bus.StreamResumed{Stream: "usage"})
	open = openAlerts(t, ev, fleet.AlertFilter{OpenOnly: true, RuleID: stream})
	if len(open) != 0 {
		t.Fatalf("stream alert still open: %+v", open)
	}
	ev.e.OnEvent(ctx, bus.JobSucceeded{Job: "sync_usage"}) // another job: sync_sims still failing
	if open = openAlerts(t, ev, fleet.AlertFilter{OpenOnly: true, RuleID: syncing}); len(open) != 1 {
		t.Fatalf("sync alert after another job's success: %+v", open)
	}
	ev.e.OnEvent(ctx, bus.JobSucceeded{Job: "sync_sims"})
	if open = openAlerts(t, ev, fleet.AlertFilter{OpenOnly: true, RuleID: syncing}); len(open) != 0 {
		t.Fatalf("sync alert after its success: %+v", open)
	}
	waitFor(t, "seven messages (five fired, two resolved)", func() bool { return len(ev.sink.payloads()) == 7 })
}

func TestUpstreamErrorRate(t *testing.T) {
	ev := newEnv(t)
	ctx := context.Background()
	rule := ev.rule(t, fleet.AlertUpstreamErrors, `{"error_pct": 25, "min_requests": 8}`)
	for i := range 10 {
		status := 200
		if i%3 == 0 {
			status = 429
		}
		ev.e.ObserveUpstream(once.RequestInfo{Status: status})
	}
	if _, err := ev.e.RunPeriodic(ctx); err != nil {
		t.Fatal(err)
	}
	open := openAlerts(t, ev, fleet.AlertFilter{OpenOnly: true, RuleID: rule})
	if len(open) != 1 || open[0].ICCID != "" {
		t.Fatalf("4 of 10 answers failed: %+v", open)
	}
	// The window moves on: the old minutes no longer count and the alert resolves.
	ev.now = ev.now.Add(10 * time.Minute)
	if _, err := ev.e.RunPeriodic(ctx); err != nil {
		t.Fatal(err)
	}
	open = openAlerts(t, ev, fleet.AlertFilter{OpenOnly: true, RuleID: rule})
	if len(open) != 0 {
		t.Fatalf("still open: %+v", open)
	}
}

func TestInterruptedDeliveriesBecomeDeadLetters(t *testing.T) {
	st := dbtest.NewSQLite(t)
	ctx := context.Background()
	d := &fleet.AlertDelivery{ChannelID: "gone", Event: "fired", Payload: []byte(`{}`)}
	if err := st.InsertAlertDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(3 * time.Hour)
	e, err := alerts.New(alerts.Options{Store: st, Now: func() time.Time { return later }})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = e.Run(runCtx); close(done) }()
	waitFor(t, "the sweep", func() bool {
		got, err := st.AlertDeliveryByID(ctx, d.ID)
		return err == nil && got.State == fleet.DeliveryDead
	})
	cancel()
	<-done
}

// openAlerts lists alerts, failing the test when the store cannot: an empty list must mean
// "none open", never "the query failed".
func openAlerts(t *testing.T, ev *env, f fleet.AlertFilter) []fleet.Alert {
	t.Helper()
	as, _, err := ev.st.ListAlerts(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	return as
}
