package once

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Token is a 1NCE OAuth access token and when it expires.
type Token struct {
	// AccessToken is the bearer token. Never log it.
	AccessToken string `json:"access_token"`
	// Expiry is when 1NCE stops accepting it (fetch time + expires_in).
	Expiry time.Time `json:"expiry"`
	// RefreshAt is when clients replace it: 10 minutes before Expiry, or half-way through
	// its life for tokens that live less than 20 minutes. Zero means 10 minutes before Expiry.
	// (omitzero, from Go 1.24, leaves a zero value out of a stored token; Go 1.23 writes the
	// zero time, which reads back as the same zero.)
	RefreshAt time.Time `json:"refresh_at,omitzero"`
}

// TokenStore keeps the token where several clients (server replicas) can share it. Keys are
// chosen by the client per account (base URL and client id), so one store can serve many.
// Implementations must be safe for concurrent use. Module github.com/oncefleet/oncefleet/once/onceredis has one on Redis.
type TokenStore interface {
	// Load returns the stored token for key; ok is false when none is stored.
	Load(ctx context.Context, key string) (t Token, ok bool, err error)
	// Save stores t for key until t.Expiry.
	Save(ctx context.Context, key string, t Token) error
	// Delete removes the token for key only if it is still accessToken (compare-and-delete),
	// so a replica that saw a 401 cannot throw away a token another replica just fetched.
	Delete(ctx context.Context, key, accessToken string) error
	// Lock takes the store's lock for key, waiting until it is free or ctx ends. The holder
	// fetches a new token; unlock must be called once.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// refreshMargin is how long before expiry a token is replaced (10 minutes), so a
// token never expires during a slow call or a clock skew between replicas.
const refreshMargin = 10 * time.Minute

// tokenFetchTimeout bounds one shared token fetch, independent of the first caller's context:
// every waiter shares it, so it must not die with one of them.
const tokenFetchTimeout = 60 * time.Second

// tokenFlight is one in-flight token fetch shared by concurrent callers.
type tokenFlight struct {
	done chan struct{}
	tok  Token
	err  error
}

// tokenCache holds the client's token and coordinates fetching it.
type tokenCache struct {
	key   string // store key: account identity, never the secret itself
	store TokenStore

	mu     sync.Mutex
	tok    Token
	flight *tokenFlight
}

// accountKey derives a store key from the account's identity without revealing the client id.
func accountKey(baseURL, clientID string) string {
	sum := sha256.Sum256([]byte(baseURL + "\x00" + clientID))
	return hex.EncodeToString(sum[:12])
}

// fresh reports whether t can be used at now.
func fresh(t Token, now time.Time) bool {
	refresh := t.RefreshAt
	if refresh.IsZero() {
		refresh = t.Expiry.Add(-refreshMargin)
	}
	return t.AccessToken != "" && now.Before(refresh) && now.Before(t.Expiry)
}

// newToken builds the Token for an access token issued at issued, valid for life.
func newToken(access string, issued time.Time, life time.Duration) Token {
	keep := life - refreshMargin
	if keep < life/2 {
		keep = life / 2
	}
	return Token{AccessToken: access, Expiry: issued.Add(life), RefreshAt: issued.Add(keep)}
}

// bearer returns a usable access token: the cached one, else the result of one fetch shared
// by every concurrent caller (and, through the store's lock, by every replica).
func (c *Client) bearer(ctx context.Context) (string, error) {
	tc := &c.tokens
	tc.mu.Lock()
	if fresh(tc.tok, c.now()) {
		t := tc.tok.AccessToken
		tc.mu.Unlock()
		return t, nil
	}
	f := tc.flight
	if f == nil {
		f = &tokenFlight{done: make(chan struct{})}
		tc.flight = f
		go c.runTokenFlight(ctx, f)
	}
	tc.mu.Unlock()

	select {
	case <-f.done:
		if f.err != nil {
			return "", f.err
		}
		return f.tok.AccessToken, nil
	case <-ctx.Done():
		return "", fmt.Errorf("once: waiting for token: %w", ctxErr(ctx))
	}
}

func (c *Client) runTokenFlight(ctx context.Context, f *tokenFlight) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenFetchTimeout)
	defer cancel()
	f.tok, f.err = c.obtainToken(fctx)
	tc := &c.tokens
	tc.mu.Lock()
	if f.err == nil {
		tc.tok = f.tok
	}
	tc.flight = nil
	tc.mu.Unlock()
	close(f.done)
}

// obtainToken takes a fresh token from the store, or fetches one under the store's lock.
func (c *Client) obtainToken(ctx context.Context) (Token, error) {
	tc := &c.tokens
	if t, ok, err := tc.store.Load(ctx, tc.key); err != nil {
		c.log.WarnContext(ctx, "once: token store load failed", "err", err)
	} else if ok && fresh(t, c.now()) {
		return t, nil
	}
	unlock, err := tc.store.Lock(ctx, tc.key)
	switch {
	case err != nil && ctx.Err() != nil:
		return Token{}, fmt.Errorf("once: waiting for the token lock: %w", ctxErr(ctx))
	case err != nil:
		// A shared store that is down must not stop every call: fetch unlocked. At worst
		// each replica fetches its own token, which 1NCE allows.
		c.log.WarnContext(ctx, "once: token store lock failed, fetching without it", "err", err)
	default:
		defer unlock()
		// Another replica may have fetched while we waited for the lock.
		if t, ok, err := tc.store.Load(ctx, tc.key); err == nil && ok && fresh(t, c.now()) {
			return t, nil
		}
	}
	t, err := c.fetchToken(ctx)
	c.hooks.tokenRefresh(err)
	if err != nil {
		return Token{}, err
	}
	if err := tc.store.Save(ctx, tc.key, t); err != nil {
		// The token is still good for this client; other replicas will fetch their own.
		c.log.WarnContext(ctx, "once: token store save failed", "err", err)
	}
	return t, nil
}

// tokenResponse is what the client needs of 1NCE's token answer. The rest (token_type, and
// userId/scope, which 1NCE's own example spells user_id/score) is not used, so either
// spelling decodes.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// fetchToken asks 1NCE for a new token (client credentials, HTTP Basic).
func (c *Client) fetchToken(ctx context.Context) (Token, error) {
	r := &request{
		op:     "oauth.token",
		method: http.MethodPost,
		path:   "/oauth/token",
		body:   map[string]string{"grant_type": "client_credentials"},
		group:  groupAuth,
	}
	var tr tokenResponse
	start := c.now()
	_, err := c.call(ctx, r, &tr)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == http.StatusBadRequest || ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden) {
			// 1NCE answers bad credentials with 400 BadCredentials.
			return Token{}, fmt.Errorf("%w: %w", ErrAuth, err)
		}
		return Token{}, err
	}
	if tr.AccessToken == "" {
		return Token{}, fmt.Errorf("%w: once: oauth.token: answer has no access_token", ErrAuth)
	}
	exp := tr.ExpiresIn
	if exp <= 0 {
		exp = 3600 // 1NCE's documented default when the field is missing
	}
	return newToken(tr.AccessToken, start, time.Duration(exp)*time.Second), nil
}

// invalidateToken drops tok after 1NCE rejected it, locally and in the store, unless it was
// already replaced.
func (c *Client) invalidateToken(ctx context.Context, tok string) {
	tc := &c.tokens
	tc.mu.Lock()
	if tc.tok.AccessToken == tok {
		tc.tok = Token{}
	}
	tc.mu.Unlock()
	if err := tc.store.Delete(ctx, tc.key, tok); err != nil {
		c.log.WarnContext(ctx, "once: token store delete failed", "err", err)
	}
}

// memoryTokenStore is the default TokenStore: this process only.
type memoryTokenStore struct {
	mu     sync.Mutex
	tokens map[string]Token
	locks  map[string]chan struct{}
}

func newMemoryTokenStore() *memoryTokenStore {
	return &memoryTokenStore{tokens: map[string]Token{}, locks: map[string]chan struct{}{}}
}

// Load implements TokenStore.
func (m *memoryTokenStore) Load(_ context.Context, key string) (Token, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[key]
	return t, ok, nil
}

// Save implements TokenStore.
func (m *memoryTokenStore) Save(_ context.Context, key string, t Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[key] = t
	return nil
}

// Delete implements TokenStore.
func (m *memoryTokenStore) Delete(_ context.Context, key, accessToken string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.tokens[key]; ok && t.AccessToken == accessToken {
		delete(m.tokens, key)
	}
	return nil
}

// Lock implements TokenStore.
func (m *memoryTokenStore) Lock(ctx context.Context, key string) (func(), error) {
	m.mu.Lock()
	l, ok := m.locks[key]
	if !ok {
		l = make(chan struct{}, 1)
		m.locks[key] = l
	}
	m.mu.Unlock()
	select {
	case l <- struct{}{}:
		return sync.OnceFunc(func() { <-l }), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
