package sqlite

import (
	"database/sql"
	"fmt"
	"time"
)

// SQLite has no time type: DATETIME columns hold text, and comparisons and ORDER BY on them
// compare that text byte by byte. They are comparisons in time only while every value has the
// same form, so this file is the one place that writes and reads times, and the rule is:
//
//   - Every time the store writes goes through formatTime (or nullableTime, optionalTime,
//     nowText): UTC, fixed width, microseconds (PostgreSQL's precision, so both backends
//     round-trip the same value), e.g. 2026-11-25T22:42:13.123456Z. Statements pass times as
//     arguments, never the driver's own time.Time encoding, and never leave a time column to
//     its DEFAULT.
//   - The schema's defaults are a fallback for hand-written SQL only. The fleet tables' defaults
//     (strftime('%Y-%m-%dT%H:%M:%f000Z')) have the same width; the others'
//     (strftime('%Y-%m-%dT%H:%M:%fZ')) are milliseconds, e.g. …13.123Z, which sorts after
//     every microsecond value of the same millisecond ('Z' > '0'…'9'). SQLite cannot change a
//     column's default without rebuilding the table, so rather than that the store writes every
//     time itself; migration 00013 rewrote the millisecond values older versions stored.
//   - Reads accept both widths, and whatever else the driver hands over (see parseTime).
//   - Calendar days (DATE columns) are YYYY-MM-DD (dayText).

// timeLayout is the one form of stored instants.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// formatTime renders t for a DATETIME column (the zero time too: use nullableTime where zero
// means unknown).
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullableTime renders t for a nullable DATETIME column: the zero time is NULL.
func nullableTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

// optionalTime renders an optional time: nil is NULL.
func optionalTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

// clockNow is the store's clock at the stored precision, so a time returned to the caller
// equals the one read back later.
func clockNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// nowText is the store's clock rendered for a DATETIME column (updated_at and the like).
func nowText() string { return formatTime(clockNow()) }

// dayText renders the UTC calendar day of t for a DATE column.
func dayText(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// readLayouts are the forms parseTime accepts: timeLayout and the defaults' millisecond form
// (both RFC 3339), the driver's own formats (space or T, with or without an offset), its
// time.Time.String() encoding, and DATE text.
var readLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	time.DateOnly,
}

// parseTime reads a time column as the driver hands it over: time.Time when it recognised the
// text of a column declared DATETIME or DATE, the stored text otherwise (expressions such as
// min(…) or COALESCE, RETURNING). NULL is the zero time.
func parseTime(src any) (time.Time, error) {
	switch v := src.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return v.UTC(), nil
	case string:
		return parseTimeText(v)
	case []byte:
		return parseTimeText(string(v))
	}
	return time.Time{}, fmt.Errorf("sqlite: cannot read %T as a time", src)
}

func parseTimeText(s string) (time.Time, error) {
	for _, layout := range readLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("sqlite: unrecognised time %q", s)
}

// scanTime returns a scan destination that stores a time column in *t; NULL is the zero time
// (the domain's "unknown").
func scanTime(t *time.Time) sql.Scanner { return timeDest{t} }

// scanOptionalTime returns a scan destination that stores a nullable time column in *t; NULL
// is nil.
func scanOptionalTime(t **time.Time) sql.Scanner { return optionalTimeDest{t} }

type timeDest struct{ t *time.Time }

// Scan implements sql.Scanner.
func (d timeDest) Scan(src any) error {
	t, err := parseTime(src)
	if err != nil {
		return err
	}
	*d.t = t
	return nil
}

type optionalTimeDest struct{ t **time.Time }

// Scan implements sql.Scanner.
func (d optionalTimeDest) Scan(src any) error {
	if src == nil {
		*d.t = nil
		return nil
	}
	t, err := parseTime(src)
	if err != nil {
		return err
	}
	*d.t = &t
	return nil
}
