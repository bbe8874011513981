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
