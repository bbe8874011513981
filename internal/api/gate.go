package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/httpmw"
	"github.com/oncefleet/oncefleet/internal/problem"
)

// Wrap puts the API's request gate around mux (every route, not only the API's):
//
//   - credentials (X-API-Key, Authorization: Bearer, the dashboard's session cookie with its
//     CSRF header) are resolved when present; a bad one is
//     401 at once, none leaves the request anonymous for the route to accept or refuse;
//   - an authenticated principal is rate limited (RateLimit-* headers, 429 + Retry-After);
//   - a POST under /api/v1 with an Idempotency-Key replays the first answer;
//   - a mutating API call refused before it reached the control plane is still audited;
//   - the mux's own 404 and 405 answers become problem+json.
func (s *Server) Wrap(mux *http.ServeMux) http.Handler {
	// The gate hands the mux copies of the request (with the principal in their context):
	// CaptureRoute lets the logs, metrics and traces outside still see the matched pattern.
	routed := httpmw.CaptureRoute(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, Prefix+"/") || strings.HasPrefix(r.URL.Path, Prefix+"/streamer") {
			routed.ServeHTTP(w, r)
			return
		}
		r = r.WithContext(withClientAddr(r.Context(), r.RemoteAddr))
		p, ok, err := s.authenticate(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if ok {
			r = r.WithContext(withPrincipal(r.Context(), p))
			res, err := s.cfg.Limiter.Allow(r.Context(), p.ActorID(), s.cfg.KeyLimit)
			if err != nil {
				// A limiter outage must not take the API down: serve, and say so in the log.
				s.log.WarnContext(r.Context(), "rate limiter unavailable", "err", err)
			} else {
				res.SetHeaders(w.Header())
				if !res.Allowed {
					s.writeProblem(w, r, &fleet.Error{Code: fleet.CodeRateLimited, Message: "request limit reached for this credential", RetryAfter: res.RetryAfter})
					return
				}
			}
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead || !ok {
			routed.ServeHTTP(w, r)
			return
		}
		ctx, audited := control.AuditScope(r.Context())
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}
		if key := r.Header.Get("Idempotency-Key"); key != "" && r.Method == http.MethodPost {
			s.idempotent(rec, r, routed, p, key)
		} else {
			routed.ServeHTTP(rec, r)
		}
		if !audited() && rec.status >= 400 && rec.status != http.StatusTooManyRequests {
			s.auditRefusal(r, p, rec.status)
		}
	})
}

// authenticate resolves the request's credentials; ok is false when it carries none.
func (s *Server) authenticate(r *http.Request) (auth.Principal, bool, error) {
	if key := r.Header.Get("X-API-Key"); key != "" {
		p, err := s.cfg.Authn.APIKey(r.Context(), key)
		return p, err == nil, err
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			return auth.Principal{}, false, &fleet.Error{Code: fleet.CodeUnauthorized, Message: "use Authorization: Bearer <access token>, or X-API-Key"}
		}
		p, err := s.cfg.Authn.Bearer(r.Context(), strings.TrimSpace(token))
		return p, err == nil, err
	}
	// The dashboard's browser session: the same access token, in a cookie. A browser sends
	// cookies on cross-site requests too, so an unsafe method must also prove it came from
	// an oncefleet page (the CSRF token it can read only there).
	if c, err := r.Cookie(auth.AccessCookie); err == nil && c.Value != "" {
		if !auth.SafeMethod(r.Method) && !auth.CSRFValid(r, "") {
			return auth.Principal{}, false, &fleet.Error{Code: fleet.CodeForbidden, Message: "missing or wrong " + auth.CSRFHeader + " header for a cookie session; reload the page"}
		}
		p, err := s.cfg.Authn.Bearer(r.Context(), c.Value)
		return p, err == nil, err
	}
	return auth.Principal{}, false, nil
}

// auditRefusal records a mutating call that ended before the control plane saw it (bad
// input, missing role, unknown target).
func (s *Server) auditRefusal(r *http.Request, p auth.Principal, status int) {
	action := s.actions[r.Pattern]
	if action == "" {
		return
	}
	target := r.PathValue("iccid")
	if target == "" {
		if id := r.PathValue("id"); id != "" {
			target = id
		}
	}
	a := control.Actor{ID: p.ActorID(), Name: p.Name, Role: p.Role, RequestID: requestIDFrom(r.Context())}
	_ = s.cfg.Control.Record(r.Context(), a, action, target, string(codeForStatus(status)), map[string]any{"status": status})
}

// unmatched answers what no route matched, as problem+json: 405 (with Allow) when the path
// exists with other methods, else 404. It is the mux's catch-all "/" route, so the mux's own
// text/plain 404 and 405 never reach a client, and the hot path matches routes once.
func (s *Server) unmatched(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.writeProblem(w, r, &fleet.Error{Code: fleet.CodeMethodNotAllowed, Message: r.Method + " is not allowed here; allowed: " + strings.Join(allow, ", ")})
			return
		}
		s.writeProblem(w, r, &fleet.Error{Code: fleet.CodeNotFound, Message: "no such resource: " + r.URL.Path})
	}
}

// writeProblem writes err as problem+json with the API's status mapping.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problem.FromError(err)
	p.Status = statusFor(fleet.Code(p.Code))
	p.Title = http.StatusText(p.Status)
	p.RequestID = requestIDFrom(r.Context())
	problem.Write(w, p)
}

// idempotent runs a POST at most once per (principal, key): the same key and body replay the
// first answer, another body is 422, a key still in flight is 409. Answers are kept unless
// the call may be retried safely: a 5xx that changed nothing (500, 503) releases the key.
func (s *Server) idempotent(w *statusRecorder, r *http.Request, mux http.Handler, p auth.Principal, key string) {
	if len(key) > 255 || strings.ContainsFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		s.writeProblem(w, r, fleet.Invalid("Idempotency-Key", "use 1 to 255 visible ASCII characters (a UUID is ideal)"))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256([]byte(r.Method + " " + r.URL.Path + "?" + r.URL.RawQuery + "\n" + string(body)))
	stored := p.ActorID() + ":" + key
	rec, created, err := s.cfg.Idempotency.BeginIdempotency(r.Context(), stored, hex.EncodeToString(sum[:]))
	switch {
	case fleet.ErrorCode(err) == fleet.CodeConflict:
		s.writeProblem(w, r, &fleet.Error{Code: fleet.CodeIdempotencyReused, Message: "this Idempotency-Key was used with a different request; use a new key"})
		return
	case err != nil:
		s.writeProblem(w, r, err)
		return
	case !created && rec.Completed():
		replay(w, rec)
		return
	case !created:
		s.writeProblem(w, r, &fleet.Error{Code: fleet.CodeIdempotencyInFlight, Message: "the first request with this Idempotency-Key is still running"})
		return
	}
	cw := &capture{statusRecorder: w}
	mux.ServeHTTP(cw, r)
	ctx := context.WithoutCancel(r.Context())
	if cw.status == http.StatusInternalServerError || cw.status == http.StatusServiceUnavailable || cw.status == 499 {
		if err := s.cfg.Idempotency.ReleaseIdempotency(ctx, stored); err != nil {
			s.log.WarnContext(ctx, "release idempotency key", "err", err)
		}
		return
	}
	resp, _ := json.Marshal(storedResponse{Header: keep(w.Header()), Body: cw.body.Bytes()})
	if err := s.cfg.Idempotency.CompleteIdempotency(ctx, stored, cw.statusCode(), resp); err != nil {
		s.log.WarnContext(ctx, "store idempotent response", "err", err)
	}
}

// storedResponse is a replayable answer.
type storedResponse struct {
	Header map[string]string `json:"h"`
	Body   []byte            `json:"b"`
}

// replayedHeaders are the response headers worth replaying (not rate limits or request ids).
var replayedHeaders = []string{"Content-Type", "Location", "Retry-After", "Warning", "Age"}

func keep(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range replayedHeaders {
		if v := h.Get(k); v != "" {
			out[k] = v
		}
	}
	return out
}

func replay(w http.ResponseWriter, rec *fleet.IdempotencyRecord) {
	var sr storedResponse
	if err := json.Unmarshal(rec.Response, &sr); err != nil {
		sr = storedResponse{Body: rec.Response}
	}
	for k, v := range sr.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(rec.Status)
	_, _ = w.Write(sr.Body)
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// capture also keeps the body, for the idempotency record.
type capture struct {
	*statusRecorder
	body bytes.Buffer
}

func (c *capture) Write(b []byte) (int, error) {
	c.body.Write(b)
	return c.statusRecorder.Write(b)
}
