package alerts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// Scope says which SIMs a rule watches: every SIM (the zero value), the SIMs whose label
// matches a glob (path.Match syntax: *, ?, [a-z]), or a list of ICCIDs. Fleet-wide kinds
// (sync failing, stream silent, 1NCE errors) ignore it.
type Scope struct {
	Label  string   `json:"label,omitempty"`
	ICCIDs []string `json:"iccids,omitempty"`
}

// needsLabel reports whether matching needs the SIM's label.
func (s Scope) needsLabel() bool { return s.Label != "" }

// Matches reports whether the SIM is in scope; label is needed only when needsLabel.
func (s Scope) Matches(iccid, label string) bool {
	if len(s.ICCIDs) > 0 {
		found := false
		for _, v := range s.ICCIDs {
			if v == iccid {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if s.Label != "" {
		ok, _ := path.Match(s.Label, label)
		return ok
	}
	return true
}

// Action types a rule can take on the SIM it fires for, through the control plane.
const (
	ActionDisable = "disable"
	ActionTopUp   = "topup"
	ActionSMS     = "sms"
)

// Action is one automatic action of a rule.
type Action struct {
	Type string `json:"type"`
	// Text is the SMS payload (sms only).
	Text string `json:"text,omitempty"`
}

// Spec is a rule's params, parsed and checked for its kind. Params are stored as one JSON
// object: the kind's own fields beside "scope" and "actions".
type Spec struct {
	Kind    fleet.AlertKind `json:"-"`
	Scope   Scope           `json:"scope,omitzero"`
	Actions []Action        `json:"actions,omitempty"`

	// quota_below: the share left (0–100, any value) at or under which the rule fires.
	ThresholdPct *float64 `json:"threshold_pct,omitempty"`
	// quota_below: data (default) or sms.
	Quota string `json:"quota,omitempty"`
	// quota_forecast: the days of history the rate is taken over, and the horizon.
	Days       int     `json:"days,omitempty"`
	WithinDays float64 `json:"within_days,omitempty"`
	// no_session: hours without a data session or attach.
	Hours float64 `json:"hours,omitempty"`
	// status_changed: only changes to this status (e.g. Disabled); empty: any.
	To string `json:"to,omitempty"`
	// field_changed: imei, country or operator.
	Field string `json:"field,omitempty"`
	// usage_spike: the day's usage must exceed median + Factor·MAD·1.4826 of the previous
	// BaselineDays days, and MinBytes.
	Factor       float64 `json:"factor,omitempty"`
	BaselineDays int     `json:"baseline_days,omitempty"`
	MinBytes     int64   `json:"min_bytes,omitempty"`
	// sync_failing: the job to watch (empty: any) and the failed attempts before firing.
	Job      string `json:"job,omitempty"`
	Failures int    `json:"failures,omitempty"`
	// stream_silent: the stream (usage, events; empty: any).
	Stream string `json:"stream,omitempty"`
	// upstream_errors: the share of 1NCE answers that were errors or 429 (0–100) over
	// WindowMinutes, with at least MinRequests requests.
	ErrorPct      float64 `json:"error_pct,omitempty"`
	WindowMinutes int     `json:"window_minutes,omitempty"`
	MinRequests   int     `json:"min_requests,omitempty"`
}

// fleetWide reports whether the kind is about the whole fleet, not one SIM.
func fleetWide(k fleet.AlertKind) bool {
	switch k {
	case fleet.AlertSyncFailing, fleet.AlertStreamSilent, fleet.AlertUpstreamErrors:
		return true
	}
	return false
}

// Limits of the params.
const (
	maxScopeICCIDs = 10_000
	maxActions     = 3
	maxSMSText     = 160
)

// ParseSpec parses and validates a rule's params for its kind; errors are fleet.Invalid
// naming the field (a 400 with a stable code at the API). Unknown fields are refused, so a
// typo does not silently make a rule that never fires.
func ParseSpec(kind fleet.AlertKind, params json.RawMessage) (Spec, error) {
	var s Spec
	if !kind.Valid() {
		return s, fleet.Invalid("kind", "unknown alert kind %q", string(kind))
	}
	if len(bytes.TrimSpace(params)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(params))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return Spec{}, fleet.Invalid("params", "%s", cleanJSONError(err))
		}
		if dec.More() {
			return Spec{}, fleet.Invalid("params", "trailing data after the object")
		}
	}
	s.Kind = kind
	return s, s.validate()
}

func cleanJSONError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func (s *Spec) validate() error {
	if s.Scope.Label != "" {
		if len(s.Scope.Label) > 256 {
			return fleet.Invalid("params.scope.label", "longer than 256 characters")
		}
		if _, err := path.Match(s.Scope.Label, ""); err != nil {
			return fleet.Invalid("params.scope.label", "bad pattern: %v", err)
		}
	}
	if len(s.Scope.ICCIDs) > maxScopeICCIDs {
		return fleet.Invalid("params.scope.iccids", "at most %d ICCIDs", maxScopeICCIDs)
	}
	for i, v := range s.Scope.ICCIDs {
		if err := fleet.ValidateICCID(fmt.Sprintf("params.scope.iccids[%d]", i), v); err != nil {
			return err
		}
	}
	if len(s.Actions) > maxActions {
		return fleet.Invalid("params.actions", "at most %d actions", maxActions)
	}
	for i, a := range s.Actions {
		f := fmt.Sprintf("params.actions[%d]", i)
		switch a.Type {
		case ActionDisable, ActionTopUp:
			if a.Text != "" {
				return fleet.Invalid(f+".text", "only for sms actions")
			}
		case ActionSMS:
			if strings.TrimSpace(a.Text) == "" || len([]rune(a.Text)) > maxSMSText {
				return fleet.Invalid(f+".text", "must be 1 to %d characters", maxSMSText)
			}
		default:
			return fleet.Invalid(f+".type", "must be disable, topup or sms, got %q", a.Type)
		}
		if fleetWide(s.Kind) {
			return fleet.Invalid(f, "a %s rule is not about one SIM: it has no SIM to act on", s.Kind)
		}
	}
	switch s.Kind {
	case fleet.AlertQuotaBelow:
		if s.ThresholdPct == nil || !finite(*s.ThresholdPct) || *s.ThresholdPct < 0 || *s.ThresholdPct > 100 {
			return fleet.Invalid("params.threshold_pct", "must be a percentage from 0 to 100")
		}
		switch s.Quota {
		case "":
			s.Quota = string(fleet.QuotaData)
		case string(fleet.QuotaData), string(fleet.QuotaSMS):
		default:
			return fleet.Invalid("params.quota", "must be data or sms")
		}
	case fleet.AlertQuotaForecast:
		if s.Days == 0 {
			s.Days = 7
		}
		if s.Days < 1 || s.Days > 90 {
			return fleet.Invalid("params.days", "must be 1 to 90")
		}
		if !finite(s.WithinDays) || s.WithinDays <= 0 || s.WithinDays > 365 {
			return fleet.Invalid("params.within_days", "must be more than 0 and at most 365")
		}
	case fleet.AlertNoSession:
		if !finite(s.Hours) || s.Hours <= 0 || s.Hours > 24*90 {
			return fleet.Invalid("params.hours", "must be more than 0 and at most 2160")
		}
	case fleet.AlertSIMFieldChanged:
		switch s.Field {
		case "imei", "country", "operator":
		default:
			return fleet.Invalid("params.field", "must be imei, country or operator")
		}
	case fleet.AlertUsageSpike:
		if s.Factor == 0 {
			s.Factor = 5
		}
		if s.BaselineDays == 0 {
			s.BaselineDays = 14
		}
		if !finite(s.Factor) || s.Factor <= 0 || s.Factor > 1000 {
			return fleet.Invalid("params.factor", "must be more than 0 and at most 1000")
		}
		if s.BaselineDays < 3 || s.BaselineDays > 90 {
			return fleet.Invalid("params.baseline_days", "must be 3 to 90")
		}
		if s.MinBytes < 0 {
			return fleet.Invalid("params.min_bytes", "must not be negative")
		}
	case fleet.AlertSyncFailing:
		if s.Failures == 0 {
			s.Failures = 1
		}
		if s.Failures < 1 || s.Failures > 100 {
			return fleet.Invalid("params.failures", "must be 1 to 100")
		}
		if len(s.Job) > 64 {
			return fleet.Invalid("params.job", "longer than 64 characters")
		}
	case fleet.AlertStreamSilent:
		switch s.Stream {
		case "", "usage", "events":
		default:
			return fleet.Invalid("params.stream", "must be usage or events")
		}
	case fleet.AlertUpstreamErrors:
		if s.WindowMinutes == 0 {
			s.WindowMinutes = 5
		}
		if s.MinRequests == 0 {
			s.MinRequests = 20
		}
		if !finite(s.ErrorPct) || s.ErrorPct <= 0 || s.ErrorPct > 100 {
			return fleet.Invalid("params.error_pct", "must be more than 0 and at most 100")
		}
		if s.WindowMinutes < 1 || s.WindowMinutes > 60 {
			return fleet.Invalid("params.window_minutes", "must be 1 to 60")
		}
		if s.MinRequests < 1 {
			return fleet.Invalid("params.min_requests", "must be at least 1")
		}
	}
	if err := s.unusedFields(); err != nil {
		return err
	}
	return nil
}

// unusedFields refuses fields of another kind: they would be stored and silently ignored.
func (s *Spec) unusedFields() error {
	type use struct {
		set   bool
		name  string
		kinds []fleet.AlertKind
	}
	for _, u := range []use{
		{s.ThresholdPct != nil, "threshold_pct", []fleet.AlertKind{fleet.AlertQuotaBelow}},
		{s.Quota != "", "quota", []fleet.AlertKind{fleet.AlertQuotaBelow}},
		{s.Days != 0, "days", []fleet.AlertKind{fleet.AlertQuotaForecast}},
		{s.WithinDays != 0, "within_days", []fleet.AlertKind{fleet.AlertQuotaForecast}},
		{s.Hours != 0, "hours", []fleet.AlertKind{fleet.AlertNoSession}},
		{s.To != "", "to", []fleet.AlertKind{fleet.AlertStatusChanged}},
		{s.Field != "", "field", []fleet.AlertKind{fleet.AlertSIMFieldChanged}},
		{s.Factor != 0, "factor", []fleet.AlertKind{fleet.AlertUsageSpike}},
		{s.BaselineDays != 0, "baseline_days", []fleet.AlertKind{fleet.AlertUsageSpike}},
		{s.MinBytes != 0, "min_bytes", []fleet.AlertKind{fleet.AlertUsageSpike}},
		{s.Job != "", "job", []fleet.AlertKind{fleet.AlertSyncFailing}},
		{s.Failures != 0, "failures", []fleet.AlertKind{fleet.AlertSyncFailing}},
		{s.Stream != "", "stream", []fleet.AlertKind{fleet.AlertStreamSilent}},
		{s.ErrorPct != 0, "error_pct", []fleet.AlertKind{fleet.AlertUpstreamErrors}},
		{s.WindowMinutes != 0, "window_minutes", []fleet.AlertKind{fleet.AlertUpstreamErrors}},
		{s.MinRequests != 0, "min_requests", []fleet.AlertKind{fleet.AlertUpstreamErrors}},
	} {
		if !u.set {
			continue
		}
		ok := false
		for _, k := range u.kinds {
			ok = ok || k == s.Kind
		}
		if !ok {
			return fleet.Invalid("params."+u.name, "not a parameter of %s rules", s.Kind)
		}
	}
	return nil
}

// within is the forecast horizon as a duration.
func (s *Spec) within() time.Duration { return time.Duration(s.WithinDays * float64(24*time.Hour)) }
