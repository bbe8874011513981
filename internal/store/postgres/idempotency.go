package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const idemCols = `key, request_hash, COALESCE(status, 0), response, created_at`

func scanIdem(row pgx.Row, r *fleet.IdempotencyRecord) error {
	if err := row.Scan(&r.Key, &r.RequestHash, &r.Status, &r.Response, &r.CreatedAt); err != nil {
		return err
	}
	toUTC(&r.CreatedAt)
	return nil
}

// BeginIdempotency claims key for a request with requestHash. created is true when this call
// made the record: the caller runs the handler and then calls CompleteIdempotency (or
// ReleaseIdempotency when it failed before doing anything). Otherwise the existing record is
// returned: completed, replay its response; not completed, the first request is still running.
// The same key with a different request hash is a conflict (SPEC §5, Idempotency-Key).
func (s *Store) BeginIdempotency(ctx context.Context, key, requestHash string) (*fleet.IdempotencyRecord, bool, error) {
	if key == "" || requestHash == "" {
		return nil, false, fleet.Invalid("idempotency_key", "key and request hash must be set")
	}
	var r fleet.IdempotencyRecord
	err := scanIdem(s.pool.QueryRow(ctx, `INSERT INTO idempotency_keys (key, request_hash, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO NOTHING RETURNING `+idemCols, key, requestHash, clockNow()), &r)
	if err == nil {
		return &r, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, false, translate(err, "begin idempotency")
	}
	if err := scanIdem(s.pool.QueryRow(ctx, `SELECT `+idemCols+` FROM idempotency_keys WHERE key = $1`, key), &r); err != nil {
		return nil, false, translate(err, "begin idempotency: read existing")
	}
	if r.RequestHash != requestHash {
		return nil, false, fleet.Errorf(fleet.CodeConflict, "idempotency key was used with a different request")
	}
	return &r, false, nil
}

// CompleteIdempotency stores the response to replay for key. Completing a key twice is a
// conflict: the first response is the one clients saw.
func (s *Store) CompleteIdempotency(ctx context.Context, key string, status int, response []byte) error {
	if status <= 0 {
		return fleet.Invalid("status", "must be an HTTP status")
	}
	if response == nil {
		response = []byte{}
	}
	tag, err := s.pool.Exec(ctx, `UPDATE idempotency_keys SET status = $2, response = $3 WHERE key = $1 AND status IS NULL`, key, status, response)
	if err != nil {
		return translate(err, "complete idempotency")
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var r fleet.IdempotencyRecord
	if err := scanIdem(s.pool.QueryRow(ctx, `SELECT `+idemCols+` FROM idempotency_keys WHERE key = $1`, key), &r); err != nil {
		return translate(err, "complete idempotency")
	}
	return fmt.Errorf("complete idempotency: %w", fleet.Errorf(fleet.CodeConflict, "idempotency key already completed"))
}

// ReleaseIdempotency forgets an uncompleted key, so a retry after a failure that changed
// nothing runs again. A completed key is kept (its response is the truth).
func (s *Store) ReleaseIdempotency(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE key = $1 AND status IS NULL`, key)
	return translate(err, "release idempotency")
}

// DeleteIdempotencyBefore removes records created before before (retention) and returns how
// many.
func (s *Store) DeleteIdempotencyBefore(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, before)
	if err != nil {
		return 0, translate(err, "delete idempotency keys")
	}
	return int(tag.RowsAffected()), nil
}
