package control

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// AccountStore is what managing users and API keys needs of the storage backend.
type AccountStore interface {
	CreateUser(ctx context.Context, u *fleet.User) error
	UserByID(ctx context.Context, id string) (*fleet.User, error)
	ListUsers(ctx context.Context) ([]fleet.User, error)
	UpdateUser(ctx context.Context, u *fleet.User) error
	DeleteUser(ctx context.Context, id string) error
	RevokeUserRefreshTokens(ctx context.Context, userID string, at time.Time) (int, error)
	CreateAPIKey(ctx context.Context, k *fleet.APIKey) error
	ListAPIKeys(ctx context.Context) ([]fleet.APIKey, error)
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error
}

// Revoker is told when a credential stops being valid, so caches of authenticated
// principals drop it at once rather than after their TTL.
type Revoker interface {
	Forget(credentialID string)
}

// Accounts manages oncefleet's users and API keys (admin only), audited like every change.
type Accounts struct {
	svc     *Service
	store   AccountStore
	revoker Revoker
}

// NewAccounts returns the account manager; revoker may be nil.
func NewAccounts(svc *Service, store AccountStore, revoker Revoker) *Accounts {
	return &Accounts{svc: svc, store: store, revoker: revoker}
}

// User is a user as the API shows it (never the password hash).
type User struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name,omitempty"`
	Role        fleet.Role `json:"role"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
}

// UserView is the API view of a stored user.
func UserView(u *fleet.User) User {
	return User{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Disabled: u.Disabled, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, LastLoginAt: u.LastLoginAt}
}

// Users lists every user.
func (m *Accounts) Users(ctx context.Context) ([]User, error) {
	us, err := m.store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]User, 0, len(us))
	for i := range us {
		out = append(out, UserView(&us[i]))
	}
	return out, nil
}

// User returns one user.
func (m *Accounts) User(ctx context.Context, id string) (User, error) {
	u, err := m.store.UserByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	return UserView(u), nil
}

// NewUser is a user to create. An empty Password gets a generated one, returned once.
type NewUser struct {
	Email    string
	Name     string
	Role     fleet.Role
	Password string
}

// GeneratePassword returns a random password of 26 base32 characters (130 bits).
func GeneratePassword() string { return rand.Text() }

// CreateUser creates a user; the returned password is the one given or generated (shown
// once, never stored).
func (m *Accounts) CreateUser(ctx context.Context, a Actor, n NewUser) (User, string, error) {
	au := m.svc.audit(a, "user.create", "").set("email", fleet.NormalizeEmail(n.Email)).set("new_role", string(n.Role))
	if err := need(a, fleet.RoleAdmin); err != nil {
		return User{}, "", au.done(ctx, err)
	}
	if err := n.Role.Validate("role"); err != nil {
		return User{}, "", au.done(ctx, err)
	}
	if len(n.Name) > 200 {
		return User{}, "", au.done(ctx, fleet.Invalid("name", "at most 200 characters"))
	}
	pw := n.Password
	if pw == "" {
		pw = GeneratePassword()
	}
	hash, err := auth.HashPassword(pw)
	if errors.Is(err, auth.ErrWeakPassword) {
		return User{}, "", au.done(ctx, fleet.Invalid("password", "%v", err))
	}
	if err != nil {
		return User{}, "", au.done(ctx, err)
	}
	u := &fleet.User{Email: fleet.NormalizeEmail(n.Email), Name: strings.TrimSpace(n.Name), Role: n.Role, PasswordHash: hash}
	if err := m.store.CreateUser(ctx, u); err != nil {
		return User{}, "", au.done(ctx, err)
	}
	au.target = "user:" + u.ID
	return UserView(u), pw, au.done(ctx, nil)
}

// UserChange changes a user; nil fields stay as they are.
type UserChange struct {
	Name     *string
	Role     *fleet.Role
	Disabled *bool
	Password *string
}

// UpdateUser changes a user. Disabling a user or changing their password or role ends their
// sessions (refresh tokens); the last enabled admin cannot be demoted or disabled.
func (m *Accounts) UpdateUser(ctx context.Context, a Actor, id string, c UserChange) (User, error) {
	au := m.svc.audit(a, "user.update", "user:"+id)
	if err := need(a, fleet.RoleAdmin); err != nil {
		return User{}, au.done(ctx, err)
	}
	u, err := m.store.UserByID(ctx, id)
	if err != nil {
		return User{}, au.done(ctx, err)
	}
	endSessions := false
	if c.Name != nil {
		if len(*c.Name) > 200 {
			return User{}, au.done(ctx, fleet.Invalid("name", "at most 200 characters"))
		}
		u.Name = strings.TrimSpace(*c.Name)
	}
	if c.Role != nil {
		if err := c.Role.Validate("role"); err != nil {
			return User{}, au.done(ctx, err)
		}
		au.set("new_role", string(*c.Role))
		endSessions = endSessions || *c.Role != u.Role
		u.Role = *c.Role
	}
	if c.Disabled != nil {
		au.set("disabled", *c.Disabled)
		endSessions = endSessions || (*c.Disabled && !u.Disabled)
		u.Disabled = *c.Disabled
	}
	if c.Password != nil {
		hash, err := auth.HashPassword(*c.Password)
		if errors.Is(err, auth.ErrWeakPassword) {
			return User{}, au.done(ctx, fleet.Invalid("password", "%v", err))
		}
		if err != nil {
			return User{}, au.done(ctx, err)
		}
		au.set("password_changed", true)
		u.PasswordHash, endSessions = hash, true
	}
	if u.Role != fleet.RoleAdmin || u.Disabled {
		if err := m.keepAnAdmin(ctx, id); err != nil {
			return User{}, au.done(ctx, err)
		}
	}
	if err := m.store.UpdateUser(ctx, u); err != nil {
		return User{}, au.done(ctx, err)
	}
	if endSessions {
		m.endSessions(ctx, id)
	}
	return UserView(u), au.done(ctx, nil)
}

// DeleteUser removes a user and ends their sessions; the last enabled admin cannot be removed.
func (m *Accounts) DeleteUser(ctx context.Context, a Actor, id string) error {
	au := m.svc.audit(a, "user.delete", "user:"+id)
	if err := need(a, fleet.RoleAdmin); err != nil {
		return au.done(ctx, err)
	}
	if _, err := m.store.UserByID(ctx, id); err != nil {
		return au.done(ctx, err)
	}
	if err := m.keepAnAdmin(ctx, id); err != nil {
		return au.done(ctx, err)
	}
	m.endSessions(ctx, id)
	return au.done(ctx, m.store.DeleteUser(ctx, id))
}

// keepAnAdmin refuses a change that would leave no enabled admin besides user id: nobody
// could manage users and keys any more (short of the offline admin command).
func (m *Accounts) keepAnAdmin(ctx context.Context, id string) error {
	us, err := m.store.ListUsers(ctx)
	if err != nil {
		return err
	}
	wasAdmin := false
	for _, u := range us {
		if u.ID == id {
			wasAdmin = u.Role == fleet.RoleAdmin && !u.Disabled
			continue
		}
		if u.Role == fleet.RoleAdmin && !u.Disabled {
			return nil
		}
	}
	if !wasAdmin {
		return nil
	}
	return &fleet.Error{Code: fleet.CodeConflict, Message: "this is the last enabled admin; make another user admin first"}
}

func (m *Accounts) endSessions(ctx context.Context, userID string) {
	if _, err := m.store.RevokeUserRefreshTokens(ctx, userID, m.svc.now()); err != nil {
		m.svc.log.WarnContext(ctx, "revoke sessions", "user", userID, "err", err)
	}
	if m.revoker != nil {
		m.revoker.Forget("user:" + userID)
	}
}

// APIKey is an API key as the API shows it (never the key or its hash).
type APIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Role       fleet.Role `json:"role"`
	Scopes     []string   `json:"scopes,omitempty"`
	CreatedBy  string     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

func keyView(k *fleet.APIKey) APIKey {
	return APIKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Role: k.Role, Scopes: k.Scopes, CreatedBy: k.CreatedBy,
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// APIKeys lists every key.
func (m *Accounts) APIKeys(ctx context.Context) ([]APIKey, error) {
	ks, err := m.store.ListAPIKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]APIKey, 0, len(ks))
	for i := range ks {
		out = append(out, keyView(&ks[i]))
	}
	return out, nil
}

// NewAPIKey is a key to create.
type NewAPIKey struct {
	Name      string
	Role      fleet.Role
	ExpiresAt *time.Time
}

// CreateAPIKey creates a key and returns it with the secret itself, which is shown once and
// stored only as a hash.
func (m *Accounts) CreateAPIKey(ctx context.Context, a Actor, n NewAPIKey) (APIKey, string, error) {
	au := m.svc.audit(a, "api_key.create", "").set("name", n.Name).set("new_role", string(n.Role))
	if err := need(a, fleet.RoleAdmin); err != nil {
		return APIKey{}, "", au.done(ctx, err)
	}
	if err := n.Role.Validate("role"); err != nil {
		return APIKey{}, "", au.done(ctx, err)
	}
	if strings.TrimSpace(n.Name) == "" || len(n.Name) > 200 {
		return APIKey{}, "", au.done(ctx, fleet.Invalid("name", "must have 1 to 200 characters"))
	}
	if n.ExpiresAt != nil && !n.ExpiresAt.After(m.svc.now()) {
		return APIKey{}, "", au.done(ctx, fleet.Invalid("expires_at", "must be in the future"))
	}
	secret, hash, prefix := auth.NewAPIKey()
	k := &fleet.APIKey{Name: strings.TrimSpace(n.Name), Hash: hash, Prefix: prefix, Role: n.Role, CreatedBy: a.ID, ExpiresAt: n.ExpiresAt}
	if err := m.store.CreateAPIKey(ctx, k); err != nil {
		return APIKey{}, "", au.done(ctx, err)
	}
	au.target = "key:" + k.ID
	return keyView(k), secret, au.done(ctx, nil)
}

// RevokeAPIKey revokes a key; it stops authenticating at once on this replica and within the
// authentication cache's lifetime on others.
func (m *Accounts) RevokeAPIKey(ctx context.Context, a Actor, id string) error {
	au := m.svc.audit(a, "api_key.revoke", "key:"+id)
	if err := need(a, fleet.RoleAdmin); err != nil {
		return au.done(ctx, err)
	}
	if err := m.store.RevokeAPIKey(ctx, id, m.svc.now()); err != nil {
		return au.done(ctx, err)
	}
	if m.revoker != nil {
		m.revoker.Forget("key:" + id)
	}
	return au.done(ctx, nil)
}

// RecordLogin writes the audit row of a sign-in attempt, the same for the API and the
// dashboard: done by the user when the attempt succeeded, by "anonymous" (named by the e-mail
// typed) when it did not, with the failure's code as the result. detail may add where the
// attempt came from.
func (s *Service) RecordLogin(ctx context.Context, email, requestID string, sess *auth.Session, loginErr error, detail map[string]any) {
	a := Actor{ID: "anonymous", Name: fleet.NormalizeEmail(email), RequestID: requestID}
	if sess != nil && sess.User != nil {
		a = Actor{ID: "user:" + sess.User.ID, Name: sess.User.Email, Role: sess.User.Role, RequestID: requestID}
	}
	result := "ok"
	if loginErr != nil {
		result = string(fleet.ErrorCode(loginErr))
	}
	if err := s.Record(ctx, a, "auth.login", a.ID, result, detail); err != nil {
		s.log.WarnContext(ctx, "login not audited", "err", err)
	}
}
