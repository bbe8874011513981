package postgres_test

import (
	"testing"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

func TestSyncConformance(t *testing.T) {
	storetest.RunSync(t, func(t *testing.T) storetest.SyncStore { return dbtest.NewPostgres(t) })
}
