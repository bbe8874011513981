package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// translate turns driver errors into domain errors so no caller depends on pgx; what names
// the failed operation (e.g. "get sim 8988…").
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, fleet.Errorf(fleet.CodeNotFound, "%s: not found", what))
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%s: %w", what, fleet.Errorf(fleet.CodeConflict, "%s: already exists", what))
		case "23503", "23514", "22001", "22P02", "22021": // foreign key, check, too long, bad text repr, bad encoding
			return fmt.Errorf("%s: %w", what, fleet.Errorf(fleet.CodeInvalid, "%s: %s", what, pgErr.Message))
		case "40001", "40P01": // serialization failure, deadlock: the caller may retry
			return fmt.Errorf("%s: %w", what, fleet.Errorf(fleet.CodeUnavailable, "%s: concurrent update, retry", what))
		}
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}
