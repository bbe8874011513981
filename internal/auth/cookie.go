package auth

import (
	"crypto/subtle"
	"net/http"
)

// Browser sessions (the dashboard) carry the same credentials as API clients, in cookies: the
// access token the API gate verifies like a Bearer token, the refresh token that renews it,
// and a CSRF token. The names are shared by the API gate and the dashboard.
const (
	// AccessCookie holds the short-lived access token (HttpOnly).
	AccessCookie = "oncefleet_access"
	// RefreshCookie holds the rotating refresh token (HttpOnly).
	RefreshCookie = "oncefleet_refresh"
	// CSRFCookie holds the CSRF token of the browser; a request authenticated by cookie with an
	// unsafe method must repeat it in CSRFHeader (or the form field CSRFField): a cross-site
	// page can make the browser send the cookie but cannot read it (double-submit cookie).
	CSRFCookie = "oncefleet_csrf"
	// CSRFHeader carries the CSRF token on fetch requests.
	CSRFHeader = "X-CSRF-Token"
	// CSRFField carries the CSRF token in server-rendered forms.
	CSRFField = "csrf_token"
)

// SafeMethod reports whether a method only reads (no CSRF check needed).
func SafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// CSRFValid reports whether r repeats its CSRF cookie in the CSRF header, or in given (the
// value of a form field, when the caller has read one). An empty cookie never matches.
func CSRFValid(r *http.Request, given string) bool {
	c, err := r.Cookie(CSRFCookie)
	if err != nil || len(c.Value) < 16 {
		return false
	}
	if given == "" {
		given = r.Header.Get(CSRFHeader)
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(given)) == 1
}
