package once

import (
	"encoding/json"
	"time"
)

// The domain model: one shape for SIMs, quotas, SMS, events, usage and connectivity whatever
// API generation answered, in the units oncefleet stores. Data volumes are int64 bytes
// (1NCE's MB × wire.BytesPerMB, see wire.MBToBytes), SMS volumes are message counts, times are UTC
// time.Time (zero when 1NCE gave none or an unreadable one).

// SIMStatus is the administrative state of a SIM.
type SIMStatus string

// SIM statuses as 1NCE names them.
const (
	SIMEnabled  SIMStatus = "Enabled"
	SIMDisabled SIMStatus = "Disabled"
)

// SIM is a 1NCE SIM card.
type SIM struct {
	ICCID          string    `json:"iccid"`
	ICCIDWithLuhn  string    `json:"iccid_with_luhn,omitempty"`
	IMSI           string    `json:"imsi,omitempty"`
	IMSI2          string    `json:"imsi_2,omitempty"`
	CurrentIMSI    string    `json:"current_imsi,omitempty"`
	MSISDN         string    `json:"msisdn,omitempty"`
	IMEI           string    `json:"imei,omitempty"`
	IMEILock       bool      `json:"imei_lock"`
	Status         SIMStatus `json:"status"`
	ActivationDate time.Time `json:"activation_date"`
	IPAddress      string    `json:"ip_address,omitempty"`
	Label          string    `json:"label,omitempty"`
	// DataQuota is the SIM's overall data quota: Total in bytes (1NCE current_quota, MB) and
	// 1NCE's level.
	DataQuota SIMQuota `json:"data_quota"`
	// SMSQuota is the SIM's SMS quota: Total in messages (1NCE current_quota_SMS) and 1NCE's
	// level.
	SMSQuota SIMQuota `json:"sms_quota"`
	// Source is the API generation that answered.
	Source Generation `json:"source"`
}

// SIMQuota is a quota as a SIM lists it: the total and 1NCE's coarse level. The live
// remaining volume is Client.DataQuota's and Client.SMSQuota's.
type SIMQuota struct {
	// Total is the quota: bytes for data, messages for SMS.
	Total int64 `json:"total"`
	QuotaLevel
}

// QuotaLevel is 1NCE's coarse quota indicator on a SIM: Level 0 more than 20 % left, 1 less
// than 20 %, 2 nothing left.
type QuotaLevel struct {
	Level              int       `json:"level"`
	Description        string    `json:"description,omitempty"`
	ThresholdReachedAt time.Time `json:"threshold_reached_at"`
	ExceededAt         time.Time `json:"exceeded_at"`
}

// QuotaService says what a quota counts.
type QuotaService string

// Quota services.
const (
	QuotaData QuotaService = "data"
	QuotaSMS  QuotaService = "sms"
)

// QuotaState is the state of a quota. v2 reports it; for v1 answers it is derived: EXHAUSTED
// when nothing is left, EXPIRED when the expiry date has passed, else ACTIVE.
type QuotaState string

// Quota states as v2 names them.
const (
	QuotaActive    QuotaState = "ACTIVE"
	QuotaExhausted QuotaState = "EXHAUSTED"
	QuotaExpired   QuotaState = "EXPIRED"
)

// Quota is the data or SMS quota of a SIM. Volumes are bytes for QuotaData and messages for
// QuotaSMS.
type Quota struct {
	Service QuotaService `json:"service"`
	State   QuotaState   `json:"state"`
	// Remaining can be negative (v2: usage past the quota before the network cut it).
	Remaining int64 `json:"remaining"`
	// Total is the volume provisioned or, after a top-up, what remained then plus the top-up.
	Total int64 `json:"total"`
	// AccumulatedTotal is everything ever provisioned (v2 only; 0 from v1).
	AccumulatedTotal int64 `json:"accumulated_total"`
	LastAdded        int64 `json:"last_added"`
	ThresholdPercent int   `json:"threshold_percent"`
	// ThresholdVolume is Total × ThresholdPercent / 100 (reported by v2, computed for v1).
	ThresholdVolume int64     `json:"threshold_volume"`
	ExpiresAt       time.Time `json:"expires_at"`
	// ChangedAt is v1's last_status_change_date or v2's created_at (when the current quota
	// was created or topped up).
	ChangedAt time.Time `json:"changed_at"`
	// PeakThroughput is the data throughput cap in bit/s (v1 only).
	PeakThroughput int64      `json:"peak_throughput,omitempty"`
	Source         Generation `json:"source"`
}

// SMSStatus is the delivery state of an SMS.
type SMSStatus string

// SMS states as 1NCE names them (v1 may send others; they are kept as sent).
const (
	SMSPending   SMSStatus = "PENDING"
	SMSDelivered SMSStatus = "DELIVERED"
	SMSFailed    SMSStatus = "FAILED"
	SMSExpired   SMSStatus = "EXPIRED"
)

// SMSDirection says whether an SMS went to the device (MT) or came from it (MO).
type SMSDirection string

// SMS directions.
const (
	SMSMobileTerminated SMSDirection = "MT"
	SMSMobileOriginated SMSDirection = "MO"
)

// SMS is a short message sent to or received from a SIM.
type SMS struct {
	ID                int64        `json:"id"`
	ICCID             string       `json:"iccid,omitempty"`
	MSISDN            string       `json:"msisdn,omitempty"`
	IMSI              string       `json:"imsi,omitempty"`
	Direction         SMSDirection `json:"direction,omitempty"`
	Status            SMSStatus    `json:"status,omitempty"`
	SourceAddress     string       `json:"source_address,omitempty"`
	SourceAddressType int          `json:"source_address_type,omitempty"`
	// Payload is the message body. Treat it as personal data: the SDK never logs it.
	Payload       string     `json:"payload,omitempty"`
	UDH           string     `json:"udh,omitempty"`
	DCS           int        `json:"dcs"`
	SubmittedAt   time.Time  `json:"submitted_at"`
	DeliveredAt   time.Time  `json:"delivered_at"`
	ExpiresAt     time.Time  `json:"expires_at"`
	FinalAt       time.Time  `json:"final_at"`
	RetryAt       time.Time  `json:"retry_at"`
	LastAttemptAt time.Time  `json:"last_attempt_at"`
	RetryCount    int        `json:"retry_count"`
	MSC           string     `json:"msc,omitempty"`
	Source        Generation `json:"source"`
}

// Event is a diagnostic event of a SIM (network attach, PDP context, status change, quota
// threshold, …).
type Event struct {
	// ID is 1NCE's event id (v2 only; 0 from v1, which has none).
	ID        int64     `json:"id,omitempty"`
	Timestamp time.Time `json:"timestamp"`
	// Type is the event type text: v2 event_type.description, or v1's event_type sentence.
	Type   string `json:"type"`
	TypeID int    `json:"type_id,omitempty"`
	// Description is v2's human description (empty from v1).
	Description string `json:"description,omitempty"`
	// Severity is upper-cased (v1 says "Info", v2 "INFO").
	Severity string `json:"severity,omitempty"`
	Alert    bool   `json:"alert"`
	// Origin is what raised the event (v2 event_source: Network, API, …).
	Origin   string `json:"origin,omitempty"`
	ICCID    string `json:"iccid,omitempty"`
	IMSI     string `json:"imsi,omitempty"`
	IMEI     string `json:"imei,omitempty"`
	MSISDN   string `json:"msisdn,omitempty"`
	Country  string `json:"country,omitempty"`
	Operator string `json:"operator,omitempty"`
	MCC      string `json:"mcc,omitempty"`
	MNC      string `json:"mnc,omitempty"`
	// Detail is v2's event detail object as sent (location, PDP context, quota or VPN).
	Detail json.RawMessage `json:"detail,omitempty"`
	Source Generation      `json:"source"`
}

// DailyUsage is one day of a SIM's data and SMS usage (v1 usage records).
type DailyUsage struct {
	Date        time.Time `json:"date"`
	DataBytes   int64     `json:"data_bytes"`
	DataRxBytes int64     `json:"data_rx_bytes"` // downstream, received by the SIM
	DataTxBytes int64     `json:"data_tx_bytes"` // upstream, sent by the SIM
	SMS         int64     `json:"sms"`
	SMSMO       int64     `json:"sms_mo"` // 1NCE volume_rx
	SMSMT       int64     `json:"sms_mt"` // 1NCE volume_tx
	// DataCost and SMSCost are 1NCE's notional cost figures, kept as the decimal text sent.
	DataCost string `json:"data_cost,omitempty"`
	SMSCost  string `json:"sms_cost,omitempty"`
	Currency string `json:"currency,omitempty"`
}

// ConnectivityStatus is whether a SIM's device is reachable.
type ConnectivityStatus string

// Connectivity states (BLOCKED only from v2).
const (
	ConnOnline   ConnectivityStatus = "ONLINE"
	ConnAttached ConnectivityStatus = "ATTACHED"
	ConnOffline  ConnectivityStatus = "OFFLINE"
	ConnBlocked  ConnectivityStatus = "BLOCKED"
)

// Connectivity is a snapshot of a SIM's network state (GET …/status of either generation).
type Connectivity struct {
	ICCID    string             `json:"iccid,omitempty"`
	Status   ConnectivityStatus `json:"status"`
	Services []string           `json:"services,omitempty"`
	// DataLimitReached reports v2's data_traffic_limit_state REACHED.
	DataLimitReached bool      `json:"data_limit_reached"`
	LastUpdated      time.Time `json:"last_updated"`
	Operator         string    `json:"operator,omitempty"`
	OperatorID       string    `json:"operator_id,omitempty"`
	Country          string    `json:"country,omitempty"`
	CountryISO       string    `json:"country_iso,omitempty"`
	MCC              string    `json:"mcc,omitempty"`
	MNC              string    `json:"mnc,omitempty"`
	// RAT is the radio access technology of the (first) PDP context: 2G, 3G, 4G, 5G, NB-IoT.
	RAT        string     `json:"rat,omitempty"`
	UEIP       string     `json:"ue_ip,omitempty"`
	CellID     string     `json:"cell_id,omitempty"`
	LAC        string     `json:"lac,omitempty"`
	IMEISV     string     `json:"imeisv,omitempty"`
	PDPCreated time.Time  `json:"pdp_created"`
	Source     Generation `json:"source"`
}
