// Package record holds the types the Data Streamer receiver and the storage backends exchange:
// raw records as acknowledged, records waiting to be applied, and the plan of effects applying
// them has on the fleet mirror. It has no logic of its own so both store packages can import it
// without importing the receiver.
package record

import (
	"context"
	"time"
)

// Stream is a Data Streamer stream type.
type Stream string

// The two stream types 1NCE sends; "both" streams carry a mix, told apart per record.
const (
	StreamUsage Stream = "usage"
	StreamEvent Stream = "event"
)

// Raw is one record as received: its stream, 1NCE's id (as text, so 64-bit ids keep every digit)
// and the record's JSON as sent, but for the one escape rewrite streamer.ParseBatch describes.
type Raw struct {
	Stream  Stream
	ID      string
	Payload []byte
}

// Counts holds a number per stream type.
type Counts struct {
	Usage int
	Event int
}

// Add increments the count of stream s by n.
func (c *Counts) Add(s Stream, n int) {
	switch s {
	case StreamUsage:
		c.Usage += n
	case StreamEvent:
		c.Event += n
	}
}

// Get returns the count of stream s.
func (c Counts) Get(s Stream) int {
	switch s {
	case StreamUsage:
		return c.Usage
	case StreamEvent:
		return c.Event
	}
	return 0
}

// Total is the sum over streams.
func (c Counts) Total() int { return c.Usage + c.Event }

// SaveResult says what a durable batch write did: records new to the store, and records whose
// (stream, id) was already stored or repeated within the batch.
type SaveResult struct {
	Inserted   Counts
	Duplicates Counts
}

// Pending is a stored record not yet applied, as claimed by an applier.
type Pending struct {
	Stream     Stream
	ID         string
	ReceivedAt time.Time
	Payload    []byte
}

// Planner turns claimed records into the effects applying them has. It runs inside the
// store's transaction, so it must not do I/O; an error rolls the whole claim back.
type Planner func(ctx context.Context, recs []Pending) (Plan, error)

// Plan is every write that applying a set of records makes. Stores write it in the transaction
// that marks the records applied, which is what makes applying exactly-once.
type Plan struct {
	Daily        []DailyUsage
	Hourly       []HourlyUsage
	Events       []Event
	SIMs         []SIMSeen
	Connectivity []Connectivity
	Health       []Health
	// Outbox holds the notifications to publish once the plan is committed; stores write them
	// in the same transaction (see Outbox).
	Outbox []Outbox
}

// Outbox is one notification waiting to be published: Kind names its type and Payload is its
// JSON. ID is assigned by the store when written.
type Outbox struct {
	ID      int64
	Kind    string
	Payload []byte
}

// DailyUsage adds to sim_usage for one SIM and UTC day (one entry per key in a plan).
type DailyUsage struct {
	ICCID                        string
	Day                          time.Time // midnight UTC
	RxBytes, TxBytes, TotalBytes int64
	SMSMO, SMSMT                 int64
	// CostE10 is the cost in units of 1e-10 of the currency: 1NCE sends up to 10 decimal
	// places, and integer units add up without float drift.
	CostE10 int64
}

// HourlyUsage adds to sim_usage_hourly for one SIM and UTC hour (one entry per key in a plan).
type HourlyUsage struct {
	ICCID                        string
	Hour                         time.Time // start of the hour, UTC
	RxBytes, TxBytes, TotalBytes int64
	SMSMO, SMSMT                 int64
	Records                      int64
}

// Event is one sim_events row; ExternalID ("stream:"+record id) makes inserting it idempotent.
type Event struct {
	ExternalID  string
	ICCID       string
	At          time.Time
	Type        string
	Source      string
	Severity    string
	Alert       bool
	Description string
	Country     string
	Operator    string
	Detail      []byte // JSON object; nil stores {}
}

// SIMSeen is the newest observation of one SIM in a plan (one entry per ICCID). Stores apply it
// only when At is not older than the SIM's last_seen_at, so late records never move it back.
type SIMSeen struct {
	ICCID     string
	At        time.Time
	IMEI      string // empty: keep the stored value
	IPAddress string // empty: keep the stored value
	// Organization is the 1NCE organisation id (empty: keep the stored value). The Data
	// Streamer is the only source: 1NCE's SIM lists do not carry it.
	Organization string
	// Online is set only by records that tell (PDP context created or deleted).
	Online *bool
}

// Connectivity is one sim_connectivity snapshot derived from a location or PDP event.
type Connectivity struct {
	ICCID     string
	At        time.Time
	Connected bool
	RAT       string
	Country   string
	Operator  string
	CellID    string
}

// Health advances one stream's health row: times only move forward, Applied adds.
type Health struct {
	Stream         Stream
	LastRecordAt   time.Time
	LastReceivedAt time.Time
	Applied        int64
}

// Applied is what one claim-and-apply round did.
type Applied struct {
	// Records is how many records were claimed and applied (0: nothing was pending).
	Records int
	// OldestReceived is the earliest receipt time among them: now minus it is the apply lag.
	OldestReceived time.Time
	// Plan is what was written, with Outbox IDs filled in, for publishing after the commit.
	Plan Plan
}

// OutboxHandler publishes claimed outbox entries; an error keeps them for a later attempt.
type OutboxHandler func(ctx context.Context, entries []Outbox) error

// StreamHealth is the stored health of one stream type.
type StreamHealth struct {
	Stream         Stream
	LastRecordAt   time.Time
	LastReceivedAt time.Time
	Applied        int64
}

// Backlog describes records stored but not yet applied.
type Backlog struct {
	Pending        int64
	OldestReceived time.Time // zero when nothing is pending
}
