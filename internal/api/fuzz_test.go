package api_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// fuzzPaths are the API's path shapes; {} takes the fuzzed segment.
var fuzzPaths = []string{
	"/api/v1/sims", "/api/v1/sims/{}", "/api/v1/sims/{}/status", "/api/v1/sims/{}/usage", "/api/v1/sims/{}/events",
	"/api/v1/sims/{}/connectivity", "/api/v1/sims/{}/quota/data", "/api/v1/sims/{}/topup", "/api/v1/sims/{}/sms",
	"/api/v1/sims/{}/sms/{}", "/api/v1/sims/{}/reset", "/api/v1/sims/bulk", "/api/v1/sims/topup", "/api/v1/sims/auto-topup",
	"/api/v1/sims/{}/limits", "/api/v1/sims/limits", "/api/v1/sims/extension", "/api/v1/sims/transfer", "/api/v1/orders",
	"/api/v1/orders/{}", "/api/v1/products/{}", "/api/v1/support/tickets/{}", "/api/v1/users", "/api/v1/users/{}",
	"/api/v1/api-keys", "/api/v1/api-keys/{}", "/api/v1/audit", "/api/v1/jobs/{}", "/api/v1/jobs/{}/items",
	"/api/v1/jobs/{}/cancel", "/api/v1/auth/login", "/api/v1/auth/refresh",
}

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}

// FuzzAPI sends arbitrary paths, queries and bodies to a running server: whatever comes in,
// the answer is never a 500 or a dropped connection, and every error is problem+json.
func FuzzAPI(f *testing.F) {
	seeds := []struct {
		m, p   uint8
		seg, q string
		body   string
	}{
		{0, 1, "8988280666000000001", "fresh=true", ""},
		{0, 0, "", "status=Enabled,Disabled&sort=-label&page=2&page_size=3&online=true", ""},
		{2, 1, "8988280666000000001", "", `{"label":"x","status":"Disabled","metadata":{"a":[1,{"b":null}]}}`},
		{1, 7, "89882806660000000010", "", `{"payment_method":"creditcard"}`},
		{1, 8, "8988280666000000002", "", `{"payload":"` + strings.Repeat("ж", 80) + `","concatenate":true}`},
		{1, 11, "", "", `{"action":"label","label":"y","filter":{"label":"%_"}}`},
		{0, 3, "8988280666000000003", "from=2026-02-30&to=2026-01-01", ""},
		{0, 4, "8988280666000000003", "since=2026-01-01T00:00:00Z&type=%00", ""},
		{1, 22, "", "", `{"email":"a@b","role":"admin","password":"0123456789ab"}`},
		{1, 30, "", "", `{"email":"admin@test.example","password":"x"}`},
		{0, 26, "", "since=9999-12-31T23:59:59Z&page_size=0", ""},
		{1, 12, "", "", `{"iccids":["1","8988280666000000001"]}`},
		{1, 16, "", "", `{"iccids":["8988280666000000001"],"product_id":-1}`},
		{0, 9, "8988280666000000001/../../x", "", ""},
		{4, 1, "\x00", "a=%zz", "{"},
	}
	for _, s := range seeds {
		f.Add(s.m, s.p, s.seg, s.q, []byte(s.body))
	}
	e := apptest.Start(f, apptest.Options{})
	key := e.Keys[fleet.RoleAdmin]
	client := &http.Client{}
	f.Fuzz(func(t *testing.T, m, p uint8, seg, query string, body []byte) {
		path := strings.ReplaceAll(fuzzPaths[int(p)%len(fuzzPaths)], "{}", url.PathEscape(seg))
		u := e.URL + path
		if query != "" {
			u += "?" + query
		}
		req, err := http.NewRequest(fuzzMethods[int(m)%len(fuzzMethods)], u, bytes.NewReader(body))
		if err != nil {
			return // not a request any client can send
		}
		req.Header.Set("X-API-Key", key)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", req.Method, u, err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusInternalServerError || res.StatusCode == 0 {
			t.Fatalf("%s %s %q: %d %s", req.Method, u, body, res.StatusCode, raw)
		}
		if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s %s: %d with %q: %s", req.Method, u, res.StatusCode, res.Header.Get("Content-Type"), raw)
		}
		if res.StatusCode >= 500 && bytes.Contains(raw, []byte(`"code":"internal"`)) {
			t.Fatalf("%s %s: internal error: %s", req.Method, u, raw)
		}
	})
}
