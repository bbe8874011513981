// Package web is oncefleet's dashboard (SPEC §11): server-rendered pages (html/template) with
// the team's own small JavaScript for the interactive parts, charts drawn by the server as
// SVG, and live updates over Server-Sent Events. Everything is embedded in the binary.
//
// Pages read through the control plane and the store, as the API does. Every action a person
// takes is a call of the page's script to the REST API (/api/v1) with the browser's session
// cookie and CSRF token, so handlers, validation, roles, idempotency and the audit log are
// literally the API's. The server refuses what a role may not do whatever the page shows.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/internal/problem"
	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is what the pages read directly (aggregates the API does not serve one by one).
type Store interface {
	CountSIMsByStatus(ctx context.Context) ([]fleet.StatusCount, error)
	DailyUsageTotals(ctx context.Context, from, to time.Time) ([]fleet.DailyTotal, error)
	ListSIMs(ctx context.Context, f fleet.SIMFilter) (fleet.Page[fleet.SIM], error)
	StreamHealth(ctx context.Context) ([]record.StreamHealth, error)
	ListAudit(ctx context.Context, f fleet.AuditFilter) ([]fleet.AuditEntry, int, error)
	ListReports(ctx context.Context, limit, offset int) ([]fleet.Report, int, error)
	ListAlerts(ctx context.Context, f fleet.AlertFilter) ([]fleet.Alert, int, error)
	ListAlertRules(ctx context.Context, enabledOnly bool) ([]fleet.AlertRule, error)
	ListAlertChannels(ctx context.Context) ([]fleet.AlertChannel, error)
}

// JobControl lists the periodic background jobs and their runs.
type JobControl interface {
	Jobs(ctx context.Context, runs int) ([]jobs.Status, error)
}

// Subscriber delivers the bus's events (the live updates).
type Subscriber interface {
	Subscribe(h bus.Handler) (unsubscribe func())
}

// Config wires the dashboard. Every field but SecureCookies and Logger is required.
type Config struct {
	Control  *control.Service
	Accounts *control.Accounts
	Sessions *auth.Sessions
	Authn    *auth.Authenticator
	Store    Store
	Jobs     JobControl
	Bus      Subscriber
	// SecureCookies marks session cookies Secure even on plain HTTP requests (TLS ends at a
	// proxy in front); requests that arrive over TLS always get Secure cookies.
	SecureCookies bool
	Logger        *slog.Logger
}

// Server is the dashboard.
type Server struct {
	cfg    Config
	log    *slog.Logger
	pages  map[string]*template.Template
	rot    rotations
	events *hub
	static http.Handler
	// snap holds the overview's fleet-wide aggregates, refreshed by Run.
	snap snapshot
	// histAt is when snap's history was read (guarded by snap.mu).
	histAt time.Time
	// alertsSeen is the newest alert already announced on the event streams (Run's loop).
	alertsSeen int64
}

// New returns the dashboard; Register mounts it, Session must wrap the whole handler, and
// Shutdown ends its event streams.
func New(cfg Config) (*Server, error) {
	if cfg.Control == nil || cfg.Accounts == nil || cfg.Sessions == nil || cfg.Authn == nil || cfg.Store == nil || cfg.Jobs == nil || cfg.Bus == nil {
		return nil, errors.New("web: Config is missing a dependency")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, pages: pages, events: newHub(), static: http.FileServerFS(sub)}
	s.events.unsubscribe = cfg.Bus.Subscribe(s.events.publish)
	return s, nil
}

// Register mounts the pages on mux. The API owns "/" (its problem+json 404); the pages use
// exact paths, which the mux prefers.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.authed(s.overview))
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /sims", s.authed(s.simTable))
	mux.HandleFunc("GET /sims/{iccid}", s.authed(s.simPage))
	mux.HandleFunc("GET /jobs", s.authed(s.jobsPage))
	mux.HandleFunc("GET /jobs/{id}", s.authed(s.jobPage))
	mux.HandleFunc("GET /reports/{id}", s.authed(s.reportPage))
	mux.HandleFunc("GET /admin/users", s.admin(s.usersPage))
	mux.HandleFunc("GET /admin/keys", s.admin(s.keysPage))
	mux.HandleFunc("GET /audit", s.admin(s.auditPage))
	mux.HandleFunc("GET /alerts", s.authed(s.alertsPage))
	mux.HandleFunc("GET /alerts/rules", s.authed(s.rulesPage))
	mux.HandleFunc("GET /events", s.authed(s.stream))
	// A mistyped address inside the dashboard's sections gets a page, not the API's JSON 404.
	for _, p := range []string{"GET /sims/{iccid}/{rest...}", "GET /jobs/{id}/{rest...}", "GET /admin/{rest...}", "GET /alerts/{rest...}"} {
		mux.HandleFunc(p, s.authed(s.notFound))
	}
	mux.Handle("GET /static/", http.StripPrefix("/static/", s.cacheStatic(s.static)))
}

// Shutdown ends every open event stream (http.Server.Shutdown waits for handlers, and a
// stream would otherwise run until its client leaves). Register it with RegisterOnShutdown.
func (s *Server) Shutdown() { s.events.close() }

// Close unsubscribes from the bus and ends the streams.
func (s *Server) Close() error {
	s.events.close()
	return nil
}

func (s *Server) cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Assets change only with the binary; a short max-age keeps upgrades visible.
		w.Header().Set("Cache-Control", "public, max-age=300")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, _ viewer) {
	s.errorPage(w, r, &fleet.Error{Code: fleet.CodeNotFound, Message: "there is no page at " + r.URL.Path})
}

// viewer is the signed-in person as the templates see them.
type viewer struct {
	auth.Principal
	CSRF string
}

// CanWrite reports whether the person may change SIMs (operator and admin).
func (v viewer) CanWrite() bool { return v.Role.Allows(fleet.RoleOperator) }

// IsAdmin reports whether the person manages users, keys and sees the audit log.
func (v viewer) IsAdmin() bool { return v.Role.Allows(fleet.RoleAdmin) }

type handler func(w http.ResponseWriter, r *http.Request, v viewer)

// authed sends anonymous requests to the login form.
func (s *Server) authed(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.principal(r)
		if !ok {
			if r.URL.Path == "/events" {
				s.errorPage(w, r, auth.ErrUnauthenticated)
				return
			}
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r, viewer{Principal: p, CSRF: s.csrfToken(w, r)})
	}
}

// admin is authed for admins only.
func (s *Server) admin(h handler) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request, v viewer) {
		if !v.IsAdmin() {
			s.errorPage(w, r, &fleet.Error{Code: fleet.CodeForbidden, Message: "this page is for admins"})
			return
		}
		h(w, r, v)
	})
}

// page is what every template gets.
type page struct {
	Title string
	Nav   string
	V     viewer
	Data  any
	// Now is when the page was rendered (for "x ago").
	Now time.Time
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := s.pages[name]
	if !ok {
		s.log.ErrorContext(r.Context(), "web: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if p.V.CSRF == "" {
		p.V.CSRF = s.csrfToken(w, r)
	}
	if p.Now.IsZero() {
		p.Now = time.Now().UTC()
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		s.log.ErrorContext(r.Context(), "web: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// Only the page's own script and styles run: an injected <script> does nothing.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = fmt.Fprint(w, b.String())
}

// errorPage answers err as a readable page with the API's status for its code.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	p := problem.FromError(err)
	status := p.Status
	if fleet.Code(p.Code) == fleet.CodeInvalid {
		status = http.StatusBadRequest
	}
	if status >= 500 && fleet.ErrorCode(err) == fleet.CodeInternal {
		s.log.ErrorContext(r.Context(), "web: page failed", "path", r.URL.Path, "err", err)
	}
	v, _ := s.principal(r)
	s.render(w, r, status, "error", page{Title: http.StatusText(status), V: viewer{Principal: v}, Data: errorData{Status: status, Message: message(err)}})
}

type errorData struct {
	Status  int
	Message string
}

// message is an error as a person reads it: the API's detail for domain errors, a generic
// sentence for internal ones (their detail is in the log).
func message(err error) string {
	var fe *fleet.Error
	if errors.As(err, &fe) && fe.Code != fleet.CodeInternal {
		return problem.FromError(err).Detail
	}
	if errors.Is(err, context.Canceled) {
		return "the request was cancelled"
	}
	return "Something went wrong on the server; the details are in its log."
}
