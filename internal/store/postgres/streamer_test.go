package postgres_test

import (
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

func TestStreamerConformance(t *testing.T) {
	storetest.TestStreamer(t, func(t *testing.T) (storetest.StreamerStore, *sql.DB) {
		s := dbtest.NewPostgres(t)
		db := stdlib.OpenDBFromPool(s.Pool())
		t.Cleanup(func() { db.Close() })
		return s, db
	})
}
