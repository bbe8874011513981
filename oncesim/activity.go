package oncesim

import "time"

// ActivityKind says whether an Activity is metered usage or a SIM event.
type ActivityKind string

// Activity kinds, matching the two Data Streamer stream types.
const (
	ActivityUsage ActivityKind = "usage"
	ActivityEvent ActivityKind = "event"
)

// Activity is one thing that happened to a simulated SIM: usage metered or an event. The
// simulator reports every state change and every usage increment as an Activity to its
// subscribers; the Data Streamer emitter turns them into 1NCE stream records.
type Activity struct {
	Kind ActivityKind
	// ID is unique per simulator and increases monotonically; it becomes the record id.
	ID int64
	// At is when the event happened, or the end of the usage interval.
	At time.Time
	// Start is the beginning of the usage interval (usage only).
	Start time.Time

	SIMID     int64
	ICCID     string
	IMSI      string
	MSISDN    string
	IMEI      string
	IPAddress string
	Label     string

	// Usage: Traffic is "Data" or "SMS"; data volumes are bytes; SMS counts messages.
	Traffic  string
	RxBytes  int64
	TxBytes  int64
	SMSCount int
	Cost     float64

	// Event: EventType as 1NCE names it ("Update location", "Create PDP Context", "Delete PDP
	// Context", "SIM state change", "Threshold reached", "Quota exhausted", …).
	EventType   string
	EventSource string // Network | Policy Control | API | User
	Severity    string // INFO | WARN | CRITICAL
	Alert       bool
	Description string

	// Session names the data session of a usage interval or a PDP context event (Platform
	// 2.0's ipcan_session_id); empty when the activity belongs to none.
	Session string

	// Operator, Country, MCC and MNC name the network the device was on.
	Operator string
	Country  string
	MCC      string
	MNC      string
}
