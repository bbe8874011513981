package storetest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// StreamerStore is the Data Streamer part of a backend.
type StreamerStore interface {
	SaveStreamerBatch(ctx context.Context, recs []record.Raw) (record.SaveResult, error)
	ApplyStreamerBatch(ctx context.Context, limit int, plan record.Planner) (record.Applied, error)
	StreamHealth(ctx context.Context) ([]record.StreamHealth, error)
	StreamerBacklog(ctx context.Context) (record.Backlog, error)
	DeleteStreamerOutbox(ctx context.Context, ids []int64) error
	ClaimStreamerOutbox(ctx context.Context, olderThan time.Duration, limit int, fn record.OutboxHandler) (int, error)
	PruneStreamerRecords(ctx context.Context, before time.Time) (int64, error)
}

// StreamerOpener returns a fresh, migrated, empty store and a database/sql handle on the same
// database, used only to read back what the store wrote.
type StreamerOpener func(t *testing.T) (StreamerStore, *sql.DB)

// TestStreamer runs the Data Streamer storage conformance tests.
func TestStreamer(t *testing.T, open StreamerOpener) {
	t.Run("SaveIsIdempotent", func(t *testing.T) { testSaveIdempotent(t, open) })
	t.Run("SaveKeepsIDsAndPayloads", func(t *testing.T) { testSaveKeeps(t, open) })
	t.Run("ApplyExactlyOnce", func(t *testing.T) { testApplyOnce(t, open) })
	t.Run("FinalDayIgnoresStreamedUsage", func(t *testing.T) { testApplyFinalDay(t, open) })
	t.Run("FailedPlanAppliesNothing", func(t *testing.T) { testPlanError(t, open) })
	t.Run("PlanWrites", func(t *testing.T) { testPlanWrites(t, open) })
	t.Run("ConcurrentAppliersClaimEachRecordOnce", func(t *testing.T) { testConcurrentApply(t, open) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, open) })
	t.Run("PruneKeepsUnapplied", func(t *testing.T) { testPrune(t, open) })
}

func testPrune(t *testing.T, open StreamerOpener) {
	ctx := context.Background()
	s, _ := open(t)
	if _, err := s.SaveStreamerBatch(ctx, []record.Raw{usage("1"), usage("2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyStreamerBatch(ctx, 1, func(context.Context, []record.Pending) (record.Plan, error) { return record.Plan{}, nil }); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneStreamerRecords(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("prune before the records arrived = %d, %v", n, err)
	}
	if n, err := s.PruneStreamerRecords(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("prune = %d, %v; want the one applied record", n, err)
	}
	if b, err := s.StreamerBacklog(ctx); err != nil || b.Pending != 1 {
		t.Fatalf("backlog after prune = %+v, %v; the unapplied record must stay", b, err)
	}
}

func testOutbox(t *testing.T, open StreamerOpener) {
	ctx := context.Background()
	s, db := open(t)
	if _, err := s.SaveStreamerBatch(ctx, []record.Raw{event("1")}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ApplyStreamerBatch(ctx, 10, func(context.Context, []record.Pending) (record.Plan, error) {
		return record.Plan{Outbox: []record.Outbox{
			{Kind: "a", Payload: []byte(`{"n":1}`)}, {Kind: "b", Payload: []byte(`{"n":2}`)}, {Kind: "c", Payload: []byte(`{"n":3}`)},
		}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ob := res.Plan.Outbox
	if len(ob) != 3 || ob[0].ID == 0 || ob[0].ID >= ob[1].ID || ob[1].ID >= ob[2].ID {
		t.Fatalf("outbox ids = %+v, want increasing in insertion order", ob)
	}
	// Entries younger than the grace period belong to their live applier.
	if n, err := s.ClaimStreamerOutbox(ctx, time.Hour, 10, func(context.Context, []record.Outbox) error {
		t.Error("handler called for fresh entries")
		return nil
	}); err != nil || n != 0 {
		t.Fatalf("claim fresh = %d, %v", n, err)
	}
	// The live applier published the first entry and cleared it.
	if err := s.DeleteStreamerOutbox(ctx, []int64{ob[0].ID}); err != nil {
		t.Fatal(err)
	}
	// A failing handler keeps entries.
	boom := errors.New("boom")
	if _, err := s.ClaimStreamerOutbox(ctx, -time.Second, 10, func(context.Context, []record.Outbox) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("claim with failing handler: %v", err)
	}
	var got []record.Outbox
	n, err := s.ClaimStreamerOutbox(ctx, -time.Second, 1, func(_ context.Context, es []record.Outbox) error {
		got = append(got, es...)
		return nil
	})
	if err != nil || n != 1 || len(got) != 1 || got[0].ID != ob[1].ID || got[0].Kind != "b" || !sameJSON(t, got[0].Payload, []byte(`{"n":2}`)) {
		t.Fatalf("claim one = %d %+v %v", n, got, err)
	}
	if left := countRows(t, db, `SELECT count(*) FROM streamer_outbox`); left != 1 {
		t.Fatalf("outbox rows left = %d, want 1", left)
	}
}

func countRows(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func usage(id string) record.Raw {
	return record.Raw{Stream: record.StreamUsage, ID: id, Payload: []byte(fmt.Sprintf(`{"id":%q,"volume":{"total":1}}`, id))}
}

func event(id string) record.Raw {
	return record.Raw{Stream: record.StreamEvent, ID: id, Payload: []byte(fmt.Sprintf(`{"id":%q,"event_type":null}`, id))}
}

func testSaveIdempotent(t *testing.T, open StreamerOpener) {
	ctx := context.Background()
	s, _ := open(t)
	batch := []record.Raw{usage("1"), usage("2"), event("1")}
	res, err := s.SaveStreamerBatch(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	want := record.SaveResult{Inserted: record.Counts{Usage: 2, Event: 1}}
	if res != want {
		t.Fatalf("first save = %+v, want %+v", res, want)
	}
	res, err = s.SaveStreamerBatch(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	want = record.SaveResult{Duplicates: record.Counts{Usage: 2, Event: 1}}
	if res != want {
		t.Fatalf("second save = %+v, want %+v", res, want)
	}
	// A record repeated inside one batch is stored once.
	res, err = s.SaveStreamerBatch(ctx, []record.Raw{usage("3"), usage("3"), usage("1")})
	if err != nil {
		t.Fatal(err)
	}
	want = record.SaveResult{Inserted: record.Counts{Usage: 1}, Duplicates: record.Counts{Usage: 2}}
	if res != want {
		t.Fatalf("save with repeats = %+v, want %+v", res, want)
	}
	b, err := s.StreamerBacklog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.Pending != 4 || b.OldestReceived.IsZero() {
		t.Fatalf("backlog = %+v, want 4 pending with an oldest time", b)
	}
	if res, err := s.SaveStreamerBatch(ctx, nil); err != nil || res != (record.SaveResult{}) {
		t.Fatalf("empty save = %+v, %v", res, err)
	}
}

func testSaveKeeps(t *testing.T, open StreamerOpener) {
	ctx := context.Background()
	s, _ := open(t)
	// 2^63-1 and 2^53+1: neither survives a float64.
	payload := `{"id": 9223372036854775807, "big": 9007199254740993, "nested": {"a": [1, "x", null]}, "text": "€ \"q\""}`
	recs := []record.Raw{
		{Stream: record.StreamUsage, ID: "9223372036854775807", Payload: []byte(payload)},
		{Stream: record.StreamEvent, ID: "9007199254740993", Payload: []byte(`{"id":"9007199254740993"}`)},
	}
	if _, err := s.SaveStreamerBatch(ctx, recs); err != nil {
		t.Fatal(err)
	}
	var got []record.Pending
	if _, err := s.ApplyStreamerBatch(ctx, 10, func(_ context.Context, p []record.Pending) (record.Plan, error) {
		got = append(got, p...)
		return record.Plan{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("claimed %d records, want 2", len(got))
	}
	byID := map[string]record.Pending{}
	for _, p := range got {
		byID[string(p.Stream)+":"+p.ID] = p
		if p.ReceivedAt.IsZero() {
			t.Errorf("record %s has no receipt time", p.ID)
		}
	}
	u, ok := byID["usage:9223372036854775807"]
	if !ok {
		t.Fatalf("64-bit id lost: claimed %v", byID)
	}
	// PostgreSQL stores payloads as JSONB (normalised whitespace and key order): compare values,
	// decoding numbers exactly.
	if !sameJSON(t, u.Payload, []byte(payload)) {
		t.Errorf("payload = %s, want %s", u.Payload, payload)
	}
	if _, ok := byID["event:9007199254740993"]; !ok {
		t.Errorf("event id lost: claimed %v", byID)
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	dec := func(x []byte) any {
		d := json.NewDecoder(bytes.NewReader(x))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatalf("decode %s: %v", x, err)
		}
		return v
	}
	return reflect.DeepEqual(dec(a), dec(b))
}

func testApplyOnce(t *testing.T, open StreamerOpener) {
	ctx := context.Background()
	s, db := open(t)
	var recs []record.Raw
	for i := range 25 {
		recs = append(recs, usage(fmt.Sprint(i)))
	}
	if _, err := s.SaveStreamerBatch(ctx, recs); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	planOne := func(_ context.Context, p []record.Pending) (record.Plan, error) {
		// Each record adds 10 bytes to one SIM and day.
		return record.Plan{Daily: []record.DailyUsage{{ICCID: "8988", Day: day, TotalBytes: 10 * int64(len(p)), RxBytes: 4 * int64(len(p)), TxBytes: 6 * int64(len(p)), CostE10: 5 * int64(len(p))}}}, nil
	}
	total := 0
	for {
		res, err := s.ApplyStreamerBatch(ctx, 10, planOne)
		if err != nil {
			t.Fatal(err)
		}
		if res.Records == 0 {
			break
		}
		if res.Records > 10 {
			t.Fatalf("claimed %d records with limit 10", res.Records)
		}
		if res.OldestReceived.IsZero() || len(res.Plan.Daily) != 1 {
			t.Fatalf("applied = %+v", res)
		}
		total += res.Records
	}
	if total != 25 {
		t.Fatalf("applied %d records, want 25", total)
	}
	var rx, tx, vol int64
	var src string
	if err := db.QueryRowContext(ctx, `SELECT volume_rx, volume_tx, volume_total, source FROM sim_usage WHERE iccid = '8988'`).Scan(&rx, &tx, &vol, &src); err != nil {
		t.Fatal(err)
	}
	if rx != 100 || tx != 150 || vol != 250 || src != "streamer" {
		t.Fatalf("sim_usage = rx %d tx %d total %d source %q, want 100/150/250 streamer", rx, tx, vol, src)
	}
	b, err := s.StreamerBacklog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.Pending != 0 || !b.OldestReceived.IsZero() {
		t.Fatalf("backlog after apply = %+v", b)
	}
	// Re-sending applied records stores nothing new and so applies nothing again.
	if res, err := s.SaveStreamerBatch(ctx, recs); err != nil || res.Inserted.Total() != 0 {
		t.Fatalf("re-save = %+v, %v", res, err)
	}
	if res, err := s.ApplyStreamerBatch(ctx, 100, planOne); err != nil || res.Records != 0 {
		t.Fatalf("apply after re-save = %+v, %v", res, err)
	}
}

// usageUpserter is the fleet store's daily usage write, which closes a day.
type usageUpserter interface {
	UpsertUsage(ctx context.Context, rows []fleet.Usage) error
}

// testApplyFinalDay holds the applier to the merge rule of UpsertUsage (docs/DECISIONS.md, "A
// day fed by both sources"): a streamed record adds to an open day, whose source becomes
// "streamer" as UpsertUsage makes it, but leaves a final one (1NCE's authoritative total, still
// "api") as it is, and is still marked applied.
func testApplyFinalDay(t *testing.T, open StreamerOpener) {
	ctx := context.Background()
	s, db := open(t)
	const iccid = "8988280666000000001"
	us, ok := s.(usageUpserter)
	if !ok {
		t.Fatalf("%T does not write daily usage", s)
	}
	finalDay, openDay := time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	if err := us.UpsertUsage(ctx, []fleet.Usage{
		{ICCID: iccid, Day: finalDay, VolumeRx: 40, VolumeTx: 60, VolumeTotal: 100, SMSMO: 1, Cost: 0.5, Source: fleet.UsageFromAPI, Final: true},
		{ICCID: iccid, Day: openDay, VolumeRx: 4, VolumeTx: 6, VolumeTotal: 10, Source: fleet.UsageFromAPI},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveStreamerBatch(ctx, []record.Raw{usage("1")}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ApplyStreamerBatch(ctx, 10, func(context.Context, []record.Pending) (record.Plan, error) {
		return record.Plan{Daily: []record.DailyUsage{
			{ICCID: iccid, Day: finalDay, RxBytes: 3, TxBytes: 4, TotalBytes: 7, SMSMO: 2, CostE10: 1e10},
			{ICCID: iccid, Day: openDay, RxBytes: 3, TxBytes: 4, TotalBytes: 7, SMSMO: 2, CostE10: 1e10},
		}}, nil
	})
	if err != nil || res.Records != 1 {
		t.Fatalf("apply = %+v, %v; want 1 record", res, err)
	}
	if b, err := s.StreamerBacklog(ctx); err != nil || b.Pending != 0 {
		t.Fatalf("backlog = %+v, %v; the record must be marked applied", b, err)
	}
	for _, tc := range []struct {
		day                  string
		rx, tx, total, smsMO int64
		final                bool
		source               string
	}{
		{"2026-11-19", 40, 60, 100, 1, true, "api"},
		{"2026-11-20", 7, 10, 17, 2, false, "streamer"},
	} {
		var rx, tx, total, mo int64
		var isFinal bool
		var source string
		if err := db.QueryRowContext(ctx, `SELECT volume_rx, volume_tx, volume_total, sms_mo, final, source FROM sim_usage
			WHERE iccid = $1 AND day = $2`, iccid, tc.day).Scan(&rx, &tx, &total, &mo, &isFinal, &source); err != nil {
			t.Fatal(err)
		}
		if rx != tc.rx || tx != tc.tx || total != tc.total || mo != tc.smsMO || isFinal != tc.final || source != tc.source {
			t.Errorf("day %s = rx %d tx %d total %d sms_mo %d final %v source %s; want %d/%d/%d/%d final %v source %s",
				tc.day, rx, tx, total, mo, isFinal, source, tc.rx, tc.tx, tc.total, tc.smsMO, tc.final, tc.source)
		}
	}
}

func testPlanError(t *testing.T, open StreamerOpener) {
	ctx := context.Background()
	s, db := open(t)
	if _, err := s.SaveStreamerBatch(ctx, []record.Raw{usage("1"), usage("2")}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	_, err := s.ApplyStreamerBatch(ctx, 10, func(context.Context, []record.Pending) (record.Plan, error) {
		return record.Plan{}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("apply with failing plan: err = %v, want boom", err)
	}
	b, err := s.StreamerBacklog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.Pending != 2 {
		t.Fatalf("pending after failed plan = %d, want 2", b.Pending)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sim_usage`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("sim_usage rows after failed plan = %d, %v", n, err)
	}
}

func testPlanWrites(t *testing.T, open StreamerOpener) {
	ctx := context.Background()
	s, db := open(t)
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	on, off := true, false
	apply := func(id string, pl record.Plan) {
		t.Helper()
		if _, err := s.SaveStreamerBatch(ctx, []record.Raw{event(id)}); err != nil {
			t.Fatal(err)
		}
		res, err := s.ApplyStreamerBatch(ctx, 10, func(context.Context, []record.Pending) (record.Plan, error) { return pl, nil })
		if err != nil {
			t.Fatal(err)
		}
		if res.Records != 1 {
			t.Fatalf("applied %d, want 1", res.Records)
		}
	}
	ev := record.Event{ExternalID: "stream:1", ICCID: "8988", At: t0, Type: "Create PDP Context", Source: "Network", Severity: "INFO", Description: "up", Country: "Germany", Operator: "Telekom", Detail: []byte(`{"pdp_context":{"rat_type":"LTE"}}`)}
	apply("1", record.Plan{
		Events:       []record.Event{ev},
		SIMs:         []record.SIMSeen{{ICCID: "8988", At: t0, IMEI: "356938035643809", IPAddress: "10.0.0.1", Organization: "4321", Online: &on}},
		Connectivity: []record.Connectivity{{ICCID: "8988", At: t0, Connected: true, RAT: "LTE", Country: "Germany", Operator: "Telekom"}},
		Hourly:       []record.HourlyUsage{{ICCID: "8988", Hour: t0, TotalBytes: 7, SMSMO: 1, Records: 1}},
		Health:       []record.Health{{Stream: record.StreamEvent, LastRecordAt: t0, LastReceivedAt: t0.Add(time.Minute), Applied: 1}},
	})
	// The same event again (a replayed external id) and an older sighting that must not win.
	apply("2", record.Plan{
		Events: []record.Event{ev},
		SIMs:   []record.SIMSeen{{ICCID: "8988", At: t0.Add(-time.Hour), IMEI: "999", IPAddress: "10.9.9.9", Organization: "9999", Online: &off}},
		Hourly: []record.HourlyUsage{{ICCID: "8988", Hour: t0, TotalBytes: 3, Records: 1}},
		Health: []record.Health{{Stream: record.StreamEvent, LastRecordAt: t0.Add(-time.Hour), LastReceivedAt: t0, Applied: 1}},
	})
	// A newer sighting without IMEI or online keeps those and moves last_seen forward.
	apply("3", record.Plan{
		SIMs: []record.SIMSeen{{ICCID: "8988", At: t0.Add(time.Hour), IPAddress: "10.0.0.2"}},
	})

	var events int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sim_events WHERE external_id = 'stream:1'`).Scan(&events); err != nil || events != 1 {
		t.Fatalf("events with one external id = %d, %v; want 1", events, err)
	}
	var typ, sev, country, op string
	if err := db.QueryRowContext(ctx, `SELECT event_type, severity, country, operator FROM sim_events WHERE external_id = 'stream:1'`).Scan(&typ, &sev, &country, &op); err != nil {
		t.Fatal(err)
	}
	if typ != "Create PDP Context" || sev != "INFO" || country != "Germany" || op != "Telekom" {
		t.Errorf("event row = %q %q %q %q", typ, sev, country, op)
	}
	var imei, ip, org string
	var online bool
	var seen any
	if err := db.QueryRowContext(ctx, `SELECT imei, ip_address, organization_id, online, last_seen_at FROM sims WHERE iccid = '8988'`).Scan(&imei, &ip, &org, &online, &seen); err != nil {
		t.Fatal(err)
	}
	if imei != "356938035643809" || ip != "10.0.0.2" || org != "4321" || !online {
		t.Errorf("sim = imei %q ip %q organization %q online %v; want the newest values, IMEI, organisation and online kept", imei, ip, org, online)
	}
	if got := asTime(t, seen); !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("last_seen_at = %v, want %v", got, t0.Add(time.Hour))
	}
	var conns int
	var rat string
	var connected bool
	if err := db.QueryRowContext(ctx, `SELECT count(*), max(rat), max(CASE WHEN connected THEN 1 ELSE 0 END) = 1 FROM sim_connectivity WHERE iccid = '8988' AND source = 'streamer'`).Scan(&conns, &rat, &connected); err != nil {
		t.Fatal(err)
	}
	if conns != 1 || rat != "LTE" || !connected {
		t.Errorf("connectivity = %d rows rat %q connected %v", conns, rat, connected)
	}
	var vol, records, mo int64
	if err := db.QueryRowContext(ctx, `SELECT volume_total, records, sms_mo FROM sim_usage_hourly WHERE iccid = '8988'`).Scan(&vol, &records, &mo); err != nil {
		t.Fatal(err)
	}
	if vol != 10 || records != 2 || mo != 1 {
		t.Errorf("hourly = total %d records %d sms_mo %d, want 10/2/1", vol, records, mo)
	}
	hs, err := s.StreamHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []record.StreamHealth{{Stream: record.StreamEvent, LastRecordAt: t0, LastReceivedAt: t0.Add(time.Minute), Applied: 2}}
	if len(hs) != 1 || hs[0].Stream != want[0].Stream || !hs[0].LastRecordAt.Equal(want[0].LastRecordAt) ||
		!hs[0].LastReceivedAt.Equal(want[0].LastReceivedAt) || hs[0].Applied != 2 {
		t.Errorf("health = %+v, want %+v (times never move back)", hs, want)
	}
}

func testConcurrentApply(t *testing.T, open StreamerOpener) {
	ctx := context.Background()
	s, db := open(t)
	const n = 600
	var recs []record.Raw
	for i := range n {
		recs = append(recs, usage(fmt.Sprint(i)))
	}
	if _, err := s.SaveStreamerBatch(ctx, recs); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	seen := map[string]int{}
	plan := func(_ context.Context, p []record.Pending) (record.Plan, error) {
		mu.Lock()
		for _, r := range p {
			seen[r.ID]++
		}
		mu.Unlock()
		return record.Plan{Daily: []record.DailyUsage{{ICCID: "8988", Day: day, TotalBytes: int64(len(p))}}}, nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			for {
				res, err := s.ApplyStreamerBatch(ctx, 25, plan)
				if err != nil {
					errs <- err
					return
				}
				if res.Records == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	b, err := s.StreamerBacklog(ctx)
	if err != nil || b.Pending != 0 {
		t.Fatalf("backlog = %+v, %v; want 0", b, err)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("record %s claimed %d times", id, k)
		}
	}
	if len(seen) != n {
		t.Errorf("claimed %d distinct records, want %d", len(seen), n)
	}
	var vol int64
	if err := db.QueryRowContext(ctx, `SELECT volume_total FROM sim_usage WHERE iccid = '8988'`).Scan(&vol); err != nil || vol != n {
		t.Fatalf("volume_total = %d, %v; want %d", vol, err, n)
	}
}

// asTime reads a timestamp scanned from either backend: time.Time from PostgreSQL, text from
// SQLite.
func asTime(t *testing.T, v any) time.Time {
	t.Helper()
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case string:
		return parseAny(t, x)
	case []byte:
		return parseAny(t, string(x))
	}
	t.Fatalf("unexpected timestamp type %T", v)
	return time.Time{}
}

func parseAny(t *testing.T, s string) time.Time {
	t.Helper()
	for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
		if tm, err := time.Parse(l, s); err == nil {
			return tm.UTC()
		}
	}
	t.Fatalf("unparsable timestamp %q", s)
	return time.Time{}
}
