package sqlite_test

import (
	"testing"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

// FuzzSIMFilterText: go test -fuzz FuzzSIMFilterText ./internal/store/sqlite/
func FuzzSIMFilterText(f *testing.F) {
	storetest.FuzzFleetFilters(f, dbtest.NewSQLite(f))
}
