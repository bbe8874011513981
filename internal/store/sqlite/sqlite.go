// Package sqlite is the embedded SQLite implementation of oncefleet's storage
// (modernc.org/sqlite: pure Go, no cgo).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/oncefleet/oncefleet/internal/store/riverschema"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite-backed store. It is safe for concurrent use: writes are serialised by
// SQLite (WAL mode, busy timeout) and reads run in parallel.
type Store struct {
	db *sql.DB
}

// idleConns is how many connections the pool keeps open between bursts of requests.
const idleConns = 32

// Open opens (creating if needed) the SQLite database file at path.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// database/sql keeps two idle connections by default: under concurrent reads every other
	// query opened a fresh SQLite connection (file open, pragmas, schema parse) and closed it
	// again, which put tens of milliseconds into the API's p99. Readers do not block each
	// other in WAL mode, so keep enough of them; the open count stays unbounded because a
	// bounded pool could starve a transaction that needs a second connection.
	db.SetMaxIdleConns(idleConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// DB exposes the handle for components that share the database (the job queue).
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

func (s *Store) provider() (*goose.Provider, error) { return newProvider(s.db) }

// newProvider is the migration set of a SQLite database: the SQL files and River's schema step.
func newProvider(db *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub,
		goose.WithGoMigrations(riverschema.Migration(riversqlite.New(db))))
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	return p, nil
}

// LatestMigration is the version of the newest migration this build carries (SQL files and Go
// steps alike): a database whose schema is newer was written by a later release, and restore
// refuses it.
func LatestMigration() (int64, error) {
	// The provider needs a database handle; listing its sources never touches it.
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return 0, fmt.Errorf("sqlite: migrations: %w", err)
	}
	defer db.Close()
	p, err := newProvider(db)
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, src := range p.ListSources() {
		latest = max(latest, src.Version)
	}
	return latest, nil
}

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate up: %w", err)
	}
	return nil
}

// MigrateDown rolls back the most recent migration.
func (s *Store) MigrateDown(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	if _, err := p.Down(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate down: %w", err)
	}
	return nil
}

// MigrationStatus lists every known migration and whether it is applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]*goose.MigrationStatus, error) {
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migration status: %w", err)
	}
	return st, nil
}
