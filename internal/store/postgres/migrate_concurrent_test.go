package postgres_test

import (
	"sync"
	"testing"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/postgres"
)

// TestMigrateConcurrently starts several replicas' migrations on one fresh database at once, as
// a rolling deployment with migrate-on-start does: every one must succeed and the schema must
// end up complete.
func TestMigrateConcurrently(t *testing.T) {
	url := dbtest.NewPostgresURL(t)
	const replicas = 3
	stores := make([]*postgres.Store, replicas)
	for i := range stores {
		s, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	list, err := stores[0].MigrationStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.AppliedAt.IsZero() {
			t.Errorf("migration %d not applied", m.Source.Version)
		}
	}
}
