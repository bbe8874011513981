package oncesim

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var emitUpdateGolden = flag.Bool("update-streamer-golden", false, "rewrite oncesim/testdata/streamer_*.golden.json")

const (
	emitUser = "streamer"
	emitPass = "s3cret-for-tests"
)

// emitReceiver is a Data Streamer endpoint that fails on purpose, then acknowledges. It checks
// what 1NCE's contract promises a receiver: POST, JSON array, Basic auth, batch size.
type emitReceiver struct {
	t        *testing.T
	maxBatch int
	// failures are played in order on the first POSTs: "500", "429" (with Retry-After),
	// "timeout", "close", "redirect".
	failures []string

	mu         sync.Mutex
	posts      [][]int64      // ids of every POST, in arrival order
	ackedPosts []int          // indexes into posts of acknowledged ones
	acked      map[int64]int  // acknowledgements per record id
	kinds      map[int64]bool // ids that looked like usage records
	followed   int            // requests to the redirect target
	want       int            // distinct ids after which done is closed
	done       chan struct{}
}

func newEmitReceiver(t *testing.T, want, maxBatch int, failures ...string) (*emitReceiver, *httptest.Server) {
	r := &emitReceiver{t: t, maxBatch: maxBatch, failures: failures, acked: map[int64]int{},
		kinds: map[int64]bool{}, want: want, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/stream", r.serve)
	mux.HandleFunc("/moved", func(w http.ResponseWriter, _ *http.Request) {
		r.mu.Lock()
		r.followed++
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *emitReceiver) violation(format string, args ...any) {
	r.t.Errorf("receiver: "+format, args...)
}

func (r *emitReceiver) serve(w http.ResponseWriter, req *http.Request) {
	user, pass, ok := req.BasicAuth()
	if !ok || user != emitUser || pass != emitPass {
		r.violation("request without the configured Basic auth")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
		r.violation("got %s with Content-Type %q, want a JSON POST", req.Method, req.Header.Get("Content-Type"))
	}
	var records []map[string]json.RawMessage
	if err := json.NewDecoder(req.Body).Decode(&records); err != nil || len(records) == 0 {
		r.violation("body is not a non-empty JSON array of objects: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if len(records) > r.maxBatch {
		r.violation("batch of %d records, want at most %d", len(records), r.maxBatch)
	}
	ids := make([]int64, 0, len(records))
	inBatch := map[int64]bool{}
	for _, rec := range records {
		var id int64
		if err := json.Unmarshal(rec["id"], &id); err != nil || id <= 0 {
			r.violation("record without a positive integer id: %s", rec["id"])
		}
		if inBatch[id] {
			r.violation("record id %d twice in one batch", id)
		}
		inBatch[id] = true
		ids = append(ids, id)
		_, usage := rec["traffic_type"]
		r.mu.Lock()
		r.kinds[id] = usage
		r.mu.Unlock()
	}

	r.mu.Lock()
	n := len(r.posts)
	r.posts = append(r.posts, ids)
	failure := ""
	if n < len(r.failures) {
		failure = r.failures[n]
	}
	r.mu.Unlock()

	switch failure {
	case "500":
		http.Error(w, `{"error":"down"}`, http.StatusInternalServerError)
		return
	case "429":
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	case "timeout":
		<-req.Context().Done() // hang until the emitter gives up on this request
		return
	case "close":
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			r.violation("hijack: %v", err)
			return
		}
		_ = conn.Close()
		return
	case "redirect":
		http.Redirect(w, req, "/moved", http.StatusTemporaryRedirect)
		return
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.ackedPosts = append(r.ackedPosts, n)
	for _, id := range ids {
		r.acked[id]++
	}
	if len(r.acked) >= r.want {
		select {
		case <-r.done:
		default:
			close(r.done)
		}
	}
	w.WriteHeader(http.StatusOK)
}

// emitActivity makes the i-th test activity: even i usage, odd i events.
func emitActivity(i int) Activity {
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	a := Activity{
		ID: int64(i), At: at, SIMID: int64(i%50 + 1), ICCID: "8988280666000000017", IMSI: "901405100000017",
		MSISDN: "882285100000017", IMEI: "356938035643809", IPAddress: "10.200.0.17",
		Operator: "Telekom", Country: "Germany", MCC: "262", MNC: "01",
	}
	if i%2 == 0 {
		a.Kind, a.Start, a.Traffic, a.RxBytes, a.TxBytes, a.Cost = ActivityUsage, at.Add(-15*time.Minute), "Data", int64(i*1000), 512, 0.0001
	} else {
		a.Kind, a.EventType, a.EventSource, a.Severity, a.Description = ActivityEvent, "Update location", "Network", "INFO", "New location received."
	}
	return a
}

func emitWait(t *testing.T, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the receiver did not get every record within 60s")
	}
}

// emitWaitAcked waits until the emitter has booked n acknowledgements: the receiver answers
// 200 a moment before the emitter reads it.
func emitWaitAcked(t *testing.T, em *Emitter, n int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for em.Stats().Acked < n {
		if time.Now().After(deadline) {
			t.Fatalf("emitter booked %+v, want %d acknowledged", em.Stats(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEmitterResendsUntilAcknowledged(t *testing.T) {
	const n = 2500
	rcv, srv := newEmitReceiver(t, n, 1000, "500", "429", "timeout", "close", "redirect")
	em, err := NewEmitter(EmitterOptions{
		URL: srv.URL + "/stream", Username: emitUser, Password: emitPass,
		BatchSize: 1000, FlushInterval: 20 * time.Millisecond,
		// The timeout must let a healthy 1,000-record POST through even on a loaded machine.
		RetryInitial: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond, RequestTimeout: 2 * time.Second,
	}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		em.Publish(emitActivity(i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- em.Run(ctx) }()
	emitWait(t, rcv.done)
	emitWaitAcked(t, em, n)
	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run: %v", err)
	}

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.acked) != n {
		t.Fatalf("%d distinct records acknowledged, want %d", len(rcv.acked), n)
	}
	for id := int64(1); id <= n; id++ {
		if rcv.acked[id] < 1 {
			t.Fatalf("record %d never acknowledged", id)
		}
		if wantUsage := id%2 == 0; rcv.kinds[id] != wantUsage {
			t.Fatalf("record %d: usage shape %v, want %v", id, rcv.kinds[id], wantUsage)
		}
	}
	// The five failed POSTs carried the same batch, and the first acknowledged POST is it again.
	first := rcv.posts[0]
	for i := 1; i <= 5; i++ {
		if !slices.Equal(rcv.posts[i], first) {
			t.Fatalf("POST %d carried %d records starting %v, want the unacknowledged batch re-sent", i, len(rcv.posts[i]), rcv.posts[i][:1])
		}
	}
	if rcv.ackedPosts[0] != 5 {
		t.Errorf("first acknowledged POST is #%d, want #5 after five failures", rcv.ackedPosts[0])
	}
	if rcv.followed != 0 {
		t.Errorf("the emitter followed a redirect %d times; 1NCE does not", rcv.followed)
	}
	st := em.Stats()
	if st.Acked != n || st.Pending != 0 || st.Published != n || st.Retries != 5 || st.Duplicates != 0 {
		t.Errorf("Stats() = %+v, want %d published and acked, none pending, 5 retries", st, n)
	}
	if wantSent := int64(n + 5*len(first)); st.Sent != wantSent || st.Batches != int64(len(rcv.posts)) {
		t.Errorf("Stats() sent %d in %d batches, want %d in %d", st.Sent, st.Batches, wantSent, len(rcv.posts))
	}
}

func TestEmitterDuplicates(t *testing.T) {
	const n = 3000
	rcv, srv := newEmitReceiver(t, n, 500)
	em, err := NewEmitter(EmitterOptions{
		URL: srv.URL + "/stream", Username: emitUser, Password: emitPass,
		BatchSize: 500, FlushInterval: 10 * time.Millisecond, DuplicateRate: 0.2,
	}, 5)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- em.Run(ctx) }()
	for i := 1; i <= n; i++ {
		em.Publish(emitActivity(i))
	}
	emitWait(t, rcv.done)
	emitWaitAcked(t, em, n)
	// Then until every chosen duplicate went out and was acknowledged.
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := em.Stats()
		rcv.mu.Lock()
		received := 0
		for _, p := range rcv.ackedPosts {
			received += len(rcv.posts[p])
		}
		rcv.mu.Unlock()
		if st.DuplicatesQueued == 0 && int64(received) == n+st.Duplicates {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("duplicates never settled: %+v, receiver acknowledged %d records", st, received)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	// A repeated id must come in a later POST than the one that first acknowledged it.
	firstAck := map[int64]int{}
	repeats := 0
	for _, p := range rcv.ackedPosts {
		for _, id := range rcv.posts[p] {
			if first, seen := firstAck[id]; seen {
				if first >= p {
					t.Errorf("record %d repeated in POST %d, not after its acknowledgement in POST %d", id, p, first)
				}
				repeats++
				continue
			}
			firstAck[id] = p
		}
	}
	for id, c := range rcv.acked {
		if c > 2 {
			t.Errorf("record %d arrived %d times, want at most one duplicate", id, c)
		}
	}
	st := em.Stats()
	if st.Acked != n || st.Duplicates != int64(repeats) || len(firstAck) != n {
		t.Errorf("Stats() = %+v, want %d acked and the %d duplicates the receiver saw", st, n, repeats)
	}
	faultWithin(t, "duplicates", repeats, n, 0.2)
}

func TestEmitterSeparateV2Streams(t *testing.T) {
	const n = 40
	usage, usageSrv := newEmitReceiver(t, n/2, MaxStreamBatch)
	events, eventsSrv := newEmitReceiver(t, n/2, MaxStreamBatch)
	em, err := NewEmitter(EmitterOptions{
		UsageURL: usageSrv.URL + "/stream", EventsURL: eventsSrv.URL + "/stream", Format: StreamV2,
		Username: emitUser, Password: emitPass, FlushInterval: 10 * time.Millisecond,
	}, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = em.Run(ctx) }()
	for i := 1; i <= n; i++ {
		em.Publish(emitActivity(i))
	}
	emitWait(t, usage.done)
	emitWait(t, events.done)
	for _, c := range []struct {
		name  string
		r     *emitReceiver
		usage bool
	}{{"usage", usage, true}, {"events", events, false}} {
		c.r.mu.Lock()
		for id, isUsage := range c.r.kinds {
			if isUsage != c.usage || (id%2 == 0) != c.usage {
				t.Errorf("%s stream got record %d (usage shape %v)", c.name, id, isUsage)
			}
		}
		c.r.mu.Unlock()
	}
}

func TestEmitterPublishAfterRunAndSkipped(t *testing.T) {
	em, err := NewEmitter(EmitterOptions{EventsURL: "http://127.0.0.1:1/events", BufferSize: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := em.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := em.Run(context.Background()); err == nil {
		t.Error("a second Run was accepted")
	}
	em.Publish(emitActivity(1)) // fits the buffer
	em.Publish(emitActivity(3)) // buffer full, Run over: must not block
	em.Publish(emitActivity(2)) // usage: no usage stream
	st := em.Stats()
	if st.Published != 1 || st.Dropped != 1 || st.Skipped != 1 || st.Pending != 1 || st.Waits != 1 {
		t.Errorf("Stats() = %+v, want 1 published (pending), 1 dropped, 1 skipped", st)
	}
}

func TestNewEmitterRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		opts EmitterOptions
		want string
	}{
		{"no URL", EmitterOptions{}, "no stream URL"},
		{"both kinds of URL", EmitterOptions{URL: "http://a/", UsageURL: "http://b/"}, "not both"},
		{"v2 combined", EmitterOptions{URL: "http://a/", Format: StreamV2}, "no combined stream"},
		{"bad format", EmitterOptions{URL: "http://a/", Format: "v3"}, `format "v3"`},
		{"relative URL", EmitterOptions{UsageURL: "/usage"}, "absolute http(s) URL"},
		{"ftp URL", EmitterOptions{EventsURL: "ftp://a/"}, "absolute http(s) URL"},
		{"batch too big", EmitterOptions{URL: "http://a/", BatchSize: 3001}, "batch size 3001"},
		{"duplicate rate", EmitterOptions{URL: "http://a/", DuplicateRate: 1.5}, "duplicate rate 1.5"},
		{"negative interval", EmitterOptions{URL: "http://a/", FlushInterval: -time.Second}, "must not be negative"},
	} {
		if _, err := NewEmitter(c.opts, 1); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

// emitGoldenActivities covers every record variant: data and SMS usage, location, PDP, API
// and policy events (the last with no network, so its nested objects are null).
func emitGoldenActivities() []Activity {
	base := Activity{
		SIMID: 77, ICCID: "8988280666000000017", IMSI: "901405100000017", MSISDN: "882285100000017",
		IMEI: "356938035643809", IPAddress: "10.200.0.17", Label: "meter-17",
		Operator: "Telekom", Country: "Germany", MCC: "262", MNC: "01",
	}
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	data := base
	data.Kind, data.ID, data.Start, data.At = ActivityUsage, 900000001, t0, t0.Add(15*time.Minute)
	data.Traffic, data.RxBytes, data.TxBytes, data.Cost = "Data", 120000, 30001, 0.001176
	sms := base
	sms.Kind, sms.ID, sms.Start, sms.At, sms.Traffic, sms.SMSCount, sms.Cost = ActivityUsage, 900000002, t0.Add(20*time.Minute), t0.Add(20*time.Minute), "SMS", 1, 0.019
	loc := base
	loc.Kind, loc.ID, loc.At = ActivityEvent, 1200000042, t0.Add(16*time.Minute+3*time.Second)
	loc.EventType, loc.EventSource, loc.Severity = "Update location", "Network", "INFO"
	loc.Description = "New location received from VLR, now attached to a new network."
	pdp := base
	pdp.Kind, pdp.ID, pdp.At, pdp.Start = ActivityEvent, 1200000043, t0.Add(17*time.Minute), t0.Add(17*time.Minute)
	pdp.EventType, pdp.EventSource, pdp.Severity, pdp.Description = "Create PDP Context", "Network", "INFO", "PDP context created."
	api := base
	api.Kind, api.ID, api.At = ActivityEvent, 1200000044, t0.Add(30*time.Minute)
	api.EventType, api.EventSource, api.Severity, api.Alert = "SIM state change", "API", "WARN", true
	api.Description = "SIM disabled through the API."
	quota := Activity{
		Kind: ActivityEvent, ID: 1200000045, At: t0.Add(time.Hour), SIMID: 78, ICCID: "8988280666000000018",
		IMSI: "901405100000018", MSISDN: "882285100000018", EventType: "Quota exhausted",
		EventSource: "Policy Control", Severity: "CRITICAL", Alert: true, Description: "Data quota exhausted.",
	}
	return []Activity{data, sms, loc, pdp, api, quota}
}

func TestStreamRecordsGolden(t *testing.T) {
	for _, format := range []StreamFormat{StreamV1, StreamV2} {
		em, err := NewEmitter(EmitterOptions{UsageURL: "http://127.0.0.1:1/u", EventsURL: "http://127.0.0.1:1/e", Format: format}, 1)
		if err != nil {
			t.Fatal(err)
		}
		var records []json.RawMessage
		for _, a := range emitGoldenActivities() {
			r, err := em.encode(a)
			if err != nil {
				t.Fatal(err)
			}
			records = append(records, r.json)
		}
		got, err := json.MarshalIndent(records, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", "streamer_"+string(format)+".golden.json")
		if *emitUpdateGolden {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update-streamer-golden to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s records differ from %s:\n%s", format, path, got)
		}
	}
}

// The field names below are DATASTREAMER.md's, typed from the document, not from records.go.
var (
	docUsageFields = []string{"cost", "currency", "end_timestamp", "endpoint", "id", "imsi", "imsi_id",
		"operator", "organisation", "sim", "start_timestamp", "tariff", "traffic_type", "volume"}
	docEventFields = []string{"alert", "description", "detail", "endpoint", "event_severity", "event_source",
		"event_type", "id", "imsi", "organisation", "sim", "timestamp", "user"}
	docNested = map[string][]string{
		"sim":                 {"iccid", "id", "msisdn", "production_date"},
		"traffic_type":        {"description", "id"},
		"organisation":        {"id", "name"},
		"usage endpoint":      {"balance", "id", "imei", "ip_address", "name", "tags"},
		"event endpoint":      {"id", "imei", "ip_address", "name"},
		"operator":            {"country", "id", "mnc", "name"},
		"operator.country":    {"id", "mcc", "name"},
		"tariff":              {"id", "name", "ratezone"},
		"currency":            {"code", "id", "symbol"},
		"volume":              {"rx", "total", "tx"},
		"imsi":                {"id", "imsi", "import_date"},
		"detail.country":      {"country_code", "iso_code", "mcc", "name"},
		"event_type":          {"description", "id"},
		"location detail mnc": {"id", "mnc"},
	}
)

func emitKeys(t *testing.T, raw json.RawMessage) (map[string]json.RawMessage, []string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return m, slices.Sorted(maps.Keys(m))
}

func TestStreamRecordsMatchDataStreamerDoc(t *testing.T) {
	acts := emitGoldenActivities()
	check := func(what string, raw json.RawMessage, want []string) map[string]json.RawMessage {
		t.Helper()
		m, keys := emitKeys(t, raw)
		if want = slices.Sorted(slices.Values(want)); !slices.Equal(keys, want) {
			t.Errorf("%s fields %v, want DATASTREAMER.md's %v", what, keys, want)
		}
		return m
	}
	mustJSON := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	u := check("usage record", mustJSON(NewUsageRecord(acts[0])), docUsageFields)
	check("sim", u["sim"], docNested["sim"])
	check("traffic_type", u["traffic_type"], docNested["traffic_type"])
	check("organisation", u["organisation"], docNested["organisation"])
	check("usage endpoint", u["endpoint"], docNested["usage endpoint"])
	op := check("operator", u["operator"], docNested["operator"])
	check("operator.country", op["country"], docNested["operator.country"])
	check("tariff", u["tariff"], docNested["tariff"])
	check("currency", u["currency"], docNested["currency"])
	check("volume", u["volume"], docNested["volume"])
	if got := string(u["volume"]); got != `{"rx":0.114441,"tx":0.028611,"total":0.143052}` {
		t.Errorf("volume %s, want MB with 6 decimals", got)
	}
	if got := string(u["cost"]); got != "0.0011760000" {
		t.Errorf("cost %s, want 10 decimals", got)
	}

	e := check("event record", mustJSON(NewEventRecord(acts[2])), docEventFields)
	check("imsi", e["imsi"], docNested["imsi"])
	check("event endpoint", e["endpoint"], docNested["event endpoint"])
	check("event_type", e["event_type"], docNested["event_type"])
	d, _ := emitKeys(t, e["detail"])
	check("detail.country", d["country"], docNested["detail.country"])
	var mncs []json.RawMessage
	if err := json.Unmarshal(d["mnc"], &mncs); err != nil || len(mncs) != 1 {
		t.Fatalf("detail.mnc %s, want one entry", d["mnc"])
	}
	check("location detail mnc", mncs[0], docNested["location detail mnc"])
	if string(e["user"]) != "null" {
		t.Errorf("network event user %s, want null", e["user"])
	}

	// Empty nested objects arrive as null.
	q, _ := emitKeys(t, mustJSON(NewEventRecord(acts[5])))
	if string(q["detail"]) != "null" || string(q["user"]) != "null" {
		t.Errorf("policy event detail %s user %s, want null and null", q["detail"], q["user"])
	}
	nu, _ := emitKeys(t, mustJSON(NewUsageRecord(Activity{Kind: ActivityUsage, ID: 1, Traffic: "Data"})))
	if string(nu["operator"]) != "null" {
		t.Errorf("usage without a network has operator %s, want null", nu["operator"])
	}

	// Platform 2.0: session id and whole kilobytes, rounded up per session.
	v2, _ := emitKeys(t, mustJSON(NewUsageRecordV2(acts[0])))
	if string(v2["ipcan_session_id"]) != `"77-1795168800"` || string(v2["volume"]) != `{"rx_kb":118,"tx_kb":30,"total_kb":147}` {
		t.Errorf("v2 data usage session %s volume %s", v2["ipcan_session_id"], v2["volume"])
	}
	v2sms, _ := emitKeys(t, mustJSON(NewUsageRecordV2(acts[1])))
	if string(v2sms["sms_count"]) != "1" || string(v2sms["volume"]) != "null" || string(v2sms["ipcan_session_id"]) != "null" {
		t.Errorf("v2 SMS usage sms_count %s volume %s session %s", v2sms["sms_count"], v2sms["volume"], v2sms["ipcan_session_id"])
	}
}

// BenchmarkEmitter measures records/s the emitter encodes and delivers in 3,000-record batches
// to a receiver that reads and acknowledges every request, per format.
func BenchmarkEmitter(b *testing.B) {
	for _, format := range []StreamFormat{StreamV1, StreamV2} {
		b.Run(string(format), func(b *testing.B) {
			var acked atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var recs []json.RawMessage
				if err := json.NewDecoder(r.Body).Decode(&recs); err != nil {
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				acked.Add(int64(len(recs)))
			}))
			defer srv.Close()
			em, err := NewEmitter(EmitterOptions{
				UsageURL: srv.URL, EventsURL: srv.URL, Format: format, Username: emitUser, Password: emitPass,
				FlushInterval: 10 * time.Millisecond,
			}, 1)
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- em.Run(ctx) }()
			b.ResetTimer()
			for i := range b.N {
				em.Publish(emitActivity(i + 1))
			}
			for em.Stats().Acked < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			cancel()
			<-done
		})
	}
}
