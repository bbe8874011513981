package sqlite

import (
	"fmt"
	"time"
)

// fleetTimeLayout is how the fleet tables store instants: UTC, fixed width, microseconds (the
// precision PostgreSQL keeps), so that text order is time order and both backends round-trip
// the same value. The schema's defaults produce the same width.
const fleetTimeLayout = "2006-01-02T15:04:05.000000Z"

// fleetTS renders t for storage; the zero time is NULL.
func fleetTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond).Format(fleetTimeLayout)
}

// fleetNow is the store clock reading for updated_at columns.
func fleetNow() string { return time.Now().UTC().Truncate(time.Microsecond).Format(fleetTimeLayout) }

// fleetDay renders a calendar day (DATE columns hold 'YYYY-MM-DD').
func fleetDay(t time.Time) string {
	y, m, d := t.UTC().Date()
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

// fleetTime scans a nullable time column. The driver hands DATETIME/DATE columns over as
// time.Time when it recognises the text, and as text otherwise (expressions, other writers'
// layouts), so both are accepted; NULL is the zero time.
type fleetTime struct{ T time.Time }

var fleetTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	time.DateOnly,
}

// Scan implements sql.Scanner.
func (ft *fleetTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		ft.T = time.Time{}
		return nil
	case time.Time:
		ft.T = x.UTC()
		return nil
	case string:
		return ft.parse(x)
	case []byte:
		return ft.parse(string(x))
	}
	return fmt.Errorf("sqlite: cannot scan %T into a time", v)
}

func (ft *fleetTime) parse(s string) error {
	for _, l := range fleetTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			ft.T = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("sqlite: unrecognised time %q", s)
}
