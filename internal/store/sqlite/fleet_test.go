package sqlite_test

import (
	"testing"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

func TestFleetConformance(t *testing.T) {
	storetest.RunFleet(t, func(t *testing.T) storetest.FleetStore { return dbtest.NewSQLite(t) })
}
