package jobs

import (
	"time"

	"github.com/riverqueue/river"
)

// Every is the schedule of a periodic job: the multiples of interval since the Unix epoch
// (UTC). Every replica, and every leader after a restart, computes the same instants, so a
// run belongs to exactly one period and the unique key per period makes it run once.
func Every(interval time.Duration) river.PeriodicSchedule { return aligned{interval} }

type aligned struct{ interval time.Duration }

// Next returns the first multiple of the interval after t.
func (a aligned) Next(t time.Time) time.Time {
	return t.Truncate(a.interval).Add(a.interval)
}
