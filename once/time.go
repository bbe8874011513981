package once

import (
	"time"

	"github.com/oncefleet/oncefleet/once/wire"
)

// date formats a calendar date as 1NCE's usage query expects it (YYYY-MM-DD).
func date(t time.Time) string { return t.Format(time.DateOnly) }

// parseTimeLoose maps a wire timestamp into the domain model. An unparseable value becomes the
// zero time rather than failing the whole answer: one odd timestamp must not make a page of
// 100 SIMs undecodable during a fleet sync. wire.ParseTime is fuzzed to keep this path honest.
func parseTimeLoose(ts wire.Timestamp) time.Time {
	t, err := ts.Time()
	if err != nil {
		return time.Time{}
	}
	return t
}
