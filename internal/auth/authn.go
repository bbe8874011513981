package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// Principal is who a request authenticated as.
type Principal struct {
	// Kind is "user" (a signed-in person) or "key" (an API key).
	Kind string     `json:"kind"`
	ID   string     `json:"id"`
	Name string     `json:"name"`
	Role fleet.Role `json:"role"`
}

// ActorID is the principal as the audit log names it ("user:<id>", "key:<id>").
func (p Principal) ActorID() string { return p.Kind + ":" + p.ID }

// AuthStore is what authentication needs of the storage backend.
type AuthStore interface {
	APIKeyByHash(ctx context.Context, hash string) (*fleet.APIKey, error)
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
	UserByID(ctx context.Context, id string) (*fleet.User, error)
}

// DefaultPrincipalTTL is how long a resolved credential is trusted before the database is
// asked again: the bound on how late a revocation made on another replica takes effect.
const DefaultPrincipalTTL = 30 * time.Second

// Authenticator resolves API keys and access tokens to principals, caching the answers for
// a short while so that a request costs no database round trip.
type Authenticator struct {
	store  AuthStore
	signer *Signer
	// cache holds resolved credentials in this process only: a revocation on this replica
	// drops its entry at once, and a request costs no decoding.
	cache  *lru.Cache[string, resolved]
	ttl    time.Duration
	flight singleflight.Group
	now    func() time.Time
	log    *slog.Logger
}

// maxPrincipals bounds the credential cache (keys and users active within the TTL).
const maxPrincipals = 100_000

// NewAuthenticator returns an authenticator; ttl (default DefaultPrincipalTTL) bounds how
// long a resolved credential is trusted.
func NewAuthenticator(store AuthStore, signer *Signer, ttl time.Duration, log *slog.Logger) *Authenticator {
	if ttl <= 0 {
		ttl = DefaultPrincipalTTL
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, _ := lru.New[string, resolved](maxPrincipals) // only a size <= 0 fails
	return &Authenticator{store: store, signer: signer, cache: c, ttl: ttl, now: time.Now, log: log}
}

// ErrUnauthenticated is the answer to a missing, unknown, revoked or expired credential.
var ErrUnauthenticated = &fleet.Error{Code: fleet.CodeUnauthorized, Message: "missing or invalid credentials"}

const (
	keyCachePrefix  = "authn:key"
	userCachePrefix = "authn:user"
)

// APIKey resolves an X-API-Key value.
func (a *Authenticator) APIKey(ctx context.Context, key string) (Principal, error) {
	if !strings.HasPrefix(key, KeyPrefix) || len(key) > 128 {
		return Principal{}, ErrUnauthenticated
	}
	hash := HashAPIKey(key)
	return a.resolve(ctx, keyCachePrefix+":"+hash, func(ctx context.Context) (Principal, error) {
		k, err := a.store.APIKeyByHash(ctx, hash)
		if errors.Is(err, fleet.ErrNotFound) {
			return Principal{}, ErrUnauthenticated
		}
		if err != nil {
			return Principal{}, err
		}
		now := a.now()
		if !k.Active(now) {
			return Principal{}, ErrUnauthenticated
		}
		if err := a.store.TouchAPIKey(ctx, k.ID, now); err != nil {
			a.log.WarnContext(ctx, "record api key use", "key", k.ID, "err", err)
		}
		return Principal{Kind: "key", ID: k.ID, Name: k.Name, Role: k.Role}, nil
	})
}

// Bearer resolves an access token: its signature and expiry, then the user's current state
// (a disabled user or a changed role takes effect within the cache's lifetime, not at expiry).
func (a *Authenticator) Bearer(ctx context.Context, token string) (Principal, error) {
	sub, err := a.signer.Verify(token)
	if err != nil {
		return Principal{}, ErrUnauthenticated
	}
	return a.User(ctx, sub)
}

// User resolves a user id (of a verified token or session) to its principal.
func (a *Authenticator) User(ctx context.Context, id string) (Principal, error) {
	return a.resolve(ctx, userCachePrefix+":"+id, func(ctx context.Context) (Principal, error) {
		u, err := a.store.UserByID(ctx, id)
		if errors.Is(err, fleet.ErrNotFound) {
			return Principal{}, ErrUnauthenticated
		}
		if err != nil {
			return Principal{}, err
		}
		if u.Disabled {
			return Principal{}, ErrUnauthenticated
		}
		return Principal{Kind: "user", ID: u.ID, Name: u.Email, Role: u.Role}, nil
	})
}

// resolved is a cached answer: a principal, or that the credential is not valid (cached too,
// so a flood of bad keys does not reach the database).
type resolved struct {
	P       Principal
	Invalid bool
	expires time.Time
}

func (a *Authenticator) resolve(ctx context.Context, key string, load func(context.Context) (Principal, error)) (Principal, error) {
	r, ok := a.cache.Get(key)
	if !ok || a.now().After(r.expires) {
		// Concurrent requests with one new credential ask the database once.
		v, err, _ := a.flight.Do(key, func() (any, error) {
			p, err := load(ctx)
			if errors.Is(err, ErrUnauthenticated) {
				return resolved{Invalid: true}, nil
			}
			if err != nil {
				return nil, err
			}
			return resolved{P: p}, nil
		})
		if err != nil {
			return Principal{}, err
		}
		r = v.(resolved)
		r.expires = a.now().Add(a.ttl)
		a.cache.Add(key, r)
	}
	if r.Invalid {
		return Principal{}, ErrUnauthenticated
	}
	return r.P, nil
}

// Forget drops what is cached about a credential ("user:<id>" or "key:<id>") on this
// replica. Keys are cached by hash, so forgetting one key forgets every key (revocations are
// rare; the next request of each key reloads it).
func (a *Authenticator) Forget(credentialID string) {
	switch {
	case strings.HasPrefix(credentialID, "user:"):
		a.cache.Remove(userCachePrefix + ":" + strings.TrimPrefix(credentialID, "user:"))
	case strings.HasPrefix(credentialID, "key:"):
		for _, k := range a.cache.Keys() {
			if strings.HasPrefix(k, keyCachePrefix+":") {
				a.cache.Remove(k)
			}
		}
	}
}
