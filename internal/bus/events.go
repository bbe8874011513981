package bus

import "time"

// UsageRecorded says Data Streamer usage was added to a SIM's usage series for one day. The
// volumes are the increment just applied, not the day's total.
type UsageRecorded struct {
	ICCID                        string
	Day                          time.Time // midnight UTC
	RxBytes, TxBytes, TotalBytes int64
	SMSMO, SMSMT                 int64
}

// Kind implements Event.
func (UsageRecorded) Kind() string { return "usage_recorded" }

// SIMEvent is a 1NCE event record applied to the mirror (location update, PDP context created
// or deleted, SIM state change, threshold reached, …).
type SIMEvent struct {
	// RecordID is 1NCE's record id: consumers may deduplicate on it.
	RecordID    string
	ICCID       string
	At          time.Time
	Type        string
	Source      string
	Severity    string
	Alert       bool
	Description string
	// Online is set when the event tells the SIM's data session state.
	Online *bool
	// Country and Operator are set when the event tells where the SIM is attached.
	Country, Operator string
}

// Kind implements Event.
func (SIMEvent) Kind() string { return "sim_event" }

// StreamSilent says a Data Streamer stream type has received nothing for at least Silence.
type StreamSilent struct {
	Stream         string
	LastReceivedAt time.Time
	Silence        time.Duration
}

// Kind implements Event.
func (StreamSilent) Kind() string { return "stream_silent" }

// StreamResumed says a stream reported silent receives records again.
type StreamResumed struct {
	Stream         string
	LastReceivedAt time.Time
}

// Kind implements Event.
func (StreamResumed) Kind() string { return "stream_resumed" }

// SIMChanged says a tracked field of a mirrored SIM changed (status, ip_address, imei, label,
// imsi), or its presence (field "gone": "present" → "gone" when 1NCE no longer lists it, the
// reverse when it does again). The fleet sync reports what it finds changed at 1NCE; the
// control plane reports the status and label changes it makes itself (By set), which the
// sync cannot see afterwards because the mirror already holds them. New SIMs are not
// reported one by one: a first sync would publish the whole fleet.
type SIMChanged struct {
	ICCID string
	Field string
	Old   string
	New   string
	At    time.Time
	// By is who made the change through oncefleet (a user, key or rule id, as in the audit
	// log); empty when the sync found it.
	By string
}

// Kind implements Event.
func (SIMChanged) Kind() string { return "sim_changed" }

// SyncFailed says a run of a background job failed (1NCE unreachable, the database down, …).
// Final is true when River will not retry this run any more; the next scheduled run still
// comes. Alerts raise "sync failing" from it (SPEC §8).
type SyncFailed struct {
	Job     string
	Attempt int
	Final   bool
	Error   string
	At      time.Time
}

// Kind implements Event.
func (SyncFailed) Kind() string { return "sync_failed" }

// JobSucceeded says a run of a background job finished without failing: alerts resolve "sync
// failing" with it.
type JobSucceeded struct {
	Job string
	At  time.Time
}

// Kind implements Event.
func (JobSucceeded) Kind() string { return "job_succeeded" }

// QuotaThresholdCrossed says a quota check found a SIM's data or SMS quota crossed one of its
// thresholds (percent left) since the previous check: Direction "down" when the share left fell
// to or below Threshold, "up" when it rose above it again (a top-up). It is published once per
// crossing; crossing several thresholds at once publishes one event each.
type QuotaThresholdCrossed struct {
	ICCID string
	// Quota is data or sms.
	Quota        string
	RemainingPct float64
	Threshold    int
	Direction    string // down | up
	At           time.Time
}

// Kind implements Event.
func (QuotaThresholdCrossed) Kind() string { return "quota_threshold_crossed" }

// QuotaObserved says a SIM's data or SMS quota was read from 1NCE (a quota check or a fresh
// read): the alert engine judges "quota below any %" rules on every reading, not only on the
// fleet's fixed thresholds.
type QuotaObserved struct {
	ICCID string
	// Quota is data or sms.
	Quota        string
	RemainingPct float64
	At           time.Time
}

// Kind implements Event.
func (QuotaObserved) Kind() string { return "quota_observed" }

// Directions of QuotaThresholdCrossed.
const (
	CrossedDown = "down"
	CrossedUp   = "up"
)

// ConnectivityLost says a connectivity snapshot found a SIM not connected whose previous
// observation said it was. Since is when it was last seen connected.
type ConnectivityLost struct {
	ICCID string
	Since time.Time
	At    time.Time
}

// Kind implements Event.
func (ConnectivityLost) Kind() string { return "connectivity_lost" }

// ConnectivityRestored says a connectivity snapshot found a SIM connected again.
type ConnectivityRestored struct {
	ICCID string
	At    time.Time
}

// Kind implements Event.
func (ConnectivityRestored) Kind() string { return "connectivity_restored" }

// BulkProgress says a bulk job moved: an item finished, or the job started, ended or was
// cancelled. The dashboard streams it to whoever watches the job.
type BulkProgress struct {
	ID        string
	JobKind   string // topup | update | configure
	State     string
	Total     int
	Succeeded int
	Failed    int
}

// Kind implements Event.
func (BulkProgress) Kind() string { return "bulk_progress" }
