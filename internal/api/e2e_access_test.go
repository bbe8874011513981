package api_test

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// fetchDoc reads the server's OpenAPI document.
func fetchDoc(t *testing.T, e *apptest.Env) *openAPIDoc {
	t.Helper()
	res := want(t, e.Do(req{Method: http.MethodGet, Path: "/openapi.json"}), 200)
	var doc openAPIDoc
	res.JSON(t, &doc)
	return &doc
}

// opCall is one documented operation with its path parameters filled in.
type opCall struct {
	method, path, id, role string
}

// documentedCalls lists every operation of the document, with well-formed parameters.
func documentedCalls(doc *openAPIDoc) []opCall {
	var out []opCall
	for path, ops := range doc.Paths {
		for method, op := range ops {
			p := path
			for _, prm := range op.Parameters {
				if prm.In != "path" {
					continue
				}
				v := "1"
				switch prm.Name {
				case "iccid":
					v = simICCID(1)
				case "service":
					v = "data"
				}
				p = strings.ReplaceAll(p, "{"+prm.Name+"}", v)
			}
			out = append(out, opCall{method: strings.ToUpper(method), path: p, id: op.OperationID, role: op.Role})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func TestOpenAPIDocument(t *testing.T) {
	e := apptest.Start(t, apptest.Options{})
	doc := fetchDoc(t, e)
	coverage.mu.Lock()
	coverage.doc = doc
	coverage.mu.Unlock()
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi version %q, want 3.1", doc.OpenAPI)
	}
	n := 0
	for path, ops := range doc.Paths {
		if !strings.HasPrefix(path, "/api/v1/") {
			t.Errorf("path %s outside /api/v1", path)
		}
		for method, op := range ops {
			n++
			if op.OperationID == "" || op.Summary == "" {
				t.Errorf("%s %s: no operationId or summary", method, path)
			}
			if _, ok := op.Responses["422"]; !ok && method != "get" && method != "delete" {
				t.Errorf("%s %s: no documented 422", method, path)
			}
			if op.Role != "" {
				for _, code := range []string{"401", "403"} {
					if _, ok := op.Responses[code]; !ok {
						t.Errorf("%s %s: needs %s but documents no %s", method, path, op.Role, code)
					}
				}
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d operations documented", n)
	}
	// Error responses are described with oncefleet's problem schema.
	res := e.Do(req{Method: http.MethodGet, Path: "/openapi.json"})
	if !strings.Contains(string(res.Body), `"application/problem+json"`) || !strings.Contains(string(res.Body), `"#/components/schemas/Problem"`) {
		t.Fatal("error responses do not use the Problem schema")
	}
	// The interactive docs are served by the binary itself: no CDN.
	page := want(t, e.Do(req{Method: http.MethodGet, Path: "/docs"}), 200)
	if !strings.Contains(string(page.Body), `src="/docs/docs.js"`) || strings.Contains(string(page.Body), "https://") {
		t.Fatalf("docs page: %s", page.Body)
	}
	js := want(t, e.Do(req{Method: http.MethodGet, Path: "/docs/docs.js"}), 200)
	if !strings.Contains(string(js.Body), "/openapi.json") {
		t.Fatal("docs script does not load the document")
	}
	want(t, e.Do(req{Method: http.MethodGet, Path: "/docs/other.js"}), 404)
}

func TestEveryProtectedOperationNeedsCredentials(t *testing.T) {
	e := apptest.Start(t, apptest.Options{})
	for _, c := range documentedCalls(fetchDoc(t, e)) {
		if c.role == "" {
			continue
		}
		t.Run(c.id, func(t *testing.T) {
			res := e.Do(req{Method: c.method, Path: c.path, Body: "{}"})
			wantProblem(t, res, 401, "unauthorized")
			bad := e.Do(req{Method: c.method, Path: c.path, Body: "{}", Header: map[string]string{"X-API-Key": "ofk_not-a-real-key"}})
			wantProblem(t, bad, 401, "unauthorized")
			basic := e.Do(req{Method: c.method, Path: c.path, Body: "{}", Header: map[string]string{"Authorization": "Basic YTpi"}})
			wantProblem(t, basic, 401, "unauthorized")
		})
	}
}

func TestViewerCannotWrite(t *testing.T) {
	e := apptest.Start(t, apptest.Options{})
	for _, c := range documentedCalls(fetchDoc(t, e)) {
		if c.role == "" || c.role == string(fleet.RoleViewer) {
			continue
		}
		t.Run(c.id, func(t *testing.T) {
			res := e.Do(req{Method: c.method, Path: c.path, Role: fleet.RoleViewer, Body: "{}"})
			wantProblem(t, res, 403, "forbidden")
			if c.role == string(fleet.RoleAdmin) {
				wantProblem(t, e.Do(req{Method: c.method, Path: c.path, Role: fleet.RoleOperator, Body: "{}"}), 403, "forbidden")
			}
		})
	}
	// Refused writes are audited with who tried.
	var rows []struct {
		Actor, Action, Result, Role string
	}
	dataOf(t, want(t, e.Do(get("/audit?action=sim.topup", fleet.RoleAdmin)), 200), &rows)
	if len(rows) == 0 || rows[0].Result != "forbidden" || rows[0].Role != "viewer" {
		t.Fatalf("refused top-up not audited: %+v", rows)
	}
}

func TestMuxAnswersProblems(t *testing.T) {
	e := apptest.Start(t, apptest.Options{})
	wantProblem(t, e.Do(get("/no-such-thing", fleet.RoleAdmin)), 404, "not_found")
	res := e.Do(req{Method: http.MethodPatch, Path: "/api/v1/sims/" + simICCID(1), Role: fleet.RoleAdmin})
	wantProblem(t, res, 405, "method_not_allowed")
	if allow := res.Header.Get("Allow"); !strings.Contains(allow, "PUT") || !strings.Contains(allow, "GET") {
		t.Fatalf("Allow = %q", allow)
	}
	// Malformed JSON is 400, a well-formed but invalid body 422 — both problem+json.
	wantProblem(t, e.Do(put("/sims/"+simICCID(1), fleet.RoleOperator, "{not json")), 400, "invalid")
	p := wantProblem(t, e.Do(put("/sims/"+simICCID(1), fleet.RoleOperator, map[string]any{"status": "Sleeping"})), 422, "invalid")
	if p.Field != "status" {
		t.Fatalf("field = %q", p.Field)
	}
}

func TestPerKeyRateLimit(t *testing.T) {
	e := apptest.Start(t, apptest.Options{NoUpstream: true, Configure: func(c *config.Config) { c.APIRateLimit = "3" }})
	for i := range 3 {
		res := want(t, e.Do(get("/auth/me", fleet.RoleViewer)), 200)
		if got := res.Header.Get("RateLimit-Remaining"); got != strconv.Itoa(2-i) {
			t.Fatalf("request %d: RateLimit-Remaining = %q", i, got)
		}
	}
	res := wantProblem(t, e.Do(get("/auth/me", fleet.RoleViewer)), 429, "rate_limited")
	_ = res
	r := e.Do(get("/auth/me", fleet.RoleViewer))
	if r.Header.Get("Retry-After") == "" || r.Header.Get("RateLimit-Limit") != "3" {
		t.Fatalf("429 headers: %v", r.Header)
	}
	// Each key has its own budget.
	want(t, e.Do(get("/auth/me", fleet.RoleOperator)), 200)
}

func TestServerWithoutUpstream(t *testing.T) {
	e := apptest.Start(t, apptest.Options{NoUpstream: true})
	// The mirror and oncefleet's own records work; what needs 1NCE says so.
	want(t, e.Do(get("/sims", fleet.RoleViewer)), 200)
	p := wantProblem(t, e.Do(get("/sims/"+simICCID(1)+"/quota/data", fleet.RoleViewer)), 503, "unavailable")
	if !strings.Contains(p.Detail, "ONCEFLEET_ONCE_CLIENT_ID") {
		t.Fatalf("detail = %q", p.Detail)
	}
}

func TestMetricsAndLogsSeeAPIRoutes(t *testing.T) {
	e := apptest.Start(t, apptest.Options{NoUpstream: true})
	want(t, e.Do(get("/auth/me", fleet.RoleViewer)), 200)
	res := want(t, e.Do(req{Method: http.MethodGet, Path: "/metrics"}), 200)
	if !strings.Contains(string(res.Body), `route="GET /api/v1/auth/me"`) {
		t.Fatal("http_requests_total does not carry the API route pattern")
	}
}
