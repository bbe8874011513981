package api_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// The end-to-end suite runs the real server (app.New on port 0) against the simulator over
// real HTTP, on both backends. TestMain checks at the end that every operation the server
// documents in /openapi.json was called by some test.

var coverage = &calls{seen: map[string]bool{}}

type calls struct {
	mu   sync.Mutex
	seen map[string]bool // "METHOD path"
	doc  *openAPIDoc
}

func (c *calls) record(method, path string, status int) {
	// A refusal for missing credentials or role does not test the operation itself.
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	c.mu.Lock()
	c.seen[method+" "+path] = true
	c.mu.Unlock()
}

type openAPIDoc struct {
	OpenAPI string                                 `json:"openapi"`
	Paths   map[string]map[string]openAPIOperation `json:"paths"`
}

type openAPIOperation struct {
	OperationID string                     `json:"operationId"`
	Summary     string                     `json:"summary"`
	Role        string                     `json:"x-required-role"`
	Security    []map[string][]string      `json:"security"`
	Responses   map[string]json.RawMessage `json:"responses"`
	Parameters  []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
}

// untested lists the documented operations no test called.
func (c *calls) untested() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for path, ops := range c.doc.Paths {
		// QuoteMeta escapes the braces of {param}; each becomes one path segment.
		re := regexp.MustCompile("^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`) + "$")
		for method, op := range ops {
			found := false
			for k := range c.seen {
				m, p, _ := strings.Cut(k, " ")
				if strings.EqualFold(m, method) && re.MatchString(p) {
					found = true
					break
				}
			}
			if !found {
				out = append(out, strings.ToUpper(method)+" "+path+" ("+op.OperationID+")")
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestMain(m *testing.M) {
	flag.Parse()
	apptest.Recorder = coverage.record
	code := m.Run()
	// The coverage check needs the whole suite: skip it when tests were filtered.
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && !testing.Short() {
		if coverage.doc == nil {
			fmt.Fprintln(os.Stderr, "openapi coverage: TestOpenAPIDocument did not record the document")
			code = 1
		} else if missing := coverage.untested(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "openapi coverage: %d documented operations have no test:\n  %s\n", len(missing), strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

// backends runs f on SQLite + memory and on PostgreSQL + Redis; with -short (the race
// detector's run in CI, where the full suite has already passed on both) on SQLite only.
func backends(t *testing.T, f func(t *testing.T, backend string)) {
	list := []string{apptest.SQLite, apptest.Postgres}
	if testing.Short() {
		list = list[:1]
	}
	for _, b := range list {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			f(t, b)
		})
	}
}

// simICCID is the i-th SIM of the simulator's seeded fleet (19 digits, as 1NCE names them).
func simICCID(i int) string { return fmt.Sprintf("%019d", int64(8988280666000000000)+int64(i)) }

// unknownICCID is a well-formed ICCID no simulated SIM has.
const unknownICCID = "8988280666099999999"

type req = apptest.Request

func get(path string, role fleet.Role) req {
	return req{Method: http.MethodGet, Path: "/api/v1" + path, Role: role}
}

func post(path string, role fleet.Role, body any) req {
	return req{Method: http.MethodPost, Path: "/api/v1" + path, Role: role, Body: body}
}

func put(path string, role fleet.Role, body any) req {
	return req{Method: http.MethodPut, Path: "/api/v1" + path, Role: role, Body: body}
}

func del(path string, role fleet.Role) req {
	return req{Method: http.MethodDelete, Path: "/api/v1" + path, Role: role}
}

// want fails unless the answer has status; it returns the answer for more checks.
func want(t *testing.T, res *apptest.Response, status int) *apptest.Response {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, res.Body)
	}
	return res
}

// wantProblem fails unless the answer is a problem with status and code.
func wantProblem(t *testing.T, res *apptest.Response, status int, code string) apptest.Problem {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d (%s): %s", res.Status, status, code, res.Body)
	}
	p := res.Problem(t)
	if p.Code != code {
		t.Fatalf("code %q, want %q: %s", p.Code, code, res.Body)
	}
	return p
}

// dataOf decodes {"data": …} into v.
func dataOf(t *testing.T, res *apptest.Response, v any) {
	t.Helper()
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	res.JSON(t, &env)
	if err := json.Unmarshal(env.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", env.Data, err)
	}
}
