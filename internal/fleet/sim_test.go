package fleet

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSIMFilterNormalize(t *testing.T) {
	on := true
	cases := []struct {
		name    string
		in      SIMFilter
		want    SIMFilter
		wantErr string // offending field, "" for success
	}{
		{"defaults", SIMFilter{}, SIMFilter{Sort: "iccid", Page: 1, PageSize: DefaultPageSize}, ""},
		{"kept", SIMFilter{Sort: "label", Desc: true, Page: 3, PageSize: 7, Online: &on},
			SIMFilter{Sort: "label", Desc: true, Page: 3, PageSize: 7, Online: &on}, ""},
		{"max page size", SIMFilter{PageSize: MaxPageSize}, SIMFilter{Sort: "iccid", Page: 1, PageSize: MaxPageSize}, ""},
		{"unknown sort", SIMFilter{Sort: "secret"}, SIMFilter{}, "sort"},
		{"injection sort", SIMFilter{Sort: "iccid;--"}, SIMFilter{}, "sort"},
		{"uppercase sort", SIMFilter{Sort: "ICCID"}, SIMFilter{}, "sort"},
		{"page size too big", SIMFilter{PageSize: MaxPageSize + 1}, SIMFilter{}, "page_size"},
		{"negative page size", SIMFilter{PageSize: -5}, SIMFilter{}, "page_size"},
		{"negative page", SIMFilter{Page: -1}, SIMFilter{}, "page"},
		{"page too far", SIMFilter{Page: MaxPage + 1}, SIMFilter{}, "page"},
		{"empty status", SIMFilter{Statuses: []string{"Enabled", ""}}, SIMFilter{}, "status"},
		{"NUL in label", SIMFilter{Label: "a\x00b"}, SIMFilter{}, "label"},
		{"bad UTF-8 prefix", SIMFilter{IMSIPrefix: "\xff"}, SIMFilter{}, "imsi"},
		{"long prefix", SIMFilter{ICCIDPrefix: strings.Repeat("8", MaxTextLen+1)}, SIMFilter{}, "iccid"},
		{"year 10000", SIMFilter{UpdatedSince: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, SIMFilter{}, "updated_since"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.in.Normalize()
			if tc.wantErr != "" {
				var fe *Error
				if !errors.As(err, &fe) || fe.Code != CodeInvalid || fe.Field != tc.wantErr {
					t.Fatalf("err = %v, want invalid %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Sort != tc.want.Sort || got.Desc != tc.want.Desc || got.Page != tc.want.Page || got.PageSize != tc.want.PageSize || got.Online != tc.want.Online {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSIMFilterUpdatedSinceUTC(t *testing.T) {
	in := time.Date(2026, 1, 1, 12, 0, 0, 0, time.FixedZone("X", 7200))
	got, err := SIMFilter{UpdatedSince: in}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if got.UpdatedSince.Location() != time.UTC || !got.UpdatedSince.Equal(in) {
		t.Errorf("updated since = %v", got.UpdatedSince)
	}
}

func TestParseSort(t *testing.T) {
	for in, want := range map[string]struct {
		col  string
		desc bool
	}{"label": {"label", false}, "-label": {"label", true}, "": {"", false}, "-": {"", true}} {
		var f SIMFilter
		f.ParseSort(in)
		if f.Sort != want.col || f.Desc != want.desc {
			t.Errorf("ParseSort(%q) = %q %v", in, f.Sort, f.Desc)
		}
	}
}

// FuzzSIMFilterSort checks the property the stores rely on when they put Sort into ORDER BY:
// whatever the client sends, Normalize either rejects it or yields one of the column names.
func FuzzSIMFilterSort(f *testing.F) {
	for _, s := range []string{"iccid", "-label", "last_seen_at", "label;DROP TABLE sims", "", "-", "--iccid", "metadata", "iccid "} {
		f.Add(s, 1, 50)
	}
	cols := SIMSortColumns()
	f.Fuzz(func(t *testing.T, sort string, page, size int) {
		var flt SIMFilter
		flt.ParseSort(sort)
		flt.Page, flt.PageSize = page, size
		got, err := flt.Normalize()
		if err != nil {
			if ErrorCode(err) != CodeInvalid {
				t.Fatalf("error with code %s: %v", ErrorCode(err), err)
			}
			return
		}
		if !slices.Contains(cols, got.Sort) {
			t.Fatalf("sort %q accepted", got.Sort)
		}
		if got.Page < 1 || got.Page > MaxPage || got.PageSize < 1 || got.PageSize > MaxPageSize {
			t.Fatalf("paging %d/%d accepted", got.Page, got.PageSize)
		}
	})
}

func TestSIMValidate(t *testing.T) {
	neg := int64(-1)
	cases := []struct {
		name  string
		sim   SIM
		field string
	}{
		{"ok", SIM{ICCID: "8988280666000000001", Metadata: json.RawMessage(`{"a":1}`)}, ""},
		{"null metadata", SIM{ICCID: "1", Metadata: json.RawMessage(`null`)}, ""},
		{"empty iccid", SIM{}, "iccid"},
		{"iccid with space", SIM{ICCID: "89 88"}, "iccid"},
		{"iccid with newline", SIM{ICCID: "8988\n"}, "iccid"},
		{"iccid too long", SIM{ICCID: strings.Repeat("1", MaxICCIDLen+1)}, "iccid"},
		{"negative data left", SIM{ICCID: "1", DataVolumeLeft: &neg}, "data_volume_left"},
		{"negative sms left", SIM{ICCID: "1", SMSLeft: &neg}, "sms_left"},
		{"array metadata", SIM{ICCID: "1", Metadata: json.RawMessage(`[]`)}, "metadata"},
		{"broken metadata", SIM{ICCID: "1", Metadata: json.RawMessage(`{"a":`)}, "metadata"},
		{"NUL in label", SIM{ICCID: "1", Label: "a\x00"}, "label"},
		{"bad UTF-8 imei", SIM{ICCID: "1", IMEI: "\xc3"}, "imei"},
		{"year 0 activation", SIM{ICCID: "1", ActivationDate: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)}, "activation_date"},
	}
	for _, tc := range cases {
		err := tc.sim.Validate()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var fe *Error
		if !errors.As(err, &fe) || fe.Code != CodeInvalid || fe.Field != tc.field {
			t.Errorf("%s: err = %v, want invalid %s", tc.name, err, tc.field)
		}
	}
}

func TestSIMUpdateValidate(t *testing.T) {
	label := "x"
	bad := "a\x00"
	if err := (SIMUpdate{}).Validate(); ErrorCode(err) != CodeInvalid {
		t.Errorf("empty update: %v", err)
	}
	if err := (SIMUpdate{Label: &label}).Validate(); err != nil {
		t.Errorf("label update: %v", err)
	}
	if err := (SIMUpdate{Label: &bad}).Validate(); ErrorCode(err) != CodeInvalid {
		t.Errorf("NUL label: %v", err)
	}
	if err := (SIMUpdate{Metadata: json.RawMessage(`1`)}).Validate(); ErrorCode(err) != CodeInvalid {
		t.Errorf("number metadata: %v", err)
	}
}

func TestDedupeSIMs(t *testing.T) {
	in := []SIM{{ICCID: "a", Label: "1"}, {ICCID: "b"}, {ICCID: "a", Label: "2"}, {ICCID: "c"}, {ICCID: "b", Label: "3"}}
	got := DedupeSIMs(in)
	want := []SIM{{ICCID: "a", Label: "2"}, {ICCID: "b", Label: "3"}, {ICCID: "c"}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].ICCID != want[i].ICCID || got[i].Label != want[i].Label {
			t.Errorf("item %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if len(DedupeSIMs(nil)) != 0 {
		t.Error("nil input")
	}
}

func TestCompactObject(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "{}"}, {"null", "{}"}, {" null ", "{}"}, {"{}", "{}"},
		{"{ \"a\" : [1, 2] ,\n \"b\": {} }", `{"a":[1,2],"b":{}}`},
	} {
		got, err := CompactObject(json.RawMessage(tc.in))
		if err != nil || got != tc.want {
			t.Errorf("CompactObject(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := CompactObject(json.RawMessage(`{"a":`)); !errors.Is(err, ErrInvalid) {
		t.Errorf("truncated JSON: err = %v, want ErrInvalid", err)
	}
}

func TestFilterOffset(t *testing.T) {
	if got := (SIMFilter{Page: 3, PageSize: 25}).Offset(); got != 50 {
		t.Errorf("SIMFilter page 3 of 25: offset %d, want 50", got)
	}
	if got := (EventFilter{Page: 1, PageSize: 10}).Offset(); got != 0 {
		t.Errorf("EventFilter page 1: offset %d, want 0", got)
	}
	if got := (SMSFilter{Page: 2, PageSize: 7}).Offset(); got != 7 {
		t.Errorf("SMSFilter page 2 of 7: offset %d, want 7", got)
	}
}
