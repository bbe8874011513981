package fleet

import (
	"crypto/rand"
	"slices"
	"strings"
	"time"
)

// Role is what a user or API key may do. Roles are ordered: each includes the one below it.
type Role string

// The roles of SPEC §6. The database enforces the same set with a CHECK constraint.
const (
	RoleViewer   Role = "viewer"   // read everything
	RoleOperator Role = "operator" // also change SIMs and top up (costs money)
	RoleAdmin    Role = "admin"    // also manage users, keys and alert rules
)

// rank orders roles for Allows; an unknown role ranks below every known one so it allows nothing.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleOperator:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Validate returns an invalid-input error naming field when r is not a known role.
func (r Role) Validate(field string) error {
	if !r.Valid() {
		return Invalid(field, "role must be viewer, operator or admin, got %q", string(r))
	}
	return nil
}

// Allows reports whether a holder of r may do what needs role need. An unknown role on either
// side allows nothing, so a corrupted record or a typo in a route table fails closed.
func (r Role) Allows(need Role) bool {
	return r.Valid() && need.Valid() && r.rank() >= need.rank()
}

// ParseRole parses a role name as typed on a command line or in JSON (case-insensitive).
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if err := r.Validate("role"); err != nil {
		return "", err
	}
	return r, nil
}

// NewRecordID returns a random, URL-safe identifier for oncefleet's own records (users, keys,
// rules, bulk operations): 128 bits from crypto/rand, so ids can be made on any replica
// without coordination and cannot be guessed.
func NewRecordID() string {
	return strings.ToLower(rand.Text())
}

// User is a person who signs in to oncefleet.
type User struct {
	ID    string
	Email string
	Name  string
	Role  Role
	// PasswordHash is the encoded argon2id hash; the password itself is never stored.
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  *time.Time
}

// Validate checks the fields a store cannot check for itself with a clear message.
func (u *User) Validate() error {
	email := strings.TrimSpace(u.Email)
	if email == "" || !strings.Contains(email, "@") || len(email) > 320 {
		return Invalid("email", "must be an e-mail address")
	}
	if u.PasswordHash == "" {
		return Invalid("password", "must not be empty")
	}
	return u.Role.Validate("role")
}

// Can reports whether the user may do what needs role need; a disabled user may do nothing.
func (u *User) Can(need Role) bool { return !u.Disabled && u.Role.Allows(need) }

// NormalizeEmail is the form e-mail addresses are stored and looked up in, so that sign-in is
// case-insensitive and one address cannot hold two accounts.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// RefreshToken is a long-lived credential that buys a new access token once. Only its hash is
// stored; rotating consumes it (RevokedAt set) and issues a new one.
type RefreshToken struct {
	Hash      string
	UserID    string
	ExpiresAt time.Time
	RevokedAt *time.Time
	CreatedAt time.Time
}

// ErrRefreshTokenReused is returned when a refresh token that was already rotated or revoked is
// presented again: a sign that it was stolen, so every token of its user is revoked.
var ErrRefreshTokenReused = &Error{Code: CodeUnauthorized, Message: "refresh token reused: all sessions revoked"}

// ErrRefreshTokenInvalid is returned for an unknown or expired refresh token.
var ErrRefreshTokenInvalid = &Error{Code: CodeUnauthorized, Message: "refresh token invalid or expired"}

// APIKey is a machine credential (X-API-Key). The key itself is shown once at creation; only
// its SHA-256 hash and a short prefix (to recognise it in lists) are kept.
type APIKey struct {
	ID         string
	Name       string
	Hash       string
	Prefix     string
	Role       Role
	Scopes     []string
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Validate checks a key before it is stored.
func (k *APIKey) Validate() error {
	if strings.TrimSpace(k.Name) == "" {
		return Invalid("name", "must not be empty")
	}
	if k.Hash == "" {
		return Invalid("hash", "must not be empty")
	}
	return k.Role.Validate("role")
}

// Active reports whether the key may authenticate at now: not revoked and not expired.
func (k *APIKey) Active(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// HasScope reports whether the key carries scope; a key without scopes is limited by its role
// alone.
func (k *APIKey) HasScope(scope string) bool {
	return len(k.Scopes) == 0 || slices.Contains(k.Scopes, scope)
}

// APIKeyTouchInterval is how stale last_used_at may get: recording every request would turn
// every read into a write, so stores skip the update when the stored value is younger.
const APIKeyTouchInterval = time.Minute
