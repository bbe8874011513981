package once

import "github.com/oncefleet/oncefleet/once/wire"

// Wire types of 1NCE SIM Management v1 (1nce-sim-management-openapi.yml). Field names are the
// spec's JSON names exactly; Go names follow Go conventions. These are what V1() methods
// return; most programs want the generation-independent model (model.go) instead.

// V1SIM is the v1 "SIM_card" schema.
type V1SIM struct {
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

// V1QuotaStatus is the v1 "Quota_Status" schema (also used by v2 SIMs as SimsSimQuotaStatus):
// id 0 = more than 20 % left, 1 = less than 20 %, 2 = nothing left.
type V1QuotaStatus struct {
	ID                   wire.LooseInt  `json:"id"`
	Description          string         `json:"description,omitempty"`
	ThresholdReachedDate wire.Timestamp `json:"threshold_reached_date,omitempty"`
	QuotaExceededDate    wire.Timestamp `json:"quota_exceeded_date,omitempty"`
}

// SIMUpdate is the v1 "Values_for_a_SIM_update" schema (and, without the required fields, the
// v2 "SimsSimUpdateReq"): the changes to apply to one SIM. Nil pointers are left out of the
// request so that 1NCE keeps the current value.
type SIMUpdate struct {
	ICCID    string  `json:"iccid"`
	Label    *string `json:"label,omitempty"`
	IMEILock *bool   `json:"imei_lock,omitempty"`
	// Status is SIMEnabled or SIMDisabled. v1 requires it: in mode v1 an update without it
	// fails with ErrInvalidInput (the SDK does not read the SIM behind the caller's back).
	Status SIMStatus `json:"status,omitempty"`
}

// V1Connectivity is the v1 "Connectivity" schema answered by GET /v1/sims/{iccid}/status.
type V1Connectivity struct {
	Status     string        `json:"status,omitempty"` // OFFLINE | ONLINE | ATTACHED
	Location   *V1Location   `json:"location,omitempty"`
	PDPContext *V1PDPContext `json:"pdp_context,omitempty"`
	Services   []string      `json:"services,omitempty"`
}

// V1Location is the v1 "Location" schema.
type V1Location struct {
	ICCID           string         `json:"iccid,omitempty"`
	IMSI            string         `json:"imsi,omitempty"`
	LastUpdated     wire.Timestamp `json:"last_updated,omitempty"`
	LastUpdatedGPRS wire.Timestamp `json:"last_updated_gprs,omitempty"`
	SGSNNumber      string         `json:"sgsn_number,omitempty"`
	VLRNumber       string         `json:"vlr_number,omitempty"`
	VLRNumberNP     string         `json:"vlr_number_np,omitempty"`
	MSCNumberNP     string         `json:"msc_number_np,omitempty"`
	SGSNNumberNP    string         `json:"sgsn_number_np,omitempty"`
	OperatorID      string         `json:"operator_id,omitempty"`
	MSC             string         `json:"msc,omitempty"`
	SGSNIPAddress   string         `json:"sgsn_ip_address,omitempty"`
	Operator        *V1Operator    `json:"operator,omitempty"`
	Country         *V1Country     `json:"country,omitempty"`
}

// V1Operator is the operator object inside a v1 Location.
type V1Operator struct {
	ID      string             `json:"id,omitempty"`
	Name    string             `json:"name,omitempty"`
	Country *V1OperatorCountry `json:"country,omitempty"`
}

// V1OperatorCountry is the country object inside a v1 operator.
type V1OperatorCountry struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	ISOCode string `json:"iso-code,omitempty"`
}

// V1Country is the location country object of a v1 Location.
type V1Country struct {
	CountryID   string `json:"country_id,omitempty"`
	Name        string `json:"name,omitempty"`
	CountryCode string `json:"country_code,omitempty"`
	MCC         string `json:"mcc,omitempty"`
	ISOCode     string `json:"iso-code,omitempty"`
	Latitude    string `json:"latitude,omitempty"`
	Longitude   string `json:"longitude,omitempty"`
}

// V1PDPContext is the v1 "PdpContext" schema.
type V1PDPContext struct {
	PDPContextID              string         `json:"pdp_context_id,omitempty"`
	EndpointID                string         `json:"endpoint_id,omitempty"`
	TariffProfileID           string         `json:"tariff_profile_id,omitempty"`
	TariffID                  string         `json:"tariff_id,omitempty"`
	RatezoneID                string         `json:"ratezone_id,omitempty"`
	OrganisationID            string         `json:"organisation_id,omitempty"`
	IMSIID                    string         `json:"imsi_id,omitempty"`
	IMSI                      string         `json:"imsi,omitempty"`
	SIMID                     string         `json:"sim_id,omitempty"`
	TEIDDataPlane             string         `json:"teid_data_plane,omitempty"`
	TEIDControlPlane          string         `json:"teid_control_plane,omitempty"`
	GTPVersion                string         `json:"gtp_version,omitempty"`
	NSAPI                     string         `json:"nsapi,omitempty"`
	SGSNControlPlaneIPAddress string         `json:"sgsn_control_plane_ip_address,omitempty"`
	SGSNDataPlaneIPAddress    string         `json:"sgsn_data_plane_ip_address,omitempty"`
	GGSNControlPlaneIPAddress string         `json:"ggsn_control_plane_ip_address,omitempty"`
	GGSNDataPlaneIPAddress    string         `json:"ggsn_data_plane_ip_address,omitempty"`
	Created                   wire.Timestamp `json:"created,omitempty"`
	MCC                       string         `json:"mcc,omitempty"`
	MNC                       string         `json:"mnc,omitempty"`
	OperatorID                string         `json:"operator_id,omitempty"`
	LAC                       string         `json:"lac,omitempty"`
	CI                        string         `json:"ci,omitempty"`
	UEIPAddress               string         `json:"ue_ip_address,omitempty"`
	IMEISV                    string         `json:"imeisv,omitempty"`
	Duration                  string         `json:"duration,omitempty"`
	RATType                   *V1RATType     `json:"rat_type,omitempty"`
}

// V1RATType describes the radio access technology of a v1 PDP context.
type V1RATType struct {
	RATTypeID   string `json:"rat_type_id,omitempty"`
	Description string `json:"description,omitempty"` // 2G | 3G | 4G | 5G | NB-IoT
}

// V1ConnectivityInfo is the v1 "ConnectivityInfo" schema (GET /v1/sims/{iccid}/connectivity_info).
type V1ConnectivityInfo struct {
	USSDInfo         *V1USSDInfo       `json:"ussd_info,omitempty"`
	SubscriberInfo   *V1SubscriberInfo `json:"subscriber_info,omitempty"`
	RequestTimestamp wire.Timestamp    `json:"request_timestamp,omitempty"`
	ReplyTimestamp   wire.Timestamp    `json:"reply_timestamp,omitempty"`
}

// V1USSDInfo is the v1 "UssdInfo" schema.
type V1USSDInfo struct {
	Success bool   `json:"success"`
	Error   string `json:"error,omitempty"`
}

// V1SubscriberInfo is the v1 "SubscriberInfo" schema.
type V1SubscriberInfo struct {
	Success  bool                  `json:"success"`
	State    string                `json:"state,omitempty"`
	Location *V1SubscriberLocation `json:"location,omitempty"`
}

// V1SubscriberLocation is the location object of v1 subscriber information.
type V1SubscriberLocation struct {
	CurrentLocationRetrieved bool          `json:"current_location_retrieved"`
	AgeOfLocation            int           `json:"age_of_location"` // minutes
	CellGlobalID             *CellGlobalID `json:"cell_global_id,omitempty"`
}

// CellGlobalID is the v1 "CellGlobalId" schema.
type CellGlobalID struct {
	CID int64  `json:"cid"`
	LAC int64  `json:"lac"`
	MCC string `json:"mcc,omitempty"`
	MNC string `json:"mnc,omitempty"`
}

// ConnectivityInfoParams are the query flags of GET /v1/sims/{iccid}/connectivity_info. Nil
// leaves 1NCE's default (subscriber true, ussd false).
type ConnectivityInfoParams struct {
	ICCID      string
	Subscriber *bool
	USSD       *bool
}

// V1EventCollection is the v1 "EventCollection" schema.
type V1EventCollection struct {
	Events      []V1Event `json:"events"`
	TotalEvents int       `json:"totalEvents"`
	TotalPages  int       `json:"totalPages"`
}

// V1Event is the v1 "SIM_Event" schema. Only timestamp and event_type are guaranteed.
type V1Event struct {
	Timestamp     wire.Timestamp   `json:"timestamp,omitempty"`
	EventType     string           `json:"event_type,omitempty"`
	ICCID         string           `json:"iccid,omitempty"`
	IMEI          wire.LooseString `json:"imei,omitempty"`
	IMSI          string           `json:"imsi,omitempty"`
	Country       string           `json:"country,omitempty"`
	Operator      string           `json:"operator,omitempty"`
	MCC           string           `json:"mcc,omitempty"`
	MNC           string           `json:"mnc,omitempty"`
	Alert         bool             `json:"alert"`
	EventSeverity string           `json:"event_severity,omitempty"`
}

// V1DailyUsage is the v1 "DailyUsage" schema (GET /v1/sims/{iccid}/usage).
type V1DailyUsage struct {
	Stats []V1Daily `json:"stats"`
}

// V1Daily is the v1 "Daily" schema: one day of data and SMS usage.
type V1Daily struct {
	Data *V1DataUsage   `json:"data,omitempty"`
	Date wire.Timestamp `json:"date,omitempty"`
	SMS  *V1SMSUsage    `json:"sms,omitempty"`
}

// V1Currency is the currency object of v1 usage records.
type V1Currency struct {
	ID     int64  `json:"id"`
	Symbol string `json:"symbol,omitempty"`
	Code   string `json:"code,omitempty"`
}

// V1TrafficType is the v1 "TrafficTypeData"/"TrafficTypeSMS" schema.
type V1TrafficType struct {
	Description string `json:"description,omitempty"`
	ID          int64  `json:"id"`
	Unit        string `json:"unit,omitempty"`
}

// V1DataUsage is the v1 "Data" schema. Volumes are MB, as decimal strings.
type V1DataUsage struct {
	Cost        wire.DecimalString `json:"cost,omitempty"`
	Currency    *V1Currency        `json:"currency,omitempty"`
	TrafficType *V1TrafficType     `json:"traffic_type,omitempty"`
	Volume      wire.DecimalString `json:"volume,omitempty"`
	VolumeRx    wire.DecimalString `json:"volume_rx,omitempty"`
	VolumeTx    wire.DecimalString `json:"volume_tx,omitempty"`
}

// V1SMSUsage is the v1 "SmsUsage" schema. volume_rx counts MO-SMS, volume_tx MT-SMS.
type V1SMSUsage struct {
	Cost        wire.DecimalString `json:"cost,omitempty"`
	Currency    *V1Currency        `json:"currency,omitempty"`
	TrafficType *V1TrafficType     `json:"traffic_type,omitempty"`
	Volume      wire.DecimalString `json:"volume,omitempty"`
	VolumeRx    wire.DecimalString `json:"volume_rx,omitempty"`
	VolumeTx    wire.DecimalString `json:"volume_tx,omitempty"`
}

// V1Quota is the v1 "Quota" schema; volumes are MB for data and messages for SMS.
type V1Quota struct {
	Volume               wire.Decimal   `json:"volume"`
	TotalVolume          wire.Decimal   `json:"total_volume"`
	ExpiryDate           wire.Timestamp `json:"expiry_date,omitempty"`
	PeakThroughput       int64          `json:"peak_throughput,omitempty"`
	LastVolumeAdded      wire.Decimal   `json:"last_volume_added,omitempty"`
	LastStatusChangeDate wire.Timestamp `json:"last_status_change_date,omitempty"`
	ThresholdPercentage  int            `json:"threshold_percentage,omitempty"`
}

// V1SMS is the v1 "SMS-Data" schema.
type V1SMS struct {
	ID                  wire.LooseInt      `json:"id"`
	SubmitDate          wire.Timestamp     `json:"submit_date,omitempty"`
	DeliveryDate        wire.Timestamp     `json:"delivery_date,omitempty"`
	ExpiryDate          wire.Timestamp     `json:"expiry_date,omitempty"`
	FinalDate           wire.Timestamp     `json:"final_date,omitempty"`
	RetryDate           wire.Timestamp     `json:"retry_date,omitempty"`
	LastDeliveryAttempt wire.Timestamp     `json:"last_delivery_attempt,omitempty"`
	RetryCount          wire.LooseString   `json:"retry_count,omitempty"`
	SourceAddress       string             `json:"source_address,omitempty"`
	ICCID               string             `json:"iccid,omitempty"`
	MSISDN              string             `json:"msisdn,omitempty"`
	IMSI                string             `json:"imsi,omitempty"`
	MSC                 wire.LooseString   `json:"msc,omitempty"`
	DCS                 int                `json:"dcs"`
	UDH                 string             `json:"udh,omitempty"`
	Payload             string             `json:"payload,omitempty"`
	Status              *IDDescription     `json:"status,omitempty"`
	SMSType             *IDDescription     `json:"sms_type,omitempty"`
	SourceAddressType   *SourceAddressType `json:"source_address_type,omitempty"`
}

// IDDescription is 1NCE's recurring {id, description} pair (SMS status and type, event
// types, severities, sources).
type IDDescription struct {
	ID          wire.LooseInt `json:"id"`
	Description string        `json:"description,omitempty"`
}

// SourceAddressType is the type of an SMS source address: 145 international, 161 national,
// 208 alphanumeric.
type SourceAddressType struct {
	ID          int    `json:"id"`
	Description string `json:"description,omitempty"`
}

// Source address types.
const (
	SourceInternational = 145
	SourceNational      = 161
	SourceAlphanumeric  = 208
)

// SMSMessage is the "SMSMessage" schema of both generations: an MT-SMS to send to a SIM.
type SMSMessage struct {
	// ICCID is the SIM whose device gets the SMS (in the path, not the body).
	ICCID         string `json:"-"`
	SourceAddress string `json:"source_address,omitempty"`
	// Payload is the message body. It is never logged by the SDK.
	Payload string `json:"payload,omitempty"`
	// UDH is the optional user data header, hex-encoded (concatenated SMS).
	UDH string `json:"udh,omitempty"`
	// DCS is the optional data coding scheme; nil leaves 1NCE's default (text).
	DCS               *int                    `json:"dcs,omitempty"`
	SourceAddressType *SourceAddressTypeInput `json:"source_address_type,omitempty"`
	// ExpiryDate is when 1NCE stops trying to deliver (RFC 3339; see wire.NewTimestamp).
	ExpiryDate wire.Timestamp `json:"expiry_date,omitempty"`
}

// SourceAddressTypeInput is the source address type of an SMS to send (only the id is sent).
type SourceAddressTypeInput struct {
	ID int `json:"id"`
}

// SIMTransfer is the v1 "SimTransfer" schema (POST /v1/sims/simTransfer).
type SIMTransfer struct {
	// TargetOrganisation is required when transferring to a sub-organisation.
	TargetOrganisation int64        `json:"target_organisation,omitempty"`
	ICCIDRanges        []ICCIDRange `json:"iccid_ranges,omitempty"`
	ICCIDs             []string     `json:"iccids,omitempty"`
}

// ICCIDRange is the v1 "IccidRange" schema: an inclusive range of ICCIDs.
type ICCIDRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// AutoTopUpRequest is the v1 "AutoTopupRequest" schema.
type AutoTopUpRequest struct {
	Enabled bool     `json:"enabled"`
	ICCIDs  []string `json:"iccids"`
}

// Limits is the v1 "Values_for_Limits" schema: the self-set monthly limits of the account, or
// (from GET /v1/sims/{service}/limits) the limit selectable for one service.
type Limits struct {
	Data  *Limit `json:"data,omitempty"`
	SMSMT *Limit `json:"smsMt,omitempty"`
	SMSMO *Limit `json:"smsMo,omitempty"`
}

// Limit is the v1 "CurrentLimitData"/"CurrentLimitSMS" schema. Limit is a decimal string in
// Unit (MB or SMS).
type Limit struct {
	ID    int64  `json:"id"`
	Limit string `json:"limit,omitempty"`
	Unit  string `json:"unit,omitempty"`
}

// SetLimitsRequest is the v1 "SetLimitsRequest" schema: limit ids taken from SelectableLimits.
// Zero ids are left out.
type SetLimitsRequest struct {
	DataLimitID  int64 `json:"dataLimitId,omitempty"`
	SMSMTLimitID int64 `json:"smsMtLimitId,omitempty"`
	SMSMOLimitID int64 `json:"smsMoLimitId,omitempty"`
}

// LimitService names a service of GET /v1/sims/{service}/limits.
type LimitService string

// Services with selectable limits.
const (
	LimitData  LimitService = "data"
	LimitSMSMO LimitService = "smsMO"
	LimitSMSMT LimitService = "smsMT"
)

// ExtensionRequest is the v1 "SIMExtensionRequest" schema.
type ExtensionRequest struct {
	ICCIDs []string `json:"iccids"`
	// PaymentMethod is how 1NCE bills it (sent as a query parameter); "" lets 1NCE use bank
	// transfer.
	PaymentMethod PaymentMethod `json:"-"`
	// ProductID optionally changes the product while extending (see Products).
	ProductID int64 `json:"productId,omitempty"`
}

// PaymentMethod selects how 1NCE bills a top-up or extension. The empty value sends no
// payment_method, and 1NCE uses bank transfer.
type PaymentMethod string

// Payment methods.
const (
	PayBankTransfer   PaymentMethod = "banktransfer"
	PayCreditCard     PaymentMethod = "creditcard"
	PayMonthlyInvoice PaymentMethod = "monthlyinvoice"
	PayBoleto         PaymentMethod = "boleto"
)
