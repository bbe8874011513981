package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

type session struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	User         struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	} `json:"user"`
}

func bearer(token string, r req) req {
	r.Header = map[string]string{"Authorization": "Bearer " + token}
	return r
}

func TestAuth(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend, NoUpstream: true})
		var s session
		res := want(t, e.Do(post("/auth/login", "", map[string]any{"email": strings.ToUpper(e.AdminEmail), "password": e.AdminPassword})), 200)
		res.JSON(t, &s)
		if s.TokenType != "Bearer" || s.AccessToken == "" || s.RefreshToken == "" || s.ExpiresIn != 900 || s.User.Role != "admin" {
			t.Fatalf("session = %+v", s)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Fatal("a session answer may be cached")
		}
		var me struct {
			Kind, Role string
		}
		dataOf(t, want(t, e.Do(bearer(s.AccessToken, get("/auth/me", ""))), 200), &me)
		if me.Kind != "user" || me.Role != "admin" {
			t.Fatalf("me = %+v", me)
		}
		// Wrong password, unknown user: the same answer.
		p1 := wantProblem(t, e.Do(post("/auth/login", "", map[string]any{"email": e.AdminEmail, "password": "wrong-password"})), 401, "unauthorized")
		p2 := wantProblem(t, e.Do(post("/auth/login", "", map[string]any{"email": "nobody@test.example", "password": "wrong-password"})), 401, "unauthorized")
		if p1.Detail != p2.Detail {
			t.Fatalf("login answers tell accounts apart: %q vs %q", p1.Detail, p2.Detail)
		}
		wantProblem(t, e.Do(bearer("not.a.jwt", get("/auth/me", ""))), 401, "unauthorized")
		wantProblem(t, e.Do(bearer(s.AccessToken+"x", get("/auth/me", ""))), 401, "unauthorized")

		// Refresh rotates; presenting the old token again ends every session of the user.
		var s2 session
		want(t, e.Do(post("/auth/refresh", "", map[string]any{"refresh_token": s.RefreshToken})), 200).JSON(t, &s2)
		if s2.RefreshToken == s.RefreshToken || s2.AccessToken == "" {
			t.Fatalf("refresh did not rotate: %+v", s2)
		}
		wantProblem(t, e.Do(post("/auth/refresh", "", map[string]any{"refresh_token": s.RefreshToken})), 401, "unauthorized")
		wantProblem(t, e.Do(post("/auth/refresh", "", map[string]any{"refresh_token": s2.RefreshToken})), 401, "unauthorized")

		// Logout ends a session.
		var s3 session
		want(t, e.Do(post("/auth/login", "", map[string]any{"email": e.AdminEmail, "password": e.AdminPassword})), 200).JSON(t, &s3)
		want(t, e.Do(post("/auth/logout", "", map[string]any{"refresh_token": s3.RefreshToken})), 204)
		wantProblem(t, e.Do(post("/auth/refresh", "", map[string]any{"refresh_token": s3.RefreshToken})), 401, "unauthorized")

		// Logins are audited, failures too.
		var rows []struct{ Action, Result string }
		dataOf(t, want(t, e.Do(get("/audit?action=auth.login", fleet.RoleAdmin)), 200), &rows)
		ok, failed := 0, 0
		for _, r := range rows {
			if r.Result == "ok" {
				ok++
			} else {
				failed++
			}
		}
		if ok < 2 || failed < 2 {
			t.Fatalf("login audit: %+v", rows)
		}

		// Guessing is limited per account: 429 with Retry-After, even with the right password.
		victim := "operator@test.example"
		var last *apptest.Response
		for range 12 {
			last = e.Do(post("/auth/login", "", map[string]any{"email": victim, "password": "guess-guess-guess"}))
		}
		wantProblem(t, last, 429, "rate_limited")
		if last.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		wantProblem(t, e.Do(post("/auth/login", "", map[string]any{"email": "", "password": "x"})), 422, "invalid")
	})
}

func TestUsersAndKeys(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend, NoUpstream: true})
		// Create a user with a generated password (shown once) and sign in with it.
		var u struct {
			ID, Email, Role, Password string
		}
		dataOf(t, want(t, e.Do(post("/users", fleet.RoleAdmin, map[string]any{"email": "Ops@Example.com", "role": "operator", "name": "Ops"})), 201), &u)
		if u.ID == "" || u.Email != "ops@example.com" || u.Password == "" {
			t.Fatalf("created = %+v", u)
		}
		var s session
		want(t, e.Do(post("/auth/login", "", map[string]any{"email": u.Email, "password": u.Password})), 200).JSON(t, &s)
		wantProblem(t, e.Do(post("/users", fleet.RoleAdmin, map[string]any{"email": "ops@example.com", "role": "viewer"})), 409, "conflict")
		wantProblem(t, e.Do(post("/users", fleet.RoleAdmin, map[string]any{"email": "x@example.com", "role": "root"})), 422, "invalid")
		wantProblem(t, e.Do(post("/users", fleet.RoleAdmin, map[string]any{"email": "y@example.com", "role": "viewer", "password": "short"})), 422, "invalid")

		var got struct{ Email, Role string }
		dataOf(t, want(t, e.Do(get("/users/"+u.ID, fleet.RoleAdmin)), 200), &got)
		var all []struct{ Email string }
		dataOf(t, want(t, e.Do(get("/users", fleet.RoleAdmin)), 200), &all)
		if len(all) != 4 {
			t.Fatalf("users = %+v", all)
		}
		if strings.Contains(string(e.Do(get("/users", fleet.RoleAdmin)).Body), "argon2") {
			t.Fatal("password hashes leak")
		}
		// Demote and disable: their sessions end.
		dataOf(t, want(t, e.Do(put("/users/"+u.ID, fleet.RoleAdmin, map[string]any{"role": "viewer", "disabled": true})), 200), &got)
		if got.Role != "viewer" {
			t.Fatalf("updated = %+v", got)
		}
		wantProblem(t, e.Do(post("/auth/refresh", "", map[string]any{"refresh_token": s.RefreshToken})), 401, "unauthorized")
		wantProblem(t, e.Do(bearer(s.AccessToken, get("/auth/me", ""))), 401, "unauthorized")
		want(t, e.Do(del("/users/"+u.ID, fleet.RoleAdmin)), 204)
		wantProblem(t, e.Do(get("/users/"+u.ID, fleet.RoleAdmin)), 404, "not_found")
		wantProblem(t, e.Do(del("/users/missing", fleet.RoleAdmin)), 404, "not_found")

		// The last admin cannot be removed or demoted.
		var users []struct{ ID, Role string }
		dataOf(t, want(t, e.Do(get("/users", fleet.RoleAdmin)), 200), &users)
		for _, x := range users {
			if x.Role == "admin" {
				wantProblem(t, e.Do(put("/users/"+x.ID, fleet.RoleAdmin, map[string]any{"role": "viewer"})), 409, "conflict")
				wantProblem(t, e.Do(del("/users/"+x.ID, fleet.RoleAdmin)), 409, "conflict")
			}
		}

		// API keys: shown once, listed without the secret, revoked at once.
		var k struct {
			ID, Key, Prefix, Role string
		}
		res := want(t, e.Do(post("/api-keys", fleet.RoleAdmin, map[string]any{"name": "ci", "role": "viewer"})), 201)
		dataOf(t, res, &k)
		if !strings.HasPrefix(k.Key, "ofk_") || !strings.HasPrefix(k.Key, k.Prefix) || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("key = %+v", k)
		}
		list := want(t, e.Do(get("/api-keys", fleet.RoleAdmin)), 200)
		if strings.Contains(string(list.Body), k.Key) {
			t.Fatal("the key list shows a key")
		}
		use := req{Method: http.MethodGet, Path: "/api/v1/auth/me", Header: map[string]string{"X-API-Key": k.Key}}
		want(t, e.Do(use), 200)
		want(t, e.Do(del("/api-keys/"+k.ID, fleet.RoleAdmin)), 204)
		wantProblem(t, e.Do(use), 401, "unauthorized")
		wantProblem(t, e.Do(del("/api-keys/missing", fleet.RoleAdmin)), 404, "not_found")
		wantProblem(t, e.Do(post("/api-keys", fleet.RoleAdmin, map[string]any{"name": "old", "role": "viewer", "expires_at": "2001-01-01T00:00:00Z"})), 422, "invalid")

		// Audit filters: actor, action, target, time range, paging.
		var rows []struct{ Actor, Action, Target, Result string }
		dataOf(t, want(t, e.Do(get("/audit?action=api_key.revoke&page_size=10", fleet.RoleAdmin)), 200), &rows)
		if len(rows) != 2 || rows[0].Result == rows[1].Result {
			t.Fatalf("revoke audit = %+v", rows)
		}
		dataOf(t, want(t, e.Do(get("/audit?target=key:"+k.ID+"&since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z", fleet.RoleAdmin)), 200), &rows)
		if len(rows) < 2 {
			t.Fatalf("target audit = %+v", rows)
		}
		wantProblem(t, e.Do(get("/audit?since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z", fleet.RoleAdmin)), 422, "invalid")
		wantProblem(t, e.Do(get("/audit", fleet.RoleOperator)), 403, "forbidden")
	})
}
