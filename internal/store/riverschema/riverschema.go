// Package riverschema puts River's job tables (internal/jobs runs on River) into the stores'
// versioned migrations, so `oncefleet migrate up|down|status` and the migration at start
// manage them with the rest of the schema. Each store registers Migration as one goose
// step; a River upgrade that brings new River migrations gets a new step with a higher
// Version, so an older binary never meets a schema it does not know.
package riverschema

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
)

// GooseVersion is the goose version of the step that creates River's tables, in both stores.
const GooseVersion = 20

// Version is the River schema version that step brings the database to (River v0.51).
const Version = 8

// Migration is the goose step that migrates River's schema up to Version and, going down,
// removes it. It runs outside a goose transaction: River applies each of its migrations in a
// transaction of its own (some cannot share one). driver is River's driver for the store's
// database (riverpgxv5 on the store's pool, riversqlite on its handle).
func Migration[TTx any](driver riverdriver.Driver[TTx]) *goose.Migration {
	run := func(direction rivermigrate.Direction, target int) func(ctx context.Context, _ *sql.DB) error {
		return func(ctx context.Context, _ *sql.DB) error {
			m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				return fmt.Errorf("river migrations: %w", err)
			}
			if _, err := m.Migrate(ctx, direction, &rivermigrate.MigrateOpts{TargetVersion: target}); err != nil {
				return fmt.Errorf("river migrations %s to %d: %w", direction, target, err)
			}
			return nil
		}
	}
	return goose.NewGoMigration(GooseVersion,
		&goose.GoFunc{RunDB: run(rivermigrate.DirectionUp, Version)},
		&goose.GoFunc{RunDB: run(rivermigrate.DirectionDown, -1)})
}
