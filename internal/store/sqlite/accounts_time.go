package sqlite

import (
	"database/sql"
	"fmt"
	"time"
)

// SQLite has no time type: the schema stores UTC text in strftime('%Y-%m-%dT%H:%M:%f000Z')
// form, fixed width with microseconds (PostgreSQL's precision), and every time written by the
// account, audit, alert, top-up, job and commerce stores uses exactly that layout, so
// comparisons and ORDER BY on the text are comparisons in time. The driver's own time encoding
// differs, so times are never passed raw. (The fleet store's sqltime.go uses the same layout.)
const acctTimeLayout = "2006-01-02T15:04:05.000000Z"

// acctTS renders t for a DATETIME column.
func acctTS(t time.Time) string { return t.UTC().Format(acctTimeLayout) }

// acctTSPtr renders an optional time: nil stays NULL.
func acctTSPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return acctTS(*t)
}

// acctParseTime accepts what the driver hands back for a DATETIME column: a time.Time when it
// recognised the declared type, otherwise the stored text (e.g. through RETURNING or COALESCE).
func acctParseTime(src any) (time.Time, error) {
	switch v := src.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		return acctParseText(v)
	case []byte:
		return acctParseText(string(v))
	}
	return time.Time{}, fmt.Errorf("sqlite: cannot read %T as a time", src)
}

func acctParseText(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("sqlite: unreadable time %q", s)
}

// acctTime scans a NOT NULL DATETIME column into *t.
type acctTime struct{ t *time.Time }

// Scan implements sql.Scanner.
func (a acctTime) Scan(src any) error {
	if src == nil {
		return fmt.Errorf("sqlite: NULL in a NOT NULL time column")
	}
	t, err := acctParseTime(src)
	if err != nil {
		return err
	}
	*a.t = t
	return nil
}

// acctNullTime scans a nullable DATETIME column into *t (nil for NULL).
type acctNullTime struct{ t **time.Time }

// Scan implements sql.Scanner.
func (a acctNullTime) Scan(src any) error {
	if src == nil {
		*a.t = nil
		return nil
	}
	t, err := acctParseTime(src)
	if err != nil {
		return err
	}
	*a.t = &t
	return nil
}

var (
	_ sql.Scanner = acctTime{}
	_ sql.Scanner = acctNullTime{}
)
