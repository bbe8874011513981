package once

import (
	"encoding/json"

	"github.com/oncefleet/oncefleet/once/wire"
)

// Wire types of 1NCE SIM Management v2 (1nce-sim-management-v2-openapi.yml), named as the v1
// ones where the schemas differ. Field names are the spec's JSON names exactly.

// V2SIM is the v2 "SimsSim" schema. Today it has the fields of the v1 "SIM_card" (and
// converts to V1SIM), but it is its own type so that the two schemas can part.
type V2SIM struct {
	ICCID          string           `json:"iccid,omitempty"`
	ICCIDWithLuhn  string           `json:"iccid_with_luhn,omitempty"`
	IMSI           string           `json:"imsi,omitempty"`
	IMSI2          string           `json:"imsi_2,omitempty"`
	CurrentIMSI    string           `json:"current_imsi,omitempty"`
	MSISDN         string           `json:"msisdn,omitempty"`
	IMEI           wire.LooseString `json:"imei,omitempty"`
	IMEILock       bool             `json:"imei_lock"`
	Status         string           `json:"status,omitempty"` // Enabled | Disabled
	ActivationDate wire.Timestamp   `json:"activation_date,omitempty"`
	IPAddress      string           `json:"ip_address,omitempty"`
	CurrentQuota   wire.Decimal     `json:"current_quota,omitempty"` // data quota in MB
	QuotaStatus    *V1QuotaStatus   `json:"quota_status,omitempty"`
	// CurrentQuotaSMS is the SMS quota in messages.
	CurrentQuotaSMS wire.Decimal   `json:"current_quota_SMS,omitempty"`
	QuotaStatusSMS  *V1QuotaStatus `json:"quota_status_SMS,omitempty"`
	Label           string         `json:"label,omitempty"`
}

// V2Quota is the v2 "SimsQuota" schema. Volumes are MB (data) or messages (SMS); volume can
// be negative.
type V2Quota struct {
	ID                     int64          `json:"id,omitempty"`
	Status                 *IDDescription `json:"status,omitempty"` // 0 EXHAUSTED, 1 ACTIVE, 2 EXPIRED
	Volume                 wire.Decimal   `json:"volume"`
	TotalVolume            wire.Decimal   `json:"total_volume"`
	AccumulatedTotalVolume wire.Decimal   `json:"accumulated_total_volume,omitempty"`
	LastVolumeAdded        wire.Decimal   `json:"last_volume_added,omitempty"`
	Service                string         `json:"service,omitempty"` // sms | data
	ThresholdPercentage    int            `json:"threshold_percentage,omitempty"`
	ThresholdVolume        wire.Decimal   `json:"threshold_volume,omitempty"`
	ExpiryDate             wire.Timestamp `json:"expiry_date,omitempty"`
	CreatedAt              wire.Timestamp `json:"created_at,omitempty"`
}

// V2Connectivity is the v2 "SimsConnectivityDetail" schema (GET /v2/sims/{iccid}/status).
type V2Connectivity struct {
	Status                *Description   `json:"status"` // ONLINE | ATTACHED | OFFLINE | BLOCKED
	DataTrafficLimitState *Description   `json:"data_traffic_limit_state,omitempty"`
	Location              *V2Location    `json:"location,omitempty"`
	PDPContexts           []V2PDPContext `json:"pdp_contexts,omitempty"`
	Services              []string       `json:"services"`
}

// Description is a {description} object (v2 connectivity status, data traffic limit state:
// REACHED | NOT_REACHED).
type Description struct {
	Description string `json:"description"`
}

// V2Location is the v2 "SimsLocation" schema.
type V2Location struct {
	ICCID         string             `json:"iccid"`
	IMSI          string             `json:"imsi"`
	LastUpdated   wire.Timestamp     `json:"last_updated,omitempty"`
	SGSNNumber    string             `json:"sgsn_number,omitempty"`
	VLRNumber     string             `json:"vlr_number,omitempty"`
	OperatorID    string             `json:"operator_id,omitempty"`
	MSC           string             `json:"msc,omitempty"`
	SGSNIPAddress string             `json:"sgsn_ip_address,omitempty"`
	MMEName       string             `json:"mme_name,omitempty"`
	MMERealm      string             `json:"mme_realm,omitempty"`
	SGSNName      string             `json:"sgsn_name,omitempty"`
	SGSNRealm     string             `json:"sgsn_realm,omitempty"`
	Operator      *V2Operator        `json:"operator,omitempty"`
	Country       *V2LocationCountry `json:"country,omitempty"`
}

// V2Operator is the operator object of a v2 location.
type V2Operator struct {
	ID      int64              `json:"id"`
	Name    string             `json:"name"`
	MNC     string             `json:"mnc"`
	Country *V2OperatorCountry `json:"country"`
}

// V2OperatorCountry is the country of a v2 operator.
type V2OperatorCountry struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	ISOCode string `json:"iso_code"`
}

// V2LocationCountry is the country where a SIM is located (v2).
type V2LocationCountry struct {
	CountryID   string `json:"country_id"`
	Name        string `json:"name"`
	CountryCode string `json:"country_code"`
	MCC         string `json:"mcc"`
	ISOCode     string `json:"iso_code"`
}

// V2PDPContext is the v2 "SimsPdpContext" schema.
type V2PDPContext struct {
	PDPContextID              string         `json:"pdp_context_id"`
	EndpointID                string         `json:"endpoint_id"`
	TariffID                  string         `json:"tariff_id"`
	RatezoneID                string         `json:"ratezone_id"`
	OrganisationID            string         `json:"organisation_id"`
	IMSIID                    string         `json:"imsi_id"`
	IMSI                      string         `json:"imsi"`
	SIMID                     string         `json:"sim_id"`
	TxTEIDDataPlane           string         `json:"tx_teid_data_plane"`
	TxTEIDControlPlane        string         `json:"tx_teid_control_plane"`
	RxTEID                    string         `json:"rx_teid"`
	RxTEIDDataPlane           string         `json:"rx_teid_data_plane"`
	RxTEIDControlPlane        string         `json:"rx_teid_control_plane"`
	GTPVersion                string         `json:"gtp_version"`
	NSAPI                     string         `json:"nsapi"`
	SGSNControlPlaneIPAddress string         `json:"sgsn_control_plane_ip_address"`
	SGSNDataPlaneIPAddress    string         `json:"sgsn_data_plane_ip_address"`
	GGSNControlPlaneIPAddress string         `json:"ggsn_control_plane_ip_address"`
	GGSNDataPlaneIPAddress    string         `json:"ggsn_data_plane_ip_address"`
	Created                   wire.Timestamp `json:"created"`
	MCC                       string         `json:"mcc"`
	MNC                       string         `json:"mnc"`
	OperatorID                string         `json:"operator_id,omitempty"`
	LAC                       string         `json:"lac"` // deprecated by 1NCE: use GTPv1ULI
	CI                        string         `json:"ci"`  // deprecated by 1NCE: use GTPv1ULI
	SAC                       string         `json:"sac"` // deprecated by 1NCE: use GTPv1ULI
	RAC                       string         `json:"rac"` // deprecated by 1NCE: use GTPv1ULI
	GTPv1ULI                  *GTPv1ULI      `json:"gtp_v1_uli,omitempty"`
	GTPv2ULI                  *GTPv2ULI      `json:"gtp_v2_uli,omitempty"`
	UEIPAddress               string         `json:"ue_ip_address"`
	IMEISV                    string         `json:"imeisv"`
	RATType                   *V1RATType     `json:"rat_type"`
	Region                    string         `json:"region"`
	APN                       string         `json:"apn"`
	IPCANSessionID            string         `json:"ipcan_session_id,omitempty"`
}

// GTPv1ULI is GTP v1 user location information (2G/3G).
type GTPv1ULI struct {
	LAC string `json:"lac,omitempty"`
	CI  string `json:"ci,omitempty"`
	SAC string `json:"sac,omitempty"`
	RAC string `json:"rac,omitempty"`
}

// GTPv2ULI is GTP v2 user location information (4G/NB-IoT).
type GTPv2ULI struct {
	CGI    *GTPv1ULI `json:"cgi,omitempty"`
	SAI    *GTPv1ULI `json:"sai,omitempty"`
	RAI    *GTPv1ULI `json:"rai,omitempty"`
	TAC    string    `json:"tac,omitempty"`
	ECI    string    `json:"eci,omitempty"`
	LAC    string    `json:"lac,omitempty"`
	MENBI  string    `json:"menbi,omitempty"`
	EMENBI string    `json:"emenbi,omitempty"`
}

// V2SMS is the v2 "SimsSms" schema.
type V2SMS struct {
	ID                  wire.LooseInt    `json:"id"`
	SubmitDate          wire.Timestamp   `json:"submit_date,omitempty"`
	DeliveryDate        wire.Timestamp   `json:"delivery_date,omitempty"`
	ExpiryDate          wire.Timestamp   `json:"expiry_date,omitempty"`
	FinalDate           wire.Timestamp   `json:"final_date,omitempty"`
	RetryDate           wire.Timestamp   `json:"retry_date,omitempty"`
	LastDeliveryAttempt wire.Timestamp   `json:"last_delivery_attempt,omitempty"`
	RetryCount          wire.LooseInt    `json:"retry_count"`
	GSMMapError         *string          `json:"gsm_map_error,omitempty"`
	DCS                 int              `json:"dcs"`
	PID                 int              `json:"pid"`
	SourceAddress       string           `json:"source_address,omitempty"`
	Endpoint            *IDName          `json:"endpoint,omitempty"`
	SIMID               wire.LooseInt    `json:"sim_id,omitempty"`
	ICCID               string           `json:"iccid,omitempty"`
	MSISDN              string           `json:"msisdn,omitempty"`
	IMSI                string           `json:"imsi,omitempty"`
	MSC                 wire.LooseString `json:"msc,omitempty"`
	UDH                 string           `json:"udh,omitempty"`
	Payload             string           `json:"payload,omitempty"`
	Status              *IDDescription   `json:"status,omitempty"`   // 2 PENDING, 4 DELIVERED, 5 FAILED, 6 EXPIRED
	SMSType             *IDDescription   `json:"sms_type,omitempty"` // 1 MT, 2 MO
	SourceAddressType   *IDDescription   `json:"source_address_type,omitempty"`
}

// IDName is 1NCE's {id, name} pair.
type IDName struct {
	ID   wire.LooseInt `json:"id"`
	Name string        `json:"name,omitempty"`
}

// V2SMSCreated is the v2 "EndpointCreateSmsResponse" schema (answer to sending an SMS).
type V2SMSCreated struct {
	ID string `json:"id"`
}

// V2Deleted is the v2 "DeleteItemResponse" schema (answer to cancelling an SMS).
type V2Deleted struct {
	ID string `json:"id"`
}

// V2Event is the v2 "Event" schema.
type V2Event struct {
	ID            int64            `json:"id"`
	EventType     *IDDescription   `json:"event_type,omitempty"`
	Timestamp     wire.Timestamp   `json:"timestamp,omitempty"`
	Alert         bool             `json:"alert"`
	User          *string          `json:"user,omitempty"`
	Description   string           `json:"description,omitempty"`
	EventSource   *IDDescription   `json:"event_source,omitempty"`
	EventSeverity *IDDescription   `json:"event_severity,omitempty"`
	Organisation  *IDName          `json:"organisation,omitempty"`
	Endpoint      *V2EventEndpoint `json:"endpoint,omitempty"`
	SIM           *V2EventSIM      `json:"sim,omitempty"`
	IMSI          *V2EventIMSI     `json:"imsi,omitempty"`
	// Detail is one of LocationDetail, PdpContextDetail, EventQuotaDetail or VpnDetail; it is
	// kept raw because the spec gives no discriminator.
	Detail json.RawMessage `json:"detail,omitempty"`
}

// V2EventEndpoint is the endpoint (device) of a v2 event.
type V2EventEndpoint struct {
	ID        wire.LooseInt    `json:"id"`
	Name      string           `json:"name,omitempty"`
	IPAddress string           `json:"ip_address,omitempty"`
	IMEI      wire.LooseString `json:"imei,omitempty"`
}

// V2EventSIM is the SIM of a v2 event.
type V2EventSIM struct {
	ID     wire.LooseInt `json:"id"`
	ICCID  string        `json:"iccid,omitempty"`
	MSISDN string        `json:"msisdn,omitempty"`
}

// V2EventIMSI is the IMSI of a v2 event.
type V2EventIMSI struct {
	ID   wire.LooseInt `json:"id"`
	IMSI string        `json:"imsi,omitempty"`
}
