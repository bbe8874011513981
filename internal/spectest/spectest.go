// Package spectest loads 1NCE's official OpenAPI files and checks HTTP traffic against them.
//
// The files are 1NCE's, not ours: they are read from ../shared/1nce-openapi (seen from the
// module root) or from the directory named by ONCE_SPEC_DIR, and never copied into this
// repository.
//
// Whether missing files fail or skip depends on who runs the tests. In CI (CI=true) or when
// ONCE_SPEC_DIR names a directory explicitly, missing files fail the test, so CI cannot go green
// without the contract. On a fresh clone without ../shared, tests that exist to check the
// contract (Load) skip with MissingMessage, and tests that use it only as an extra layer
// (Optional) run without it: a new user's `go test ./...` passes and says how to get the files.
package spectest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// EnvDir names the environment variable that overrides where the spec files are read from.
const EnvDir = "ONCE_SPEC_DIR"

// MissingMessage is the one message every contract test skips with when the official files are
// absent and not required: where 1NCE publishes them and how to point the tests at them.
const MissingMessage = "official 1NCE OpenAPI files not found in ../shared/1nce-openapi: contract checks skipped. " +
	"1NCE publishes them in the API reference of its developer hub, https://help.1nce.com " +
	"(Authorization, SIM Management v1 and v2, Order Management, Product Information, Support Management; " +
	"files 1nce-authorization-openapi.yml, 1nce-sim-management-openapi.yml, 1nce-sim-management-v2-openapi.yml, " +
	"1nce-order-management-openapi.yml, 1nce-product-information-openapi.yml, 1nce-support-management-openapi.yml). " +
	"Put them in one directory outside this repository and run with ONCE_SPEC_DIR=/that/directory; " +
	"with CI=true or ONCE_SPEC_DIR set, missing files fail instead of skipping"

// ErrMissing reports that the official spec files are not where the tests look for them.
var ErrMissing = errors.New("spectest: official 1NCE spec files missing")

// Spec names one of the official files that the SDK and the simulator must honour.
type Spec string

// The specs in scope (1NCE OS is out of scope for now, SPEC §2).
const (
	Auth     Spec = "1nce-authorization-openapi.yml"
	SimV1    Spec = "1nce-sim-management-openapi.yml"
	SimV2    Spec = "1nce-sim-management-v2-openapi.yml"
	Orders   Spec = "1nce-order-management-openapi.yml"
	Products Spec = "1nce-product-information-openapi.yml"
	Support  Spec = "1nce-support-management-openapi.yml"
)

// Specs lists every spec in scope, in a stable order.
var Specs = []Spec{Auth, SimV1, SimV2, Orders, Products, Support}

// Operation is one method+path of a spec.
type Operation struct {
	Spec        Spec
	Method      string
	Path        string // as written in the spec, e.g. /v1/sims/{iccid}
	OperationID string
}

// Key identifies an operation across specs (operationIds repeat between v1 and v2).
func (o Operation) Key() string { return o.Method + " " + o.Path }

// Dir returns the directory holding the official spec files: $ONCE_SPEC_DIR, or
// ../shared/1nce-openapi relative to the module root found by walking up from the working
// directory.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, checkDir(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("spectest: working directory: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir := filepath.Join(d, "..", "shared", "1nce-openapi")
			return dir, checkDir(dir)
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("spectest: no go.mod above %s; set %s", wd, EnvDir)
		}
	}
}

func checkDir(d string) error {
	for _, s := range Specs {
		if _, err := os.Stat(filepath.Join(d, string(s))); err != nil {
			return fmt.Errorf("%w: %s not in %s (set %s): %w", ErrMissing, s, d, EnvDir, err)
		}
	}
	return nil
}

// Required reports whether missing spec files must fail the tests rather than skip them: in CI
// (CI=true, as CI services set it) and whenever ONCE_SPEC_DIR is set, since then someone
// expects the contract to be checked.
func Required() bool {
	if os.Getenv(EnvDir) != "" {
		return true
	}
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}

// Contract holds the loaded specs and routes requests to their operations.
type Contract struct {
	docs   map[Spec]*openapi3.T
	router map[Spec]routers.Router
	ops    []Operation

	mu      sync.Mutex
	covered map[string]int
}

var (
	loadOnce sync.Once
	loaded   *Contract
	loadErr  error
)

// Load returns the contract for a test whose purpose is checking it. When the spec files are
// absent and not Required, the test is skipped with MissingMessage; otherwise missing or
// unreadable files fail it. The parsed specs are shared by every test of the process: they are
// read-only after load.
func Load(tb testing.TB) *Contract {
	tb.Helper()
	c, err := shared()
	switch {
	case errors.Is(err, ErrMissing) && !Required():
		tb.Skip(MissingMessage)
	case err != nil:
		tb.Fatalf("%v", err)
	}
	return c
}

// Optional returns the contract for a test that uses it only as an extra validation layer, or
// nil when the spec files are absent and not Required, so the test runs without that layer
// (a nil *Contract's Middleware, ValidateRequest and ValidateResponse check nothing).
// Unreadable files, or missing ones when Required, fail the test as in Load.
func Optional(tb testing.TB) *Contract {
	tb.Helper()
	c, err := shared()
	switch {
	case errors.Is(err, ErrMissing) && !Required():
		tb.Log("contract validation off: " + MissingMessage)
		return nil
	case err != nil:
		tb.Fatalf("%v", err)
	}
	return c
}

// shared loads the specs once per process and returns a view with its own coverage counters.
func shared() (*Contract, error) {
	loadOnce.Do(func() { loaded, loadErr = load() })
	if loadErr != nil {
		return nil, loadErr
	}
	return loaded.fresh(), nil
}

// fresh returns a view of c with its own coverage counters.
func (c *Contract) fresh() *Contract {
	return &Contract{docs: c.docs, router: c.router, ops: c.ops, covered: map[string]int{}}
}

func load() (*Contract, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	c := &Contract{docs: map[Spec]*openapi3.T{}, router: map[Spec]routers.Router{}, covered: map[string]int{}}
	for _, s := range Specs {
		l := openapi3.NewLoader()
		doc, err := l.LoadFromFile(filepath.Join(dir, string(s)))
		if err != nil {
			return nil, fmt.Errorf("spectest: load %s: %w", s, err)
		}
		// The servers name 1NCE's host; tests talk to loopback, so match on the path alone.
		doc.Servers = openapi3.Servers{{URL: "/"}}
		// The v2 file carries a documentation-only "/prod/token" path with no operation.
		for _, p := range doc.Paths.InMatchingOrder() {
			if len(doc.Paths.Value(p).Operations()) == 0 {
				doc.Paths.Delete(p)
			}
		}
		if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
			return nil, fmt.Errorf("spectest: %s is not a valid OpenAPI document: %w", s, err)
		}
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("spectest: router for %s: %w", s, err)
		}
		c.docs[s], c.router[s] = doc, r
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				c.ops = append(c.ops, Operation{Spec: s, Method: method, Path: path, OperationID: op.OperationID})
			}
		}
	}
	sort.Slice(c.ops, func(i, j int) bool { return c.ops[i].Key() < c.ops[j].Key() })
	return c, nil
}

// Operations lists every operation of the specs in scope.
func (c *Contract) Operations() []Operation { return append([]Operation(nil), c.ops...) }

// Doc returns the parsed document of one spec (read-only).
func (c *Contract) Doc(s Spec) *openapi3.T { return c.docs[s] }

// ErrNoRoute reports a request that matches no operation of any spec.
var ErrNoRoute = errors.New("spectest: no operation of the official specs matches")

// find returns the operation that serves req (its path relative to the API base, e.g.
// /v1/sims/123), trying every spec.
func (c *Contract) find(req *http.Request) (Spec, *routers.Route, map[string]string, error) {
	for _, s := range Specs {
		route, params, err := c.router[s].FindRoute(req)
		if err == nil {
			return s, route, params, nil
		}
	}
	return "", nil, nil, fmt.Errorf("%w: %s %s", ErrNoRoute, req.Method, req.URL.Path)
}

// stripBase returns a shallow copy of req whose URL path is relative to the API base.
func stripBase(req *http.Request, base string) *http.Request {
	r := req.Clone(req.Context())
	if base != "" {
		r.URL.Path = "/" + strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(base, "/")), "/")
		r.URL.RawPath = ""
	}
	return r
}

func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError: true,
		// Bearer/Basic presence is checked here; token validity is the server's business.
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			h := in.RequestValidationInput.Request.Header.Get("Authorization")
			want := map[string]string{"basic": "Basic ", "bearer": "Bearer "}[strings.ToLower(in.SecurityScheme.Scheme)]
			if want == "" || !strings.HasPrefix(h, want) {
				return fmt.Errorf("missing %s Authorization header", in.SecurityScheme.Scheme)
			}
			return nil
		},
	}
}

// ValidateRequest checks req (path relative to base, body intact) against the official specs and
// returns the operation it matched. The body of req is restored for later readers.
// A nil c (Optional without the files) validates nothing.
func (c *Contract) ValidateRequest(ctx context.Context, req *http.Request, base string) (Operation, error) {
	if c == nil {
		return Operation{}, nil
	}
	body, err := readBody(&req.Body)
	if err != nil {
		return Operation{}, err
	}
	r := stripBase(req, base)
	r.Body = io.NopCloser(bytes.NewReader(body))
	s, route, params, err := c.find(r)
	if err != nil {
		return Operation{}, err
	}
	op := Operation{Spec: s, Method: route.Method, Path: route.Path, OperationID: route.Operation.OperationID}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: options()}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return op, fmt.Errorf("spectest: request %s violates %s: %w", op.Key(), s, err)
	}
	c.mu.Lock()
	c.covered[op.Key()]++
	c.mu.Unlock()
	return op, nil
}

// ValidateResponse checks a response to req (path relative to base) against the official specs.
// Status codes the spec does not list are reported as violations unless allowUndocumented holds
// for that status (1NCE answers 401/429/5xx on every path though few are documented).
// A nil c (Optional without the files) validates nothing.
func (c *Contract) ValidateResponse(ctx context.Context, req *http.Request, base string, status int, header http.Header, body []byte) error {
	if c == nil {
		return nil
	}
	r := stripBase(req, base)
	r.Body = http.NoBody
	s, route, params, err := c.find(r)
	if err != nil {
		return err
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{ExcludeRequestBody: true, ExcludeRequestQueryParams: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if status == http.StatusBadRequest && route.Operation.Responses.Status(status) == nil {
		// 1NCE answers 400 to input it cannot use on operations whose spec lists no 400 (a
		// pageSize over 100, say). Such an answer must still be 1NCE's error shape.
		if err := checkErrorBody(body); err != nil {
			return fmt.Errorf("spectest: undocumented 400 to %s %s: %w", route.Method, route.Path, err)
		}
		return nil
	}
	resp := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: !undocumentedOK(status), MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(ctx, resp); err != nil {
		return fmt.Errorf("spectest: response %d to %s %s violates %s: %w", status, route.Method, route.Path, s, err)
	}
	return nil
}

// undocumentedOK reports statuses 1NCE's gateway answers on any path whatever the spec lists.
func undocumentedOK(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusTooManyRequests || status >= 500
}

// checkErrorBody accepts an empty body or a JSON object carrying a string "message", the shape
// shared by 1NCE's v1 ({statusCode, errorCode, message}) and v2 ({error_code, error_token,
// message}) errors.
func checkErrorBody(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var e struct {
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Message == nil {
		return fmt.Errorf("body is not a 1NCE error object with a message: %.200s", body)
	}
	return nil
}

// Covered returns how many validated requests each operation key received so far.
func (c *Contract) Covered() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.covered))
	for k, v := range c.covered {
		out[k] = v
	}
	return out
}

// Missing lists the operations no validated request has reached yet.
func (c *Contract) Missing() []Operation {
	cov := c.Covered()
	var out []Operation
	for _, op := range c.ops {
		if cov[op.Key()] == 0 {
			out = append(out, op)
		}
	}
	return out
}

func readBody(rc *io.ReadCloser) ([]byte, error) {
	if *rc == nil || *rc == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(*rc)
	(*rc).Close()
	if err != nil {
		return nil, fmt.Errorf("spectest: read body: %w", err)
	}
	*rc = io.NopCloser(bytes.NewReader(b))
	return b, nil
}
