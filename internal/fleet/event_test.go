package fleet

import (
	"encoding/json"
	"testing"
	"time"
)

func TestEventValidate(t *testing.T) {
	ok := Event{ICCID: "a", OccurredAt: time.Now(), Type: "PDP Context", Detail: json.RawMessage(`{"x":1}`)}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Event){
		"no time":      func(e *Event) { e.OccurredAt = time.Time{} },
		"no type":      func(e *Event) { e.Type = "" },
		"array detail": func(e *Event) { e.Detail = json.RawMessage(`[1]`) },
		"NUL":          func(e *Event) { e.Description = "\x00" },
		"iccid":        func(e *Event) { e.ICCID = "" },
	} {
		e := ok
		mut(&e)
		if ErrorCode(e.Validate()) != CodeInvalid {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEventFilterNormalize(t *testing.T) {
	now := time.Now()
	got, err := EventFilter{ICCID: "a"}.Normalize()
	if err != nil || got.Page != 1 || got.PageSize != DefaultPageSize {
		t.Errorf("defaults = %+v %v", got, err)
	}
	for name, f := range map[string]EventFilter{
		"no iccid":     {},
		"empty window": {ICCID: "a", Since: now, Until: now},
		"reversed":     {ICCID: "a", Since: now, Until: now.Add(-time.Second)},
		"page size":    {ICCID: "a", PageSize: MaxPageSize + 1},
		"bad type":     {ICCID: "a", Type: "\xff"},
	} {
		if _, err := f.Normalize(); ErrorCode(err) != CodeInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
}
