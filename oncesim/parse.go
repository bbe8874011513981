package oncesim

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxPage bounds page numbers so page*pageSize cannot overflow.
const maxPage = 1_000_000_000

// parsePaging reads a page number and a page size from q. A missing value takes its default; a
// value that is not a positive integer, or a size above maxSize, is an error (1NCE answers 400).
func parsePaging(q url.Values, pageKey, sizeKey string, defSize, maxSize int) (page, size int, err error) {
	page, size = 1, defSize
	if v, ok := q[pageKey]; ok {
		if page, err = parsePositive(pageKey, v[0], maxPage); err != nil {
			return 0, 0, err
		}
	}
	if v, ok := q[sizeKey]; ok {
		if size, err = parsePositive(sizeKey, v[0], maxSize); err != nil {
			return 0, 0, err
		}
	}
	return page, size, nil
}

func parsePositive(name, v string, limit int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("parameter %s must be an integer, got %q", name, v)
	}
	if n < 1 {
		return 0, fmt.Errorf("parameter %s must be at least 1, got %d", name, n)
	}
	if n > limit {
		return 0, fmt.Errorf("parameter %s must be at most %d, got %d", name, limit, n)
	}
	return n, nil
}

// pageBounds returns the half-open index range of page within total items, and the page count.
func pageBounds(page, size, total int) (from, to, pages int) {
	pages = (total + size - 1) / size
	from = min((page-1)*size, total)
	to = min(from+size, total)
	return from, to, pages
}

// simFilter is a parsed v1/v2 SIM list q parameter ("imei:4711,ip_address:10.0.0.1").
type simFilter struct {
	imei, ip       string
	hasIMEI, hasIP bool
}

func (f simFilter) any() bool { return f.hasIMEI || f.hasIP }

func parseSIMFilter(s string) (simFilter, error) {
	var f simFilter
	if s == "" {
		return f, nil
	}
	for _, part := range strings.Split(s, ",") {
		key, val, ok := strings.Cut(part, ":")
		if !ok || val == "" {
			return f, fmt.Errorf("filter %q is not in {filter}:{value} format", part)
		}
		switch key {
		case "imei":
			f.imei, f.hasIMEI = val, true
		case "ip_address":
			f.ip, f.hasIP = val, true
		default:
			return f, fmt.Errorf("filter field %q is not supported (imei, ip_address)", key)
		}
	}
	return f, nil
}

// sortKey is one key of a sort parameter.
type sortKey struct {
	field string
	desc  bool
}

// byKeys orders by keys in turn, each ascending or descending; field compares a and b on one
// named field. Ties on every key compare equal, so a stable sort keeps their order.
func byKeys[T any](keys []sortKey, field func(name string, a, b T) int) func(a, b T) int {
	return func(a, b T) int {
		for _, k := range keys {
			c := field(k.field, a, b)
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	}
}

// parseSort reads a comma separated sort list ("-timestamp,id") restricted to allowed fields.
func parseSort(s string, allowed ...string) ([]sortKey, error) {
	if s == "" {
		return nil, nil
	}
	var out []sortKey
	for _, part := range strings.Split(s, ",") {
		k := sortKey{field: part}
		if rest, ok := strings.CutPrefix(part, "-"); ok {
			k = sortKey{field: rest, desc: true}
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == k.field
		}
		if !ok {
			return nil, fmt.Errorf("sort field %q is not supported (%s)", k.field, strings.Join(allowed, ", "))
		}
		out = append(out, k)
	}
	return out, nil
}

// parseBoolParam reads a boolean query parameter with a default.
func parseBoolParam(q url.Values, name string, def bool) (bool, error) {
	v, ok := q[name]
	if !ok {
		return def, nil
	}
	switch v[0] {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("parameter %s must be true or false, got %q", name, v[0])
}

// maxUsageDays bounds a usage query (1NCE keeps about six months of daily usage).
const maxUsageDays = 186

var errUsageRange = errors.New("end_dt must not be before start_dt")

// parseUsageRange reads start_dt and end_dt (YYYY-MM-DD) as Unix day numbers. Defaults: the
// last 30 days up to today.
func parseUsageRange(q url.Values, now int64) (from, to int64, err error) {
	to = now / daySeconds
	if v := q.Get("end_dt"); v != "" {
		if to, err = parseDay("end_dt", v); err != nil {
			return 0, 0, err
		}
	}
	from = to - 29
	if v := q.Get("start_dt"); v != "" {
		if from, err = parseDay("start_dt", v); err != nil {
			return 0, 0, err
		}
	}
	if to < from {
		return 0, 0, errUsageRange
	}
	if to-from >= maxUsageDays {
		return 0, 0, fmt.Errorf("the period must not exceed %d days", maxUsageDays)
	}
	return from, to, nil
}

func parseDay(name, v string) (int64, error) {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return 0, fmt.Errorf("parameter %s must be a date YYYY-MM-DD, got %q", name, v)
	}
	return t.Unix() / daySeconds, nil
}
