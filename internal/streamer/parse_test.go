package streamer

import (
	"bytes"
	"errors"
	"fmt"
	stdio "io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseFull(t *testing.T, name string, def record.Stream) []Record {
	t.Helper()
	recs, err := ParseBatch(bytes.NewReader(readFixture(t, name)), def)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for i, r := range recs {
		full, err := ParseRecord(r.Raw, def)
		if err != nil {
			t.Fatalf("%s[%d]: %v", name, i, err)
		}
		recs[i] = full
	}
	return recs
}

func TestParseV1Usage(t *testing.T) {
	recs := parseFull(t, "v1_usage.json", "")
	if len(recs) != 2 {
		t.Fatalf("got %d records", len(recs))
	}
	d := recs[0]
	want := Record{
		Stream: record.StreamUsage, ID: "900000001",
		At: time.Date(2026, 11, 20, 10, 15, 0, 0, time.UTC), Start: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
		ICCID: "8988280666000000017", IMSI: "901405100000017", MSISDN: "882285100000017", IMEI: "356938035643809", Organization: "4321",
		IPAddress: "10.200.0.17", Operator: "Telekom", Country: "Germany", Traffic: "Data",
		RxBytes: 125829, TxBytes: 31457, TotalBytes: 157286, CostE10: 11760000,
	}
	d.Raw = nil
	if fmt.Sprintf("%+v", d) != fmt.Sprintf("%+v", want) {
		t.Errorf("data record:\n got %+v\nwant %+v", d, want)
	}
	s := recs[1]
	if s.Traffic != "SMS" || s.SMSMO != 1 || s.SMSMT != 0 || s.TotalBytes != 0 || s.CostE10 != 100000000 || s.ICCID != "8988280666000000017" {
		t.Errorf("sms record = %+v", s)
	}
}

func TestParseV1Event(t *testing.T) {
	recs := parseFull(t, "v1_event.json", "")
	loc, pdp := recs[0], recs[1]
	if loc.Stream != record.StreamEvent || loc.ID != "1200000042" || loc.EventType != "Update location" ||
		loc.EventSource != "Network" || loc.Severity != "INFO" || loc.Country != "Germany" || loc.Operator != "Telekom" ||
		loc.IMSI != "901405100000017" || !loc.At.Equal(time.Date(2026, 11, 20, 10, 16, 3, 0, time.UTC)) || len(loc.Detail) == 0 {
		t.Errorf("location event = %+v", loc)
	}
	if pdp.EventType != "Create PDP Context" || pdp.RAT != "6" || pdp.IPAddress != "10.200.0.17" {
		t.Errorf("pdp event = %+v", pdp)
	}
}

func TestParsePlatform2(t *testing.T) {
	u := parseFull(t, "p2_usage.json", "")[0]
	if u.Stream != record.StreamUsage || u.ID != "18446744073709551615" || u.ICCID != "8988280666000000018" ||
		u.SessionID != "a1b2c3d4-0001" || u.TotalBytes != 1610613 || u.RxBytes != 1073742 || u.CostE10 != 20000000 ||
		!u.At.Equal(time.Date(2026, 11, 20, 11, 15, 0, 0, time.UTC)) || u.Traffic != "Data" || u.IMEI != "" {
		t.Errorf("2.0 usage = %+v", u)
	}
	e := parseFull(t, "p2_event.json", "")[0]
	if e.Stream != record.StreamEvent || e.ID != "ev-2.0-000000000000000001" || e.EventType != "Delete PDP Context" ||
		e.Severity != "INFO" || e.ICCID != "8988280666000000018" || e.Detail != nil {
		t.Errorf("2.0 event = %+v", e)
	}
}

func TestParseIDsKeepEveryDigit(t *testing.T) {
	recs, err := ParseBatch(strings.NewReader(`[{"id":9007199254740993,"event_type":"x","timestamp":"2026-01-01T00:00:00Z"},{"id":"  42 ","traffic_type":"Data","end_timestamp":1763632800}]`), "")
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].ID != "9007199254740993" || recs[1].ID != "42" {
		t.Errorf("ids = %q, %q", recs[0].ID, recs[1].ID)
	}
	if !recs[1].At.Equal(time.Unix(1763632800, 0)) {
		t.Errorf("unix time = %v", recs[1].At)
	}
}

func TestParseDefaultStream(t *testing.T) {
	body := `[{"id":1,"timestamp":"2026-11-20T10:00:00Z"}]`
	if recs, err := ParseBatch(strings.NewReader(body), record.StreamEvent); err != nil || recs[0].Stream != record.StreamEvent {
		t.Fatalf("events endpoint: %+v, %v", recs, err)
	}
	if recs, err := ParseBatch(strings.NewReader(body), record.StreamUsage); err != nil || recs[0].Stream != record.StreamUsage {
		t.Fatalf("usage endpoint: %+v, %v", recs, err)
	}
	var be *BatchError
	if _, err := ParseBatch(strings.NewReader(body), ""); !errors.As(err, &be) || be.Index != 0 {
		t.Fatalf("combined endpoint, ambiguous record: %v", err)
	}
	// A record that says what it is wins over the endpoint's default.
	recs, err := ParseBatch(strings.NewReader(`[{"id":1,"traffic_type":"Data","end_timestamp":"2026-11-20T10:00:00Z"}]`), record.StreamEvent)
	if err != nil || recs[0].Stream != record.StreamUsage {
		t.Fatalf("usage record on events endpoint: %+v, %v", recs, err)
	}
}

func TestParseRejects(t *testing.T) {
	ok := `{"id":1,"traffic_type":"Data","end_timestamp":"2026-11-20T10:00:00Z","volume":{"total":1}}`
	for _, tc := range []struct {
		name, body string
		index      int
		reason     string
	}{
		{"not an array", `{"id":1}`, -1, "JSON array"},
		{"empty", `[]`, -1, "empty"},
		{"truncated", `[` + ok + `,`, 1, "JSON"},
		{"trailing data", `[` + ok + `] x`, -1, ""},
		{"no id", `[` + ok + `,{"traffic_type":"Data","end_timestamp":"2026-11-20T10:00:00Z"}]`, 1, "no id"},
		{"null id", `[{"id":null,"event_type":"x","timestamp":"2026-11-20T10:00:00Z"}]`, 0, "no id"},
		{"object id", `[{"id":{},"event_type":"x","timestamp":"2026-11-20T10:00:00Z"}]`, 0, "id must be"},
		{"float id", `[{"id":1.5,"event_type":"x","timestamp":"2026-11-20T10:00:00Z"}]`, 0, "64-bit"},
		{"bad timestamp", `[` + ok + `,` + ok + `,{"id":3,"event_type":"x","timestamp":"yesterday"}]`, 2, "ISO-8601"},
		{"event without time", `[{"id":3,"event_type":"x"}]`, 0, "no timestamp"},
		{"usage without time", `[{"id":3,"traffic_type":"Data"}]`, 0, "neither"},
		{"bad volume", `[{"id":3,"traffic_type":"Data","end_timestamp":"2026-11-20T10:00:00Z","volume":{"rx":"lots"}}]`, 0, "volume.rx"},
		{"negative volume", `[{"id":3,"traffic_type":"Data","end_timestamp":"2026-11-20T10:00:00Z","volume":{"total":-1}}]`, 0, "negative"},
		{"huge exponent", `[{"id":3,"traffic_type":"Data","end_timestamp":"2026-11-20T10:00:00Z","volume":{"total":1e999999999}}]`, 0, "number out of range"},
		{"huge exponent in string", `[{"id":3,"traffic_type":"Data","end_timestamp":"2026-11-20T10:00:00Z","volume":{"total":"1e999999999"}}]`, 0, "not a number"},
		{"out of range", `[{"id":3,"traffic_type":"Data","end_timestamp":"2026-11-20T10:00:00Z","volume":{"total":1e30}}]`, 0, "out of range"},
		{"record not an object", `[` + ok + `, 7]`, 1, "object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBatch(strings.NewReader(tc.body), "")
			var be *BatchError
			if !errors.As(err, &be) {
				t.Fatalf("err = %v, want *BatchError", err)
			}
			if be.Index != tc.index || !strings.Contains(be.Reason, tc.reason) {
				t.Fatalf("err = index %d %q, want index %d containing %q", be.Index, be.Reason, tc.index, tc.reason)
			}
		})
	}
}

func TestParseLenient(t *testing.T) {
	// Null nested objects everywhere, unknown fields, descriptive fields as strings or objects.
	body := `[{"id":"u1","traffic_type":null,"volume":{"rx":null,"tx":"0.5","total":null},"end_timestamp":"2026-11-20 10:00:00",
		"sim":null,"endpoint":null,"operator":"Vodafone","x":{"y":[null]}},
		{"id":"e1","event_type":{"id":9,"description":null},"timestamp":"2026-11-20T10:00:00+01:00","detail":[],"sim":[],"imsi":7}]`
	recs, err := ParseBatch(strings.NewReader(body), "")
	if err != nil {
		t.Fatal(err)
	}
	u, err := ParseRecord(recs[0].Raw, "")
	if err != nil {
		t.Fatal(err)
	}
	if u.TxBytes != 524288 || u.TotalBytes != 524288 || u.Operator != "Vodafone" || !u.At.Equal(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("lenient usage = %+v", u)
	}
	e, err := ParseRecord(recs[1].Raw, "")
	if err != nil {
		t.Fatal(err)
	}
	if e.Stream != record.StreamEvent || !e.At.Equal(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("lenient event = %+v", e)
	}
}

func TestParseLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range MaxRecords + 1 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":%d,"event_type":"x","timestamp":"2026-11-20T10:00:00Z"}`, i)
	}
	b.WriteString("]")
	if _, err := ParseBatch(strings.NewReader(b.String()), ""); !errors.Is(err, ErrTooManyRecords) {
		t.Fatalf("3,001 records: err = %v", err)
	}
	// Exactly 3,000 is fine.
	s := b.String()
	cut := strings.LastIndex(s, `,{"id":3000`)
	if recs, err := ParseBatch(strings.NewReader(s[:cut]+"]"), ""); err != nil || len(recs) != MaxRecords {
		t.Fatalf("3,000 records: %d, %v", len(recs), err)
	}
	// The byte limit surfaces as the reader's own error, not as bad JSON.
	rec := httptest.NewRecorder()
	body := http.MaxBytesReader(rec, stdio.NopCloser(strings.NewReader(s)), 100)
	var mbe *http.MaxBytesError
	if _, err := ParseBatch(body, ""); !errors.As(err, &mbe) {
		t.Fatalf("over byte limit: err = %v", err)
	}
}

func TestParseRejectsWhatJSONColumnsRefuse(t *testing.T) {
	head := `[{"id":1,"event_type":"x","timestamp":"2026-11-20T10:00:00Z","z":`
	for _, v := range []string{`NaN`, `inf`, `01`, "\"a\x01\"", "\"\xff\""} {
		var be *BatchError
		if _, err := ParseBatch(strings.NewReader(head+v+`}]`), ""); !errors.As(err, &be) || be.Index != 0 {
			t.Errorf("%q: err = %v, want a BatchError at index 0", v, err)
		}
	}
	// \u0000 is valid JSON that jsonb cannot store: it is rewritten, not refused.
	recs, err := ParseBatch(strings.NewReader(head+`"a\u0000b"}]`), "")
	if err != nil || !strings.Contains(string(recs[0].Raw), `a\ufffdb`) {
		t.Fatalf("NUL escape: %v %s", err, recs[0].Raw)
	}
	// ...but an escaped backslash followed by u0000 is plain text and stays.
	recs, err = ParseBatch(strings.NewReader(head+`"a\\u0000b"}]`), "")
	if err != nil || !strings.Contains(string(recs[0].Raw), `a\\u0000b`) {
		t.Fatalf("escaped backslash: %v %s", err, recs[0].Raw)
	}
}

func TestParseRewritesSurrogatesJSONBRefuses(t *testing.T) {
	head := `[{"id":1,"event_type":"x","timestamp":"2026-11-20T10:00:00Z","z":`
	for in, want := range map[string]string{
		`"\ud83d\ude00"`:  `"\ud83d\ude00"`, // a valid pair stays
		`"a\ud800b"`:      `"a\ufffdb"`,
		`"a\ud800"`:       `"a\ufffd"`,
		`"\udc00"`:        `"\ufffd"`,
		`"\ud800\ud800x"`: `"\ufffd\ufffdx"`,
		`"\ud800\n"`:      `"\ufffd\n"`,
		`"\u0000\u0041"`:  `"\ufffd\u0041"`,
	} {
		recs, err := ParseBatch(strings.NewReader(head+in+`}]`), "")
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := string(recs[0].Raw); !strings.HasSuffix(got, `"z":`+want+`}`) {
			t.Errorf("%s became %s, want %s", in, got, want)
		}
	}
}
