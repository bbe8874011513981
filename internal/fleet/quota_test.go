package fleet

import "testing"

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
