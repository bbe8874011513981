package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/httpmw"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// op declares one operation.
type op struct {
	id, method, path, summary, description, tag string
	// role is what the caller needs; "" makes the operation public (no credentials).
	role fleet.Role
	// action names the operation in the audit log; set for every mutating operation.
	action string
	// status is the success status (default 200; 204 without body).
	status int
	// maxBody raises huma's 1 MiB body limit (bulk lists).
	maxBody int64
}

// register declares an operation with huma: its types give the OpenAPI document and the
// validation; the role check runs before the handler; handler errors become problems.
func register[I, O any](s *Server, o op, h func(ctx context.Context, in *I) (*O, error)) {
	hop := huma.Operation{
		OperationID: o.id,
		Method:      o.method,
		Path:        Prefix + o.path,
		Summary:     o.summary,
		Description: o.description,
		Tags:        []string{o.tag},
		DefaultStatus: func() int {
			if o.status == 0 {
				return http.StatusOK
			}
			return o.status
		}(),
		MaxBodyBytes: o.maxBody,
		Errors:       errorsFor(o),
		Metadata:     map[string]any{"role": string(o.role)},
	}
	if o.role != "" {
		hop.Security = []map[string][]string{{"apiKey": {}}, {"bearer": {}}}
		hop.Description = joinDoc(hop.Description, "Needs the **"+string(o.role)+"** role.")
		hop.Middlewares = huma.Middlewares{s.requireRole(o)}
		hop.Extensions = map[string]any{"x-required-role": string(o.role)}
	} else {
		hop.Security = []map[string][]string{}
	}
	if o.action != "" {
		s.actions[o.method+" "+Prefix+o.path] = o.action
	}
	huma.Register(s.api, hop, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			return nil, s.toAPIError(ctx, err)
		}
		return out, nil
	})
}

func joinDoc(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n\n" + b
}

// errorsFor lists the error statuses an operation documents.
func errorsFor(o op) []int {
	out := []int{http.StatusBadRequest}
	if o.role != "" {
		out = append(out, http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests)
	}
	if o.method == http.MethodPost {
		out = append(out, http.StatusConflict)
	}
	out = append(out, http.StatusNotFound, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout)
	return out
}

// requireRole refuses a call without credentials (401) or with too small a role (403,
// audited for mutating operations).
func (s *Server) requireRole(o op) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		p, ok := principalFrom(ctx.Context())
		if !ok {
			s.writeHuma(ctx, newAPIError(http.StatusUnauthorized, fleet.CodeUnauthorized, "send an API key (X-API-Key) or an access token (Authorization: Bearer)"))
			return
		}
		if !p.Role.Allows(o.role) {
			s.writeHuma(ctx, newAPIError(http.StatusForbidden, fleet.CodeForbidden, "this needs the "+string(o.role)+" role; you have "+string(p.Role)))
			return
		}
		next(ctx)
	}
}

// writeHuma writes an error from a huma middleware.
func (s *Server) writeHuma(ctx huma.Context, e *apiError) {
	if e.body.RequestID == "" {
		e.body.RequestID = requestIDFrom(ctx.Context())
	}
	for k, vs := range e.headers {
		for _, v := range vs {
			ctx.AppendHeader(k, v)
		}
	}
	ctx.SetHeader("Content-Type", "application/problem+json")
	ctx.SetStatus(e.body.Status)
	b, _ := jsonMarshal(e.body)
	_, _ = ctx.BodyWriter().Write(b)
}

type principalKey struct{}

// withPrincipal attaches the authenticated principal to ctx.
func withPrincipal(ctx context.Context, p auth.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

func principalFrom(ctx context.Context) (auth.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(auth.Principal)
	return p, ok
}

func requestIDFrom(ctx context.Context) string { return httpmw.RequestID(ctx) }

// actor is the control-plane actor of the request's principal (with the request id for the
// audit row); the role middleware guarantees one exists on protected operations.
func actor(ctx context.Context) control.Actor {
	p, _ := principalFrom(ctx)
	return control.Actor{ID: p.ActorID(), Name: p.Name, Role: p.Role, RequestID: requestIDFrom(ctx)}
}
