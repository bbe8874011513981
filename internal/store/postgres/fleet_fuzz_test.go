package postgres_test

import (
	"testing"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

// FuzzSIMFilterText: go test -fuzz FuzzSIMFilterText ./internal/store/postgres/
func FuzzSIMFilterText(f *testing.F) {
	storetest.FuzzFleetFilters(f, dbtest.NewPostgres(f))
}
