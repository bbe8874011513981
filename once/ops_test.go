package once

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/once/wire"
)

// FakeAPI is a small in-process stand-in for 1NCE used by this package's tests, examples and
// benchmarks: it answers every operation of the five specs with schema-valid JSON built from
// testdata/wire, checks Basic auth on /oauth/token and a bearer elsewhere, paginates the SIM
// list over a fleet of SIMs with 1NCE's headers, and records the requests it saw. It is not
// a simulator (no state changes); oncesim is.
type FakeAPI struct {
	ClientID, ClientSecret string
	// SIMs is the size of the fleet the SIM lists page over.
	SIMs int

	wire map[string]json.RawMessage

	mu   sync.Mutex
	seen []string // "METHOD /path?query"
}

// NewFakeAPI loads the wire fixtures; dir is the package directory ("." from its tests).
func NewFakeAPI(dir, clientID, clientSecret string, sims int) (*FakeAPI, error) {
	f := &FakeAPI{ClientID: clientID, ClientSecret: clientSecret, SIMs: sims, wire: map[string]json.RawMessage{}}
	files, err := filepath.Glob(filepath.Join(dir, "testdata", "wire", "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("fake API: no wire fixtures in %s: %v", dir, err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f.wire[strings.TrimSuffix(filepath.Base(p), ".json")] = b
	}
	// v2 event details cannot satisfy the spec's oneOf (see TestV2EventDetailOneOf), so the
	// fake leaves them out of its answers; the mapping test still reads them.
	var evs []map[string]any
	if err := json.Unmarshal(f.wire["v2_events"], &evs); err != nil {
		return nil, err
	}
	for _, e := range evs {
		delete(e, "detail")
	}
	f.wire["v2_events_served"], _ = json.Marshal(evs)
	return f, nil
}

// Seen returns the requests received so far.
func (f *FakeAPI) Seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

func (f *FakeAPI) record(r *http.Request) {
	s := r.Method + " " + r.URL.Path
	if r.URL.RawQuery != "" {
		s += "?" + r.URL.RawQuery
	}
	f.mu.Lock()
	f.seen = append(f.seen, s)
	f.mu.Unlock()
}

func (f *FakeAPI) json(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ServeHTTP answers one request.
func (f *FakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.record(r)
	if r.Method == http.MethodPost && r.URL.Path == "/oauth/token" {
		id, secret, ok := r.BasicAuth()
		if !ok || id != f.ClientID || secret != f.ClientSecret {
			f.json(w, 400, []byte(`{"statusCode":400,"errorCode":"BadCredentials","message":"User does not exist."}`))
			return
		}
		f.json(w, 200, []byte(`{"status_code":200,"access_token":"fake-token","token_type":"bearer","expires_in":3600,"userId":"user","scope":"all"}`))
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Body != nil {
		b := new(bytes.Buffer)
		_, _ = b.ReadFrom(r.Body)
		if b.Len() > 0 && !json.Valid(b.Bytes()) {
			f.json(w, 400, []byte(`{"error_code":1000,"error_token":"BadRequest","message":"body is not JSON"}`))
			return
		}
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	key := r.Method + " " + shape(parts)
	switch key {
	case "GET v1/sims", "GET v2/sims":
		f.simPage(w, r)
	case "GET v1/sims/{}", "GET v2/sims/{}":
		f.json(w, 200, f.sim(parts[2]))
	case "PUT v1/sims/{}", "PUT v2/sims/{}":
		w.WriteHeader(200)
	case "POST v1/sims", "POST v1/sims/simTransfer", "POST v1/sims/{}/reset", "POST v2/sims/{}/reset",
		"POST v1/sims/{}/sms", "POST v1/sims/autoTopup", "POST v1/sims/limits", "POST v1/sims/extension", "POST v1/support":
		w.WriteHeader(201)
	case "GET v1/sims/{}/status":
		f.json(w, 200, f.wire["v1_status"])
	case "GET v2/sims/{}/status":
		f.json(w, 200, f.wire["v2_status"])
	case "GET v1/sims/{}/connectivity_info":
		f.json(w, 200, []byte(`{"subscriber_info":{"success":true,"state":"provided","location":{"current_location_retrieved":true,"age_of_location":2,"cell_global_id":{"cid":12,"lac":40217,"mcc":"262","mnc":"01"}}},"ussd_info":{"success":false,"error":"Request Timeout Error"},"request_timestamp":"2018-11-07T17:21:46.121+0000","reply_timestamp":"2018-11-07T17:21:46.263+0000"}`))
	case "GET v1/sims/{}/events":
		w.Header().Set("X-Total-Count", "2")
		w.Header().Set("X-Total-Pages", "1")
		w.Header().Set("X-Current-Page", "1")
		w.Header().Set("X-Count-Per-Page", r.URL.Query().Get("pageSize"))
		f.json(w, 200, f.wire["v1_events"])
	case "GET v2/sims/{}/events":
		f.json(w, 200, f.wire["v2_events_served"])
	case "GET v1/sims/{}/usage":
		f.json(w, 200, f.wire["v1_usage"])
	case "GET v1/sims/{}/quota/data":
		f.json(w, 200, f.wire["v1_quota_data"])
	case "GET v1/sims/{}/quota/sms":
		f.json(w, 200, f.wire["v1_quota_sms"])
	case "GET v2/sims/{}/quota/data":
		f.json(w, 200, f.wire["v2_quota_data"])
	case "GET v2/sims/{}/quota/sms":
		f.json(w, 200, f.wire["v2_quota_sms"])
	case "GET v1/sims/{}/sms":
		w.Header().Set("X-Total-Count", "2")
		w.Header().Set("X-Total-Pages", "1")
		f.json(w, 200, f.wire["v1_sms"])
	case "GET v2/sims/{}/sms":
		f.json(w, 200, f.wire["v2_sms"])
	case "POST v2/sims/{}/sms":
		f.json(w, 201, []byte(`{"id":"592"}`))
	case "GET v1/sims/{}/sms/{}":
		f.json(w, 200, first(f.wire["v1_sms"]))
	case "GET v2/sims/{}/sms/{}":
		f.json(w, 200, first(f.wire["v2_sms"]))
	case "DELETE v1/sims/{}/sms/{}":
		w.WriteHeader(204)
	case "DELETE v2/sims/{}/sms/{}":
		f.json(w, 200, []byte(`{"id":"`+parts[4]+`"}`))
	case "POST v1/sims/{}/topup", "POST v2/sims/{}/topup", "POST v1/sims/topup":
		w.Header().Set("Location", "/"+parts[0]+"/orders/1234")
		w.WriteHeader(201)
	case "GET v1/sims/limits", "GET v1/sims/{}/limits":
		f.json(w, 200, []byte(`{"data":{"id":1,"limit":"16","unit":"MB"},"smsMt":{"id":2,"limit":"10","unit":"SMS"},"smsMo":{"id":3,"limit":"10","unit":"SMS"}}`))
	case "GET v1/orders":
		w.Header().Set("X-Total-Count", "1")
		w.Header().Set("X-Total-Pages", "1")
		f.json(w, 200, []byte(`[`+order+`]`))
	case "POST v1/orders":
		f.json(w, 200, []byte(`{"products":[{"productId":1001,"quantity":10}],"customer_reference":"PO-7"}`))
	case "GET v1/orders/{}":
		f.json(w, 200, []byte(order))
	case "GET v1/products":
		f.json(w, 200, []byte(`[{"id":1001,"product":"1NCE IoT FlexSIM - Standard","material":"1NCE FlexSIM","package_size":1,"minQuantity":1,"min_contract_duration":120,"one_time_charges":[{"name":"provisionCharge","amount_net":10,"currency":"EUR"}]}]`))
	case "GET v1/support":
		f.json(w, 200, []byte(`[{"caseId":"12","status":"OPEN","subject":"Connectivity Issue","text":"no attach","createDate":"2024-05-01T10:00:00Z","communications":[{"id":"1","direction":"IN","type":"PORTAL","subject":"Connectivity Issue","text":"no attach","communicationDate":"2024-05-01T10:00:00Z"}]}]`))
	default:
		f.json(w, 404, []byte(`{"error_code":1000,"error_token":"NotFound","message":"no such operation in the fake"}`))
	}
}

const order = `{"order_number":1234,"order_type":"TOPUP","order_date":"2024-05-01T10:00:00Z","order_status":"COMPLETED","invoice_number":"20000002","invoice_amount":"10.00","currency":"EUR","sims":[{"iccid":"8988280666000000001","_links":[{"rel":"self","href":"/v1/sims/8988280666000000001"}]}],"products":[{"product_id":1001,"quantity":1}]}`

// shape replaces the variable segments of a path with {} ("v1/sims/123/sms" → "v1/sims/{}/sms").
func shape(parts []string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		switch {
		case i == 2 && (p == "simTransfer" || p == "autoTopup" || p == "limits" || p == "extension" || p == "topup"):
			out[i] = p
		case (i == 2 && parts[1] == "sims") || (i == 4 && parts[3] == "sms") || (i == 2 && parts[1] == "orders"):
			out[i] = "{}"
		default:
			out[i] = p
		}
	}
	return strings.Join(out, "/")
}

func first(list json.RawMessage) []byte {
	var items []json.RawMessage
	if json.Unmarshal(list, &items) != nil || len(items) == 0 {
		return []byte(`{}`)
	}
	return items[0]
}

func (f *FakeAPI) sim(iccid string) []byte {
	return bytes.Replace(f.wire["v2_sim"], []byte(`"8988280666000000001"`), []byte(strconv.Quote(iccid)), 1)
}

func (f *FakeAPI) simPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, size := atoiOr(q.Get("page"), 1), atoiOr(q.Get("pageSize"), 10)
	if page < 1 || size < 1 || size > 100 {
		f.json(w, 400, []byte(`{"error_code":1000,"error_token":"BadRequest","message":"bad page"}`))
		return
	}
	pages := (f.SIMs + size - 1) / size
	h := w.Header()
	h.Set("X-Total-Count", strconv.Itoa(f.SIMs))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	h.Set("X-Current-Page", strconv.Itoa(page))
	h.Set("X-Count-Per-Page", strconv.Itoa(size))
	var b bytes.Buffer
	b.WriteByte('[')
	for i := (page - 1) * size; i < page*size && i < f.SIMs; i++ {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(f.sim(strconv.Itoa(8988280666000000000 + 1 + i)))
	}
	b.WriteByte(']')
	f.json(w, 200, b.Bytes())
}

func atoiOr(s string, def int) int {
	if v, err := strconv.Atoi(s); err == nil {
		return v
	}
	return def
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func readWire[T any](t *testing.T, name string) T {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "wire", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// golden compares v, as indented JSON, with testdata/golden/name.json (go test -update
// rewrites it). The golden files pin the domain mapping of both generations.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	p := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n got: %s\nwant: %s", name, got, want)
	}
}

// quotaNow is the clock of the v1 quota mappings: before the fixtures' expiry in 2029.
var quotaNow = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func TestDomainMappingGolden(t *testing.T) {
	must := func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v1sms := readWire[[]V1SMS](t, "v1_sms")
	v2sms := readWire[[]V2SMS](t, "v2_sms")
	var sms1, sms2 []SMS
	for _, s := range v1sms {
		sms1 = append(sms1, smsFromV1(s))
	}
	for _, s := range v2sms {
		sms2 = append(sms2, smsFromV2(s))
	}
	var ev1, ev2 []Event
	for _, e := range readWire[V1EventCollection](t, "v1_events").Events {
		ev1 = append(ev1, eventFromV1(e))
	}
	for _, e := range readWire[[]V2Event](t, "v2_events") {
		ev2 = append(ev2, eventFromV2(e, "8988280666000000001"))
	}
	cases := map[string]any{
		"v1_sim":        must(simFromV1(readWire[V1SIM](t, "v1_sim"))),
		"v2_sim":        must(simFromV2(readWire[V2SIM](t, "v2_sim"))),
		"v1_quota_data": must(quotaFromV1(readWire[V1Quota](t, "v1_quota_data"), QuotaData, quotaNow)),
		"v2_quota_data": must(quotaFromV2(readWire[V2Quota](t, "v2_quota_data"), QuotaData)),
		"v1_quota_sms":  must(quotaFromV1(readWire[V1Quota](t, "v1_quota_sms"), QuotaSMS, quotaNow)),
		"v2_quota_sms":  must(quotaFromV2(readWire[V2Quota](t, "v2_quota_sms"), QuotaSMS)),
		"v1_sms":        sms1,
		"v2_sms":        sms2,
		"v1_events":     ev1,
		"v2_events":     ev2,
		"v1_usage":      must(usageFromV1(readWire[V1DailyUsage](t, "v1_usage"))),
		"v1_status":     connectivityFromV1(readWire[V1Connectivity](t, "v1_status"), "8988280666000000001"),
		"v2_status":     connectivityFromV2(readWire[V2Connectivity](t, "v2_status"), "8988280666000000001"),
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) { golden(t, name, v) })
	}
}

// TestGenerationsAgree feeds the same SIM, quota, SMS and connectivity as v1 and as v2 answers
// it (different timestamp formats, numeric vs string fields) and requires one domain value.
func TestGenerationsAgree(t *testing.T) {
	s1, err := simFromV1(readWire[V1SIM](t, "v1_sim"))
	if err != nil {
		t.Fatal(err)
	}
	s2, err := simFromV2(readWire[V2SIM](t, "v2_sim"))
	if err != nil {
		t.Fatal(err)
	}
	s1.Source, s2.Source = "", ""
	if !reflect.DeepEqual(s1, s2) {
		t.Errorf("SIM differs between generations:\nv1 %+v\nv2 %+v", s1, s2)
	}
	if s1.DataQuota.Total != 500*wire.BytesPerMB || s1.IMEI != "869951030000001" || s1.ActivationDate != time.Date(2018, 3, 9, 7, 59, 9, 0, time.UTC) {
		t.Errorf("SIM mapping: %+v", s1)
	}

	q1, _ := quotaFromV1(readWire[V1Quota](t, "v1_quota_data"), QuotaData, quotaNow)
	q2, _ := quotaFromV2(readWire[V2Quota](t, "v2_quota_data"), QuotaData)
	if q1.Remaining != q2.Remaining || q1.Total != q2.Total || q1.LastAdded != q2.LastAdded || q1.State != q2.State ||
		!q1.ExpiresAt.Equal(q2.ExpiresAt) || !q1.ChangedAt.Equal(q2.ChangedAt) || q1.ThresholdVolume != q2.ThresholdVolume {
		t.Errorf("data quota differs:\nv1 %+v\nv2 %+v", q1, q2)
	}
	if q1.Remaining != 456956787 {
		t.Errorf("435.787951 MB = %d bytes, want 456956787", q1.Remaining)
	}
	qs1, _ := quotaFromV1(readWire[V1Quota](t, "v1_quota_sms"), QuotaSMS, quotaNow)
	qs2, _ := quotaFromV2(readWire[V2Quota](t, "v2_quota_sms"), QuotaSMS)
	if qs1.State != QuotaExhausted || qs2.State != QuotaExhausted || qs1.Total != 250 || qs2.Total != 250 {
		t.Errorf("SMS quota: v1 %+v v2 %+v", qs1, qs2)
	}

	v1 := readWire[[]V1SMS](t, "v1_sms")
	v2 := readWire[[]V2SMS](t, "v2_sms")
	for i := range v1 {
		a, b := smsFromV1(v1[i]), smsFromV2(v2[i])
		a.Source, b.Source = "", ""
		// v1 SMS carry no MSISDN/IMSI/MSC for MO messages in the fixture either way.
		if !reflect.DeepEqual(a, b) {
			t.Errorf("SMS %d differs:\nv1 %+v\nv2 %+v", i, a, b)
		}
	}

	c1 := connectivityFromV1(readWire[V1Connectivity](t, "v1_status"), "x")
	c2 := connectivityFromV2(readWire[V2Connectivity](t, "v2_status"), "x")
	c1.Source, c2.Source = "", ""
	if !reflect.DeepEqual(c1, c2) {
		t.Errorf("connectivity differs:\nv1 %+v\nv2 %+v", c1, c2)
	}

	e1 := eventFromV1(readWire[V1EventCollection](t, "v1_events").Events[0])
	e2 := eventFromV2(readWire[[]V2Event](t, "v2_events")[0], "8988280666000000001")
	if e1.Type != e2.Type || !e1.Timestamp.Equal(e2.Timestamp) || e1.Severity != e2.Severity || e1.ICCID != e2.ICCID || e1.IMEI != e2.IMEI || e1.IMSI != e2.IMSI {
		t.Errorf("event differs:\nv1 %+v\nv2 %+v", e1, e2)
	}
}

func TestUsageConversion(t *testing.T) {
	days, err := usageFromV1(readWire[V1DailyUsage](t, "v1_usage"))
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 {
		t.Fatalf("%d days", len(days))
	}
	d := days[0]
	if d.DataBytes != 2939 || d.DataRxBytes != 1554 || d.DataTxBytes != 1385 || d.SMS != 3 || d.SMSMO != 2 || d.SMSMT != 1 || d.Currency != "EUR" {
		t.Errorf("day 1: %+v", d)
	}
	if days[1].DataBytes != int64(12.5*wire.BytesPerMB) || !days[1].Date.Equal(time.Date(2021, 7, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("day 2: %+v", days[1])
	}
	if _, err := usageFromV1(V1DailyUsage{Stats: []V1Daily{{Data: &V1DataUsage{Volume: "1e30"}}}}); !errors.Is(err, wire.ErrVolumeRange) {
		t.Errorf("overflowing volume: err = %v", err)
	}
}

func TestQuotaStateV1(t *testing.T) {
	q := V1Quota{Volume: "10", TotalVolume: "500", ExpiryDate: "2020-01-01T00:00:00.000Z"}
	got, err := quotaFromV1(q, QuotaData, quotaNow)
	if err != nil || got.State != QuotaExpired {
		t.Errorf("expired quota: %v %v", got.State, err)
	}
	q.Volume = "-0.4"
	if got, _ := quotaFromV1(q, QuotaData, quotaNow); got.State != QuotaExhausted || got.Remaining != -419430 {
		t.Errorf("overdrawn quota: %+v", got)
	}
}

// recorder is a doer that records the requests operations build and answers canned bodies.
type recorder struct {
	reqs   []*request
	answer map[string]string // op → JSON body
	header http.Header
}

func (r *recorder) do(_ context.Context, req *request, out any) (*response, error) {
	r.reqs = append(r.reqs, req)
	if body, ok := r.answer[req.op]; ok && out != nil {
		if err := json.Unmarshal([]byte(body), out); err != nil {
			return nil, err
		}
	}
	return &response{status: 200, header: r.header}, nil
}

func bodyJSON(t *testing.T, v any) string {
	t.Helper()
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOperationRequests pins, for every operation, the request it builds: operation name,
// generation, method, path, query, JSON body, and the unsafe and commerce flags the transport
// relies on to never repeat a money-costing POST and to apply the commerce limit.
func TestOperationRequests(t *testing.T) {
	const id = "8988280666000000001"
	ctx := context.Background()
	tru, fls := true, false
	label := "pump-17"
	rec := &recorder{header: http.Header{"Location": {"https://api.1nce.com/management-api/v1/orders/1234"}}}
	v1, v2 := V1{d: rec}, V2{d: rec}
	since := time.Date(2024, 5, 1, 15, 0, 0, 0, time.UTC)
	until := time.Date(2024, 5, 31, 0, 0, 0, 0, time.UTC)
	type want struct {
		op, gen, method, path, query, body string
		unsafe                             bool
		group                              limitGroup
	}
	steps := []struct {
		call func() error
		want want
	}{
		{func() error {
			_, _, err := v1.SIMsPage(ctx, SIMsPageParams{Page: 2, PageSize: 500, Filter: "imei:4711", Sort: "-imei"})
			return err
		},
			want{"v1.getSims", "v1", "GET", "/v1/sims", "page=2&pageSize=100&q=imei%3A4711&sort=-imei", "", false, groupManagement}},
		{func() error {
			_, err := v1.UpdateSIMs(ctx, []SIMUpdate{{ICCID: id, Status: "Disabled"}, {ICCID: "8988280666000000002", Status: "Enabled", Label: &label, IMEILock: &fls}})
			return err
		}, want{"v1.updateSims", "v1", "POST", "/v1/sims", "", `[{"iccid":"8988280666000000001","status":"Disabled"},{"iccid":"8988280666000000002","label":"pump-17","imei_lock":false,"status":"Enabled"}]`, true, groupManagement}},
		{func() error { _, err := v1.GetSIM(ctx, id); return err }, want{"v1.getSim", "v1", "GET", "/v1/sims/" + id, "", "", false, 0}},
		{func() error {
			_, err := v1.UpdateSIM(ctx, SIMUpdate{ICCID: id, Status: "Enabled", IMEILock: &tru})
			return err
		},
			want{"v1.updateSim", "v1", "PUT", "/v1/sims/" + id, "", `{"iccid":"8988280666000000001","imei_lock":true,"status":"Enabled"}`, false, 0}},
		{func() error { _, err := v1.Status(ctx, id); return err }, want{"v1.getStatus", "v1", "GET", "/v1/sims/" + id + "/status", "", "", false, 0}},
		{func() error {
			_, err := v1.Transfer(ctx, SIMTransfer{TargetOrganisation: 2000000001, ICCIDRanges: []ICCIDRange{{From: "1", To: "9"}}, ICCIDs: []string{id}})
			return err
		}, want{"v1.simTransfer", "v1", "POST", "/v1/sims/simTransfer", "", `{"target_organisation":2000000001,"iccid_ranges":[{"from":"1","to":"9"}],"iccids":["8988280666000000001"]}`, true, 0}},
		{func() error {
			_, err := v1.ConnectivityInfo(ctx, ConnectivityInfoParams{ICCID: id, Subscriber: &fls, USSD: &tru})
			return err
		}, want{"v1.getConnectivityInfo", "v1", "GET", "/v1/sims/" + id + "/connectivity_info", "subscriber=false&ussd=true", "", false, 0}},
		{func() error { _, err := v1.Reset(ctx, id); return err }, want{"v1.resetConnectivity", "v1", "POST", "/v1/sims/" + id + "/reset", "", "", true, 0}},
		{func() error {
			_, _, err := v1.EventsPage(ctx, EventsPageParams{ICCID: id, PageSize: 5000, Sort: "-timestamp"})
			return err
		},
			want{"v1.getEvents", "v1", "GET", "/v1/sims/" + id + "/events", "page=1&pageSize=1000&sort=-timestamp", "", false, 0}},
		{func() error { _, err := v1.Usage(ctx, UsageParams{ICCID: id, Start: since, End: until}); return err },
			want{"v1.getUsage", "v1", "GET", "/v1/sims/" + id + "/usage", "end_dt=2024-05-31&start_dt=2024-05-01", "", false, 0}},
		{func() error { _, err := v1.DataQuota(ctx, id); return err }, want{"v1.getDataQuota", "v1", "GET", "/v1/sims/" + id + "/quota/data", "", "", false, 0}},
		{func() error { _, err := v1.SMSQuota(ctx, id); return err }, want{"v1.getSmsQuota", "v1", "GET", "/v1/sims/" + id + "/quota/sms", "", "", false, 0}},
		{func() error {
			_, _, err := v1.SMSPage(ctx, SMSPageParams{ICCID: id, Page: 3, PageSize: 20})
			return err
		},
			want{"v1.listSms", "v1", "GET", "/v1/sims/" + id + "/sms", "page=3&pageSize=20", "", false, 0}},
		{func() error {
			dcs := 0
			_, err := v1.SendSMS(ctx, SMSMessage{ICCID: id, SourceAddress: "1234", Payload: "hi", DCS: &dcs, SourceAddressType: &SourceAddressTypeInput{ID: SourceNational}, ExpiryDate: wire.NewTimestamp(until)})
			return err
		}, want{"v1.sendSms", "v1", "POST", "/v1/sims/" + id + "/sms", "", `{"source_address":"1234","payload":"hi","dcs":0,"source_address_type":{"id":161},"expiry_date":"2024-05-31T00:00:00.000Z"}`, true, 0}},
		{func() error { _, err := v1.GetSMS(ctx, SMSRef{ICCID: id, ID: 590}); return err }, want{"v1.getSms", "v1", "GET", "/v1/sims/" + id + "/sms/590", "", "", false, 0}},
		{func() error { _, err := v1.CancelSMS(ctx, SMSRef{ICCID: id, ID: 590}); return err }, want{"v1.cancelSms", "v1", "DELETE", "/v1/sims/" + id + "/sms/590", "", "", false, 0}},
		{func() error {
			_, err := v1.TopUp(ctx, TopUpParams{ICCID: id, PaymentMethod: PayCreditCard})
			return err
		},
			want{"v1.topUp", "v1", "POST", "/v1/sims/" + id + "/topup", "payment_method=creditcard", "", true, 0}},
		{func() error {
			_, err := v1.TopUpMultiple(ctx, TopUpMultipleParams{ICCIDs: []string{id, "8988280666000000002"}})
			return err
		},
			want{"v1.topUpMultiple", "v1", "POST", "/v1/sims/topup", "", `["8988280666000000001","8988280666000000002"]`, true, 0}},
		{func() error {
			_, err := v1.AutoTopUp(ctx, AutoTopUpRequest{Enabled: false, ICCIDs: []string{id}})
			return err
		},
			want{"v1.autoTopup", "v1", "POST", "/v1/sims/autoTopup", "", `{"enabled":false,"iccids":["8988280666000000001"]}`, true, 0}},
		{func() error { _, err := v1.Limits(ctx); return err }, want{"v1.getLimits", "v1", "GET", "/v1/sims/limits", "", "", false, 0}},
		{func() error {
			_, err := v1.SetLimits(ctx, SetLimitsRequest{DataLimitID: 3, SMSMOLimitID: 1})
			return err
		},
			want{"v1.setLimits", "v1", "POST", "/v1/sims/limits", "", `{"dataLimitId":3,"smsMoLimitId":1}`, true, 0}},
		{func() error { _, err := v1.SelectableLimits(ctx, LimitSMSMT); return err },
			want{"v1.getSelectableLimits", "v1", "GET", "/v1/sims/smsMT/limits", "", "", false, 0}},
		{func() error {
			_, err := v1.Extension(ctx, ExtensionRequest{ICCIDs: []string{id}, ProductID: 1001, PaymentMethod: PayMonthlyInvoice})
			return err
		},
			want{"v1.extendSims", "v1", "POST", "/v1/sims/extension", "payment_method=monthlyinvoice", `{"iccids":["8988280666000000001"],"productId":1001}`, true, 0}},

		{func() error { _, _, err := v2.SIMsPage(ctx, SIMsPageParams{}); return err }, want{"v2.getSims", "v2", "GET", "/v2/sims", "page=1&pageSize=100", "", false, 0}},
		{func() error { _, err := v2.GetSIM(ctx, id); return err }, want{"v2.getSim", "v2", "GET", "/v2/sims/" + id, "", "", false, 0}},
		{func() error { _, err := v2.UpdateSIM(ctx, SIMUpdate{ICCID: id, Label: &label}); return err },
			want{"v2.updateSim", "v2", "PUT", "/v2/sims/" + id, "", `{"iccid":"8988280666000000001","label":"pump-17"}`, false, 0}},
		{func() error { _, err := v2.Reset(ctx, id); return err }, want{"v2.resetConnectivity", "v2", "POST", "/v2/sims/" + id + "/reset", "", "", true, 0}},
		{func() error { _, err := v2.DataQuota(ctx, id); return err }, want{"v2.getDataQuota", "v2", "GET", "/v2/sims/" + id + "/quota/data", "", "", false, 0}},
		{func() error { _, err := v2.SMSQuota(ctx, id); return err }, want{"v2.getSmsQuota", "v2", "GET", "/v2/sims/" + id + "/quota/sms", "", "", false, 0}},
		{func() error { _, err := v2.Status(ctx, id); return err }, want{"v2.getStatus", "v2", "GET", "/v2/sims/" + id + "/status", "", "", false, 0}},
		{func() error {
			_, err := v2.SendSMS(ctx, SMSMessage{ICCID: id, Payload: "hi", UDH: "050003CC0301"})
			return err
		},
			want{"v2.sendSms", "v2", "POST", "/v2/sims/" + id + "/sms", "", `{"payload":"hi","udh":"050003CC0301"}`, true, 0}},
		{func() error { _, _, err := v2.SMSPage(ctx, SMSPageParams{ICCID: id, PageSize: 50}); return err },
			want{"v2.listSms", "v2", "GET", "/v2/sims/" + id + "/sms", "page=1&per_page=50", "", false, 0}},
		{func() error { _, err := v2.GetSMS(ctx, SMSRef{ICCID: id, ID: 7}); return err }, want{"v2.getSms", "v2", "GET", "/v2/sims/" + id + "/sms/7", "", "", false, 0}},
		{func() error { _, err := v2.CancelSMS(ctx, SMSRef{ICCID: id, ID: 7}); return err }, want{"v2.cancelSms", "v2", "DELETE", "/v2/sims/" + id + "/sms/7", "", "", false, 0}},
		{func() error {
			_, _, err := v2.EventsPage(ctx, EventsPageParams{ICCID: id, Page: 2, PageSize: 10})
			return err
		},
			want{"v2.getEvents", "v2", "GET", "/v2/sims/" + id + "/events", "page=2&pageSize=10", "", false, 0}},
		{func() error { _, err := v2.TopUp(ctx, TopUpParams{ICCID: id}); return err }, want{"v2.topUp", "v2", "POST", "/v2/sims/" + id + "/topup", "", "", true, 0}},

		{func() error {
			_, _, err := ordersPage(ctx, rec, OrdersPageParams{Page: 1, PageSize: 50, Sort: "order_date"})
			return err
		},
			want{"orders.list", "", "GET", "/v1/orders", "page=1&pageSize=10&sort=order_date", "", false, groupCommerce}},
		{func() error {
			_, err := createOrder(ctx, rec, OrderRequest{Products: []OrderedProduct{{ProductID: 1001, Quantity: 10}}, CustomerReference: "PO-7"})
			return err
		}, want{"orders.create", "", "POST", "/v1/orders", "", `{"products":[{"productId":1001,"quantity":10}],"customer_reference":"PO-7"}`, true, groupCommerce}},
		{func() error { _, err := getOrder(ctx, rec, 1234); return err }, want{"orders.get", "", "GET", "/v1/orders/1234", "", "", false, groupCommerce}},
		{func() error { _, err := listProducts(ctx, rec); return err }, want{"products.list", "", "GET", "/v1/products", "", "", false, groupCommerce}},
		{func() error { _, _, err := supportPage(ctx, rec, SupportPageParams{Page: 1}); return err },
			want{"support.list", "", "GET", "/v1/support", "page=1&pageSize=100", "", false, groupCommerce}},
		{func() error {
			_, err := createSupportRequest(ctx, rec, NewSupportRequest{Subject: "s", Text: "t", ReplyToMail: "a@b.c"})
			return err
		},
			want{"support.create", "", "POST", "/v1/support", "", `{"replyToMail":"a@b.c","subject":"s","text":"t"}`, true, groupCommerce}},
	}
	for _, st := range steps {
		t.Run(st.want.op, func(t *testing.T) {
			rec.reqs = nil
			if err := st.call(); err != nil {
				t.Fatal(err)
			}
			if len(rec.reqs) != 1 {
				t.Fatalf("%d requests", len(rec.reqs))
			}
			r := rec.reqs[0]
			got := want{r.op, string(r.gen), r.method, r.path, r.query.Encode(), bodyJSON(t, r.body), r.unsafe, r.group}
			if got != st.want {
				t.Errorf("request\n got %+v\nwant %+v", got, st.want)
			}
		})
	}
}

func TestInvalidInputSendsNothing(t *testing.T) {
	rec := &recorder{}
	ctx := context.Background()
	v1, v2 := V1{d: rec}, V2{d: rec}
	calls := map[string]func() error{
		"empty iccid":          func() error { _, err := v2.GetSIM(ctx, ""); return err },
		"path in iccid":        func() error { _, err := v2.GetSIM(ctx, "1/../limits"); return err },
		"word as iccid":        func() error { _, err := v1.GetSIM(ctx, "limits"); return err },
		"v1 update w/o status": func() error { _, err := v1.UpdateSIM(ctx, SIMUpdate{ICCID: "8988"}); return err },
		"no updates":           func() error { _, err := v1.UpdateSIMs(ctx, nil); return err },
		"usage end before": func() error {
			_, err := v1.Usage(ctx, UsageParams{ICCID: "8988", Start: time.Now(), End: time.Now().AddDate(0, 0, -1)})
			return err
		},
		"no top-up iccids":      func() error { _, err := v1.TopUpMultiple(ctx, TopUpMultipleParams{}); return err },
		"bad limit service":     func() error { _, err := v1.SelectableLimits(ctx, "voice"); return err },
		"no limits":             func() error { _, err := v1.SetLimits(ctx, SetLimitsRequest{}); return err },
		"no extension iccids":   func() error { _, err := v1.Extension(ctx, ExtensionRequest{}); return err },
		"no transfer target":    func() error { _, err := v1.Transfer(ctx, SIMTransfer{}); return err },
		"no auto top-up iccids": func() error { _, err := v1.AutoTopUp(ctx, AutoTopUpRequest{Enabled: true}); return err },
		"empty order":           func() error { _, err := createOrder(ctx, rec, OrderRequest{}); return err },
		"zero quantity": func() error {
			_, err := createOrder(ctx, rec, OrderRequest{Products: []OrderedProduct{{ProductID: 1}}})
			return err
		},
		"bad order number": func() error { _, err := getOrder(ctx, rec, 0); return err },
		"empty ticket":     func() error { _, err := createSupportRequest(ctx, rec, NewSupportRequest{}); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", name, err)
		}
	}
	if len(rec.reqs) != 0 {
		t.Errorf("invalid calls reached the transport: %d requests", len(rec.reqs))
	}
}

// TestV1EventsPageFromBody: v1 events carry their totals in the body as well; when 1NCE
// leaves the headers out the iterator still knows where the list ends.
func TestV1EventsPageFromBody(t *testing.T) {
	rec := &recorder{answer: map[string]string{"v1.getEvents": `{"events":[{"timestamp":"2018-05-07T14:08:05.000+0000","event_type":"x"}],"totalEvents":21,"totalPages":3}`}}
	_, pg, err := V1{d: rec}.EventsPage(context.Background(), EventsPageParams{ICCID: "8988", PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if pg.TotalPages != 3 || pg.TotalCount != 21 {
		t.Errorf("page = %+v", pg)
	}
}

func TestTopUpResult(t *testing.T) {
	for loc, want := range map[string]int64{
		"https://api.1nce.com/management-api/v1/orders/1234": 1234,
		"/v2/orders/77":                     77,
		"":                                  0,
		"https://api.1nce.com/v1/orders/x1": 0,
	} {
		got, _ := TopUpResult{}.finish(&request{}, &response{header: http.Header{"Location": {loc}}}, nil)
		if got.OrderNumber != want || got.Location != loc {
			t.Errorf("%q: %+v", loc, got)
		}
	}
}

// TestLocationID pins how v1 SendSMS and the top-ups read an id from a Location header.
func TestLocationID(t *testing.T) {
	for loc, want := range map[string]string{
		"https://api.1nce.com/management-api/v1/sims/8988/sms/42": "42",
		"/v1/sims/8988/sms/7?x=1":                                 "7",
		"":                                                        "",
	} {
		if got := locationID(loc); got != want {
			t.Errorf("locationID(%q) = %q, want %q", loc, got, want)
		}
	}
}

// newFakeClient serves a FakeAPI over loopback HTTP and returns a client for it.
func newFakeClient(t testing.TB, sims int, opts ...Option) (*Client, *FakeAPI) {
	t.Helper()
	f, err := NewFakeAPI(".", "fleet-id", "fleet-secret", sims)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New("fleet-id", "fleet-secret", append([]Option{WithBaseURL(srv.URL), WithRate(math.Inf(1), 0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

// TestGenerationChoice runs the high-level methods over HTTP in each API mode and checks which
// generation's paths they used, and that v1-only operations in mode v2 fail with
// ErrUnsupported without a request.
func TestGenerationChoice(t *testing.T) {
	const id = "8988280666000000001"
	ctx := context.Background()
	run := func(c *Client) error {
		for _, err := range c.ListSIMs(ctx, SIMListOptions{}) {
			if err != nil {
				return err
			}
		}
		steps := []func() error{
			func() error { _, err := c.GetSIM(ctx, id); return err },
			func() error {
				label := "x"
				_, err := c.UpdateSIM(ctx, SIMUpdate{ICCID: id, Status: SIMEnabled, Label: &label})
				return err
			},
			func() error { _, err := c.Connectivity(ctx, id); return err },
			func() error { _, err := c.DataQuota(ctx, id); return err },
			func() error { _, err := c.SMSQuota(ctx, id); return err },
			func() error { _, err := c.SendSMS(ctx, SMSMessage{ICCID: id, Payload: "hi"}); return err },
			func() error { _, err := c.GetSMS(ctx, SMSRef{ICCID: id, ID: 590}); return err },
			func() error { _, err := c.CancelSMS(ctx, SMSRef{ICCID: id, ID: 590}); return err },
			func() error { _, err := c.TopUp(ctx, TopUpParams{ICCID: id}); return err },
			func() error { _, err := c.Reset(ctx, id); return err },
		}
		for _, s := range steps {
			if err := s(); err != nil {
				return err
			}
		}
		for _, err := range c.ListSMS(ctx, SMSListOptions{ICCID: id}) {
			if err != nil {
				return err
			}
		}
		for _, err := range c.ListEvents(ctx, EventListOptions{ICCID: id}) {
			if err != nil {
				return err
			}
		}
		return nil
	}
	for _, mode := range []APIMode{APIAuto, APIV2, APIV1} {
		t.Run(string(mode), func(t *testing.T) {
			c, f := newFakeClient(t, 3, WithAPI(mode))
			if err := run(c); err != nil {
				t.Fatal(err)
			}
			want := "/v2/"
			if mode == APIV1 {
				want = "/v1/"
			}
			for _, s := range f.Seen() {
				if !strings.Contains(s, "/oauth/token") && !strings.Contains(s, want) {
					t.Errorf("mode %s sent %s", mode, s)
				}
			}
		})
	}
	t.Run("v1-only in mode v2", func(t *testing.T) {
		c, f := newFakeClient(t, 3, WithAPI(APIV2))
		v1only := map[string]func() error{
			"Usage":            func() error { _, err := c.Usage(ctx, UsageParams{ICCID: id}); return err },
			"ConnectivityInfo": func() error { _, err := c.ConnectivityInfo(ctx, ConnectivityInfoParams{ICCID: id}); return err },
			"TopUpMultiple":    func() error { _, err := c.TopUpMultiple(ctx, TopUpMultipleParams{ICCIDs: []string{id}}); return err },
			"AutoTopUp": func() error {
				_, err := c.AutoTopUp(ctx, AutoTopUpRequest{Enabled: true, ICCIDs: []string{id}})
				return err
			},
			"Limits":           func() error { _, err := c.Limits(ctx); return err },
			"SetLimits":        func() error { _, err := c.SetLimits(ctx, SetLimitsRequest{DataLimitID: 1}); return err },
			"SelectableLimits": func() error { _, err := c.SelectableLimits(ctx, LimitData); return err },
			"Extension":        func() error { _, err := c.Extension(ctx, ExtensionRequest{ICCIDs: []string{id}}); return err },
			"Transfer":         func() error { _, err := c.Transfer(ctx, SIMTransfer{ICCIDs: []string{id}}); return err },
			"UpdateSIMs":       func() error { _, err := c.UpdateSIMs(ctx, []SIMUpdate{{ICCID: id, Status: SIMEnabled}}); return err },
		}
		for name, call := range v1only {
			if err := call(); !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s: err = %v, want ErrUnsupported", name, err)
			}
		}
		if seen := f.Seen(); len(seen) != 0 {
			t.Errorf("requests sent: %v", seen)
		}
	})
}

func TestListSIMsOverHTTP(t *testing.T) {
	c, f := newFakeClient(t, 250)
	var got []string
	for s, err := range c.ListSIMs(context.Background(), SIMListOptions{ListOptions: ListOptions{Concurrency: 2}}) {
		if err != nil {
			t.Fatal(err)
		}
		if s.Source != GenV2 || s.DataQuota.Total != 500*wire.BytesPerMB {
			t.Fatalf("mapped SIM %+v", s)
		}
		got = append(got, s.ICCID)
	}
	if len(got) != 250 || got[0] != "8988280666000000001" || got[249] != "8988280666000000250" || !slices.IsSorted(got) {
		t.Fatalf("got %d SIMs, first %v", len(got), got[:3])
	}
	var pages []string
	for _, s := range f.Seen() {
		if u, err := url.Parse(strings.Fields(s)[1]); err == nil && u.Path == "/v2/sims" {
			pages = append(pages, u.Query().Get("page")+"/"+u.Query().Get("pageSize"))
		}
	}
	slices.Sort(pages)
	if !slices.Equal(pages, []string{"1/100", "2/100", "3/100"}) {
		t.Errorf("pages requested: %v", pages)
	}
}

// TestV2EventDetailOneOf documents a defect of the official v2 spec: Event.detail is a oneOf
// of four schemas of which three (LocationDetail, PdpContextDetail, VpnDetail) require no
// property, so any detail object matches several of them and no answer with a detail can
// validate. The SDK keeps detail raw; the fake leaves it out.
func TestV2EventDetailOneOf(t *testing.T) {
	var evs []map[string]any
	if err := json.Unmarshal(readWireRaw(t, "v2_events"), &evs); err != nil {
		t.Fatal(err)
	}
	if evs[0]["detail"] == nil {
		t.Fatal("fixture lost its detail")
	}
	got := eventFromV2(readWire[[]V2Event](t, "v2_events")[0], "")
	if !json.Valid(got.Detail) || !bytes.Contains(got.Detail, []byte(`"T-Mobile"`)) {
		t.Errorf("detail not kept raw: %s", got.Detail)
	}
}

func readWireRaw(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "wire", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzWireMapping decodes arbitrary bytes as every wire type 1NCE answers and maps what
// decodes into the domain model: no input may panic, and mapped times are UTC.
func FuzzWireMapping(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "wire", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		utc := func(ts ...time.Time) {
			for _, x := range ts {
				if !x.IsZero() && x.Location() != time.UTC {
					t.Fatalf("non-UTC time %v", x)
				}
			}
		}
		var sim V1SIM
		if json.Unmarshal(b, &sim) == nil {
			if s, err := simFromV1(sim); err == nil {
				utc(s.ActivationDate, s.DataQuota.ThresholdReachedAt, s.SMSQuota.ExceededAt)
			}
		}
		var q1 V1Quota
		if json.Unmarshal(b, &q1) == nil {
			if q, err := quotaFromV1(q1, QuotaData, quotaNow); err == nil {
				utc(q.ExpiresAt, q.ChangedAt)
			}
		}
		var q2 V2Quota
		if json.Unmarshal(b, &q2) == nil {
			_, _ = quotaFromV2(q2, QuotaSMS)
		}
		var sms1 []V1SMS
		if json.Unmarshal(b, &sms1) == nil {
			for _, s := range sms1 {
				utc(smsFromV1(s).SubmittedAt)
			}
		}
		var sms2 []V2SMS
		if json.Unmarshal(b, &sms2) == nil {
			for _, s := range sms2 {
				utc(smsFromV2(s).DeliveredAt)
			}
		}
		var ev1 V1EventCollection
		if json.Unmarshal(b, &ev1) == nil {
			for _, e := range ev1.Events {
				utc(eventFromV1(e).Timestamp)
			}
		}
		var ev2 []V2Event
		if json.Unmarshal(b, &ev2) == nil {
			for _, e := range ev2 {
				utc(eventFromV2(e, "1").Timestamp)
			}
		}
		var u V1DailyUsage
		if json.Unmarshal(b, &u) == nil {
			_, _ = usageFromV1(u)
		}
		var c1 V1Connectivity
		if json.Unmarshal(b, &c1) == nil {
			utc(connectivityFromV1(c1, "1").LastUpdated)
		}
		var c2 V2Connectivity
		if json.Unmarshal(b, &c2) == nil {
			utc(connectivityFromV2(c2, "1").PDPCreated)
		}
	})
}

// TestListSIMsBreakOverHTTP stops a parallel fleet walk early through the real transport:
// only the pages consumed and the read-ahead window are ever requested (a request cancelled
// in flight may still reach the server late, so this bound, not "no more requests", is what
// HTTP can show; TestPaginateEarlyBreakStopsFetching pins the latter).
func TestListSIMsBreakOverHTTP(t *testing.T) {
	c, f := newFakeClient(t, 2000)
	n := 0
	for _, err := range c.ListSIMs(context.Background(), SIMListOptions{ListOptions: ListOptions{Concurrency: 4}}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 150 {
			break
		}
	}
	count := func() int {
		k := 0
		for _, s := range f.Seen() {
			if strings.HasPrefix(s, "GET /v2/sims?") {
				k++
			}
		}
		return k
	}
	if got := count(); got > 2+4 {
		t.Errorf("%d pages requested for 2 consumed with concurrency 4", got)
	}
}
