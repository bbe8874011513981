package sqlite_test

import (
	"testing"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

func TestAccounts(t *testing.T) {
	storetest.RunAccounts(t, func(t *testing.T) storetest.AccountStore { return dbtest.NewSQLite(t) })
}

// BenchmarkAccounts: go test -run '^$' -bench Accounts -benchtime=2s ./internal/store/sqlite/
func BenchmarkAccounts(b *testing.B) {
	storetest.BenchAccounts(b, func(b *testing.B) storetest.AccountStore { return dbtest.NewSQLite(b) })
}
