package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// translate turns driver errors into domain errors so no caller depends on the driver; what
// names the failed operation (e.g. "get sim 8988…").
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, fleet.Errorf(fleet.CodeNotFound, "%s: not found", what))
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%s: %w", what, fleet.Errorf(fleet.CodeConflict, "%s: already exists", what))
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return fmt.Errorf("%s: %w", what, fleet.Errorf(fleet.CodeInvalid, "%s: %s", what, se.Error()))
		}
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}
