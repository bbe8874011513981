package sqlite_test

import (
	"database/sql"
	"testing"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

func TestStreamerConformance(t *testing.T) {
	storetest.TestStreamer(t, func(t *testing.T) (storetest.StreamerStore, *sql.DB) {
		s := dbtest.NewSQLite(t)
		return s, s.DB()
	})
}
