package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is the iss claim of oncefleet's access tokens.
const Issuer = "oncefleet"

// DefaultAccessTTL is the life of an access token: short, because a stateless token cannot be
// revoked; the refresh token is what sessions hang on.
const DefaultAccessTTL = 15 * time.Minute

// MinKeyLen is the shortest HMAC key accepted (256 bits, RFC 7518 §3.2 for HS256).
const MinKeyLen = 32

// keyFile is the signing key's file in the data dir when no key is configured.
const keyFile = "jwt.key"

// Signer issues and verifies oncefleet's access tokens (HS256 JWTs). Every replica that
// verifies must hold the same key.
type Signer struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewSigner returns a signer with key (at least MinKeyLen bytes) and access token lifetime
// ttl (DefaultAccessTTL when 0); now defaults to time.Now.
func NewSigner(key []byte, ttl time.Duration, now func() time.Time) (*Signer, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("auth: JWT signing key must have at least %d bytes, got %d", MinKeyLen, len(key))
	}
	if ttl <= 0 {
		ttl = DefaultAccessTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{key: key, ttl: ttl, now: now}, nil
}

// Claims are what an access token says: who (sub = user id) and until when. The role is not
// trusted from the token: the authenticator reads the user's current role.
type Claims struct {
	jwt.RegisteredClaims
}

// TTL is the lifetime of the tokens this signer issues.
func (s *Signer) TTL() time.Duration { return s.ttl }

// Issue returns a signed access token for userID and when it expires.
func (s *Signer) Issue(userID string) (string, time.Time, error) {
	now := s.now().UTC()
	exp := now.Add(s.ttl)
	c := Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    Issuer,
		Subject:   userID,
		Audience:  jwt.ClaimStrings{Issuer},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
		ID:        strings.ToLower(rand.Text()),
	}}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign access token: %w", err)
	}
	return tok, exp, nil
}

// ErrInvalidToken reports a token that is malformed, forged, expired or not oncefleet's.
var ErrInvalidToken = errors.New("auth: invalid or expired access token")

// Verify checks a token's signature (HS256 only: "alg":"none" and key confusion are refused),
// issuer, audience and times, and returns its subject.
func (s *Signer) Verify(token string) (string, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer), jwt.WithAudience(Issuer), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.now), jwt.WithLeeway(5*time.Second))
	if err != nil || c.Subject == "" {
		return "", ErrInvalidToken
	}
	return c.Subject, nil
}

// LoadOrCreateKey returns the signing key: configured (base64 or raw text of at least
// MinKeyLen bytes) or, when none is, the one in dataDir/jwt.key, created with owner-only
// permissions on first start. Replicas that do not share a data dir must be given the key.
func LoadOrCreateKey(configured, dataDir string) (key []byte, generated bool, err error) {
	if configured != "" {
		if b, err := base64.StdEncoding.DecodeString(configured); err == nil && len(b) >= MinKeyLen {
			return b, false, nil
		}
		if len(configured) >= MinKeyLen {
			return []byte(configured), false, nil
		}
		return nil, false, fmt.Errorf("auth: the configured JWT key must have at least %d bytes", MinKeyLen)
	}
	path := filepath.Join(dataDir, keyFile)
	if b, err := os.ReadFile(path); err == nil {
		k, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(k) < MinKeyLen {
			return nil, false, fmt.Errorf("auth: %s is not a base64 key of at least %d bytes; remove it to generate a new one", path, MinKeyLen)
		}
		return k, false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("auth: read %s: %w", path, err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, false, fmt.Errorf("auth: data dir %s: %w", dataDir, err)
	}
	k := make([]byte, MinKeyLen)
	_, _ = rand.Read(k)
	// O_EXCL: two processes starting on one data dir must not each write a different key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadOrCreateKey("", dataDir)
	}
	if err != nil {
		return nil, false, fmt.Errorf("auth: create %s: %w", path, err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("auth: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("auth: write %s: %w", path, err)
	}
	return k, true, nil
}
