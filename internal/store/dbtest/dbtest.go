// Package dbtest gives each test its own real database: a fresh PostgreSQL database on the
// server named by ONCEFLEET_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
// or a SQLite file in a temp dir. Both are migrated and removed in t.Cleanup.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oncefleet/oncefleet/internal/store/postgres"
	"github.com/oncefleet/oncefleet/internal/store/sqlite"
)

// EnvAdminURL names the variable with the URL of a database tests may create databases from.
const EnvAdminURL = "ONCEFLEET_TEST_DATABASE_URL"

// DefaultAdminURL is the PostgreSQL that CI starts on 127.0.0.1.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// AdminURL returns the URL tests create their databases from.
func AdminURL() string {
	if u := os.Getenv(EnvAdminURL); u != "" {
		return u
	}
	return DefaultAdminURL
}

// NewPostgresURL creates an empty database for tb and returns its URL; the database is dropped
// when tb ends. A PostgreSQL that cannot be reached fails the test: CI must not skip it.
func NewPostgresURL(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := AdminURL()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("dbtest: PostgreSQL at %s unreachable (start it or set %s): %v", redact(admin), EnvAdminURL, err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "oncefleet_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("dbtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("dbtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("dbtest: drop %s: %v", name, err)
		}
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return u.String()
}

// NewPostgres returns a migrated store on its own fresh database.
func NewPostgres(tb testing.TB) *postgres.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, NewPostgresURL(tb))
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	tb.Cleanup(func() { s.Close() }) // runs before the drop: cleanups are LIFO
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	return s
}

// NewSQLite returns a migrated store in a fresh file under tb's temp dir.
func NewSQLite(tb testing.TB) *sqlite.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "oncefleet.db"))
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	return s
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Name is a helper for subtests that run one body against both backends.
func Name(backend string) string { return fmt.Sprintf("backend=%s", backend) }
