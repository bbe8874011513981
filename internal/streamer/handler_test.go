package streamer_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/streamer"
)

func TestUnconfiguredReceiverIs404(t *testing.T) {
	s := dbtest.NewSQLite(t)
	srv, _ := newServer(t, s, streamer.Credential{})
	for _, path := range []string{"/events", "/usage", ""} {
		r := post(t, srv.URL+streamer.Prefix+path, "", "", fixture(t, "v1_event.json"))
		if r.status != http.StatusNotFound {
			t.Errorf("%s without credential configured: %d, want 404", path, r.status)
		}
	}
	// A username without a password is not a credential either.
	srv, _ = newServer(t, s, streamer.Credential{Username: "u"})
	if r := post(t, srv.URL+streamer.Prefix+"/events", "u", "", fixture(t, "v1_event.json")); r.status != http.StatusNotFound {
		t.Errorf("half a credential: %d, want 404", r.status)
	}
}

func TestBadCredentialsAre401(t *testing.T) {
	s, db := openBackend(t, "sqlite")
	srv, _ := newServer(t, s, cred)
	for _, c := range []streamer.Credential{{}, {Username: cred.Username, Password: "wrong"}, {Username: "wrong", Password: cred.Password}, {Username: cred.Username + "x", Password: cred.Password}} {
		r := post(t, srv.URL+streamer.Prefix+"/events", c.Username, c.Password, fixture(t, "v1_event.json"))
		if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("credential %q: %d %q, want 401 with a Basic challenge", c.Username, r.status, r.header.Get("WWW-Authenticate"))
		}
		if strings.Contains(r.body, cred.Password) {
			t.Errorf("401 body leaks the password")
		}
	}
	if n := count(t, db, `SELECT count(*) FROM streamer_records`); n != 0 {
		t.Fatalf("unauthorised requests stored %d records", n)
	}
}

func TestSameBatchTwiceStoresOnce(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			s, db := openBackend(t, b)
			srv, _ := newServer(t, s, cred)
			body := fixture(t, "v1_usage.json")
			first := post(t, srv.URL+streamer.Prefix+"/usage", cred.Username, cred.Password, body)
			second := post(t, srv.URL+streamer.Prefix+"/usage", cred.Username, cred.Password, body)
			if first.status != 200 || second.status != 200 {
				t.Fatalf("statuses %d %d (%s)", first.status, second.status, second.body)
			}
			var a1, a2 struct{ Received, Inserted, Duplicates int }
			_ = json.Unmarshal([]byte(first.body), &a1)
			_ = json.Unmarshal([]byte(second.body), &a2)
			if a1.Received != 2 || a1.Inserted != 2 || a1.Duplicates != 0 || a2.Inserted != 0 || a2.Duplicates != 2 {
				t.Errorf("acks = %+v then %+v", a1, a2)
			}
			if n := count(t, db, `SELECT count(*) FROM streamer_records`); n != 2 {
				t.Fatalf("stored %d records, want 2", n)
			}
			// Applying after the repeat counts the volume once.
			applyAll(t, streamer.NewApplier(streamer.ApplierConfig{Store: s}))
			if v := count(t, db, `SELECT sum(volume_total) FROM sim_usage`); v != 157286 {
				t.Fatalf("volume_total = %d, want 157286", v)
			}
		})
	}
}

func TestBatchWithOneBrokenRecordCommitsNothing(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			s, db := openBackend(t, b)
			srv, _ := newServer(t, s, cred)
			var recs []string
			for i := range 50 {
				recs = append(recs, fmt.Sprintf(`{"id":%d,"traffic_type":{"description":"Data"},"end_timestamp":"2026-11-20T10:00:00Z","sim":{"iccid":"8988"},"volume":{"total":0.5}}`, i))
			}
			recs[37] = `{"id":37,"traffic_type":{"description":"Data"},"end_timestamp":"2026-13-45T99:00:00Z","sim":{"iccid":"8988"}}`
			r := post(t, srv.URL+streamer.Prefix+"/usage", cred.Username, cred.Password, "["+strings.Join(recs, ",")+"]")
			if r.status != http.StatusBadRequest || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("status %d %s", r.status, r.header.Get("Content-Type"))
			}
			var p struct {
				Code   string
				Index  *int
				Detail string
			}
			if err := json.Unmarshal([]byte(r.body), &p); err != nil {
				t.Fatal(err)
			}
			if p.Code != "invalid" || p.Index == nil || *p.Index != 37 || !strings.Contains(p.Detail, "end_timestamp") {
				t.Fatalf("problem = %s", r.body)
			}
			if n := count(t, db, `SELECT count(*) FROM streamer_records`); n != 0 {
				t.Fatalf("a rejected batch stored %d records", n)
			}
		})
	}
}

func TestOversizedBatchesAre413(t *testing.T) {
	s, db := openBackend(t, "sqlite")
	srv, _ := newServer(t, s, cred)
	var b strings.Builder
	b.WriteString("[")
	for i := range streamer.MaxRecords + 1 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":%d,"event_type":"Update location","timestamp":"2026-11-20T10:00:00Z"}`, i)
	}
	b.WriteString("]")
	if r := post(t, srv.URL+streamer.Prefix+"/events", cred.Username, cred.Password, b.String()); r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("3,001 records: %d", r.status)
	}
	small := httptestServerWithLimit(t, s, 1024)
	if r := post(t, small+streamer.Prefix+"/events", cred.Username, cred.Password, b.String()); r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("over the byte limit: %d", r.status)
	}
	if n := count(t, db, `SELECT count(*) FROM streamer_records`); n != 0 {
		t.Fatalf("stored %d records", n)
	}
}

func httptestServerWithLimit(t *testing.T, s streamer.Saver, limit int64) string {
	t.Helper()
	srv := newHTTPServer(t, streamer.NewHandler(streamer.HandlerConfig{Store: s, Credential: cred, MaxBodyBytes: limit}))
	return srv
}

// TestPostgresStoresWhatTheParserAccepts posts values that are valid JSON but that jsonb refuses
// as such: each batch is either stored (200) or refused with 400, never a 5xx re-send loop, and
// every stored payload (TEXT since migration 00012) still casts to jsonb, as the applier's event
// details need.
func TestPostgresStoresWhatTheParserAccepts(t *testing.T) {
	s, db := openBackend(t, "postgres")
	srv, _ := newServer(t, s, cred)
	head := `[{"id":%d,"event_type":"x","timestamp":"2026-11-20T10:00:00Z","z":`
	for i, c := range []struct {
		value  string
		status int
	}{
		{`"nul \u0000 here"`, 200},
		{`"lone \ud800 surrogate"`, 200},
		{`"\udfff"`, 200},
		{`1e9999`, 200},
		{`-1.5e-9999`, 200},
		{`1e99999`, 400},
		{`0.` + strings.Repeat("0", 2000) + `1`, 400},
		{strings.Repeat("[", 400) + strings.Repeat("]", 400), 400},
		{`{"true":true,"false":false,"e":1E+2}`, 200},
	} {
		r := post(t, srv.URL+streamer.Prefix+"/events", cred.Username, cred.Password, fmt.Sprintf(head, i)+c.value+`}]`)
		if r.status != c.status {
			t.Errorf("%.40s: %d %s, want %d", c.value, r.status, r.body, c.status)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM streamer_records`); n != 6 {
		t.Errorf("stored %d records, want 6", n)
	}
	if n := count(t, db, `SELECT count(payload::jsonb) FROM streamer_records`); n != 6 {
		t.Errorf("%d stored payloads cast to jsonb, want 6", n)
	}
}

// TestPostgresAppliesEscapesTextCannotHold follows records whose fields hold \u0000 and lone
// surrogates from the 200 through the applier, which writes them to text and jsonb columns:
// the receiver's rewrite keeps them from failing there after they were acknowledged.
func TestPostgresAppliesEscapesTextCannotHold(t *testing.T) {
	s, db := openBackend(t, "postgres")
	srv, _ := newServer(t, s, cred)
	body := `[{"id":1,"event_type":"x\u0000y","timestamp":"2026-11-20T10:00:00Z","description":"nul \u0000 and \ud800 here",
		"sim":{"iccid":"8988280666000000017"},"detail":{"name":"op\u0000","country":{"name":"\udfff"}}}]`
	if r := post(t, srv.URL+streamer.Prefix+"/events", cred.Username, cred.Password, body); r.status != http.StatusOK {
		t.Fatalf("post: %d %s", r.status, r.body)
	}
	if n := applyAll(t, streamer.NewApplier(streamer.ApplierConfig{Store: s})); n != 1 {
		t.Fatalf("applied %d records, want 1", n)
	}
	if n := count(t, db, `SELECT count(*) FROM sim_events WHERE description = 'nul `+"\uFFFD"+` and `+"\uFFFD"+` here' AND event_type = 'x`+"\uFFFD"+`y'`); n != 1 {
		t.Fatalf("%d events with the rewritten text, want 1", n)
	}
}
