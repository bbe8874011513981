package wire

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ms int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ms*int(time.Millisecond), time.UTC)
	}
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"2018-05-07T14:08:05.000+0000", utc(2018, 5, 7, 14, 8, 5, 0), false},
		{"2018-11-07T17:21:46.121+0000", utc(2018, 11, 7, 17, 21, 46, 121), false},
		{"2021-06-30T00:00:00.000Z", utc(2021, 6, 30, 0, 0, 0, 0), false},
		{"2018-03-14T16:10:29Z", utc(2018, 3, 14, 16, 10, 29, 0), false},
		{"2028-03-14T16:10:29.000+00:00", utc(2028, 3, 14, 16, 10, 29, 0), false},
		{"2018-03-09T07:59:09.000+0200", utc(2018, 3, 9, 5, 59, 9, 0), false},
		{"2018-03-09T07:59:09-05:30", utc(2018, 3, 9, 13, 29, 9, 0), false},
		{"2018-03-09T07:59:09+02", utc(2018, 3, 9, 5, 59, 9, 0), false},
		{"2023-08-06 09:59:05", utc(2023, 8, 6, 9, 59, 5, 0), false},
		{"2023-08-06T09:59:05", utc(2023, 8, 6, 9, 59, 5, 0), false},
		{"2023-08-06T09:59", utc(2023, 8, 6, 9, 59, 0, 0), false},
		{"2023-08-06t09:59:05z", utc(2023, 8, 6, 9, 59, 5, 0), false},
		{"2019-09-29T07:33:15.123456789Z", time.Date(2019, 9, 29, 7, 33, 15, 123456789, time.UTC), false},
		{"2022-07-22", utc(2022, 7, 22, 0, 0, 0, 0), false},
		{"  2022-07-22  ", utc(2022, 7, 22, 0, 0, 0, 0), false},
		{"", time.Time{}, false},
		{"null", time.Time{}, false},
		{"yesterday", time.Time{}, true},
		{"2022-13-01", time.Time{}, true},
		{"2022-02-30T00:00:00Z", time.Time{}, true},
		{"1700000000", time.Time{}, true},
		{"2018-05-07T14:08:05.000+00000", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseTime(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseTime(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if err == nil && !got.IsZero() && got.Location() != time.UTC {
				t.Errorf("ParseTime(%q) location %v, want UTC", tt.in, got.Location())
			}
		})
	}
}

func TestTimestampJSON(t *testing.T) {
	var v struct {
		A Timestamp `json:"a"`
		B Timestamp `json:"b"`
	}
	if err := json.Unmarshal([]byte(`{"a":"2018-05-07T14:08:05.000+0000","b":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != "2018-05-07T14:08:05.000+0000" || v.B != "" {
		t.Errorf("decoded %+v", v)
	}
	if err := json.Unmarshal([]byte(`{"a":17}`), &v); err == nil {
		t.Error("numeric timestamp accepted")
	}
	ts := NewTimestamp(time.Date(2028, 3, 14, 16, 10, 29, 0, time.FixedZone("x", 3600)))
	if ts != "2028-03-14T15:10:29.000Z" {
		t.Errorf("NewTimestamp = %q", ts)
	}
	if NewTimestamp(time.Time{}) != "" {
		t.Error("zero time should give empty timestamp")
	}
}

// FuzzParseTime checks that no input panics and that every accepted timestamp survives a
// format/parse round trip unchanged (so what the SDK stores is what 1NCE meant).
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2018-05-07T14:08:05.000+0000", "2021-06-30T00:00:00.000Z", "2023-08-06 09:59:05", "2022-07-22", "2018-03-09T07:59:09+02", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("error with non-zero time %v", got)
			}
			return
		}
		if got.IsZero() {
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("ParseTime(%q) not UTC", s)
		}
		again, err := ParseTime(got.Format(time.RFC3339Nano))
		if err != nil || !again.Equal(got) {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}

func TestMBToBytes(t *testing.T) {
	tests := []struct {
		in      Decimal
		want    int64
		wantErr error
	}{
		{"", 0, nil},
		{"0", 0, nil},
		{"1", 1 << 20, nil},
		{"500", 500 << 20, nil},
		{"0.5", 1 << 19, nil},
		{"435.787951", 456956787, nil},       // 456956786.507776
		{"0.002803", 2939, nil},              // 2939.158528
		{"0.001482", 1554, nil},              // 1553.989632
		{"-95.5", -100139008, nil},           // v2 quotas can be overdrawn
		{"0.0000004768371582031250", 1, nil}, // exactly half a byte rounds away from zero
		{"-0.0000004768371582031250", -1, nil},
		{"1e3", 1000 << 20, nil},
		{"1E-1", 104858, nil},
		{"8796093022207", 8796093022207 << 20, nil},
		{"8796093022208", 0, ErrVolumeRange},
		{"1e999999999", 0, ErrVolumeRange},
		{"abc", 0, nil},
		{"NaN", 0, nil},
		{"1/3", 0, nil},
		{"0x10", 0, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.in), func(t *testing.T) {
			got, err := MBToBytes(tt.in)
			bad := tt.in != "" && !validDecimal(string(tt.in))
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			case bad:
				if err == nil {
					t.Fatalf("MBToBytes(%q) accepted a non-number", tt.in)
				}
			case err != nil:
				t.Fatalf("MBToBytes(%q): %v", tt.in, err)
			case got != tt.want:
				t.Errorf("MBToBytes(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecimalJSON(t *testing.T) {
	var v struct {
		N Decimal       `json:"n"`
		S Decimal       `json:"s"`
		Z Decimal       `json:"z"`
		T DecimalString `json:"t"`
	}
	if err := json.Unmarshal([]byte(`{"n":435.787951,"s":"0.002803","z":null,"t":12}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.N != "435.787951" || v.S != "0.002803" || v.Z != "" || v.T != "12" {
		t.Errorf("decoded %+v", v)
	}
	for _, bad := range []string{`{"n":"lots"}`, `{"n":true}`, `{"n":{}}`, `{"t":"1,5"}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	b, err := json.Marshal(struct {
		N Decimal       `json:"n"`
		T DecimalString `json:"t"`
	}{"1.50", "0.25"})
	if err != nil || string(b) != `{"n":1.50,"t":"0.25"}` {
		t.Errorf("marshal = %s, %v", b, err)
	}
}

func TestLooseTypes(t *testing.T) {
	var v struct {
		S LooseString `json:"s"`
		I LooseInt    `json:"i"`
	}
	cases := []struct {
		in    string
		s     LooseString
		i     LooseInt
		wantE bool
	}{
		{`{"s":"0000000000000018","i":590}`, "0000000000000018", 590, false},
		{`{"s":869951030000000,"i":"590"}`, "869951030000000", 590, false},
		{`{"s":null,"i":590.0}`, "", 590, false},
		{`{"i":590.5}`, "", 0, true},
		{`{"i":"x"}`, "", 0, true},
		{`{"s":"a\"b\u0041","i":"  7 "}`, `a"bA`, 7, false},
		{`{"s":[1]}`, "", 0, true},
		{`{"i":1e300}`, "", 0, true},
	}
	for _, c := range cases {
		v.S, v.I = "", 0
		err := json.Unmarshal([]byte(c.in), &v)
		if (err != nil) != c.wantE {
			t.Errorf("%s: err = %v", c.in, err)
			continue
		}
		if !c.wantE && (v.S != c.s || v.I != c.i) {
			t.Errorf("%s: got %q %d", c.in, v.S, v.I)
		}
	}
}

// FuzzMBToBytes checks that conversion never panics, agrees in sign with the input and stays
// within half a byte of the float computation where floats are exact enough to compare.
func FuzzMBToBytes(f *testing.F) {
	for _, s := range []string{"435.787951", "0.002803", "-95.5", "1e3", "", "8796093022208", "0.0000004768371582031250"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := MBToBytes(Decimal(s))
		if s != "" {
			// The integer fast path must agree with exact rational arithmetic.
			slow, serr := scaleRoundBig(Decimal(s), BytesPerMB)
			if (serr == nil) != (err == nil) || slow != got {
				t.Fatalf("MBToBytes(%q) = %d, %v; exact path %d, %v", s, got, err, slow, serr)
			}
		}
		if err != nil {
			if got != 0 {
				t.Fatalf("error with value %d", got)
			}
			return
		}
		fl, ferr := Decimal(s).Float64()
		if ferr != nil {
			if s != "" && !strings.ContainsAny(s, "eE") {
				t.Fatalf("MBToBytes accepted %q that ParseFloat rejects: %v", s, ferr)
			}
			return
		}
		want := fl * BytesPerMB
		if math.Abs(want) < 1<<50 && math.Abs(float64(got)-want) > 0.5+math.Abs(want)*1e-12 {
			t.Fatalf("MBToBytes(%q) = %d, float says %f", s, got, want)
		}
	})
}
