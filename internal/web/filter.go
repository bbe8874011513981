package web

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// tableQuery is the SIM table's state in its URL: what a person searched, filtered, sorted
// and which page they look at. It is parsed strictly (a bad value is a 400 page naming it)
// and written back for links, so every view of the table is a shareable URL.
type tableQuery struct {
	Q      string // free search: digits search ICCID, IMSI or MSISDN prefixes, text the label
	Status string // Enabled | Disabled | … (one status)
	Online string // "", "yes", "no"
	Quota  string // data quota status: ACTIVE | EXHAUSTED | EXPIRED
	Sort   string // column, "-column" descending
	Page   int
	Size   int
}

// tablePageSizes are the page sizes offered (any value up to the API's maximum is accepted).
var tablePageSizes = []int{25, 50, 100, 250}

// maxTablePageSize bounds a page of the table: rendering thousands of rows is slow for
// the browser and the server alike; the API serves bigger pages to programs.
const maxTablePageSize = 500

// maxSearchLen bounds the search box (identifiers are at most 32 characters; labels longer).
const maxSearchLen = 256

// parseTableQuery reads the table's query string. Unknown parameters are ignored (links
// from elsewhere may carry their own).
func parseTableQuery(v url.Values) (tableQuery, error) {
	q := tableQuery{Q: strings.TrimSpace(v.Get("q")), Status: v.Get("status"), Online: v.Get("online"),
		Quota: v.Get("quota"), Sort: v.Get("sort"), Page: 1, Size: fleet.DefaultPageSize}
	if len(q.Q) > maxSearchLen {
		return q, fleet.Invalid("q", "search text is longer than %d characters", maxSearchLen)
	}
	for _, f := range []struct{ name, val string }{{"q", q.Q}, {"status", q.Status}, {"quota", q.Quota}, {"sort", q.Sort}} {
		if strings.ContainsFunc(f.val, func(r rune) bool { return r == 0 || r == unicode.ReplacementChar || unicode.IsControl(r) }) {
			return q, fleet.Invalid(f.name, "contains characters that are not allowed")
		}
	}
	if len(q.Status) > 32 {
		return q, fleet.Invalid("status", "unknown status")
	}
	switch q.Online {
	case "", "yes", "no":
	default:
		return q, fleet.Invalid("online", "use yes or no")
	}
	switch q.Quota {
	case "", "ACTIVE", "EXHAUSTED", "EXPIRED":
	default:
		return q, fleet.Invalid("quota", "use ACTIVE, EXHAUSTED or EXPIRED")
	}
	if q.Sort != "" {
		col := strings.TrimPrefix(q.Sort, "-")
		if !sortable[col] {
			return q, fleet.Invalid("sort", "the table cannot be sorted by %q", col)
		}
	}
	page, err := pageParam(v, "page")
	if err != nil {
		return q, err
	}
	q.Page = page
	if s := v.Get("size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxTablePageSize {
			return q, fleet.Invalid("size", "must be a number from 1 to %d", maxTablePageSize)
		}
		q.Size = n
	}
	return q, nil
}

// sortable are the table's sortable columns (a subset of fleet.SIMSortColumns, the ones shown).
var sortable = map[string]bool{"iccid": true, "imsi": true, "msisdn": true, "status": true, "label": true,
	"ip_address": true, "data_quota_status": true, "data_volume_left": true, "online": true, "last_seen_at": true}

// filter is the store filter of the query.
func (q tableQuery) filter() fleet.SIMFilter {
	f := fleet.SIMFilter{Page: q.Page, PageSize: q.Size, DataQuotaStatus: q.Quota}
	f.ParseSort(q.Sort)
	if q.Status != "" {
		f.Statuses = []string{q.Status}
	}
	switch q.Online {
	case "yes":
		t := true
		f.Online = &t
	case "no":
		fl := false
		f.Online = &fl
	}
	if q.Q != "" {
		switch {
		case isDigits(q.Q) && strings.HasPrefix(q.Q, "89"):
			// ICCIDs start with 89 (telecom industry identifier, ITU-T E.118).
			f.ICCIDPrefix = q.Q
		case isDigits(q.Q) && strings.HasPrefix(q.Q, "+"):
			f.MSISDNPrefix = strings.TrimPrefix(q.Q, "+")
		case isDigits(q.Q) && len(q.Q) >= 5 && !strings.HasPrefix(q.Q, "8"):
			// IMSIs start with the MCC (2xx–7xx); MSISDNs with a country code. The IMSI is
			// the identifier people copy from device logs, so it wins.
			f.IMSIPrefix = q.Q
		case isDigits(q.Q):
			f.MSISDNPrefix = q.Q
		case strings.Count(q.Q, ".") >= 1 && isIPish(q.Q):
			f.IPPrefix = q.Q
		default:
			f.Label = q.Q
		}
	}
	return f
}

// APIFilter is the query as the bulk endpoints' filter (POST /api/v1/sims/bulk "filter"), as
// JSON: a bulk action over every matching SIM is resolved by the server, not sent as a list.
func (q tableQuery) APIFilter() string {
	f := q.filter()
	m := map[string]any{}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	if len(f.Statuses) > 0 {
		m["status"] = f.Statuses
	}
	set("label", f.Label)
	set("iccid", f.ICCIDPrefix)
	set("imsi", f.IMSIPrefix)
	set("msisdn", f.MSISDNPrefix)
	set("ip", f.IPPrefix)
	set("quota_status", f.DataQuotaStatus)
	if f.Online != nil {
		m["online"] = *f.Online
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func isDigits(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isIPish(s string) bool {
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' && r != ':' && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// values is the query as URL parameters, leaving out defaults.
func (q tableQuery) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", q.Q)
	set("status", q.Status)
	set("online", q.Online)
	set("quota", q.Quota)
	set("sort", q.Sort)
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.Size != fleet.DefaultPageSize && q.Size > 0 {
		v.Set("size", strconv.Itoa(q.Size))
	}
	return v
}

// URL is the table at this query.
func (q tableQuery) URL() string {
	if e := q.values().Encode(); e != "" {
		return "/sims?" + e
	}
	return "/sims"
}

// WithPage is the query at another page.
func (q tableQuery) WithPage(p int) tableQuery { q.Page = p; return q }

// SortBy is the query sorted by col: ascending first, descending when it already is.
func (q tableQuery) SortBy(col string) tableQuery {
	if q.Sort == col {
		q.Sort = "-" + col
	} else {
		q.Sort = col
	}
	q.Page = 1
	return q
}

// SortState is "ascending", "descending" or "none" for aria-sort.
func (q tableQuery) SortState(col string) string {
	switch q.Sort {
	case col:
		return "ascending"
	case "-" + col:
		return "descending"
	}
	if q.Sort == "" && col == "iccid" {
		return "ascending"
	}
	return "none"
}
