package sqlite_test

import (
	"testing"

	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

func TestAlertDelivery(t *testing.T) {
	storetest.RunAlertDelivery(t, func(t *testing.T) storetest.AlertDeliveryStore { return dbtest.NewSQLite(t) })
}
