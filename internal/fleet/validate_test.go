package fleet

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidateEachNamesTheFirstBadItem(t *testing.T) {
	good := Usage{ICCID: "8988280666000000001", Day: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), Source: UsageFromAPI}
	if err := ValidateEach("row", []Usage{good, good}); err != nil {
		t.Fatalf("valid rows: %v", err)
	}
	if err := ValidateEach[Usage]("row", nil); err != nil {
		t.Fatalf("no rows: %v", err)
	}
	bad := good
	bad.Source = "guess"
	err := ValidateEach("row", []Usage{good, bad, bad})
	if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "row 1: ") {
		t.Fatalf("err = %v, want invalid naming row 1", err)
	}
}

func TestBulkICCIDs(t *testing.T) {
	got, err := BulkICCIDs([]string{"3", "1", "3", "2"})
	if err != nil || !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Fatalf("BulkICCIDs = %v, %v; want sorted, each once", got, err)
	}
	for _, in := range [][]string{nil, {}, {"1", ""}} {
		if _, err := BulkICCIDs(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("BulkICCIDs(%q) = %v, want invalid", in, err)
		}
	}
}

func TestAlertFillDefaults(t *testing.T) {
	now := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	var a Alert
	a.FillDefaults(now)
	if !a.FiredAt.Equal(now) || a.Severity != SeverityWarning || string(a.Detail) != "{}" {
		t.Fatalf("defaults = %+v", a)
	}
	set := Alert{FiredAt: now.Add(-time.Hour), Severity: SeverityCritical, Detail: []byte(`{"a":1}`)}
	set.FillDefaults(now)
	if !set.FiredAt.Equal(now.Add(-time.Hour)) || set.Severity != SeverityCritical || string(set.Detail) != `{"a":1}` {
		t.Fatalf("set fields changed: %+v", set)
	}
}
