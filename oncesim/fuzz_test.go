package oncesim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzParseRoute checks that any method and path route without panicking, that the base path
// is transparent, and that routed parameters are path segments.
func FuzzParseRoute(f *testing.F) {
	for _, s := range []string{"/v1/sims", "/v1/sims/8988280666000000001/sms/12", "/v2/sims/x/quota/data",
		"/management-api/v1/sims/limits", "/v1/sims/smsMO/limits", "//v1/sims", "/v1/orders/2000000001", "/oauth/token", "/management-apiv1"} {
		f.Add("GET", s)
		f.Add("DELETE", s)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		rt, p := parseRoute(method, path)
		if strings.HasPrefix(path, "/") && !strings.HasPrefix(path, basePath) {
			rt2, p2 := parseRoute(method, basePath+path)
			if rt2 != rt || p2 != p {
				t.Fatalf("%q: %v %+v at the root, %v %+v under the base path", path, rt, p, rt2, p2)
			}
		}
		if rt == routeNone {
			return
		}
		for _, v := range []string{p.iccid, p.id, p.service} {
			if strings.Contains(v, "/") {
				t.Fatalf("%q: parameter %q spans segments", path, v)
			}
		}
		if rt.v1SIM() && rt.v2() {
			t.Fatalf("%q: route %d is both v1 and v2", path, rt)
		}
	})
}

// FuzzQueryParsing checks the query parsers: no panics, and accepted values within bounds.
func FuzzQueryParsing(f *testing.F) {
	for _, s := range []string{"page=1&pageSize=100", "pageSize=101", "q=imei:4711,ip_address:10.0.0.1", "q=imei",
		"sort=-imei,ip_address", "sort=-", "start_dt=2026-01-01&end_dt=2026-01-31", "ussd=true&subscriber=false",
		"page=99999999999999999999", "pageSize=%00", "q=:,:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if page, size, err := parsePaging(q, "page", "pageSize", 10, 100); err == nil {
			if page < 1 || page > maxPage || size < 1 || size > 100 {
				t.Fatalf("%q: page %d size %d accepted", raw, page, size)
			}
			from, to, pages := pageBounds(page, size, 1_000_000)
			if from < 0 || to < from || to > 1_000_000 || pages != (1_000_000+size-1)/size {
				t.Fatalf("%q: bounds %d..%d of %d pages", raw, from, to, pages)
			}
		}
		if flt, err := parseSIMFilter(q.Get("q")); err == nil && flt.any() {
			if flt.hasIMEI && flt.imei == "" || flt.hasIP && flt.ip == "" {
				t.Fatalf("%q: empty filter value accepted", raw)
			}
			idxOfIMEI(flt.imei, 1_000_000)
			idxOfIP(flt.ip, 1_000_000)
		}
		if keys, err := parseSort(q.Get("sort"), "imei", "ip_address"); err == nil {
			for _, k := range keys {
				if k.field != "imei" && k.field != "ip_address" {
					t.Fatalf("%q: sort field %q accepted", raw, k.field)
				}
			}
		}
		if from, to, err := parseUsageRange(q, 1_780_000_000); err == nil && (to < from || to-from >= maxUsageDays) {
			t.Fatalf("%q: usage range %d..%d accepted", raw, from, to)
		}
		_, _ = parseBoolParam(q, "ussd", false)
	})
}

// FuzzServe sends arbitrary requests to the simulator: every answer must be a 2xx/4xx with a
// JSON body or none — never a 5xx or a panic.
func FuzzServe(f *testing.F) {
	ic := iccidOf(3)
	for _, s := range [][3]string{
		{"GET", "/v1/sims?page=2&pageSize=7&sort=imei", ""},
		{"PUT", "/v1/sims/" + ic, `{"iccid":"` + ic + `","status":"Disabled","label":"x"}`},
		{"POST", "/v1/sims", `[{"iccid":"` + ic + `","status":"Enabled"}]`},
		{"POST", "/v2/sims/" + ic + "/sms", `{"payload":"hi","dcs":8,"expiry_date":"2026-03-02T00:00:00Z"}`},
		{"POST", "/v1/sims/simTransfer", `{"target_organisation":7,"iccid_ranges":[{"from":"` + ic + `","to":"` + iccidOf(9) + `"}]}`},
		{"POST", "/v1/orders", `{"products":[{"productId":1002,"quantity":1}]}`},
		{"GET", "/v1/sims/" + ic + "/usage?start_dt=2026-02-01", ""},
		{"POST", "/v1/sims/extension?payment_method=boleto", `{"iccids":["` + ic + `"],"productId":1101}`},
		{"DELETE", "/v2/sims/" + ic + "/sms/1e400", ""},
		{"POST", "/v1/sims/topup", `[]`},
		{"POST", "/v1/support", `{"subject":"a","text":"b"}`},
		{"GET", "/v1/sims/" + ic + "0/events?sort=-id", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	clock := NewManualClock(t0)
	sim, err := New(Options{Sims: 20, Seed: 1, Clock: clock, ClientID: testID, ClientSecret: testSecret, RateLimit: -1, CommerceLimit: -1})
	if err != nil {
		f.Fatal(err)
	}
	tok, _ := sim.issueToken()
	f.Fuzz(func(t *testing.T, method, target, body string) {
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "/_sim") {
			return
		}
		switch method {
		case "GET", "POST", "PUT", "DELETE", "PATCH":
		default:
			return
		}
		req, err := http.NewRequest(method, "http://sim"+target, strings.NewReader(body))
		if err != nil {
			return // not a request a client can send
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("%s %s %q: status %d %s", method, target, body, rec.Code, rec.Body)
		}
		if rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: body is not JSON: %s", method, target, rec.Body)
		}
		clock.Advance(time.Minute)
		if clock.Now().Sub(t0) > 30*time.Minute {
			tok, _ = sim.issueToken() // keep the token valid over long fuzzing runs
		}
	})
}

// FuzzAppendTime checks the fast timestamp writer against the standard library.
func FuzzAppendTime(f *testing.F) {
	for _, v := range []int64{0, 1, 1_780_000_000, -86_400, 253_402_300_799, 253_402_300_800, -62_135_596_800} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v int64) {
		tm := time.Unix(v, 0).UTC()
		if got, want := string(appendTime(nil, v, true)), tm.Format(layoutRFC3339); got != want {
			t.Fatalf("%d: %s, want %s", v, got, want)
		}
		if got, want := string(appendTime(nil, v, false)), tm.Format(layout1NCE); got != want {
			t.Fatalf("%d: %s, want %s", v, got, want)
		}
	})
}

// FuzzAdminSIM sends arbitrary requests to the admin SIM endpoints: every answer is a 200 with
// the SIM, or a 4xx problem — never a 5xx or a panic — and a refused change changes nothing.
func FuzzAdminSIM(f *testing.F) {
	ic := iccidOf(3)
	for _, s := range [][3]string{
		{"GET", "/_sim/sims/" + ic, ""},
		{"PATCH", "/_sim/sims/" + ic, `{"status":"Disabled","label":"pump-7"}`},
		{"PATCH", "/_sim/sims/" + ic, `{"imei":"356938035643809"}`},
		{"PATCH", "/_sim/sims/" + ic, `{"label":null}`},
		{"POST", "/_sim/sims/" + ic + "/offline", ""},
		{"POST", "/_sim/sims/" + ic + "/online", ""},
		{"POST", "/_sim/sims/" + ic + "/move", `{"mcc":"208","mnc":"01"}`},
		{"POST", "/_sim/sims/" + ic + "/move", `{"country":"Sweden"}`},
		{"POST", "/_sim/sims/" + ic + "/usage", `{"bytes":1048576,"sms":2}`},
		{"POST", "/_sim/sims/" + ic + "/usage", `{"all_data":true}`},
		{"GET", "/_sim/networks", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	clock := NewManualClock(t0)
	sim, err := New(Options{Sims: 20, Seed: 1, Clock: clock, ClientID: testID, ClientSecret: testSecret})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, target, body string) {
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(u.Path, "/_sim/sims") && u.Path != "/_sim/networks" {
			return
		}
		req, err := http.NewRequest(method, "http://sim"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		iccid := strings.Split(strings.TrimPrefix(u.Path, "/_sim/sims/"), "/")[0]
		before, known := sim.SIM(iccid)
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		switch {
		case rec.Code >= 500:
			t.Fatalf("%s %s %q: status %d %s", method, target, body, rec.Code, rec.Body)
		case rec.Code >= 400 && rec.Code != http.StatusMethodNotAllowed && rec.Code != http.StatusNotFound &&
			rec.Header().Get("Content-Type") != "application/problem+json":
			t.Fatalf("%s %s: %d without a problem body: %s", method, target, rec.Code, rec.Body)
		case rec.Code >= 400 && known:
			if after, _ := sim.SIM(iccid); after.Status != before.Status || after.Label != before.Label ||
				after.IMEI != before.IMEI || after.Data.Remaining != before.Data.Remaining {
				t.Fatalf("%s %s %q: refused with %d but changed the SIM: %+v → %+v", method, target, body, rec.Code, before, after)
			}
		}
		if rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) && rec.Code != http.StatusMethodNotAllowed && rec.Code != http.StatusNotFound {
			t.Fatalf("%s %s: body is not JSON: %s", method, target, rec.Body)
		}
		clock.Advance(time.Minute)
	})
}
