package postgres

import "github.com/oncefleet/oncefleet/internal/fleet"

// SIMListSQL exposes the list query the store builds, for the plan tests.
func SIMListSQL(f fleet.SIMFilter) (string, []any) {
	where, args := simWhere(f)
	return "SELECT iccid FROM sims" + where + simOrder(f) + " LIMIT 50", args
}

// SIMCountSQL exposes the row-count query for a filter the counts table cannot answer.
func SIMCountSQL(f fleet.SIMFilter) (string, []any) {
	where, args := simWhere(f)
	return "SELECT count(*) FROM sims" + where, args
}

// SIMUpsertSet exposes the upsert's merge assignments, so the benchmark's COPY variant merges
// exactly as UpsertSIMs does.
func SIMUpsertSet() string { return simUpsertSet() }
