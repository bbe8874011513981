package fleet

import (
	"path"
	"strings"
	"time"
)

// TopUpPolicy is the local auto top-up policy of one SIM, of the SIMs whose label matches a
// pattern (ICCID is LabelScope(pattern)), or of the fleet (ICCID is FleetDefault). 1NCE's
// auto-reload is switched separately; this bounds what oncefleet spends. A SIM's own policy
// wins over a label policy, which wins over the fleet default.
type TopUpPolicy struct {
	ICCID        string
	Enabled      bool
	ThresholdPct int // top up when remaining data falls below this % of the total
	MaxPerMonth  int // at most this many automatic top-ups per SIM and calendar month (UTC)
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// FleetDefault is the ICCID of the policy that applies to SIMs without one of their own.
const FleetDefault = "*"

// labelScopePrefix starts the ICCID field of a label-pattern policy.
const labelScopePrefix = "label:"

// LabelScope is the ICCID field of the policy for SIMs whose label matches pattern (a glob:
// '*' any text, '?' one character, [abc] a class; matching ignores case).
func LabelScope(pattern string) string { return labelScopePrefix + pattern }

// LabelPattern returns the label pattern of a label policy, and false for any other policy.
func (p *TopUpPolicy) LabelPattern() (string, bool) {
	return strings.CutPrefix(p.ICCID, labelScopePrefix)
}

// MatchLabel reports whether label matches a label policy's pattern (ignoring case).
func MatchLabel(pattern, label string) bool {
	ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(label))
	return err == nil && ok
}

// Validate checks a policy before it is stored.
func (p *TopUpPolicy) Validate() error {
	if strings.TrimSpace(p.ICCID) == "" {
		return Invalid("iccid", "must not be empty")
	}
	if pat, ok := p.LabelPattern(); ok {
		if pat == "" || len(pat) > 256 {
			return Invalid("label_pattern", "must have 1 to 256 characters")
		}
		if _, err := path.Match(pat, ""); err != nil {
			return Invalid("label_pattern", "is not a valid pattern (use * ? and [..])")
		}
	}
	if p.ThresholdPct < 0 || p.ThresholdPct > 100 {
		return Invalid("threshold_pct", "must be between 0 and 100")
	}
	if p.MaxPerMonth < 0 {
		return Invalid("max_per_month", "must not be negative")
	}
	return nil
}

// TopUpState is where a top-up is in its life. pending → sent | failed | unknown, and an
// unknown one (the call to 1NCE timed out: it may or may not have been booked) is settled to
// sent or failed once a quota check tells.
type TopUpState string

// The top-up states.
const (
	TopUpPending TopUpState = "pending"
	TopUpSent    TopUpState = "sent"
	TopUpFailed  TopUpState = "failed"
	TopUpUnknown TopUpState = "unknown"
)

// Valid reports whether s is a known state.
func (s TopUpState) Valid() bool {
	switch s {
	case TopUpPending, TopUpSent, TopUpFailed, TopUpUnknown:
		return true
	}
	return false
}

// CanMoveTo reports whether a top-up in state s may move to next.
func (s TopUpState) CanMoveTo(next TopUpState) bool {
	switch s {
	case TopUpPending:
		return next == TopUpSent || next == TopUpFailed || next == TopUpUnknown
	case TopUpUnknown:
		return next == TopUpSent || next == TopUpFailed
	}
	return false
}

// ValidateTopUpMark reports a state no top-up can be marked with: an unknown one, or pending,
// where every top-up starts and none returns to.
func ValidateTopUpMark(state TopUpState) error {
	if !state.Valid() || state == TopUpPending {
		return Invalid("state", "cannot mark a top-up %q", string(state))
	}
	return nil
}

// TopUpSourcesFrom lists the states from which a top-up may move to next.
func TopUpSourcesFrom(next TopUpState) []TopUpState {
	var out []TopUpState
	for _, s := range []TopUpState{TopUpPending, TopUpSent, TopUpFailed, TopUpUnknown} {
		if s.CanMoveTo(next) {
			out = append(out, s)
		}
	}
	return out
}

// TopUpReason says who asked for a top-up.
type TopUpReason string

// The top-up reasons.
const (
	TopUpManual TopUpReason = "manual"
	TopUpBulk   TopUpReason = "bulk"
	TopUpAuto   TopUpReason = "auto"
)

// TopUp is one money-costing top-up request. The idempotency key is reserved before 1NCE is
// called, so a retry, a second replica or a double click never books it twice.
type TopUp struct {
	ID             int64
	ICCID          string
	IdempotencyKey string
	Reason         TopUpReason
	JobID          string
	State          TopUpState
	Error          string
	RequestedBy    string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Validate checks a top-up before it is reserved.
func (t *TopUp) Validate() error {
	if strings.TrimSpace(t.ICCID) == "" {
		return Invalid("iccid", "must not be empty")
	}
	if strings.TrimSpace(t.IdempotencyKey) == "" {
		return Invalid("idempotency_key", "must not be empty")
	}
	switch t.Reason {
	case TopUpManual, TopUpBulk, TopUpAuto:
	default:
		return Invalid("reason", "must be manual, bulk or auto")
	}
	return nil
}

// TopUpFilter selects top-ups; zero fields do not filter. Results are newest first.
type TopUpFilter struct {
	ICCID  string
	JobID  string
	State  TopUpState
	Limit  int
	Offset int
}

// MonthRange returns the calendar month (UTC) that contains t as [start, end).
func MonthRange(t time.Time) (start, end time.Time) {
	t = t.UTC()
	start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 1, 0)
}
