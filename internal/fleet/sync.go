package fleet

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SIM fields whose change the fleet sync reports (SPEC §7: status, IP, IMEI, label, IMSI).
const (
	FieldStatus    = "status"
	FieldIPAddress = "ip_address"
	FieldIMEI      = "imei"
	FieldLabel     = "label"
	FieldIMSI      = "imsi"
	// FieldGone is a SIM's presence at 1NCE: Old/New are "present" or "gone".
	FieldGone = "gone"
)

// SIMChange is one field of a mirrored SIM that a sync found changed at 1NCE.
type SIMChange struct {
	ICCID string `json:"iccid"`
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// SIMSyncResult is what one SyncSIMs call wrote: how many SIMs were new to the mirror, and
// the tracked fields that changed on SIMs it already held (a SIM that was marked gone and is
// listed again reports FieldGone gone → present).
type SIMSyncResult struct {
	New     int
	Changes []SIMChange
}

// UsageGapQuery selects SIMs whose daily usage the gap-fill should read from 1NCE.
type UsageGapQuery struct {
	// SettledThrough is the last day 1NCE will no longer change: a SIM whose usage is final
	// only up to an earlier day needs a read.
	SettledThrough time.Time
	// StreamerSince starts the window in which streamer data (hourly rows) counts: SIMs with
	// none since then also need their open days read.
	StreamerSince time.Time
	// RefreshBefore: open days of a SIM without streamer data are read again only when its
	// last read is older than this.
	RefreshBefore time.Time
	// NearQuotaPct marks a SIM near its quota: data quota left below this share of the total,
	// or 1NCE's own indicator on the SIM at "less than 20 %" or worse.
	NearQuotaPct float64
	Limit        int
}

// UsageGap is one SIM the gap-fill should read, with what decides its order and range.
type UsageGap struct {
	ICCID          string
	ActivationDate time.Time // zero: unknown
	// FinalThrough is the last day whose usage is final in the mirror (zero: none).
	FinalThrough time.Time
	CheckedAt    time.Time // last read (zero: never)
	HasStreamer  bool
	NearQuota    bool
}

// UsageFetch is the result of reading one SIM's usage from 1NCE: the rows to store and how far
// the SIM's usage is now final.
type UsageFetch struct {
	ICCID        string
	Rows         []Usage
	FinalThrough time.Time
	CheckedAt    time.Time
}

// QuotaCheckQuery selects SIMs for a quota check.
type QuotaCheckQuery struct {
	// AtRiskPct marks a SIM at risk: a stored data or SMS quota below this share of its total,
	// 1NCE's indicator on the SIM at "less than 20 %" or worse, or a quota expiring before
	// ExpiringBefore.
	AtRiskPct      float64
	ExpiringBefore time.Time
	// CheckedBefore excludes SIMs checked at or after it (they were just checked).
	CheckedBefore time.Time
	Limit         int
}

// QuotaCandidate is a SIM to check, at-risk ones first.
type QuotaCandidate struct {
	ICCID  string
	AtRisk bool
}

// QuotaObservation is a quota just stored by ObserveQuotas, with the share left at the
// previous observation: a threshold lies between the two exactly when it was crossed.
type QuotaObservation struct {
	ICCID string
	Kind  QuotaKind
	// PrevPct is the share left at the previous observation; nil for the first one.
	PrevPct *float64
	Pct     float64
	// Thresholds are the SIM's own thresholds for this kind; nil means the fleet default.
	Thresholds []int
}

// ConnectivityCandidate is a SIM whose connectivity the snapshot job reads, with its latest
// stored observation (nil: none), which decides whether the new one is a transition.
type ConnectivityCandidate struct {
	ICCID string
	Last  *Connectivity
}

// ParseThresholds reads a comma-separated list of percentages ("20,10,0") into a sorted,
// de-duplicated list; empty text is no thresholds.
func ParseThresholds(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 100 {
			return nil, Invalid("thresholds", "want percentages 0–100 separated by commas, got %q", f)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// FormatThresholds is the stored text of a threshold list ParseThresholds reads back.
func FormatThresholds(ts []int) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = strconv.Itoa(t)
	}
	return strings.Join(parts, ",")
}

// ValidateThresholds checks a threshold list before it is stored.
func ValidateThresholds(ts []int) error {
	for _, t := range ts {
		if t < 0 || t > 100 {
			return Invalid("thresholds", "%s: each must be between 0 and 100", fmt.Sprint(ts))
		}
	}
	return nil
}
