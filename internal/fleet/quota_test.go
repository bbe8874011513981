package fleet

import (
	"errors"
	"testing"
)

func TestQuota(t *testing.T) {
	q := Quota{ICCID: "a", Kind: QuotaData, Volume: 25, TotalVolume: 200}
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	if p := q.RemainingPct(); p != 12.5 {
		t.Errorf("remaining = %v", p)
	}
	if p := (Quota{Volume: 5}).RemainingPct(); p != 0 {
		t.Errorf("remaining without total = %v", p)
	}
	over := 101
	for name, bad := range map[string]Quota{
		"kind":      {ICCID: "a", Kind: "voice"},
		"negative":  {ICCID: "a", Kind: QuotaSMS, Volume: -1},
		"threshold": {ICCID: "a", Kind: QuotaSMS, ThresholdPct: &over},
		"iccid":     {Kind: QuotaSMS},
		"status":    {ICCID: "a", Kind: QuotaSMS, Status: "\xff"},
	} {
		if ErrorCode(bad.Validate()) != CodeInvalid {
			t.Errorf("%s: accepted", name)
		}
	}
	got := DedupeQuotas([]Quota{{ICCID: "a", Kind: QuotaData, Volume: 1}, {ICCID: "a", Kind: QuotaSMS}, {ICCID: "a", Kind: QuotaData, Volume: 2}})
	if len(got) != 2 || got[0].Volume != 2 || got[1].Kind != QuotaSMS {
		t.Errorf("dedupe = %+v", got)
	}
}

func TestValidateQuotasBelow(t *testing.T) {
	for _, tc := range []struct {
		kind QuotaKind
		pct  float64
		ok   bool
	}{
		{QuotaData, 0, true}, {QuotaSMS, 100, true}, {QuotaData, 20.5, true},
		{"", 20, false}, {"voice", 20, false}, {QuotaData, -1, false}, {QuotaSMS, 100.1, false},
	} {
		err := ValidateQuotasBelow(tc.kind, tc.pct)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("ValidateQuotasBelow(%q, %v) = %v, want ok %v", tc.kind, tc.pct, err, tc.ok)
		}
	}
}
