package fleet

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestTopUpStateMachine(t *testing.T) {
	all := []TopUpState{TopUpPending, TopUpSent, TopUpFailed, TopUpUnknown}
	allowed := map[[2]TopUpState]bool{
		{TopUpPending, TopUpSent}: true, {TopUpPending, TopUpFailed}: true, {TopUpPending, TopUpUnknown}: true,
		{TopUpUnknown, TopUpSent}: true, {TopUpUnknown, TopUpFailed}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := from.CanMoveTo(to); got != allowed[[2]TopUpState{from, to}] {
				t.Errorf("%s → %s: %v", from, to, got)
			}
		}
	}
	if got := TopUpSourcesFrom(TopUpSent); !slices.Equal(got, []TopUpState{TopUpPending, TopUpUnknown}) {
		t.Errorf("sources of sent: %v", got)
	}
	if got := TopUpSourcesFrom(TopUpPending); len(got) != 0 {
		t.Errorf("nothing moves back to pending: %v", got)
	}
	if TopUpState("lost").Valid() {
		t.Error("unknown state valid")
	}
}

func TestMonthRange(t *testing.T) {
	cases := []struct {
		in         time.Time
		start, end string
	}{
		{time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC), "2026-01-01", "2026-02-01"},
		{time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "2026-12-01", "2027-01-01"},
		// 00:30 on 1 March in UTC+2 is still February in UTC: months are UTC months.
		{time.Date(2026, 3, 1, 0, 30, 0, 0, time.FixedZone("EET", 2*3600)), "2026-02-01", "2026-03-01"},
	}
	for _, tc := range cases {
		s, e := MonthRange(tc.in)
		if s.Format(time.DateOnly) != tc.start || e.Format(time.DateOnly) != tc.end || s.Location() != time.UTC {
			t.Errorf("MonthRange(%v) = %v, %v", tc.in, s, e)
		}
	}
}

func TestTopUpValidate(t *testing.T) {
	ok := TopUp{ICCID: "1", IdempotencyKey: "k", Reason: TopUpAuto}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []TopUp{{IdempotencyKey: "k", Reason: TopUpAuto}, {ICCID: "1", Reason: TopUpAuto}, {ICCID: "1", IdempotencyKey: "k"}} {
		if ErrorCode(bad.Validate()) != CodeInvalid {
			t.Errorf("%+v accepted", bad)
		}
	}
	for _, p := range []TopUpPolicy{{ICCID: "*", ThresholdPct: 101}, {ICCID: "*", MaxPerMonth: -1}, {ThresholdPct: 1}} {
		if ErrorCode(p.Validate()) != CodeInvalid {
			t.Errorf("policy %+v accepted", p)
		}
	}
}

func TestValidateTopUpMark(t *testing.T) {
	for _, st := range []TopUpState{TopUpSent, TopUpFailed, TopUpUnknown} {
		if err := ValidateTopUpMark(st); err != nil {
			t.Errorf("ValidateTopUpMark(%q) = %v", st, err)
		}
	}
	for _, st := range []TopUpState{TopUpPending, "", "done"} {
		if err := ValidateTopUpMark(st); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateTopUpMark(%q) = %v, want ErrInvalid", st, err)
		}
	}
}
