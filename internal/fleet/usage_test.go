package fleet

import (
	"math"
	"testing"
	"time"
)

func TestDay(t *testing.T) {
	in := time.Date(2026, 3, 1, 1, 30, 0, 0, time.FixedZone("CET", 3600)) // 00:30 UTC
	if got, want := Day(in), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("Day = %v, want %v", got, want)
	}
	in = time.Date(2026, 3, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)) // 23:30 UTC the day before
	if got, want := Day(in), time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Day = %v, want %v", got, want)
	}
}

func TestMergeUsage(t *testing.T) {
	d := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	api := func(rx int64, final bool) Usage {
		return Usage{ICCID: "a", Day: d, VolumeRx: rx, VolumeTotal: rx, Cost: float64(rx), Source: UsageFromAPI, Final: final}
	}
	str := func(rx int64) Usage {
		return Usage{ICCID: "a", Day: d.Add(5 * time.Hour), VolumeRx: rx, VolumeTotal: rx, SMSMO: 1, Cost: float64(rx), Source: UsageFromStreamer}
	}
	cases := []struct {
		name      string
		in        []Usage
		wantRx    int64
		wantSrc   UsageSource
		wantFinal bool
	}{
		{"streamer adds", []Usage{str(1), str(2), str(4)}, 7, UsageFromStreamer, false},
		{"api replaces", []Usage{str(1), api(10, false)}, 10, UsageFromAPI, false},
		{"streamer after api adds", []Usage{api(10, false), str(5)}, 15, UsageFromAPI, false},
		{"streamer after final is dropped", []Usage{api(10, true), str(5)}, 10, UsageFromAPI, true},
		{"api after final replaces", []Usage{api(10, true), api(12, false)}, 12, UsageFromAPI, false},
	}
	for _, tc := range cases {
		got := MergeUsage(tc.in)
		if len(got) != 1 {
			t.Fatalf("%s: %d rows", tc.name, len(got))
		}
		g := got[0]
		if g.VolumeRx != tc.wantRx || g.VolumeTotal != tc.wantRx || g.Cost != float64(tc.wantRx) || g.Source != tc.wantSrc || g.Final != tc.wantFinal || !g.Day.Equal(d) {
			t.Errorf("%s: got %+v", tc.name, g)
		}
	}
	// A streamer row is never final, even alone; distinct keys stay apart in order.
	s := str(1)
	s.Final = true
	other := api(3, false)
	other.ICCID = "b"
	got := MergeUsage([]Usage{s, other, str(2)})
	if len(got) != 2 || got[0].Final || got[0].VolumeRx != 3 || got[0].SMSMO != 2 || got[1].ICCID != "b" {
		t.Errorf("got %+v", got)
	}
}

func TestUsageValidate(t *testing.T) {
	ok := Usage{ICCID: "a", Day: time.Now(), Source: UsageFromAPI}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Usage){
		"no day":       func(u *Usage) { u.Day = time.Time{} },
		"source":       func(u *Usage) { u.Source = "" },
		"negative tx":  func(u *Usage) { u.VolumeTx = -1 },
		"sms overflow": func(u *Usage) { u.SMSMT = math.MaxInt32 + 1 },
		"NaN cost":     func(u *Usage) { u.Cost = math.NaN() },
		"year 10000":   func(u *Usage) { u.Day = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
	} {
		u := ok
		mut(&u)
		if ErrorCode(u.Validate()) != CodeInvalid {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestValidateDayRange(t *testing.T) {
	a := time.Date(2026, 1, 1, 23, 0, 0, 0, time.UTC)
	from, to, err := ValidateDayRange(a, a.Add(time.Hour)) // 23:00 to 00:00 next day
	if err != nil || !from.Equal(Day(a)) || !to.Equal(Day(a).AddDate(0, 0, 1)) {
		t.Errorf("range = %v %v %v", from, to, err)
	}
	if _, _, err := ValidateDayRange(a, a.Add(-24*time.Hour)); ErrorCode(err) != CodeInvalid {
		t.Errorf("reversed: %v", err)
	}
	if _, _, err := ValidateDayRange(time.Time{}, a); ErrorCode(err) != CodeInvalid {
		t.Errorf("zero from: %v", err)
	}
}
