package wire

import (
	"fmt"
	"strings"
	"time"
)

// timeLayouts are the timestamp shapes 1NCE answers with, tried in order. The API is not
// consistent between generations and even between fields of one response:
//
//	2018-05-07T14:08:05.000+0000   v1 events, SIM activation_date (offset without colon)
//	2021-06-30T00:00:00.000Z       v1 usage dates, quotas, SMS
//	2018-03-14T16:10:29Z           RFC 3339 without fraction
//	2028-03-14T16:10:29.000+00:00  v2 RFC 3339 with fraction
//	2023-08-06 09:59:05            v2 location last_updated (space, no zone: UTC)
//	2022-07-22                     dates (usage query and answers)
//
// ".999999999" makes the fraction optional and "Z07…" accepts both "Z" and an offset.
var timeLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTime parses any timestamp shape 1NCE is known to send (see the list above) and returns
// it in UTC. A timestamp without a zone is taken as UTC, which is what 1NCE documents for its
// zone-less fields. The empty string and "null" give the zero time without error: 1NCE omits
// or nulls timestamps that have not happened yet (an SMS not delivered, a quota never
// exceeded).
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	// RFC 3339 allows lower-case t and z and a space instead of T; time.Parse does not.
	norm := strings.ToUpper(s)
	if len(norm) > 10 && norm[10] == ' ' {
		norm = norm[:10] + "T" + norm[11:]
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, norm); err == nil {
			// An offset can push the edge years out of the four-digit range that every
			// store and every re-parse of the value can represent.
			if u := t.UTC(); u.Year() >= 1 && u.Year() <= 9999 {
				return u, nil
			}
			return time.Time{}, fmt.Errorf("wire: timestamp %q out of range", s)
		}
	}
	return time.Time{}, fmt.Errorf("wire: unrecognised timestamp %q", s)
}

// Timestamp is a 1NCE timestamp as it appears on the wire. The raw per-generation types keep
// the text exactly as 1NCE sent it (so nothing is lost when 1NCE invents another format);
// Time parses it. It decodes from a JSON string or null.
type Timestamp string

// Time parses the timestamp with ParseTime.
func (ts Timestamp) Time() (time.Time, error) { return ParseTime(string(ts)) }

// UnmarshalJSON accepts a JSON string or null (null becomes "").
func (ts *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*ts = ""
		return nil
	}
	s, err := unquote(b)
	if err != nil {
		return fmt.Errorf("wire: timestamp: %w", err)
	}
	*ts = Timestamp(s)
	return nil
}

// NewTimestamp formats t the way 1NCE documents request timestamps (RFC 3339 in UTC with
// milliseconds, e.g. 2028-03-14T16:10:29.000Z); the zero time gives "".
func NewTimestamp(t time.Time) Timestamp {
	if t.IsZero() {
		return ""
	}
	return Timestamp(t.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
}
