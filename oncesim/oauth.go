package oncesim

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
)

// token serves POST /oauth/token as 1NCE does: HTTP Basic with the client id and secret, a
// JSON body {"grant_type":"client_credentials"}, and 400 with an errorCode for anything wrong.
// Each call issues a new token; older ones stay valid until they expire.
func (s *Simulator) token(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			v1Error(w, http.StatusBadRequest, "UnsupportedContentTypeError", "Content-Type not supported")
			return
		}
	}
	user, pass, ok := basicAuth(r)
	switch {
	case !ok || user == "":
		v1Error(w, http.StatusBadRequest, "AuthValidationError", "Auth header validation error: Missing attributes 'username'")
		return
	case pass == "":
		v1Error(w, http.StatusBadRequest, "AuthValidationError", "Auth header validation error: Missing attributes 'password'")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	var req struct {
		GrantType *string `json:"grant_type"`
	}
	if err != nil || json.Unmarshal(body, &req) != nil || req.GrantType == nil {
		v1Error(w, http.StatusBadRequest, "BodyValidationError", "Request body validation error: Missing attributes 'grant_type'")
		return
	}
	if *req.GrantType != "client_credentials" {
		v1Error(w, http.StatusBadRequest, "BodyValidationError", "Request body validation error: Unsupported grant_type")
		return
	}
	// Compare in constant time, and both fields, so timing tells nothing about either.
	idOK := subtle.ConstantTimeCompare([]byte(user), []byte(s.opts.ClientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(pass), []byte(s.opts.ClientSecret)) == 1
	if !idOK {
		v1Error(w, http.StatusBadRequest, "BadCredentials", "User does not exist.")
		return
	}
	if !secretOK {
		v1Error(w, http.StatusBadRequest, "BadCredentials", "Incorrect username or password.")
		return
	}
	tok, _ := s.issueToken()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"status_code": 200, "access_token": tok, "token_type": "bearer",
		"expires_in": int(s.opts.TokenTTL.Seconds()), "userId": "user", "scope": "all",
	})
}

// basicAuth reads HTTP Basic credentials. Unlike net/http's, it reports a header with an empty
// user or password as present, so the two errors 1NCE distinguishes can be told apart.
func basicAuth(r *http.Request) (user, pass string, ok bool) {
	h := r.Header.Get("Authorization")
	enc, found := strings.CutPrefix(h, "Basic ")
	if !found {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	user, pass, found = strings.Cut(string(raw), ":")
	if !found {
		return string(raw), "", true
	}
	return user, pass, true
}
