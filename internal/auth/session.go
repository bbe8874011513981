package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/ratelimit"
)

// DefaultRefreshTTL is how long a session lasts without use: each refresh starts a new one.
const DefaultRefreshTTL = 30 * 24 * time.Hour

// refreshPrefix starts every refresh token, so a leaked one is recognisable.
const refreshPrefix = "ofr_"

// SessionStore is what sign-in needs of the storage backend.
type SessionStore interface {
	UserByEmail(ctx context.Context, email string) (*fleet.User, error)
	UserByID(ctx context.Context, id string) (*fleet.User, error)
	SetLastLogin(ctx context.Context, id string, at time.Time) error
	CreateRefreshToken(ctx context.Context, t *fleet.RefreshToken) error
	RotateRefreshToken(ctx context.Context, oldHash string, next *fleet.RefreshToken, now time.Time) error
	RevokeRefreshToken(ctx context.Context, hash string, at time.Time) error
}

// Session is what a sign-in or refresh hands out.
type Session struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type"`
	ExpiresAt   time.Time `json:"expires_at"`
	// ExpiresIn is the access token's life in seconds (OAuth 2.0 style).
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	// RefreshExpiresAt is when the refresh token stops working unless used.
	RefreshExpiresAt time.Time   `json:"refresh_expires_at"`
	User             *fleet.User `json:"-"`
}

// Login limits: guessing passwords is slowed per client address and per account, so neither
// one attacker nor a botnet against one account gets far. Both are shared through Redis
// when it is configured.
var (
	DefaultLoginPerIP      = ratelimit.Limit{Rate: 20, Period: time.Minute, Burst: 20}
	DefaultLoginPerAccount = ratelimit.Limit{Rate: 10, Period: 15 * time.Minute, Burst: 10}
)

// SessionOptions configure Sessions.
type SessionOptions struct {
	Store  SessionStore
	Signer *Signer
	// Limiter limits login attempts; nil disables the limits (tests).
	Limiter ratelimit.Limiter
	// PerIP and PerAccount default to DefaultLoginPerIP and DefaultLoginPerAccount.
	PerIP, PerAccount ratelimit.Limit
	// RefreshTTL defaults to DefaultRefreshTTL.
	RefreshTTL time.Duration
	Now        func() time.Time
}

// Sessions signs users in with e-mail and password and keeps their sessions going with
// rotating refresh tokens: each refresh token buys one access token and one successor, and
// presenting a used one again revokes every session of the user (it was stolen).
type Sessions struct {
	o     SessionOptions
	dummy string // a real hash to verify against for unknown e-mails
}

// NewSessions returns the session manager.
func NewSessions(o SessionOptions) (*Sessions, error) {
	if o.Store == nil || o.Signer == nil {
		return nil, errors.New("auth: SessionOptions.Store and Signer are required")
	}
	if o.PerIP == (ratelimit.Limit{}) {
		o.PerIP = DefaultLoginPerIP
	}
	if o.PerAccount == (ratelimit.Limit{}) {
		o.PerAccount = DefaultLoginPerAccount
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = DefaultRefreshTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	dummy, err := HashPassword(rand.Text())
	if err != nil {
		return nil, err
	}
	return &Sessions{o: o, dummy: dummy}, nil
}

// errBadLogin is the one answer to a wrong e-mail, a wrong password or a disabled user, so
// the answer does not tell which accounts exist.
var errBadLogin = &fleet.Error{Code: fleet.CodeUnauthorized, Message: "e-mail or password is wrong, or the account is disabled"}

// Login checks e-mail and password and opens a session. client is the caller's address (for
// the per-IP limit).
func (s *Sessions) Login(ctx context.Context, email, password string, client netip.Addr) (*Session, error) {
	email = fleet.NormalizeEmail(email)
	if email == "" || password == "" || len(email) > 320 || len(password) > 1024 {
		return nil, fleet.Invalid("email", "e-mail and password are required")
	}
	if err := s.limit(ctx, "login:ip:"+client.String(), s.o.PerIP); err != nil {
		return nil, err
	}
	if err := s.limit(ctx, "login:account:"+email, s.o.PerAccount); err != nil {
		return nil, err
	}
	u, err := s.o.Store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, fleet.ErrNotFound) {
		return nil, err
	}
	hash := s.dummy
	if u != nil {
		hash = u.PasswordHash
	}
	// Verify even for unknown e-mails: answering faster for them would tell they don't exist.
	ok, verr := VerifyPassword(hash, password)
	if u == nil || !ok || verr != nil || u.Disabled {
		return nil, errBadLogin
	}
	if err := s.o.Store.SetLastLogin(ctx, u.ID, s.o.Now().UTC()); err != nil {
		return nil, err
	}
	tok, hash2 := newRefreshToken()
	rt := &fleet.RefreshToken{Hash: hash2, UserID: u.ID, ExpiresAt: s.o.Now().UTC().Add(s.o.RefreshTTL)}
	if err := s.o.Store.CreateRefreshToken(ctx, rt); err != nil {
		return nil, err
	}
	return s.session(u, tok, rt.ExpiresAt)
}

// Refresh trades a refresh token for a new session (a new access token and a new refresh
// token; the old one is used up).
func (s *Sessions) Refresh(ctx context.Context, refresh string) (*Session, error) {
	if refresh == "" || len(refresh) > 256 {
		return nil, fleet.ErrRefreshTokenInvalid
	}
	tok, hash := newRefreshToken()
	next := &fleet.RefreshToken{Hash: hash, ExpiresAt: s.o.Now().UTC().Add(s.o.RefreshTTL)}
	if err := s.o.Store.RotateRefreshToken(ctx, HashAPIKey(refresh), next, s.o.Now().UTC()); err != nil {
		return nil, err
	}
	u, err := s.o.Store.UserByID(ctx, next.UserID)
	if err != nil || u.Disabled {
		_ = s.o.Store.RevokeRefreshToken(ctx, hash, s.o.Now().UTC())
		return nil, errBadLogin
	}
	return s.session(u, tok, next.ExpiresAt)
}

// Logout ends the session of a refresh token (its access token lives on until it expires).
func (s *Sessions) Logout(ctx context.Context, refresh string) error {
	if refresh == "" || len(refresh) > 256 {
		return nil
	}
	err := s.o.Store.RevokeRefreshToken(ctx, HashAPIKey(refresh), s.o.Now().UTC())
	if errors.Is(err, fleet.ErrNotFound) {
		return nil
	}
	return err
}

func (s *Sessions) session(u *fleet.User, refresh string, refreshExp time.Time) (*Session, error) {
	access, exp, err := s.o.Signer.Issue(u.ID)
	if err != nil {
		return nil, err
	}
	return &Session{AccessToken: access, TokenType: "Bearer", ExpiresAt: exp, ExpiresIn: int(s.o.Signer.TTL() / time.Second),
		RefreshToken: refresh, RefreshExpiresAt: refreshExp, User: u}, nil
}

func (s *Sessions) limit(ctx context.Context, key string, l ratelimit.Limit) error {
	if s.o.Limiter == nil {
		return nil
	}
	res, err := s.o.Limiter.Allow(ctx, key, l)
	if err != nil {
		// A limiter outage must not lock everyone out; the password check still runs.
		return nil
	}
	if !res.Allowed {
		wait := max(res.RetryAfter, time.Second)
		return &fleet.Error{Code: fleet.CodeRateLimited, RetryAfter: wait,
			Message: fmt.Sprintf("too many sign-in attempts; retry in %s", wait.Round(time.Second))}
	}
	return nil
}

// newRefreshToken returns a refresh token (256 random bits) and its stored hash.
func newRefreshToken() (token, hash string) {
	key, _, _ := NewAPIKey()
	token = refreshPrefix + key[len(KeyPrefix):]
	return token, HashAPIKey(token)
}
