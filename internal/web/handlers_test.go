package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// session is a browser without a browser: a cookie jar, no redirects followed.
type session struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newSession(t *testing.T, base string) *session {
	jar, _ := cookiejar.New(nil)
	return &session{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfMeta = regexp.MustCompile(`name="csrf-token" content="([^"]+)"`)

func (s *session) do(method, path string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := s.c.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if m := csrfMeta.FindSubmatch(b); m != nil {
		s.csrf = string(m[1])
	}
	return res, string(b)
}

func (s *session) login(l apptest.Login) {
	s.t.Helper()
	s.do(http.MethodGet, "/login", nil, nil)
	form := url.Values{"email": {l.Email}, "password": {l.Password}, auth.CSRFField: {s.csrf}, "next": {"/sims"}}
	res, body := s.do(http.MethodPost, "/login", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/sims" {
		s.t.Fatalf("login: %d %s %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	for _, c := range res.Cookies() {
		if (c.Name == auth.AccessCookie || c.Name == auth.RefreshCookie) && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode) {
			s.t.Errorf("cookie %s: HttpOnly %v SameSite %v", c.Name, c.HttpOnly, c.SameSite)
		}
	}
	s.do(http.MethodGet, "/", nil, nil) // the session's CSRF token
}

func TestPagesAnswer(t *testing.T) {
	for _, backend := range []string{apptest.SQLite, apptest.Postgres} {
		t.Run(backend, func(t *testing.T) { testPagesAnswer(t, backend) })
	}
}

func testPagesAnswer(t *testing.T, backend string) {
	env := apptest.Start(t, apptest.Options{MirrorSIMs: 20, Backend: backend})
	iccid := env.Sim.ICCIDs()[0]
	admin := newSession(t, env.URL)
	admin.login(env.Logins[fleet.RoleAdmin])
	viewer := newSession(t, env.URL)
	viewer.login(env.Logins[fleet.RoleViewer])
	anon := newSession(t, env.URL)

	for _, tc := range []struct {
		name   string
		s      *session
		path   string
		status int
		want   string // in the body (or the Location of a redirect)
	}{
		{"anonymous overview goes to login", anon, "/", http.StatusSeeOther, "/login?next=%2F"},
		{"anonymous table keeps its query", anon, "/sims?q=89", http.StatusSeeOther, "/login?next=%2Fsims%3Fq%3D89"},
		{"anonymous stream", anon, "/events", http.StatusUnauthorized, "credentials"},
		{"login page", anon, "/login", http.StatusOK, `name="csrf_token"`},
		{"overview", admin, "/", http.StatusOK, `id="total-sims">20<`},
		{"table", admin, "/sims", http.StatusOK, "20 SIMs match"},
		{"table filtered", admin, "/sims?q=" + iccid, http.StatusOK, "1 SIMs match"},
		{"table sorted", admin, "/sims?sort=-iccid&size=25", http.StatusOK, `aria-sort="descending"`},
		{"table page past the end", admin, "/sims?page=99", http.StatusOK, "No SIMs match"},
		{"table bad page", admin, "/sims?page=x", http.StatusBadRequest, "must be a page number"},
		{"table bad sort", admin, "/sims?sort=secret", http.StatusBadRequest, "cannot be sorted"},
		{"sim", admin, "/sims/" + iccid, http.StatusOK, `id="data-gauge"`},
		{"sim 90 days", admin, "/sims/" + iccid + "?days=90", http.StatusOK, "last 90 days"},
		{"sim bad days", admin, "/sims/" + iccid + "?days=7", http.StatusBadRequest, "use 30 or 90"},
		{"sim bad events page", admin, "/sims/" + iccid + "?events_page=-2", http.StatusBadRequest, "page number"},
		{"sim unknown", admin, "/sims/8900000000000000000", http.StatusNotFound, "error-message"},
		{"sim bad iccid", admin, "/sims/" + strings.Repeat("9", 40), http.StatusBadRequest, "longer than"},
		{"jobs", admin, "/jobs", http.StatusOK, "Background jobs"},
		{"jobs bad page", admin, "/jobs?page=0", http.StatusBadRequest, "page number"},
		{"job unknown", admin, "/jobs/nope", http.StatusNotFound, "error-message"},
		{"users", admin, "/admin/users", http.StatusOK, "viewer@test.example"},
		{"keys", admin, "/admin/keys", http.StatusOK, "test-operator"},
		{"audit", admin, "/audit", http.StatusOK, "auth.login"},
		{"audit filtered", admin, "/audit?action=auth.login", http.StatusOK, "auth.login"},
		{"audit NUL in filter", admin, "/audit?actor=a%00b", http.StatusBadRequest, "256 characters of text"},
		{"audit invalid UTF-8", admin, "/audit?target=%ff%fe", http.StatusBadRequest, "256 characters of text"},
		{"alerts", admin, "/alerts", http.StatusOK, "No alerts."},
		{"mistyped section page", admin, "/admin/userz", http.StatusNotFound, "no page at /admin/userz"},
		{"mistyped SIM subpage", admin, "/sims/" + iccid + "/nope", http.StatusNotFound, "no page at"},
		{"alerts bad state", admin, "/alerts?state=maybe", http.StatusBadRequest, "use open"},
		{"alerts bad iccid", admin, "/alerts?iccid=a%20b", http.StatusBadRequest, "spaces"},
		{"alert rules", admin, "/alerts/rules", http.StatusOK, `id="rule-form"`},
		{"viewer alert rules without form", viewer, "/alerts/rules", http.StatusOK, "No rules yet."},
		{"table NUL in search", admin, "/sims?q=a%00", http.StatusBadRequest, "not allowed"},
		{"table invalid UTF-8", admin, "/sims?q=%ff", http.StatusBadRequest, "not allowed"},
		{"static script", anon, "/static/app.js", http.StatusOK, "X-CSRF-Token"},
		{"viewer table has no selection", viewer, "/sims", http.StatusOK, "20 SIMs match"},
		{"viewer no users page", viewer, "/admin/users", http.StatusForbidden, "for admins"},
		{"viewer no audit page", viewer, "/audit", http.StatusForbidden, "for admins"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := tc.s.do(http.MethodGet, tc.path, nil, nil)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if !strings.Contains(body+res.Header.Get("Location"), tc.want) {
				t.Fatalf("answer lacks %q: %s", tc.want, body)
			}
			if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusSeeOther && !strings.HasPrefix(tc.path, "/static") &&
				tc.path != "/events" && !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("content type %q", ct)
			}
		})
	}
	// Hostile query strings on every page are answered, never with a 500.
	for _, path := range []string{"/", "/sims", "/sims/" + iccid, "/jobs", "/audit", "/alerts", "/alerts/rules", "/admin/users", "/admin/keys"} {
		for _, q := range []string{"page=%00", "q=%00%ff&status=%00&sort=%00", "state=%00&iccid=%00", "actor=%00&action=%ff&target=" + strings.Repeat("x", 5000),
			"days=%00&events_page=99999999999999999999", "page=-1&size=-1", "online=%00&quota=%00"} {
			res, body := admin.do(http.MethodGet, path+"?"+q, nil, nil)
			if res.StatusCode >= 500 {
				t.Errorf("%s?%s: %d %s", path, q, res.StatusCode, body)
			}
		}
	}
	// Write controls are rendered for those who may use them only.
	_, body := viewer.do(http.MethodGet, "/sims/"+iccid, nil, nil)
	for _, ctl := range []string{"data-sim-action", `id="sms-form"`, `id="topup-dialog"`} {
		if strings.Contains(body, ctl) {
			t.Errorf("viewer's SIM page has %s", ctl)
		}
	}
	_, body = viewer.do(http.MethodGet, "/sims", nil, nil)
	if strings.Contains(body, `id="bulk-form"`) || strings.Contains(body, `class="select"`) {
		t.Error("viewer's table has bulk controls")
	}
}

func TestCookieSessionAndCSRF(t *testing.T) {
	env := apptest.Start(t, apptest.Options{MirrorSIMs: 5})
	iccid := env.Sim.ICCIDs()[1]
	s := newSession(t, env.URL)
	s.login(env.Logins[fleet.RoleOperator])
	put := func(csrf string) int {
		h := map[string]string{"Content-Type": "application/json"}
		if csrf != "" {
			h[auth.CSRFHeader] = csrf
		}
		res, _ := s.do(http.MethodPut, "/api/v1/sims/"+iccid, strings.NewReader(`{"label":"from the dashboard"}`), h)
		return res.StatusCode
	}
	for _, tc := range []struct {
		name, csrf string
		status     int
	}{
		{"no CSRF header", "", http.StatusForbidden},
		{"wrong CSRF header", "x" + strings.Repeat("y", 40), http.StatusForbidden},
		{"right CSRF header", s.csrf, http.StatusOK},
	} {
		if got := put(tc.csrf); got != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.status)
		}
	}
	// Reads need no CSRF token; the API sees the same principal as the page.
	res, body := s.do(http.MethodGet, "/api/v1/auth/me", nil, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"role":"operator"`) {
		t.Fatalf("me: %d %s", res.StatusCode, body)
	}
	// The write is audited as the user, exactly as an API call.
	a := env.Do(apptest.Request{Method: http.MethodGet, Path: "/api/v1/audit?action=sim.update", Role: fleet.RoleAdmin})
	if !strings.Contains(string(a.Body), iccid) || !strings.Contains(string(a.Body), "user:") {
		t.Fatalf("audit: %s", a.Body)
	}

	// A login form without its CSRF token is refused with a readable page.
	anon := newSession(t, env.URL)
	form := url.Values{"email": {"operator@test.example"}, "password": {"x"}}
	res, body = anon.do(http.MethodPost, "/login", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "form expired") {
		t.Fatalf("login without CSRF: %d %s", res.StatusCode, body)
	}
	// A wrong password says so, without telling which part was wrong.
	anon.do(http.MethodGet, "/login", nil, nil)
	form.Set(auth.CSRFField, anon.csrf)
	res, body = anon.do(http.MethodPost, "/login", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "e-mail or password is wrong") {
		t.Fatalf("wrong password: %d %s", res.StatusCode, body)
	}
	// An off-site redirect after login is not followed.
	anon.do(http.MethodGet, "/login", nil, nil)
	l := env.Logins[fleet.RoleViewer]
	form = url.Values{"email": {l.Email}, "password": {l.Password}, auth.CSRFField: {anon.csrf}, "next": {"//evil.example/"}}
	res, _ = anon.do(http.MethodPost, "/login", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if loc := res.Header.Get("Location"); loc != "/" {
		t.Fatalf("redirect after login to %q", loc)
	}

	// Sign-out needs the token too, and ends the session: the refresh token is revoked.
	res, _ = s.do(http.MethodPost, "/logout", strings.NewReader(""), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without CSRF: %d", res.StatusCode)
	}
	res, _ = s.do(http.MethodPost, "/logout", strings.NewReader(url.Values{auth.CSRFField: {s.csrf}}.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	res, _ = s.do(http.MethodGet, "/", nil, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("overview after logout: %d", res.StatusCode)
	}
}

func TestExpiredAccessCookieIsRenewed(t *testing.T) {
	env := apptest.Start(t, apptest.Options{MirrorSIMs: 5})
	s := newSession(t, env.URL)
	s.login(env.Logins[fleet.RoleViewer])
	u, _ := url.Parse(env.URL)
	var refresh string
	for _, c := range s.c.Jar.Cookies(u) {
		if c.Name == auth.RefreshCookie {
			refresh = c.Value
		}
	}
	// The browser dropped the expired access cookie; several requests of one page load
	// arrive at once with the same refresh token, and all of them stay signed in.
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(u, []*http.Cookie{{Name: auth.RefreshCookie, Value: refresh}})
	results := make(chan int, 4)
	for range 4 {
		go func() {
			c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := c.Get(env.URL + "/api/v1/auth/me")
			if err != nil {
				results <- 0
				return
			}
			res.Body.Close()
			results <- res.StatusCode
		}()
	}
	for range 4 {
		if st := <-results; st != http.StatusOK {
			t.Fatalf("concurrent renewal: %d", st)
		}
	}
	// The session is still good afterwards (no reuse detection tripped).
	c := &http.Client{Jar: jar}
	res, err := c.Get(env.URL + "/api/v1/auth/me")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("after renewal: %d", res.StatusCode)
	}
	// A refresh cookie that is not (any longer) valid signs the browser out, cleanly.
	jar2, _ := cookiejar.New(nil)
	jar2.SetCookies(u, []*http.Cookie{{Name: auth.RefreshCookie, Value: "ofr_bogus"}})
	c2 := &http.Client{Jar: jar2, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = c2.Get(env.URL + "/sims")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("bogus refresh: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestSecureCookiesBehindTLSProxy(t *testing.T) {
	env := apptest.Start(t, apptest.Options{NoUpstream: true, Configure: func(c *config.Config) { c.SecureCookies = true }})
	s := newSession(t, env.URL)
	s.do(http.MethodGet, "/login", nil, nil)
	l := env.Logins[fleet.RoleViewer]
	form := url.Values{"email": {l.Email}, "password": {l.Password}, auth.CSRFField: {s.csrf}}
	res, _ := s.do(http.MethodPost, "/login", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}
	names := map[string]bool{}
	for _, c := range res.Cookies() {
		names[c.Name] = true
		if !c.Secure || !c.HttpOnly {
			t.Errorf("cookie %s: Secure %v HttpOnly %v", c.Name, c.Secure, c.HttpOnly)
		}
	}
	for _, n := range []string{auth.AccessCookie, auth.RefreshCookie, auth.CSRFCookie} {
		if !names[n] {
			t.Errorf("login set no %s cookie", n)
		}
	}
}

// TestShutdownEndsEventStreams: a server with open dashboards stops without waiting for them
// (the streams end on shutdown instead of holding the drain until its timeout).
func TestShutdownEndsEventStreams(t *testing.T) {
	env := apptest.Start(t, apptest.Options{NoUpstream: true})
	s := newSession(t, env.URL)
	s.login(env.Logins[fleet.RoleViewer])
	var bodies []io.ReadCloser
	for range 3 {
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/events", nil)
		res, err := s.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			t.Fatalf("stream: %d", res.StatusCode)
		}
		bodies = append(bodies, res.Body)
	}
	// Stop fails the test if draining the requests runs into the shutdown timeout.
	env.Stop()
	for _, b := range bodies {
		rest, _ := io.ReadAll(b)
		if !strings.Contains(string(rest), "event: bye") {
			t.Errorf("stream ended without saying bye: %q", rest)
		}
		b.Close()
	}
}
