package web

import (
	"errors"
	"net/url"
	"reflect"
	"testing"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

func TestParseTableQuery(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name, query string
		want        fleet.SIMFilter
		bad         string // the field named by the error
	}{
		{name: "defaults", query: "", want: fleet.SIMFilter{Page: 1, PageSize: 50}},
		{name: "iccid prefix", query: "q=8988280666", want: fleet.SIMFilter{ICCIDPrefix: "8988280666", Page: 1, PageSize: 50}},
		{name: "imsi prefix", query: "q=90140", want: fleet.SIMFilter{IMSIPrefix: "90140", Page: 1, PageSize: 50}},
		{name: "msisdn with plus", query: "q=%2B4915", want: fleet.SIMFilter{MSISDNPrefix: "4915", Page: 1, PageSize: 50}},
		{name: "short digits are msisdn", query: "q=882", want: fleet.SIMFilter{MSISDNPrefix: "882", Page: 1, PageSize: 50}},
		{name: "ip prefix", query: "q=10.0.", want: fleet.SIMFilter{IPPrefix: "10.0.", Page: 1, PageSize: 50}},
		{name: "label", query: "q=+pump+", want: fleet.SIMFilter{Label: "pump", Page: 1, PageSize: 50}},
		{name: "all filters", query: "status=Disabled&online=yes&quota=EXHAUSTED&sort=-label&page=3&size=25",
			want: fleet.SIMFilter{Statuses: []string{"Disabled"}, Online: &yes, DataQuotaStatus: "EXHAUSTED", Sort: "label", Desc: true, Page: 3, PageSize: 25}},
		{name: "offline", query: "online=no", want: fleet.SIMFilter{Online: &no, Page: 1, PageSize: 50}},
		{name: "unknown params ignored", query: "utm=x", want: fleet.SIMFilter{Page: 1, PageSize: 50}},
		{name: "bad page", query: "page=0", bad: "page"},
		{name: "page not a number", query: "page=abc", bad: "page"},
		{name: "page too far", query: "page=99999999999", bad: "page"},
		{name: "size too big", query: "size=100000", bad: "size"},
		{name: "bad sort", query: "sort=password_hash", bad: "sort"},
		{name: "bad online", query: "online=maybe", bad: "online"},
		{name: "bad quota", query: "quota=x", bad: "quota"},
		{name: "control character", query: "q=a%00b", bad: "q"},
		{name: "long search", query: "q=" + string(make([]byte, 300)), bad: "q"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			q, err := parseTableQuery(v)
			if tc.bad != "" {
				if fleet.ErrorCode(err) != fleet.CodeInvalid {
					t.Fatalf("err %v, want invalid %s", err, tc.bad)
				}
				var fe *fleet.Error
				if !errors.As(err, &fe) || fe.Field != tc.bad {
					t.Fatalf("err %v names the wrong field, want %s", err, tc.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := q.filter(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("filter %+v, want %+v", got, tc.want)
			}
			// The URL written back reads as the same query.
			u, _ := url.Parse(q.URL())
			again, err := parseTableQuery(u.Query())
			if err != nil || again != q {
				t.Fatalf("round trip %q: %+v, %v; want %+v", q.URL(), again, err, q)
			}
		})
	}
}

func TestSortLinks(t *testing.T) {
	q := tableQuery{Page: 4, Size: 50}
	if got := q.SortBy("label"); got.Sort != "label" || got.Page != 1 {
		t.Fatalf("first click: %+v", got)
	}
	if got := q.SortBy("label").SortBy("label"); got.Sort != "-label" {
		t.Fatalf("second click: %+v", got)
	}
	for col, want := range map[string]string{"iccid": "ascending", "label": "none"} {
		if got := q.SortState(col); got != want {
			t.Errorf("SortState(%s) = %s, want %s", col, got, want)
		}
	}
}

// FuzzParseTableQuery: any query string is either refused as invalid input or yields a
// filter the store accepts and a URL that reads back as the same query. Never a panic.
func FuzzParseTableQuery(f *testing.F) {
	for _, s := range []string{"", "q=89&status=Enabled", "sort=-data_volume_left&page=2&size=250", "online=yes&quota=EXPIRED",
		"q=%2B49", "q=10.0.0.", "page=-1", "q=%ff%fe", "size=0", "sort=-", "q=a;drop table sims"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseTableQuery(v)
		if err != nil {
			if fleet.ErrorCode(err) != fleet.CodeInvalid {
				t.Fatalf("error %v is not invalid input", err)
			}
			return
		}
		if _, err := q.filter().Normalize(); err != nil {
			t.Fatalf("accepted query %q gives a filter the store refuses: %v", raw, err)
		}
		u, err := url.Parse(q.URL())
		if err != nil {
			t.Fatalf("URL %q: %v", q.URL(), err)
		}
		again, err := parseTableQuery(u.Query())
		if err != nil || again != q {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", raw, again, err, q)
		}
	})
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "/",
		"/sims?q=1":          "/sims?q=1",
		"//evil.example/":    "/",
		"/\\evil.example":    "/",
		"https://evil.test/": "/",
		"sims":               "/",
		"/jobs/abc":          "/jobs/abc",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
