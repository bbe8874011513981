package oncesim

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestOAuthErrors(t *testing.T) {
	h := newHarness(t, Options{})
	basic := func(user, pass string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
		}
	}
	grant := map[string]string{"grant_type": "client_credentials"}
	for _, tc := range []struct {
		name    string
		body    any
		edit    func(*http.Request)
		code    string
		message string
	}{
		{"no auth header", grant, func(*http.Request) {}, "AuthValidationError", "Missing attributes 'username'"},
		{"empty user", grant, basic("", testSecret), "AuthValidationError", "Missing attributes 'username'"},
		{"empty password", grant, basic(testID, ""), "AuthValidationError", "Missing attributes 'password'"},
		{"no grant type", map[string]string{}, basic(testID, testSecret), "BodyValidationError", "Missing attributes 'grant_type'"},
		{"other grant type", map[string]string{"grant_type": "password"}, basic(testID, testSecret), "BodyValidationError", "grant_type"},
		{"form body", grant, func(r *http.Request) {
			basic(testID, testSecret)(r)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}, "UnsupportedContentTypeError", "Content-Type not supported"},
		{"unknown user", grant, basic("someone", testSecret), "BadCredentials", "User does not exist."},
		{"wrong secret", grant, basic(testID, "guess"), "BadCredentials", "Incorrect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := h.do(http.MethodPost, "/oauth/token", tc.body, tc.edit)
			var e struct {
				StatusCode int    `json:"statusCode"`
				ErrorCode  string `json:"errorCode"`
				Message    string `json:"message"`
			}
			res.want(t, 400, tc.name).decode(t, &e)
			if e.StatusCode != 400 || e.ErrorCode != tc.code || !strings.Contains(e.Message, tc.message) {
				t.Errorf("got %+v, want %s with %q", e, tc.code, tc.message)
			}
		})
	}
}

func TestTokenLifecycle(t *testing.T) {
	h := newHarness(t, Options{TokenTTL: 10 * time.Minute})
	h.login()
	var tok struct {
		ExpiresIn int    `json:"expires_in"`
		Type      string `json:"token_type"`
		Token     string `json:"access_token"`
	}
	h.do(http.MethodPost, "/oauth/token", map[string]string{"grant_type": "client_credentials"},
		func(r *http.Request) { r.SetBasicAuth(testID, testSecret) }).want(t, 200, "token").decode(t, &tok)
	if tok.ExpiresIn != 600 || tok.Type != "bearer" || len(tok.Token) < 2000 {
		t.Errorf("token response: expires_in %d, type %q, %d characters", tok.ExpiresIn, tok.Type, len(tok.Token))
	}
	if tok.Token == h.token {
		t.Error("two token requests gave the same token")
	}
	h.do("GET", "/v2/sims", nil).want(t, 200, "fresh token")
	h.clock.Advance(9 * time.Minute)
	h.do("GET", "/v2/sims", nil).want(t, 200, "token before expiry")
	h.clock.Advance(time.Minute)
	h.do("GET", "/v2/sims", nil).want(t, 401, "expired token")

	h.login()
	h.do("GET", "/v1/sims", nil).want(t, 200, "new token")
	h.sim.RevokeTokens()
	h.do("GET", "/v1/sims", nil).want(t, 401, "revoked token")
	h.token = "eyJ.unknown.token"
	h.do("GET", "/v1/products", nil).want(t, 401, "unknown token")
	h.token = ""
	h.do("GET", "/v1/products", nil).want(t, 401, "no token")
}

func TestPaginationHeaders(t *testing.T) {
	h := newHarness(t, Options{Sims: 50})
	h.login()
	seen := map[string]bool{}
	for page := 1; page <= 3; page++ {
		res := h.do("GET", "/v1/sims?page="+strconv.Itoa(page)+"&pageSize=20", nil).want(t, 200, "page")
		want := map[string]string{"X-Total-Count": "50", "X-Total-Pages": "3", "X-Current-Page": strconv.Itoa(page), "X-Count-Per-Page": "20"}
		for k, v := range want {
			if got := res.header.Get(k); got != v {
				t.Errorf("page %d: %s = %q, want %q", page, k, got, v)
			}
		}
		var cards []struct {
			ICCID string `json:"iccid"`
		}
		res.decode(t, &cards)
		if wantN := min(20, 50-(page-1)*20); len(cards) != wantN {
			t.Errorf("page %d has %d SIMs, want %d", page, len(cards), wantN)
		}
		for _, card := range cards {
			if seen[card.ICCID] {
				t.Errorf("SIM %s on two pages", card.ICCID)
			}
			seen[card.ICCID] = true
		}
	}
	if len(seen) != 50 {
		t.Errorf("pages covered %d SIMs, want 50", len(seen))
	}
	if res := h.do("GET", "/v2/sims?page=9&pageSize=20", nil).want(t, 200, "beyond the last page"); string(res.body) != "[]" {
		t.Errorf("page beyond the last: %s, want []", res.body)
	}
	if got := h.do("GET", "/v2/sims", nil).header.Get("X-Count-Per-Page"); got != "10" {
		t.Errorf("default page size = %s, want 10", got)
	}
}

// TestPageSizeAbove100 checks 1NCE's 400 for pageSize > 100 (and other bad paging); these
// requests violate the spec, so they bypass the contract middleware.
func TestPageSizeAbove100(t *testing.T) {
	h := newHarness(t, Options{})
	h.login()
	for _, q := range []string{"pageSize=101", "pageSize=1000", "pageSize=0", "page=0", "page=x", "pageSize=-3"} {
		for _, path := range []string{"/v1/sims?", "/v2/sims?"} {
			var e map[string]any
			h.do("GET", path+q, nil).want(t, 400, path+q).decode(t, &e)
			if e["message"] == nil {
				t.Errorf("%s%s: error without message: %v", path, q, e)
			}
		}
	}
	h.do("GET", "/v1/sims?pageSize=100", nil).want(t, 200, "pageSize=100")
	h.do("GET", "/v1/sims/"+iccidOf(0)+"/events?pageSize=1000", nil).want(t, 200, "events pageSize=1000")
	h.do("GET", "/v1/sims/"+iccidOf(0)+"/events?pageSize=1001", nil).want(t, 400, "events pageSize=1001")
}

func TestV2OnlyMode(t *testing.T) {
	h := newHarness(t, Options{Mode: ModeV2Only})
	h.login()
	ic := iccidOf(2)
	for _, rq := range [][2]string{{"GET", "/v1/sims"}, {"GET", "/v1/sims/" + ic}, {"GET", "/v1/sims/" + ic + "/usage"},
		{"POST", "/v1/sims/" + ic + "/topup"}, {"GET", "/v1/sims/limits"}, {"POST", "/v1/sims/extension"}} {
		res := h.do(rq[0], rq[1], nil).want(t, 403, "v1 in v2-only mode")
		if strings.TrimSpace(string(res.body)) != `{"message":"Missing Authentication Token"}` {
			t.Errorf("%s %s: body %s", rq[0], rq[1], res.body)
		}
	}
	h.do("GET", "/v2/sims/"+ic, nil).want(t, 200, "v2 in v2-only mode")
	h.do("GET", "/v1/products", nil).want(t, 200, "products in v2-only mode")
	h.do("GET", "/v1/orders", nil).want(t, 200, "orders in v2-only mode")
	if _, err := New(Options{ClientID: "a", ClientSecret: "b", Mode: "v3"}); err == nil {
		t.Error("New accepted an unknown mode")
	}
}

func TestAccountRateLimit(t *testing.T) {
	h := newHarness(t, Options{RateLimit: 10})
	h.login()
	ok, limited := 0, 0
	var retry string
	for range 25 {
		res := h.do("GET", "/v2/sims?pageSize=1", nil)
		switch res.status {
		case 200:
			ok++
		case 429:
			limited++
			retry = res.header.Get("Retry-After")
		default:
			t.Fatalf("status %d", res.status)
		}
	}
	// The manual clock stands still, so exactly the burst of 10 passes.
	if ok != 10 || limited != 15 {
		t.Errorf("%d passed and %d limited of 25, want 10 and 15", ok, limited)
	}
	if n, err := strconv.Atoi(retry); err != nil || n < 1 {
		t.Errorf("Retry-After = %q, want whole seconds ≥ 1", retry)
	}
	h.clock.Advance(time.Second)
	h.do("GET", "/v2/sims?pageSize=1", nil).want(t, 200, "after a second")
}

func TestCommerceRateLimit(t *testing.T) {
	h := newHarness(t, Options{CommerceLimit: 100})
	h.login()
	ok := 0
	for range 100 {
		if h.do("GET", "/v1/products", nil).status == 200 {
			ok++
		}
	}
	if ok != 100 {
		t.Fatalf("%d of the first 100 commerce requests passed, want all", ok)
	}
	res := h.do("GET", "/v1/orders", nil).want(t, 429, "101st commerce request")
	if n, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("Retry-After = %q", res.header.Get("Retry-After"))
	}
	h.do("GET", "/v2/sims", nil).want(t, 200, "SIM management is not limited by the commerce limit")
	h.clock.Advance(CommerceWindow)
	h.do("GET", "/v1/support", nil).want(t, 200, "after the window")
}

// steppedClock is a clock the test moves but the simulator does not recognise as manual, so
// the real-clock sweeper runs.
type steppedClock struct{ *ManualClock }

func TestSweeperMetersWithoutRequests(t *testing.T) {
	mc := NewManualClock(t0)
	s, err := New(Options{Sims: 20, Seed: 3, ClientID: "a", ClientSecret: "b", Clock: steppedClock{mc}, SweepInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan Activity, 1)
	s.Subscribe(func(a Activity) {
		if a.Kind == ActivityUsage {
			select {
			case got <- a:
			default:
			}
		}
	})
	mc.Advance(48 * time.Hour)
	select {
	case a := <-got:
		if a.At.Before(t0) || a.ICCID == "" {
			t.Errorf("swept usage %+v", a)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the sweeper published no usage although two simulated days passed")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	for _, o := range []Options{{ClientID: "a"}, {ClientID: "a:b", ClientSecret: "c"}, {ClientID: "a", ClientSecret: "b", Sims: -1},
		{ClientID: "a", ClientSecret: "b", TokenTTL: -time.Second}, {ClientID: "a", ClientSecret: "b", SweepInterval: -time.Second}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}

func TestTokenEndpointLimit(t *testing.T) {
	h := newHarness(t, Options{RateLimit: 10})
	grant := map[string]string{"grant_type": "client_credentials"}
	auth := func(r *http.Request) { r.SetBasicAuth(testID, testSecret) }
	for i := range oauthPerMinute {
		if res := h.do(http.MethodPost, "/oauth/token", grant, auth); res.status != 200 {
			t.Fatalf("token request %d: %d", i+1, res.status)
		}
	}
	h.do(http.MethodPost, "/oauth/token", grant, auth).want(t, 429, "token request beyond 600 a minute")
	h.clock.Advance(time.Second)
	h.do(http.MethodPost, "/oauth/token", grant, auth).want(t, 200, "a second later")
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"v1+v2": ModeV1V2, "v2-only": ModeV2Only} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "v1", "V2-ONLY"} {
		if _, err := ParseMode(in); err == nil {
			t.Errorf("ParseMode(%q) succeeded", in)
		}
	}
}
