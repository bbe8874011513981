package api

import (
	"context"
	"net"
	"net/http"
	"net/netip"

	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

type clientAddrKey struct{}

// withClientAddr remembers the caller's address (for per-IP login limits). It is the peer
// address: oncefleet does not trust forwarding headers it cannot verify.
func withClientAddr(ctx context.Context, remote string) context.Context {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	addr, _ := netip.ParseAddr(host)
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

func clientAddr(ctx context.Context) netip.Addr {
	a, _ := ctx.Value(clientAddrKey{}).(netip.Addr)
	return a
}

// sessionBody is what a sign-in or refresh answers.
type sessionBody struct {
	auth.Session
	User control.User `json:"user"`
}

type sessionOut struct {
	CacheControl string `header:"Cache-Control"`
	Body         sessionBody
}

func sessionResult(s *auth.Session) *sessionOut {
	return &sessionOut{CacheControl: "no-store", Body: sessionBody{Session: *s, User: control.UserView(s.User)}}
}

func (s *Server) registerAuth() {
	type login struct {
		Body struct {
			Email    string `json:"email" minLength:"3" maxLength:"320" doc:"The user's e-mail address."`
			Password string `json:"password" minLength:"1" maxLength:"1024"`
		}
	}
	register(s, op{id: "login", method: http.MethodPost, path: "/auth/login", tag: "Auth", action: "auth.login",
		summary: "Sign in", description: "Answers a short-lived access token (send it as Authorization: Bearer) and a refresh token. " +
			"Attempts are limited per client address and per account (429 with Retry-After)."},
		func(ctx context.Context, in *login) (*sessionOut, error) {
			sess, err := s.cfg.Sessions.Login(ctx, in.Body.Email, in.Body.Password, clientAddr(ctx))
			s.cfg.Control.RecordLogin(ctx, in.Body.Email, requestIDFrom(ctx), sess, err, map[string]any{"client": clientAddr(ctx).String()})
			if err != nil {
				return nil, err
			}
			return sessionResult(sess), nil
		})

	type refresh struct {
		Body struct {
			RefreshToken string `json:"refresh_token" minLength:"1" maxLength:"256"`
		}
	}
	register(s, op{id: "refresh", method: http.MethodPost, path: "/auth/refresh", tag: "Auth",
		summary: "Renew a session", description: "Trades a refresh token for a new access token and a new refresh token; the old one is used up. " +
			"Presenting a used refresh token again ends every session of the user (it was stolen)."},
		func(ctx context.Context, in *refresh) (*sessionOut, error) {
			sess, err := s.cfg.Sessions.Refresh(ctx, in.Body.RefreshToken)
			if err != nil {
				return nil, err
			}
			return sessionResult(sess), nil
		})

	register(s, op{id: "logout", method: http.MethodPost, path: "/auth/logout", tag: "Auth", status: http.StatusNoContent,
		summary: "End a session", description: "Revokes the refresh token; its access token stays valid until it expires (at most 15 minutes)."},
		func(ctx context.Context, in *refresh) (*noContent, error) {
			if err := s.cfg.Sessions.Logout(ctx, in.Body.RefreshToken); err != nil {
				return nil, err
			}
			return &noContent{}, nil
		})

	type empty struct{}
	register(s, op{id: "me", method: http.MethodGet, path: "/auth/me", tag: "Auth", role: fleet.RoleViewer, summary: "Who am I"},
		func(ctx context.Context, _ *empty) (*dataOut[Me], error) {
			p, _ := principalFrom(ctx)
			return data(Me{Kind: p.Kind, ID: p.ID, Name: p.Name, Role: p.Role}), nil
		})
}

// Me is who the caller is.
type Me struct {
	Kind string     `json:"kind" doc:"user or key"`
	ID   string     `json:"id"`
	Name string     `json:"name"`
	Role fleet.Role `json:"role"`
}
