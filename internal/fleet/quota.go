package fleet

import "time"

// QuotaKind is the kind of a SIM quota.
type QuotaKind string

// Quota kinds.
const (
	QuotaData QuotaKind = "data" // volumes in bytes
	QuotaSMS  QuotaKind = "sms"  // volumes in messages
)

// Valid reports whether k is a known kind.
func (k QuotaKind) Valid() bool { return k == QuotaData || k == QuotaSMS }

// Validate reports an unknown kind as invalid input.
func (k QuotaKind) Validate() error {
	if !k.Valid() {
		return Invalid("kind", "unknown quota kind %q", k)
	}
	return nil
}

// ValidateQuotasBelow checks the arguments of a stores' QuotasBelow query: a known kind and a
// percentage threshold.
func ValidateQuotasBelow(kind QuotaKind, pct float64) error {
	if err := kind.Validate(); err != nil {
		return err
	}
	if pct < 0 || pct > 100 {
		return Invalid("threshold", "must be between 0 and 100")
	}
	return nil
}

// Quota is a SIM's data or SMS quota as 1NCE last reported it (the sim_quotas table).
type Quota struct {
	ICCID string    `json:"iccid"`
	Kind  QuotaKind `json:"kind"`
	// Volume is what is left; TotalVolume is the lifetime total (bytes or messages).
	Volume          int64  `json:"volume"`
	TotalVolume     int64  `json:"total_volume"`
	LastVolumeAdded int64  `json:"last_volume_added"`
	Status          string `json:"status,omitempty"`
	// ThresholdPct is 1NCE's notification threshold; nil when 1NCE did not report one.
	ThresholdPct         *int      `json:"threshold_percentage,omitempty"`
	ExpiryDate           time.Time `json:"expiry_date,omitzero"`
	PeakThroughput       *int64    `json:"peak_throughput,omitempty"` // bit/s, data only
	AutoReload           bool      `json:"auto_reload"`
	LastStatusChangeDate time.Time `json:"last_status_change_date,omitzero"`
	UpdatedAt            time.Time `json:"updated_at"`
}

// RemainingPct is the share of TotalVolume still left, 0–100; 0 when TotalVolume is 0.
func (q Quota) RemainingPct() float64 {
	if q.TotalVolume <= 0 {
		return 0
	}
	return float64(q.Volume) * 100 / float64(q.TotalVolume)
}

// Validate checks the quota can be stored.
func (q Quota) Validate() error {
	if err := ValidateICCID("iccid", q.ICCID); err != nil {
		return err
	}
	if !q.Kind.Valid() {
		return Invalid("kind", "must be %q or %q", QuotaData, QuotaSMS)
	}
	if q.Volume < 0 || q.TotalVolume < 0 || q.LastVolumeAdded < 0 {
		return Invalid("volume", "must not be negative")
	}
	if q.ThresholdPct != nil && (*q.ThresholdPct < 0 || *q.ThresholdPct > 100) {
		return Invalid("threshold_percentage", "must be between 0 and 100")
	}
	if err := validTime("expiry_date", q.ExpiryDate); err != nil {
		return err
	}
	if err := validTime("last_status_change_date", q.LastStatusChangeDate); err != nil {
		return err
	}
	return validText("status", q.Status)
}

// DedupeQuotas keeps the last quota for each ICCID and kind, in first-seen order.
func DedupeQuotas(qs []Quota) []Quota {
	type key struct {
		iccid string
		kind  QuotaKind
	}
	return dedupeLast(qs, func(q Quota) key { return key{q.ICCID, q.Kind} })
}
