package fleet

import (
	"encoding/json"
	"strings"
	"time"
)

// AlertKind is what an alert rule watches (SPEC §8).
type AlertKind string

// The alert rule kinds; the names are stored and appear in the API.
const (
	AlertQuotaBelow       AlertKind = "quota_below"       // remaining quota below a threshold %
	AlertConnectivityLost AlertKind = "connectivity_lost" // no connection for N minutes
	AlertStatusChanged    AlertKind = "status_changed"    // SIM status changed
	AlertUsageSpike       AlertKind = "usage_spike"       // usage well above the SIM's own baseline
	AlertSyncFailing      AlertKind = "sync_failing"      // a sync job keeps failing
	AlertUpstreamErrors   AlertKind = "upstream_errors"   // 1NCE error rate above a threshold
	AlertStreamSilent     AlertKind = "stream_silent"     // the Data Streamer stopped sending
	AlertQuotaForecast    AlertKind = "quota_forecast"    // at its recent rate the SIM runs out within D days
	AlertNoSession        AlertKind = "no_session"        // no data session or attach for N hours
	AlertSIMFieldChanged  AlertKind = "field_changed"     // IMEI, country or operator changed
)

// AlertKinds lists every kind, in the order the API documents them.
var AlertKinds = []AlertKind{AlertQuotaBelow, AlertConnectivityLost, AlertStatusChanged,
	AlertUsageSpike, AlertSyncFailing, AlertUpstreamErrors, AlertStreamSilent, AlertQuotaForecast, AlertNoSession,
	AlertSIMFieldChanged}

// Valid reports whether k is a known kind.
func (k AlertKind) Valid() bool {
	for _, v := range AlertKinds {
		if k == v {
			return true
		}
	}
	return false
}

// AlertRule says when to raise an alert and where to send it.
type AlertRule struct {
	ID       string
	Name     string
	Kind     AlertKind
	Params   json.RawMessage // kind-specific, e.g. {"threshold_pct":20}, with "scope" and "actions" (alerts.ParseSpec)
	Channels json.RawMessage // the alert channel IDs messages go to: ["<id>", …]
	Cooldown time.Duration   // no second alert for the same rule and SIM within this window
	Enabled  bool
	Created  time.Time
	Updated  time.Time
}

// Validate checks a rule before it is stored.
func (r *AlertRule) Validate() error {
	if strings.TrimSpace(r.Name) == "" {
		return Invalid("name", "must not be empty")
	}
	if !r.Kind.Valid() {
		return Invalid("kind", "unknown alert kind %q", string(r.Kind))
	}
	if r.Cooldown < 0 {
		return Invalid("cooldown", "must not be negative")
	}
	if err := validJSON("params", r.Params); err != nil {
		return err
	}
	if len(r.Params) > 0 {
		var m map[string]any
		if json.Unmarshal(r.Params, &m) != nil {
			return Invalid("params", "must be a JSON object")
		}
	}
	if err := validJSON("channels", r.Channels); err != nil {
		return err
	}
	if len(r.Channels) > 0 {
		var a []json.RawMessage
		if json.Unmarshal(r.Channels, &a) != nil {
			return Invalid("channels", "must be a JSON array")
		}
	}
	return nil
}

// AlertDedupKey is the key alerts are deduplicated on: one rule, one SIM (or the fleet when
// iccid is empty).
func AlertDedupKey(ruleID, iccid string) string {
	if iccid == "" {
		iccid = "*"
	}
	return ruleID + "/" + iccid
}

// Severity of an alert.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// Alert is one raised alert, kept as history.
type Alert struct {
	ID             int64
	RuleID         string // empty when the rule was deleted or the alert is built in
	Kind           AlertKind
	ICCID          string
	DedupKey       string
	Severity       string
	Message        string
	Detail         json.RawMessage
	FiredAt        time.Time
	ResolvedAt     *time.Time
	AcknowledgedAt *time.Time
	AcknowledgedBy string
	// ResolvedBy is who resolved it by hand; empty when its condition cleared.
	ResolvedBy string
}

// Validate checks an alert before it is stored.
func (a *Alert) Validate() error {
	if !a.Kind.Valid() {
		return Invalid("kind", "unknown alert kind %q", string(a.Kind))
	}
	if a.DedupKey == "" {
		return Invalid("dedup_key", "must not be empty")
	}
	switch a.Severity {
	case "", SeverityInfo, SeverityWarning, SeverityCritical:
	default:
		return Invalid("severity", "must be info, warning or critical")
	}
	return validJSON("detail", a.Detail)
}

// FillDefaults sets what a new alert may leave unset, as every store records it: FiredAt
// (now), Severity (warning) and Detail (an empty object).
func (a *Alert) FillDefaults(now time.Time) {
	if a.FiredAt.IsZero() {
		a.FiredAt = now
	}
	if a.Severity == "" {
		a.Severity = SeverityWarning
	}
	a.Detail = JSONOr(a.Detail, "{}")
}

// Acknowledge marks the alert seen by who at at; acknowledging twice keeps the first.
func (a *Alert) Acknowledge(who string, at time.Time) {
	if a.AcknowledgedAt != nil {
		return
	}
	a.AcknowledgedAt = &at
	a.AcknowledgedBy = who
}

// AlertStates returns the names of the alert history's state filters, as the API and the
// dashboard take them (see AlertFilter.SetState).
func AlertStates() []string { return []string{"open", "unacknowledged", "acknowledged", "resolved"} }

// SetState sets the filter's state fields from one of AlertStates; "" leaves them unset.
func (f *AlertFilter) SetState(state string) error {
	switch state {
	case "":
	case "open":
		f.OpenOnly = true
	case "unacknowledged":
		f.OpenOnly, f.Unacknowledged = true, true
	case "acknowledged":
		f.OpenOnly, f.Acknowledged = true, true
	case "resolved":
		f.ResolvedOnly = true
	default:
		return Invalid("state", "use open, unacknowledged, acknowledged or resolved")
	}
	return nil
}

// AlertFilter selects alerts; zero fields do not filter. Results are newest first.
type AlertFilter struct {
	RuleID         string
	ICCID          string
	Kind           AlertKind
	OpenOnly       bool // not resolved
	Unacknowledged bool
	ResolvedOnly   bool
	Acknowledged   bool      // acknowledged (with OpenOnly: acknowledged and still open)
	Since          time.Time // inclusive, on fired_at
	Until          time.Time // exclusive
	Limit          int
	Offset         int
}
