// Package api is oncefleet's REST API (/api/v1, SPEC §5 and §6): every operation is declared
// once with huma (request and response types, validation, the role it needs) and served on
// the standard library's ServeMux; /openapi.json is generated from those declarations and
// /docs renders it.
//
// The API is thin: it authenticates (API keys, access tokens), limits, checks roles, makes
// POSTs idempotent, and hands every read and action to the control plane (package control),
// which talks to 1NCE, the mirror, the cache and the audit log. Errors are RFC 9457
// problem+json with a stable code, whoever raised them: a handler, huma's validation, or the
// mux itself (unknown path, wrong method).
package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/problem"
	"github.com/oncefleet/oncefleet/internal/ratelimit"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// IdempotencyStore keeps the answers of POSTs made with an Idempotency-Key.
type IdempotencyStore interface {
	BeginIdempotency(ctx context.Context, key, requestHash string) (*fleet.IdempotencyRecord, bool, error)
	CompleteIdempotency(ctx context.Context, key string, status int, response []byte) error
	ReleaseIdempotency(ctx context.Context, key string) error
}

// AuditLister reads the audit log.
type AuditLister interface {
	ListAudit(ctx context.Context, f fleet.AuditFilter) ([]fleet.AuditEntry, int, error)
}

// Config wires the API to the rest of the server. Every field but KeyLimit, Version and
// Logger is required.
type Config struct {
	Control     *control.Service
	Accounts    *control.Accounts
	Sessions    *auth.Sessions
	Authn       *auth.Authenticator
	Limiter     ratelimit.Limiter
	Idempotency IdempotencyStore
	Audit       AuditLister
	Jobs        JobControl
	Reports     ReportStore
	// Alerts and AlertStore serve the alert endpoints (registered when both are set).
	Alerts     AlertEngine
	AlertStore AlertStore
	// KeyLimit is each principal's request limit (default ratelimit.DefaultAPIKeyLimit).
	KeyLimit ratelimit.Limit
	// Version is the API document's version.
	Version string
	Logger  *slog.Logger
}

// Server is the REST API.
type Server struct {
	cfg Config
	api huma.API
	log *slog.Logger
	// actions maps a route pattern to its audit action, so calls refused before they reach
	// the control plane are audited under the same name.
	actions map[string]string
}

// New registers every operation on mux and returns the server; Wrap must wrap the mux.
func New(mux *http.ServeMux, cfg Config) (*Server, error) {
	if cfg.Control == nil || cfg.Accounts == nil || cfg.Sessions == nil || cfg.Authn == nil || cfg.Limiter == nil || cfg.Idempotency == nil || cfg.Audit == nil || cfg.Jobs == nil || cfg.Reports == nil {
		return nil, errors.New("api: Config is missing a dependency")
	}
	if cfg.KeyLimit == (ratelimit.Limit{}) {
		cfg.KeyLimit = ratelimit.DefaultAPIKeyLimit
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	s := &Server{cfg: cfg, log: cfg.Logger, actions: map[string]string{}}

	hc := huma.DefaultConfig("oncefleet API", cfg.Version)
	hc.Info.Description = apiDescription
	hc.OpenAPIPath = "/openapi"
	// The docs page is our own (no CDN at run time); the schemas endpoint is not needed.
	hc.DocsPath, hc.SchemasPath = "", ""
	hc.CreateHooks = nil
	hc.Transformers = []huma.Transformer{problemTransformer}
	hc.Formats = map[string]huma.Format{"application/json": jsonFormat(), "json": jsonFormat()}
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"apiKey": {Type: "apiKey", In: "header", Name: "X-API-Key", Description: "An API key (`oncefleet admin create-api-key` or POST /api/v1/api-keys)."},
		"bearer": {Type: "http", Scheme: "bearer", BearerFormat: "JWT", Description: "An access token from POST /api/v1/auth/login."},
	}
	base := humago.New(mux, hc)
	s.api = &documented{API: base, problem: base.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[Problem](), true, "Problem")}
	defer func() {
		// huma registers its own error model for every operation; ours replaced it everywhere.
		delete(base.OpenAPI().Components.Schemas.Map(), "ErrorModel")
		delete(base.OpenAPI().Components.Schemas.Map(), "ErrorDetail")
	}()

	s.registerSIMs()
	s.registerQuotas()
	s.registerSMS()
	s.registerAccountOps()
	s.registerCommerce()
	s.registerAuth()
	s.registerAdmin()
	s.registerJobs()
	s.registerReports()
	if cfg.Alerts != nil && cfg.AlertStore != nil {
		s.registerAlerts()
	}
	mux.HandleFunc("/", s.unmatched(mux))
	mux.HandleFunc("GET /docs", serveDocs)
	mux.HandleFunc("GET /docs/{file}", serveDocsAsset)
	return s, nil
}

// jsonFormat is huma's JSON format, except that bodies the cache already holds encoded are
// written as they are: encoding/json would re-validate and compact every byte of a
// json.Marshaler's output, which was 40% of the CPU of a served SIM page.
func jsonFormat() huma.Format {
	return huma.Format{
		Marshal: func(w io.Writer, v any) error {
			if e, ok := v.(preEncoded); ok {
				// Two writes: appending to the cached slice could scribble on a shared array.
				if _, err := w.Write(e.encoded()); err != nil {
					return err
				}
				_, err := w.Write([]byte{'\n'})
				return err
			}
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			return enc.Encode(v)
		},
		Unmarshal: json.Unmarshal,
	}
}

// OpenAPI returns the generated API description.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

const apiDescription = "oncefleet's REST API: a local mirror of a 1NCE SIM fleet and every 1NCE operation behind " +
	"oncefleet's users, roles and API keys.\n\n" +
	"Authenticate with `X-API-Key: <key>` or `Authorization: Bearer <access token>` (POST /api/v1/auth/login). " +
	"Roles: viewer reads; operator also changes SIMs, tops up and sends SMS; admin also manages users, keys, " +
	"limits, transfers and orders.\n\n" +
	"Errors are RFC 9457 `application/problem+json` with a stable `code`; clients switch on `code`, never on " +
	"the text. Reads of what only 1NCE knows come from a cache; when 1NCE cannot be asked, the last known " +
	"answer is returned with `Warning: 110` and `\"stale\": true`. Every POST that costs money or changes " +
	"state honours `Idempotency-Key`."

// documented adds oncefleet's problem schema to every error response of the OpenAPI
// document (huma would describe its own error model, which our errors do not use).
type documented struct {
	huma.API
	problem *huma.Schema
}

// DocumentOperation implements huma.OperationDocumenter.
func (d *documented) DocumentOperation(op *huma.Operation) {
	for code, resp := range op.Responses {
		n, _ := strconv.Atoi(code)
		if n >= 400 || code == "default" {
			resp.Content = map[string]*huma.MediaType{problem.ContentType: {Schema: d.problem}}
		}
	}
	if !op.Hidden {
		d.OpenAPI().AddOperation(op)
	}
}

// Problem is the body of every error: RFC 9457 with oncefleet's stable code, and for
// validation errors each offending input.
type Problem struct {
	problem.Problem
	Errors []fieldError `json:"errors,omitempty" doc:"Every offending input of a validation error."`
}

type fieldError struct {
	Location string `json:"location,omitempty" doc:"Where: path.iccid, query.page, body.iccids[3], …"`
	Message  string `json:"message"`
}

// apiError is an error a handler returns; huma writes it as the response.
type apiError struct {
	body    Problem
	headers http.Header
}

func (e *apiError) Error() string { return e.body.Code + ": " + e.body.Detail }

// GetStatus implements huma.StatusError.
func (e *apiError) GetStatus() int { return e.body.Status }

// ContentType implements huma.ContentTypeFilter.
func (e *apiError) ContentType(string) string { return problem.ContentType }

// GetHeaders implements huma.HeadersError.
func (e *apiError) GetHeaders() http.Header { return e.headers }

// MarshalJSON writes the problem body.
func (e *apiError) MarshalJSON() ([]byte, error) { return jsonMarshal(e.body) }

// statusFor maps a domain code to the API's status: validation failures of well-formed
// requests are 422 (huma's own validation answers so too); malformed syntax stays 400.
func statusFor(code fleet.Code) int {
	if code == fleet.CodeInvalid {
		return http.StatusUnprocessableEntity
	}
	return problem.Status(code)
}

// toAPIError converts any error of a handler into the problem the client gets. Internal
// errors are logged here, once, with the request id; the client sees a generic message.
func (s *Server) toAPIError(ctx context.Context, err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// The client went away; nobody reads this answer.
		return newAPIError(499, fleet.CodeUnavailable, "request cancelled")
	}
	p := problem.FromError(err)
	p.Status = statusFor(fleet.Code(p.Code))
	p.Title = http.StatusText(p.Status)
	if p.Status >= 500 && fleet.ErrorCode(err) == fleet.CodeInternal {
		s.log.ErrorContext(ctx, "request failed", "err", err)
	}
	e := &apiError{body: Problem{Problem: p}, headers: http.Header{}}
	if p.RetryAfter > 0 {
		e.headers.Set("Retry-After", strconv.FormatInt(int64((p.RetryAfter+time.Second-1)/time.Second), 10))
	}
	return e
}

func newAPIError(status int, code fleet.Code, detail string) *apiError {
	return &apiError{body: Problem{Problem: problem.New(status, code, detail)}, headers: http.Header{}}
}

// problemTransformer turns huma's own error model (request validation, unreadable bodies)
// into oncefleet's problem with a stable code.
func problemTransformer(ctx huma.Context, status string, v any) (any, error) {
	em, ok := v.(*huma.ErrorModel)
	if !ok {
		return v, nil
	}
	code := codeForStatus(em.Status)
	p := Problem{Problem: problem.New(em.Status, code, em.Detail)}
	for _, d := range em.Errors {
		if d == nil {
			continue
		}
		p.Errors = append(p.Errors, fieldError{Location: d.Location, Message: d.Message})
	}
	if len(p.Errors) > 0 {
		p.Field = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(p.Errors[0].Location, "body."), "query."), "path.")
		if p.Detail == "" || p.Detail == "validation failed" {
			p.Detail = p.Errors[0].Location + ": " + p.Errors[0].Message
		}
	}
	ctx.SetHeader("Content-Type", problem.ContentType)
	return p, nil
}

// codeForStatus is the stable code of an error huma or the mux raised, by status.
func codeForStatus(status int) fleet.Code {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return fleet.CodeInvalid
	case http.StatusUnauthorized:
		return fleet.CodeUnauthorized
	case http.StatusForbidden:
		return fleet.CodeForbidden
	case http.StatusNotFound:
		return fleet.CodeNotFound
	case http.StatusMethodNotAllowed:
		return fleet.CodeMethodNotAllowed
	case http.StatusConflict:
		return fleet.CodeConflict
	case http.StatusRequestEntityTooLarge:
		return fleet.CodeTooLarge
	case http.StatusTooManyRequests:
		return fleet.CodeRateLimited
	case http.StatusServiceUnavailable:
		return fleet.CodeUnavailable
	case http.StatusUnsupportedMediaType, http.StatusNotAcceptable:
		return fleet.CodeInvalid
	}
	return fleet.CodeInternal
}
