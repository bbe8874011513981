package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const userCols = `id, email, name, role, password_hash, disabled, created_at, updated_at, last_login_at`

func scanUser(row rowScanner, u *fleet.User) error {
	var role string
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &role, &u.PasswordHash, &u.Disabled, scanTime(&u.CreatedAt), scanTime(&u.UpdatedAt), scanOptionalTime(&u.LastLoginAt)); err != nil {
		return err
	}
	u.Role = fleet.Role(role)
	return nil
}

// CreateUser stores a new user; an empty ID is generated. The e-mail is stored normalised; a
// second account with the same address is a conflict.
func (s *Store) CreateUser(ctx context.Context, u *fleet.User) error {
	u.Email = fleet.NormalizeEmail(u.Email)
	if err := u.Validate(); err != nil {
		return err
	}
	if u.ID == "" {
		u.ID = fleet.NewRecordID()
	}
	now := clockNow()
	_, err := s.db.ExecContext(ctx, `INSERT INTO users (id, email, name, role, password_hash, disabled, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, u.ID, u.Email, u.Name, string(u.Role), u.PasswordHash, u.Disabled, formatTime(now))
	if err != nil {
		return translate(err, "create user")
	}
	u.CreatedAt, u.UpdatedAt, u.LastLoginAt = now, now, nil
	return nil
}

// UserByEmail finds a user by e-mail address, case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (*fleet.User, error) {
	var u fleet.User
	err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = $1`, fleet.NormalizeEmail(email)), &u)
	if err != nil {
		return nil, translate(err, "get user by email")
	}
	return &u, nil
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id string) (*fleet.User, error) {
	var u fleet.User
	if err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id), &u); err != nil {
		return nil, translate(err, "get user "+id)
	}
	return &u, nil
}

// ListUsers returns every user ordered by e-mail (an installation has few).
func (s *Store) ListUsers(ctx context.Context) ([]fleet.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY email`)
	if err != nil {
		return nil, translate(err, "list users")
	}
	return scanAll(rows, "list users", scanUser)
}

// UpdateUser saves e-mail, name, role, password hash and disabled flag of an existing user.
func (s *Store) UpdateUser(ctx context.Context, u *fleet.User) error {
	u.Email = fleet.NormalizeEmail(u.Email)
	if err := u.Validate(); err != nil {
		return err
	}
	now := clockNow()
	err := s.db.QueryRowContext(ctx, `UPDATE users SET email = $2, name = $3, role = $4, password_hash = $5, disabled = $6, updated_at = $7
		WHERE id = $1 RETURNING created_at, last_login_at`, u.ID, u.Email, u.Name, string(u.Role), u.PasswordHash, u.Disabled, formatTime(now)).
		Scan(scanTime(&u.CreatedAt), scanOptionalTime(&u.LastLoginAt))
	if err != nil {
		return translate(err, "update user "+u.ID)
	}
	u.UpdatedAt = now
	return nil
}

// DeleteUser removes a user; their refresh tokens go with them.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id)
	if err != nil {
		return translate(err, "delete user "+id)
	}
	return expectOne(res, "delete user "+id)
}

// SetLastLogin records a successful sign-in.
func (s *Store) SetLastLogin(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET last_login_at = $2 WHERE id = $1`, id, formatTime(at))
	if err != nil {
		return translate(err, "set last login "+id)
	}
	return expectOne(res, "set last login "+id)
}

// CreateRefreshToken stores a new refresh token (its hash) for a user.
func (s *Store) CreateRefreshToken(ctx context.Context, t *fleet.RefreshToken) error {
	if t.Hash == "" || t.UserID == "" {
		return fleet.Invalid("refresh_token", "hash and user must be set")
	}
	now := clockNow()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)`,
		t.Hash, t.UserID, formatTime(t.ExpiresAt), formatTime(now)); err != nil {
		return translate(err, "create refresh token")
	}
	t.CreatedAt, t.RevokedAt = now, nil
	return nil
}

// RotateRefreshToken consumes the token with oldHash and stores next for the same user, in one
// transaction, so a token buys exactly one successor. next.UserID is set from the old token.
// A token presented after it was consumed or revoked is taken as stolen: every token of its
// user is revoked and fleet.ErrRefreshTokenReused returned. Unknown or expired tokens give
// fleet.ErrRefreshTokenInvalid.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash string, next *fleet.RefreshToken, now time.Time) error {
	if next.Hash == "" || next.Hash == oldHash {
		return fleet.Invalid("refresh_token", "new token hash must be set and differ from the old one")
	}
	return s.transact(ctx, "rotate refresh token", func(tx *sql.Tx) (bool, error) {
		var old fleet.RefreshToken
		// The immediate transaction already holds the write lock: a concurrent rotation of
		// the same token waits and then sees this one's revocation, so it counts as reuse.
		err := tx.QueryRowContext(ctx, `SELECT user_id, expires_at, revoked_at FROM refresh_tokens WHERE token_hash = $1`, oldHash).
			Scan(&old.UserID, scanTime(&old.ExpiresAt), scanOptionalTime(&old.RevokedAt))
		if errors.Is(err, sql.ErrNoRows) {
			return false, fleet.ErrRefreshTokenInvalid
		}
		if err != nil {
			return false, translate(err, "rotate refresh token")
		}
		if old.RevokedAt != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, old.UserID, formatTime(now)); err != nil {
				return false, translate(err, "revoke reused refresh token family")
			}
			return true, fleet.ErrRefreshTokenReused
		}
		if !now.Before(old.ExpiresAt) {
			return false, fleet.ErrRefreshTokenInvalid
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE token_hash = $1`, oldHash, formatTime(now)); err != nil {
			return false, translate(err, "consume refresh token")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)`,
			next.Hash, old.UserID, formatTime(next.ExpiresAt), formatTime(now)); err != nil {
			return false, translate(err, "insert rotated refresh token")
		}
		next.UserID, next.CreatedAt, next.RevokedAt = old.UserID, now, nil
		return false, nil
	})
}

// RevokeRefreshToken revokes one token (sign-out). Revoking a revoked token keeps the first
// revocation time.
func (s *Store) RevokeRefreshToken(ctx context.Context, hash string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE token_hash = $1`, hash, formatTime(at))
	if err != nil {
		return translate(err, "revoke refresh token")
	}
	return expectOne(res, "revoke refresh token")
}

// RevokeUserRefreshTokens revokes every live token of a user (sign out everywhere, password
// change, user disabled) and returns how many it revoked.
func (s *Store) RevokeUserRefreshTokens(ctx context.Context, userID string, at time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, userID, formatTime(at))
	if err != nil {
		return 0, translate(err, "revoke refresh tokens of "+userID)
	}
	return rowsAffected(res, "revoke refresh tokens of "+userID)
}

// DeleteExpiredRefreshTokens removes tokens that expired before before (retention cleanup).
// Revoked but unexpired tokens stay: they are what reuse detection recognises.
func (s *Store) DeleteExpiredRefreshTokens(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE expires_at < $1`, formatTime(before))
	if err != nil {
		return 0, translate(err, "delete expired refresh tokens")
	}
	return rowsAffected(res, "delete expired refresh tokens")
}

const apiKeyCols = `id, name, key_hash, prefix, role, scopes, created_by, created_at, expires_at, last_used_at, revoked_at`

func scanAPIKey(row rowScanner, k *fleet.APIKey) error {
	var role string
	var scopes []byte
	if err := row.Scan(&k.ID, &k.Name, &k.Hash, &k.Prefix, &role, &scopes, &k.CreatedBy, scanTime(&k.CreatedAt),
		scanOptionalTime(&k.ExpiresAt), scanOptionalTime(&k.LastUsedAt), scanOptionalTime(&k.RevokedAt)); err != nil {
		return err
	}
	k.Role = fleet.Role(role)
	k.Scopes = nil
	if err := json.Unmarshal(scopes, &k.Scopes); err != nil {
		return fmt.Errorf("api key %s: scopes: %w", k.ID, err)
	}
	return nil
}

// CreateAPIKey stores a new key (its hash); an empty ID is generated.
func (s *Store) CreateAPIKey(ctx context.Context, k *fleet.APIKey) error {
	if err := k.Validate(); err != nil {
		return err
	}
	if k.ID == "" {
		k.ID = fleet.NewRecordID()
	}
	if k.Scopes == nil {
		k.Scopes = []string{}
	}
	scopes, err := json.Marshal(k.Scopes)
	if err != nil {
		return fmt.Errorf("create api key: scopes: %w", err)
	}
	now := clockNow()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO api_keys (id, name, key_hash, prefix, role, scopes, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, k.ID, k.Name, k.Hash, k.Prefix, string(k.Role), string(scopes), k.CreatedBy,
		formatTime(now), optionalTime(k.ExpiresAt)); err != nil {
		return translate(err, "create api key")
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = now, nil, nil
	return nil
}

// APIKeyByHash finds the active key with this hash: the path every API request takes. A
// revoked or expired key is not found, so no caller can forget to check.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (*fleet.APIKey, error) {
	var k fleet.APIKey
	if err := scanAPIKey(s.db.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE key_hash = $1`, hash), &k); err != nil {
		return nil, translate(err, "get api key")
	}
	if !k.Active(time.Now()) {
		return nil, fleet.Errorf(fleet.CodeNotFound, "get api key: not found")
	}
	return &k, nil
}

// TouchAPIKey records that a key was used at at. The write is skipped while the stored time is
// younger than fleet.APIKeyTouchInterval, so a busy key costs one write a minute, not one per
// request.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $2
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`, id, formatTime(at), formatTime(at.Add(-fleet.APIKeyTouchInterval)))
	return translate(err, "touch api key "+id)
}

// ListAPIKeys returns every key, newest first, revoked ones included (the list shows them).
func (s *Store) ListAPIKeys(ctx context.Context) ([]fleet.APIKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, translate(err, "list api keys")
	}
	return scanAll(rows, "list api keys", scanAPIKey)
}

// RevokeAPIKey revokes a key at at; revoking twice keeps the first time.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, formatTime(at))
	if err != nil {
		return translate(err, "revoke api key "+id)
	}
	return expectOne(res, "revoke api key "+id)
}
