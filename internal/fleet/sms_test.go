package fleet

import "testing"

func TestSMSValidate(t *testing.T) {
	if err := (SMS{ICCID: "a", ID: 1, Direction: SMSMobileOriginated}).Validate(); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]SMS{
		"id":        {ICCID: "a"},
		"direction": {ICCID: "a", ID: 1, Direction: "XX"},
		"payload":   {ICCID: "a", ID: 1, Payload: "\x00"},
		"iccid":     {ID: 1},
	} {
		if ErrorCode(m.Validate()) != CodeInvalid {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := (SMSFilter{}).Normalize(); ErrorCode(err) != CodeInvalid {
		t.Errorf("filter without iccid: %v", err)
	}
	got := DedupeSMS([]SMS{{ICCID: "a", ID: 1, Status: "x"}, {ICCID: "b", ID: 1}, {ICCID: "a", ID: 1, Status: "y"}})
	if len(got) != 2 || got[0].Status != "y" {
		t.Errorf("dedupe = %+v", got)
	}
}
