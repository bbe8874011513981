package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// AlertDeliveryStore is what the alert engine and API add to a store: channels, deliveries
// (the dead-letter list), manual resolution and the periodic rules' set-based queries.
type AlertDeliveryStore interface {
	CreateAlertChannel(ctx context.Context, c *fleet.AlertChannel) error
	AlertChannelByID(ctx context.Context, id string) (*fleet.AlertChannel, error)
	ListAlertChannels(ctx context.Context) ([]fleet.AlertChannel, error)
	UpdateAlertChannel(ctx context.Context, c *fleet.AlertChannel) error
	DeleteAlertChannel(ctx context.Context, id string) error

	InsertAlertDelivery(ctx context.Context, d *fleet.AlertDelivery) error
	FinishAlertDelivery(ctx context.Context, id int64, state fleet.DeliveryState, attempts int, lastErr string) error
	AlertDeliveryByID(ctx context.Context, id int64) (*fleet.AlertDelivery, error)
	ListAlertDeliveries(ctx context.Context, f fleet.AlertDeliveryFilter) ([]fleet.AlertDelivery, int, error)
	DeleteSentAlertDeliveriesBefore(ctx context.Context, before time.Time) (int, error)

	InsertAlert(ctx context.Context, a *fleet.Alert, cooldown time.Duration) (bool, error)
	InsertAlerts(ctx context.Context, as []*fleet.Alert, cooldowns []time.Duration) ([]bool, error)
	AlertByID(ctx context.Context, id int64) (*fleet.Alert, error)
	ListAlerts(ctx context.Context, f fleet.AlertFilter) ([]fleet.Alert, int, error)
	AcknowledgeAlert(ctx context.Context, id int64, by string, at time.Time) error
	ResolveAlertBy(ctx context.Context, id int64, by string, at time.Time) error
	ResolveOpenAlerts(ctx context.Context, keys []string, at time.Time) ([]string, error)

	UpsertSIMs(ctx context.Context, sims []fleet.SIM) error
	UpsertUsage(ctx context.Context, rows []fleet.Usage) error
	UpsertQuotas(ctx context.Context, qs []fleet.Quota) error
	QuotaForecastHits(ctx context.Context, since time.Time, days int, within time.Duration, limit int) ([]fleet.ForecastHit, error)
	SilentSIMs(ctx context.Context, before time.Time, limit int) ([]fleet.SilentSIM, error)
}

// RunAlertDelivery runs the conformance suite for AlertDeliveryStore on fresh stores.
func RunAlertDelivery(t *testing.T, newStore func(t *testing.T) AlertDeliveryStore) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s AlertDeliveryStore)
	}{
		{"Channels", testAlertChannels},
		{"Deliveries", testAlertDeliveries},
		{"ResolveBy", testAlertResolveBy},
		{"ResolveOpen", testResolveOpenAlerts},
		{"InsertBatch", testInsertAlerts},
		{"Forecast", testQuotaForecast},
		{"SilentSIMs", testSilentSIMs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func testAlertChannels(t *testing.T, s AlertDeliveryStore) {
	ctx := context.Background()
	c := &fleet.AlertChannel{Name: "hook", Type: fleet.ChannelWebhook, Config: []byte(`{"url":"http://x","secret":"s"}`)}
	if err := s.CreateAlertChannel(ctx, c); err != nil || c.ID == "" || c.Created.IsZero() {
		t.Fatalf("create: %v %+v", err, c)
	}
	if err := s.CreateAlertChannel(ctx, &fleet.AlertChannel{Name: "x", Type: "pigeon"}); !errors.Is(err, fleet.ErrInvalid) {
		t.Fatalf("bad type: %v", err)
	}
	got, err := s.AlertChannelByID(ctx, c.ID)
	if err != nil || got.Name != "hook" || got.Type != fleet.ChannelWebhook || !sameJSON(t, got.Config, c.Config) {
		t.Fatalf("get: %v %+v", err, got)
	}
	c.Name = "renamed"
	if err := s.UpdateAlertChannel(ctx, c); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListAlertChannels(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "renamed" {
		t.Fatalf("list: %v %+v", err, list)
	}
	if err := s.UpdateAlertChannel(ctx, &fleet.AlertChannel{ID: "nope", Name: "x", Type: fleet.ChannelSlack}); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
	if err := s.DeleteAlertChannel(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AlertChannelByID(ctx, c.ID); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.DeleteAlertChannel(ctx, c.ID); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func testAlertDeliveries(t *testing.T, s AlertDeliveryStore) {
	ctx := context.Background()
	var ids []int64
	for i := range 3 {
		d := &fleet.AlertDelivery{ChannelID: "ch", RuleID: "r", Event: "fired", AlertIDs: []int64{int64(i), 7}, Payload: []byte(`{"event":"fired"}`)}
		if err := s.InsertAlertDelivery(ctx, d); err != nil || d.ID == 0 || d.State != fleet.DeliveryPending {
			t.Fatalf("insert: %v %+v", err, d)
		}
		ids = append(ids, d.ID)
	}
	if err := s.FinishAlertDelivery(ctx, ids[0], fleet.DeliveryDead, 5, "channel answered 503"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishAlertDelivery(ctx, ids[1], fleet.DeliverySent, 1, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishAlertDelivery(ctx, 999999, fleet.DeliverySent, 1, ""); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("finish missing: %v", err)
	}
	dead, n, err := s.ListAlertDeliveries(ctx, fleet.AlertDeliveryFilter{State: fleet.DeliveryDead})
	if err != nil || n != 1 || len(dead) != 1 || dead[0].ID != ids[0] || dead[0].Attempts != 5 || dead[0].LastError != "channel answered 503" ||
		len(dead[0].AlertIDs) != 2 || dead[0].AlertIDs[1] != 7 {
		t.Fatalf("dead: %v %d %+v", err, n, dead)
	}
	all, n, err := s.ListAlertDeliveries(ctx, fleet.AlertDeliveryFilter{ChannelID: "ch", Limit: 2})
	if err != nil || n != 3 || len(all) != 2 || all[0].ID != ids[2] {
		t.Fatalf("page: %v %d %+v", err, n, all)
	}
	d, err := s.AlertDeliveryByID(ctx, ids[1])
	if err != nil || d.State != fleet.DeliverySent || !sameJSON(t, d.Payload, []byte(`{"event":"fired"}`)) {
		t.Fatalf("get: %v %+v", err, d)
	}
	if _, err := s.AlertDeliveryByID(ctx, 999999); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	// Retention takes the sent one; the dead letter and the pending one stay.
	if n, err := s.DeleteSentAlertDeliveriesBefore(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("retention: %d %v", n, err)
	}
	if _, n, _ := s.ListAlertDeliveries(ctx, fleet.AlertDeliveryFilter{}); n != 2 {
		t.Fatalf("%d deliveries after retention", n)
	}
}

func testAlertResolveBy(t *testing.T, s AlertDeliveryStore) {
	ctx := context.Background()
	a := &fleet.Alert{Kind: fleet.AlertConnectivityLost, ICCID: "89000000000000000001", DedupKey: "r/1"}
	if _, err := s.InsertAlert(ctx, a, time.Hour); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	if err := s.AcknowledgeAlert(ctx, a.ID, "ann@example.com", at); err != nil {
		t.Fatal(err)
	}
	acked, n, err := s.ListAlerts(ctx, fleet.AlertFilter{OpenOnly: true, Acknowledged: true})
	if err != nil || n != 1 || len(acked) != 1 {
		t.Fatalf("acknowledged: %v %d", err, n)
	}
	if err := s.ResolveAlertBy(ctx, a.ID, "bob@example.com", at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.ResolveAlertBy(ctx, a.ID, "carol@example.com", at.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := s.AlertByID(ctx, a.ID)
	if err != nil || got.ResolvedBy != "bob@example.com" || got.ResolvedAt == nil || !got.ResolvedAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("resolved: %v %+v", err, got)
	}
	res, n, err := s.ListAlerts(ctx, fleet.AlertFilter{ResolvedOnly: true})
	if err != nil || n != 1 || len(res) != 1 {
		t.Fatalf("resolved list: %v %d", err, n)
	}
	if err := s.ResolveAlertBy(ctx, 999999, "x", at); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("resolve missing: %v", err)
	}
}

func testQuotaForecast(t *testing.T, s AlertDeliveryStore) {
	ctx := context.Background()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	const mb = 1 << 20
	// fast uses 10 MB a day with 20 MB left (2 days); slow uses 1 MB a day with 100 MB left;
	// idle used nothing; nobody has no quota row.
	var usage []fleet.Usage
	for d := 1; d <= 7; d++ {
		day := today.AddDate(0, 0, -d)
		usage = append(usage, fleet.Usage{ICCID: "fast", Day: day, VolumeTotal: 10 * mb, Source: fleet.UsageFromAPI}, fleet.Usage{ICCID: "slow", Day: day, VolumeTotal: mb, Source: fleet.UsageFromAPI},
			fleet.Usage{ICCID: "nobody", Day: day, VolumeTotal: 100 * mb, Source: fleet.UsageFromAPI})
	}
	if err := s.UpsertUsage(ctx, usage); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := s.UpsertQuotas(ctx, []fleet.Quota{{ICCID: "fast", Kind: fleet.QuotaData, Volume: 20 * mb, TotalVolume: 500 * mb, UpdatedAt: now},
		{ICCID: "slow", Kind: fleet.QuotaData, Volume: 100 * mb, TotalVolume: 500 * mb, UpdatedAt: now},
		{ICCID: "idle", Kind: fleet.QuotaData, Volume: mb, TotalVolume: 500 * mb, UpdatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	// The hit carries the SIM's label for label-scoped rules ("" when the mirror lacks the SIM).
	hits, err := s.QuotaForecastHits(ctx, today.AddDate(0, 0, -7), 7, 5*24*time.Hour, 100)
	if err != nil || len(hits) != 1 || hits[0].ICCID != "fast" || hits[0].Remaining != 20*mb || hits[0].Used != 70*mb || hits[0].Label != "" {
		t.Fatalf("within 5 days: %v %+v", err, hits)
	}
	hits, err = s.QuotaForecastHits(ctx, today.AddDate(0, 0, -7), 7, 200*24*time.Hour, 100)
	if err != nil || len(hits) != 2 {
		t.Fatalf("within 200 days: %v %+v", err, hits)
	}
}

func testSilentSIMs(t *testing.T, s AlertDeliveryStore) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	if err := s.UpsertSIMs(ctx, []fleet.SIM{{ICCID: "89000000000000000001", Status: "Enabled", Label: "pump-1", LastSeenAt: now.Add(-48 * time.Hour)},
		{ICCID: "89000000000000000002", Status: "Enabled", LastSeenAt: now.Add(-time.Hour)},
		{ICCID: "89000000000000000003", Status: "Enabled"}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.SilentSIMs(ctx, now.Add(-24*time.Hour), 10)
	if err != nil || len(got) != 1 || got[0].ICCID != "89000000000000000001" || got[0].Label != "pump-1" || !got[0].LastSeen.Equal(now.Add(-48*time.Hour)) {
		t.Fatalf("silent: %v %+v", err, got)
	}
}

func testResolveOpenAlerts(t *testing.T, s AlertDeliveryStore) {
	ctx := context.Background()
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for i, key := range []string{"r/1", "r/1", "r/2", "q/1"} {
		// Two alerts share r/1 (the second after the cool-down): both resolve, the key once.
		a := &fleet.Alert{Kind: fleet.AlertQuotaBelow, ICCID: "1", DedupKey: key, FiredAt: at.Add(time.Duration(i) * time.Hour)}
		if ok, err := s.InsertAlert(ctx, a, time.Minute); err != nil || !ok {
			t.Fatalf("insert %s: %v %v", key, ok, err)
		}
	}
	got, err := s.ResolveOpenAlerts(ctx, []string{"r/1", "r/2", "r/3", "r/1"}, at.Add(5*time.Hour))
	if err != nil || !slices.Equal(got, []string{"r/1", "r/2"}) {
		t.Fatalf("resolved %v, %v", got, err)
	}
	if got, err := s.ResolveOpenAlerts(ctx, []string{"r/1", "r/2"}, at.Add(6*time.Hour)); err != nil || len(got) != 0 {
		t.Fatalf("resolved again %v, %v", got, err)
	}
	if got, err := s.ResolveOpenAlerts(ctx, nil, at); err != nil || len(got) != 0 {
		t.Fatalf("no keys: %v, %v", got, err)
	}
	open, n, err := s.ListAlerts(ctx, fleet.AlertFilter{OpenOnly: true})
	if err != nil || n != 1 || open[0].DedupKey != "q/1" {
		t.Fatalf("open %+v %d %v", open, n, err)
	}
}

func testInsertAlerts(t *testing.T, s AlertDeliveryStore) {
	ctx := context.Background()
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	if ok, err := s.InsertAlert(ctx, &fleet.Alert{Kind: fleet.AlertQuotaBelow, DedupKey: "a/1", FiredAt: at}, time.Hour); err != nil || !ok {
		t.Fatal(ok, err)
	}
	mk := func(key string, min int) *fleet.Alert {
		return &fleet.Alert{Kind: fleet.AlertQuotaBelow, ICCID: "1", DedupKey: key, FiredAt: at.Add(time.Duration(min) * time.Minute)}
	}
	// a/1 is within its cool-down, b/1 is new, b/1 again in the same batch is a repeat, c/1 is
	// new with no cool-down.
	as := []*fleet.Alert{mk("a/1", 30), mk("b/1", 30), mk("b/1", 31), mk("c/1", 30)}
	got, err := s.InsertAlerts(ctx, as, []time.Duration{time.Hour, time.Hour, time.Hour, 0})
	if err != nil || !slices.Equal(got, []bool{false, true, false, true}) || as[1].ID == 0 || as[3].ID == 0 {
		t.Fatalf("inserted %v, %v (%+v)", got, err, as)
	}
	// After a's cool-down it is raised again.
	got, err = s.InsertAlerts(ctx, []*fleet.Alert{mk("a/1", 61)}, []time.Duration{time.Hour})
	if err != nil || !slices.Equal(got, []bool{true}) {
		t.Fatalf("after the cool-down %v, %v", got, err)
	}
	if _, n, _ := s.ListAlerts(ctx, fleet.AlertFilter{}); n != 4 {
		t.Fatalf("%d alerts stored", n)
	}
	if got, err := s.InsertAlerts(ctx, nil, nil); err != nil || len(got) != 0 {
		t.Fatalf("empty batch %v %v", got, err)
	}
	if _, err := s.InsertAlerts(ctx, []*fleet.Alert{{Kind: "bogus", DedupKey: "x"}}, []time.Duration{0}); !errors.Is(err, fleet.ErrInvalid) {
		t.Fatalf("bad alert: %v", err)
	}
}
