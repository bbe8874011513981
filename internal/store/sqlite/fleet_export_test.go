package sqlite

import "github.com/oncefleet/oncefleet/internal/fleet"

// SIMListSQL exposes the list query the store builds, for the plan tests.
func SIMListSQL(f fleet.SIMFilter) (string, []any) {
	where, args := simWhere(f)
	return "SELECT iccid FROM sims" + where + simOrder(f) + " LIMIT 50", args
}
