package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/httpmw"
)

// rotationGrace is how long the answer of a refresh is kept for requests that arrive with the
// refresh token it used up: a page load fires several requests at once (the page, its assets,
// fetches, the event stream), and each would otherwise present the same refresh token; the
// second presentation of a used token ends every session of the user (reuse detection).
const rotationGrace = time.Minute

// maxRotations bounds the remembered rotations (one per browser refresh within the grace).
const maxRotations = 10_000

// rotations remembers recent refreshes by the used refresh token's hash.
type rotations struct {
	mu     sync.Mutex
	recent map[string]rotated
	flight singleflight.Group
}

type rotated struct {
	sess *auth.Session
	at   time.Time
}

func (r *rotations) get(hash string, now time.Time) *auth.Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.recent[hash]; ok && now.Sub(v.at) < rotationGrace {
		return v.sess
	}
	return nil
}

func (r *rotations) put(hash string, s *auth.Session, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.recent == nil {
		r.recent = map[string]rotated{}
	}
	if len(r.recent) >= maxRotations {
		for k, v := range r.recent {
			if now.Sub(v.at) >= rotationGrace {
				delete(r.recent, k)
			}
		}
		if len(r.recent) >= maxRotations {
			// Under a flood, forgetting is safe: a late duplicate then logs its browser out.
			clear(r.recent)
		}
	}
	r.recent[hash] = rotated{sess: s, at: now}
}

// refresh renews a browser session once however many requests present its refresh token.
func (s *Server) refresh(ctx context.Context, token string) (*auth.Session, error) {
	hash := auth.HashAPIKey(token)
	if sess := s.rot.get(hash, time.Now()); sess != nil {
		return sess, nil
	}
	v, err, _ := s.rot.flight.Do(hash, func() (any, error) {
		if sess := s.rot.get(hash, time.Now()); sess != nil {
			return sess, nil
		}
		sess, err := s.cfg.Sessions.Refresh(context.WithoutCancel(ctx), token)
		if err != nil {
			return nil, err
		}
		s.rot.put(hash, sess, time.Now())
		return sess, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*auth.Session), nil
}

// Session renews expired browser sessions before next sees the request: a request whose
// access cookie is missing or no longer valid but which carries a refresh cookie gets new
// cookies on its response, and next sees the new access token (so the API gate, the pages
// and the event stream all authenticate it). Requests without session cookies pass untouched.
func (s *Server) Session(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc, err := r.Cookie(auth.RefreshCookie)
		if err != nil || rc.Value == "" || r.Header.Get("Authorization") != "" || r.Header.Get("X-API-Key") != "" {
			next.ServeHTTP(w, r)
			return
		}
		if ac, err := r.Cookie(auth.AccessCookie); err == nil && ac.Value != "" {
			if _, err := s.cfg.Authn.Bearer(r.Context(), ac.Value); err == nil {
				next.ServeHTTP(w, r)
				return
			}
		}
		sess, err := s.refresh(r.Context(), rc.Value)
		if err != nil {
			// The session is over (expired, revoked, user disabled): drop the cookies so the
			// request is anonymous and the pages send the browser to the login form.
			s.clearSession(w, r)
			next.ServeHTTP(w, withCookies(r, nil))
			return
		}
		s.setSession(w, r, sess)
		next.ServeHTTP(w, withCookies(r, sess))
	})
}

// withCookies returns r with its session cookies replaced by sess's (none when nil).
func withCookies(r *http.Request, sess *auth.Session) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Header.Del("Cookie")
	for _, c := range r.Cookies() {
		if c.Name == auth.AccessCookie || c.Name == auth.RefreshCookie {
			continue
		}
		r2.AddCookie(c)
	}
	if sess != nil {
		r2.AddCookie(&http.Cookie{Name: auth.AccessCookie, Value: sess.AccessToken})
		r2.AddCookie(&http.Cookie{Name: auth.RefreshCookie, Value: sess.RefreshToken})
	}
	return r2
}

func (s *Server) secure(r *http.Request) bool { return r.TLS != nil || s.cfg.SecureCookies }

func (s *Server) cookie(r *http.Request, name, value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode}
	if value == "" {
		c.MaxAge = -1
	} else if !expires.IsZero() {
		c.Expires = expires
	}
	return c
}

func (s *Server) setSession(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	http.SetCookie(w, s.cookie(r, auth.AccessCookie, sess.AccessToken, sess.ExpiresAt))
	http.SetCookie(w, s.cookie(r, auth.RefreshCookie, sess.RefreshToken, sess.RefreshExpiresAt))
}

func (s *Server) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, s.cookie(r, auth.AccessCookie, "", time.Time{}))
	http.SetCookie(w, s.cookie(r, auth.RefreshCookie, "", time.Time{}))
}

// csrfToken returns the browser's CSRF token, creating it (and its cookie) when missing. The
// cookie is HttpOnly: pages carry the token in a meta tag and in forms.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(auth.CSRFCookie); err == nil && len(c.Value) >= 16 && len(c.Value) <= 128 {
		return c.Value
	}
	return s.newCSRF(w, r)
}

// newCSRF sets a fresh CSRF token (at sign-in, so a token planted before it is worthless).
func (s *Server) newCSRF(w http.ResponseWriter, r *http.Request) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	c := s.cookie(r, auth.CSRFCookie, tok, time.Time{})
	c.SameSite = http.SameSiteStrictMode
	http.SetCookie(w, c)
	return tok
}

// principal is who the request's session belongs to; ok is false without a valid session.
func (s *Server) principal(r *http.Request) (auth.Principal, bool) {
	c, err := r.Cookie(auth.AccessCookie)
	if err != nil || c.Value == "" {
		return auth.Principal{}, false
	}
	p, err := s.cfg.Authn.Bearer(r.Context(), c.Value)
	if err != nil || p.Kind != "user" {
		return auth.Principal{}, false
	}
	return p, true
}

// clientAddr is the peer address (for the per-address sign-in limit); forwarding headers
// are not trusted, as in the API.
func clientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a
}

// localPath keeps a post-login redirect on this site: a path, never a scheme or host.
func localPath(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return u.RequestURI()
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.principal(r); ok {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", page{Title: "Sign in", Data: loginData{Next: localPath(r.URL.Query().Get("next"))}})
}

type loginData struct {
	Next, Email, Error string
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, fleet.Invalid("form", "unreadable form"))
		return
	}
	next := localPath(r.PostForm.Get("next"))
	email := r.PostForm.Get("email")
	if !auth.CSRFValid(r, r.PostForm.Get(auth.CSRFField)) {
		s.render(w, r, http.StatusForbidden, "login", page{Title: "Sign in", Data: loginData{Next: next, Email: email,
			Error: "The form expired. Please sign in again."}})
		return
	}
	client := clientAddr(r)
	sess, err := s.cfg.Sessions.Login(r.Context(), email, r.PostForm.Get("password"), client)
	s.cfg.Control.RecordLogin(r.Context(), email, httpmw.RequestID(r.Context()), sess, err, map[string]any{"client": client.String(), "via": "dashboard"})
	if err != nil {
		status := http.StatusUnauthorized
		if fleet.ErrorCode(err) == fleet.CodeRateLimited {
			status = http.StatusTooManyRequests
		}
		s.render(w, r, status, "login", page{Title: "Sign in", Data: loginData{Next: next, Email: email, Error: message(err)}})
		return
	}
	s.setSession(w, r, sess)
	s.newCSRF(w, r)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if !auth.CSRFValid(r, r.PostForm.Get(auth.CSRFField)) {
		s.errorPage(w, r, &fleet.Error{Code: fleet.CodeForbidden, Message: "the form expired; reload the page and sign out again"})
		return
	}
	if c, err := r.Cookie(auth.RefreshCookie); err == nil {
		_ = s.cfg.Sessions.Logout(r.Context(), c.Value)
	}
	s.clearSession(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
