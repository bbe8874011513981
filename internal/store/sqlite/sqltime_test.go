package sqlite

import (
	"sort"
	"testing"
	"time"
)

func TestFormatTimeOrdersAsTime(t *testing.T) {
	base := time.Date(2026, 11, 25, 22, 42, 13, 0, time.UTC)
	times := []time.Time{
		base,
		base.Add(time.Microsecond),
		base.Add(123 * time.Millisecond),
		base.Add(123*time.Millisecond + 456*time.Microsecond),
		base.Add(time.Second),
		base.In(time.FixedZone("CET", 3600)).Add(2 * time.Second),
	}
	texts := make([]string, len(times))
	for i, tm := range times {
		texts[i] = formatTime(tm)
		if len(texts[i]) != len(timeLayout) {
			t.Errorf("formatTime(%v) = %q: not fixed width", tm, texts[i])
		}
	}
	if !sort.StringsAreSorted(texts) {
		t.Errorf("text order is not time order: %q", texts)
	}
	if got := formatTime(base.Add(1500 * time.Nanosecond)); got != "2026-11-25T22:42:13.000001Z" {
		t.Errorf("formatTime keeps sub-microsecond digits: %q", got)
	}
}

func TestParseTimeReadsEveryStoredForm(t *testing.T) {
	want := time.Date(2026, 11, 25, 22, 42, 13, 123000000, time.UTC)
	for _, src := range []any{
		"2026-11-25T22:42:13.123000Z", // formatTime
		"2026-11-25T22:42:13.123Z",    // strftime('%Y-%m-%dT%H:%M:%fZ') defaults
		[]byte("2026-11-25T22:42:13.123000Z"),
		"2026-11-25 22:42:13.123",           // the driver's format without an offset
		"2026-11-25 23:42:13.123+01:00",     // … and with one
		"2026-11-25 23:42:13.123 +0100 CET", // time.Time.String()
		want.In(time.FixedZone("CET", 3600)),
	} {
		got, err := parseTime(src)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%#v) = %v, %v; want %v in UTC", src, got, err, want)
		}
	}
	if got, err := parseTime("2026-11-25"); err != nil || !got.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("parseTime(day) = %v, %v", got, err)
	}
	if got, err := parseTime(nil); err != nil || !got.IsZero() {
		t.Errorf("parseTime(NULL) = %v, %v; want the zero time", got, err)
	}
	for _, bad := range []any{"yesterday", int64(1)} {
		if _, err := parseTime(bad); err == nil {
			t.Errorf("parseTime(%#v) accepted", bad)
		}
	}
}

func TestScanOptionalTime(t *testing.T) {
	var p *time.Time
	if err := scanOptionalTime(&p).Scan("2026-11-25T22:42:13.000000Z"); err != nil || p == nil || p.Second() != 13 {
		t.Fatalf("scan = %v, %v", p, err)
	}
	if err := scanOptionalTime(&p).Scan(nil); err != nil || p != nil {
		t.Fatalf("scan NULL = %v, %v; want nil", p, err)
	}
}
