package oncesim

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"time"
)

// This file holds the Data Streamer record shapes (shared/DATASTREAMER.md) and their
// construction from Activities. The types are exported so that the receiver's tests can build
// payloads exactly as the simulator sends them.
//
// Generation 1 ("v1", StreamV1) follows DATASTREAMER.md field for field. Platform 2.0 ("v2",
// StreamV2) keeps the same overall objects with these documented differences:
//   - usage: a data record carries ipcan_session_id (the data session it belongs to; the
//     simulator reports each usage interval as its own session) and its volume in whole
//     kilobytes (1 kB = 1,024 bytes), rounded up per session, as volume.{rx_kb,tx_kb,total_kb};
//     an SMS record carries sms_count instead of a volume; imsi moves into sim; imsi_id and
//     tariff go; the endpoint is the short {id, name, ip_address, imei} of event records.
//   - events: imsi moves into sim (sim.imsi), the PDP context detail is named ipcan_session with
//     ipcan_session_id, and the organisation, endpoint, user and detail objects are unchanged.
// Empty nested objects are null in both generations.

// Fixed account facts the simulated stream reports; the simulator has one organisation, one
// tariff and one currency, as a 1NCE customer account does.
const (
	streamOrganisationID   = 4321
	streamOrganisationName = "81001234"
	streamTariffID         = 398
	streamTariffName       = "1NCE IoT Lifetime Flat"
	streamRatezoneID       = 2067
	streamRatezoneName     = "Zone 1"
	streamAPN              = "iot.1nce.net"
	streamRATType          = "LTE-M"
)

// streamProductionDate is when the simulated SIMs were made and their IMSIs imported; the
// simulator does not model per-SIM manufacture dates.
var streamProductionDate = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// IDName is the {id, name} object used for organisation and rate zone.
type IDName struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// IDDescription is the {id, description} object used for traffic, event type, source and
// severity.
type IDDescription struct {
	ID          int64  `json:"id"`
	Description string `json:"description"`
}

// Decimal10 is a number written with exactly 10 decimal places (costs).
type Decimal10 float64

// MarshalJSON writes d with 10 decimal places.
func (d Decimal10) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(d), 'f', 10, 64), nil
}

// Megabytes is a volume in MB (10^6 bytes) written with exactly 6 decimal places, so a single
// byte still shows.
type Megabytes float64

// MarshalJSON writes m with 6 decimal places.
func (m Megabytes) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(m), 'f', 6, 64), nil
}

// RecordSIM is the sim object of v1 records.
type RecordSIM struct {
	ID             int64     `json:"id"`
	ICCID          string    `json:"iccid"`
	MSISDN         string    `json:"msisdn"`
	ProductionDate time.Time `json:"production_date"`
}

// UsageEndpoint is the endpoint object of usage records.
// IPAddress and IMEI are null while the SIM has none.
type UsageEndpoint struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	IPAddress *string  `json:"ip_address"`
	IMEI      *string  `json:"imei"`
	Tags      *string  `json:"tags"`
	Balance   *float64 `json:"balance"`
}

// OperatorCountry is the country inside a usage record's operator.
type OperatorCountry struct {
	ID   int64  `json:"id"`
	MCC  string `json:"mcc"`
	Name string `json:"name"`
}

// Operator is the visited network of a usage record.
type Operator struct {
	ID      int64            `json:"id"`
	Name    string           `json:"name"`
	MNC     string           `json:"mnc"`
	Country *OperatorCountry `json:"country"`
}

// Tariff is the SIM's tariff with its rate zone.
type Tariff struct {
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	Ratezone *IDName `json:"ratezone"`
}

// Currency is the currency of a record's cost.
type Currency struct {
	ID     int64  `json:"id"`
	Code   string `json:"code"`
	Symbol string `json:"symbol"`
}

// Volume is a v1 usage volume: MB for data; for SMS records the message count in the same
// fields (rx for received, tx for sent, total both).
type Volume struct {
	RX    Megabytes `json:"rx"`
	TX    Megabytes `json:"tx"`
	Total Megabytes `json:"total"`
}

// UsageRecord is a v1 Data Streamer usage record.
type UsageRecord struct {
	ID             int64          `json:"id"`
	TrafficType    *IDDescription `json:"traffic_type"`
	StartTimestamp time.Time      `json:"start_timestamp"`
	EndTimestamp   time.Time      `json:"end_timestamp"`
	Organisation   *IDName        `json:"organisation"`
	SIM            *RecordSIM     `json:"sim"`
	IMSI           string         `json:"imsi"`
	IMSIID         int64          `json:"imsi_id"`
	Endpoint       *UsageEndpoint `json:"endpoint"`
	Operator       *Operator      `json:"operator"`
	Tariff         *Tariff        `json:"tariff"`
	Currency       *Currency      `json:"currency"`
	Cost           Decimal10      `json:"cost"`
	Volume         *Volume        `json:"volume"`
}

// EventIMSI is the imsi object of v1 event records.
type EventIMSI struct {
	ID         int64     `json:"id"`
	IMSI       string    `json:"imsi"`
	ImportDate time.Time `json:"import_date"`
}

// EventEndpoint is the endpoint object of event records (and of Platform 2.0 usage). IPAddress
// and IMEI are null while the SIM has none.
type EventEndpoint struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	IPAddress *string `json:"ip_address"`
	IMEI      *string `json:"imei"`
}

// EventUser names who caused an event; null for network-originated events.
type EventUser struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// DetailCountry is the country object inside a location event's detail.
type DetailCountry struct {
	Name        string  `json:"name"`
	ISOCode     *string `json:"iso_code"`
	CountryCode *string `json:"country_code"`
	MCC         string  `json:"mcc"`
}

// DetailMNC is one entry of a location event's mnc list.
type DetailMNC struct {
	ID  int64  `json:"id"`
	MNC string `json:"mnc"`
}

// LocationDetail is the detail of "Update location" events: the network now attached.
type LocationDetail struct {
	Name    string         `json:"name"`
	Country *DetailCountry `json:"country"`
	MNC     []DetailMNC    `json:"mnc"`
}

// PDPContext describes a data session in v1 PDP context events.
type PDPContext struct {
	IP      string `json:"ip"`
	APN     string `json:"apn"`
	RATType string `json:"rat_type"`
	TXBytes int64  `json:"tx_bytes"`
	RXBytes int64  `json:"rx_bytes"`
}

// PDPDetail is the v1 detail of "Create PDP Context" and "Delete PDP Context" events.
type PDPDetail struct {
	PDPContext *PDPContext `json:"pdp_context"`
}

// EventRecord is a v1 Data Streamer event record. Detail is a *LocationDetail, *PDPDetail
// (v1), *IPCANDetail (v2) or nil, depending on the event type.
type EventRecord struct {
	ID            int64          `json:"id"`
	Timestamp     time.Time      `json:"timestamp"`
	EventType     *IDDescription `json:"event_type"`
	EventSource   *IDDescription `json:"event_source"`
	EventSeverity *IDDescription `json:"event_severity"`
	Alert         bool           `json:"alert"`
	Description   string         `json:"description"`
	Organisation  *IDName        `json:"organisation"`
	SIM           *RecordSIM     `json:"sim"`
	IMSI          *EventIMSI     `json:"imsi"`
	Endpoint      *EventEndpoint `json:"endpoint"`
	User          *EventUser     `json:"user"`
	Detail        any            `json:"detail"`
}

// SIMV2 is the sim object of Platform 2.0 records, which carries the IMSI.
type SIMV2 struct {
	ID             int64     `json:"id"`
	ICCID          string    `json:"iccid"`
	MSISDN         string    `json:"msisdn"`
	IMSI           string    `json:"imsi"`
	ProductionDate time.Time `json:"production_date"`
}

// VolumeV2 is a Platform 2.0 data volume in whole kilobytes (1,024 bytes), rounded up.
type VolumeV2 struct {
	RXKB    int64 `json:"rx_kb"`
	TXKB    int64 `json:"tx_kb"`
	TotalKB int64 `json:"total_kb"`
}

// UsageRecordV2 is a Platform 2.0 usage event. Data records have IPCANSessionID and Volume;
// SMS records have SMSCount.
type UsageRecordV2 struct {
	ID             int64          `json:"id"`
	TrafficType    *IDDescription `json:"traffic_type"`
	IPCANSessionID *string        `json:"ipcan_session_id"`
	StartTimestamp time.Time      `json:"start_timestamp"`
	EndTimestamp   time.Time      `json:"end_timestamp"`
	Organisation   *IDName        `json:"organisation"`
	SIM            *SIMV2         `json:"sim"`
	Endpoint       *EventEndpoint `json:"endpoint"`
	Operator       *Operator      `json:"operator"`
	Currency       *Currency      `json:"currency"`
	Cost           Decimal10      `json:"cost"`
	Volume         *VolumeV2      `json:"volume"`
	SMSCount       *int           `json:"sms_count"`
}

// IPCANSession describes a data session in Platform 2.0 PDP context events.
type IPCANSession struct {
	IPCANSessionID string `json:"ipcan_session_id"`
	IP             string `json:"ip"`
	APN            string `json:"apn"`
	RATType        string `json:"rat_type"`
}

// IPCANDetail is the Platform 2.0 detail of session start and end events.
type IPCANDetail struct {
	IPCANSession *IPCANSession `json:"ipcan_session"`
}

// EventRecordV2 is a Platform 2.0 event.
type EventRecordV2 struct {
	ID            int64          `json:"id"`
	Timestamp     time.Time      `json:"timestamp"`
	EventType     *IDDescription `json:"event_type"`
	EventSource   *IDDescription `json:"event_source"`
	EventSeverity *IDDescription `json:"event_severity"`
	Alert         bool           `json:"alert"`
	Description   string         `json:"description"`
	Organisation  *IDName        `json:"organisation"`
	SIM           *SIMV2         `json:"sim"`
	Endpoint      *EventEndpoint `json:"endpoint"`
	User          *EventUser     `json:"user"`
	Detail        any            `json:"detail"`
}

// Traffic type, event source and severity ids. Data (5) is 1NCE's documented id; the others are
// the simulator's, stable across runs.
var (
	streamTrafficIDs = map[string]int64{"Data": 5, "SMS": 6}
	streamSourceIDs  = map[string]int64{"Network": 0, "Policy Control": 1, "API": 2, "User": 3}
	streamSeverityID = map[string]int64{"INFO": 0, "WARN": 1, "CRITICAL": 2}
	streamEventIDs   = map[string]int64{
		"Update location": 1, "Update GPRS location": 2, "Create PDP Context": 3,
		"Delete PDP Context": 4, "Authentication": 5, "SIM state change": 6,
		"Threshold reached": 7, "Quota exhausted": 8, "Quota refilled": 9,
		"SMS MO": 10, "SMS MT": 11, "Purge location": 12, "Label changed": 13,
		"IMEI lock changed": 14, "Connectivity reset": 15,
	}
)

// streamCountries holds ISO and dialling codes by MCC for the location detail; other MCCs get
// null codes, as 1NCE sends for networks it has no data for.
var streamCountries = map[string][2]string{
	"262": {"de", "49"}, "232": {"at", "43"}, "228": {"ch", "41"}, "208": {"fr", "33"},
	"234": {"gb", "44"}, "222": {"it", "39"}, "214": {"es", "34"}, "204": {"nl", "31"},
	"206": {"be", "32"}, "240": {"se", "46"}, "260": {"pl", "48"}, "310": {"us", "1"},
}

// streamStableID maps a name to a stable positive id, for objects (operators, unknown event
// types) the simulator knows only by name.
func streamStableID(s string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return int64(h.Sum32()%100_000) + 1000
}

func streamLookup(table map[string]int64, name string) int64 {
	if id, ok := table[name]; ok {
		return id
	}
	return streamStableID(name)
}

func streamUTC(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

func streamEndpointName(a Activity) string {
	if a.Label != "" {
		return a.Label
	}
	return "sim-" + a.ICCID
}

func streamOrganisation() *IDName {
	return &IDName{ID: streamOrganisationID, Name: streamOrganisationName}
}

func streamOperator(a Activity) *Operator {
	if a.Operator == "" {
		return nil
	}
	op := &Operator{ID: streamStableID(a.Operator + "/" + a.MCC + a.MNC), Name: a.Operator, MNC: a.MNC}
	if a.MCC != "" || a.Country != "" {
		id, err := strconv.ParseInt(a.MCC, 10, 64)
		if err != nil {
			id = streamStableID(a.Country)
		}
		op.Country = &OperatorCountry{ID: id, MCC: a.MCC, Name: a.Country}
	}
	return op
}

func streamEventEndpoint(a Activity) *EventEndpoint {
	return &EventEndpoint{ID: a.SIMID, Name: streamEndpointName(a), IPAddress: streamOptional(a.IPAddress), IMEI: streamOptional(a.IMEI)}
}

// streamOptional maps an unknown (empty) value to null, as 1NCE sends it.
func streamOptional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func streamCurrency() *Currency { return &Currency{ID: 1, Code: "EUR", Symbol: "€"} }

func streamTraffic(a Activity) *IDDescription {
	return &IDDescription{ID: streamLookup(streamTrafficIDs, a.Traffic), Description: a.Traffic}
}

// streamSessionID names the data session of a usage interval or PDP event: Activity.Session
// when the simulator modelled one, else the SIM and the interval's start second.
func streamSessionID(a Activity) string {
	if a.Session != "" {
		return a.Session
	}
	start := a.Start
	if start.IsZero() {
		start = a.At
	}
	return fmt.Sprintf("%d-%d", a.SIMID, start.Unix())
}

func streamEventHead(a Activity) (t, src, sev *IDDescription) {
	return &IDDescription{ID: streamLookup(streamEventIDs, a.EventType), Description: a.EventType},
		&IDDescription{ID: streamLookup(streamSourceIDs, a.EventSource), Description: a.EventSource},
		&IDDescription{ID: streamLookup(streamSeverityID, a.Severity), Description: a.Severity}
}

func streamUser(a Activity) *EventUser {
	if a.EventSource != "API" && a.EventSource != "User" {
		return nil
	}
	// Changes made through the API are made by the account's API user.
	return &EventUser{ID: 1, Username: "api-" + streamOrganisationName}
}

func streamLocationDetail(a Activity) *LocationDetail {
	if a.Operator == "" && a.MCC == "" {
		return nil
	}
	d := &LocationDetail{Name: a.Operator, Country: &DetailCountry{Name: a.Country, MCC: a.MCC}}
	if c, ok := streamCountries[a.MCC]; ok {
		d.Country.ISOCode, d.Country.CountryCode = &c[0], &c[1]
	}
	if a.MNC != "" {
		d.MNC = []DetailMNC{{ID: streamStableID(a.MCC + a.MNC), MNC: a.MNC}}
	}
	return d
}

func streamIsPDP(eventType string) bool {
	return eventType == "Create PDP Context" || eventType == "Delete PDP Context"
}

func streamIsLocation(eventType string) bool {
	return eventType == "Update location" || eventType == "Update GPRS location"
}

// NewUsageRecord builds the v1 usage record of a usage Activity.
func NewUsageRecord(a Activity) UsageRecord {
	r := UsageRecord{
		ID:             a.ID,
		TrafficType:    streamTraffic(a),
		StartTimestamp: streamUTC(a.Start),
		EndTimestamp:   streamUTC(a.At),
		Organisation:   streamOrganisation(),
		SIM:            &RecordSIM{ID: a.SIMID, ICCID: a.ICCID, MSISDN: a.MSISDN, ProductionDate: streamProductionDate},
		IMSI:           a.IMSI,
		IMSIID:         a.SIMID,
		Endpoint:       &UsageEndpoint{ID: a.SIMID, Name: streamEndpointName(a), IPAddress: streamOptional(a.IPAddress), IMEI: streamOptional(a.IMEI)},
		Operator:       streamOperator(a),
		Tariff:         &Tariff{ID: streamTariffID, Name: streamTariffName, Ratezone: &IDName{ID: streamRatezoneID, Name: streamRatezoneName}},
		Currency:       streamCurrency(),
		Cost:           Decimal10(a.Cost),
	}
	if a.Traffic == "SMS" {
		// An SMS record carries its message count in the volume fields. An Activity does not
		// say whether the SMS was mobile-originated or -terminated, so the count goes to tx and
		// total, and receivers should read total.
		n := Megabytes(a.SMSCount)
		r.Volume = &Volume{TX: n, Total: n}
	} else {
		// 1 MB = 1,048,576 bytes, as the API's quotas (and 1NCE's v2 spec) count them.
		r.Volume = &Volume{RX: Megabytes(float64(a.RxBytes) / bytesPerMB), TX: Megabytes(float64(a.TxBytes) / bytesPerMB), Total: Megabytes(float64(a.RxBytes+a.TxBytes) / bytesPerMB)}
	}
	return r
}

// NewEventRecord builds the v1 event record of an event Activity.
func NewEventRecord(a Activity) EventRecord {
	t, src, sev := streamEventHead(a)
	r := EventRecord{
		ID:            a.ID,
		Timestamp:     streamUTC(a.At),
		EventType:     t,
		EventSource:   src,
		EventSeverity: sev,
		Alert:         a.Alert,
		Description:   a.Description,
		Organisation:  streamOrganisation(),
		SIM:           &RecordSIM{ID: a.SIMID, ICCID: a.ICCID, MSISDN: a.MSISDN, ProductionDate: streamProductionDate},
		IMSI:          &EventIMSI{ID: a.SIMID, IMSI: a.IMSI, ImportDate: streamProductionDate},
		Endpoint:      streamEventEndpoint(a),
		User:          streamUser(a),
	}
	switch {
	case streamIsLocation(a.EventType):
		if d := streamLocationDetail(a); d != nil {
			r.Detail = d
		}
	case streamIsPDP(a.EventType):
		r.Detail = &PDPDetail{PDPContext: &PDPContext{IP: a.IPAddress, APN: streamAPN, RATType: streamRATType, TXBytes: a.TxBytes, RXBytes: a.RxBytes}}
	}
	return r
}

func streamKB(bytes int64) int64 { return (bytes + 1023) / 1024 }

func streamSIMV2(a Activity) *SIMV2 {
	return &SIMV2{ID: a.SIMID, ICCID: a.ICCID, MSISDN: a.MSISDN, IMSI: a.IMSI, ProductionDate: streamProductionDate}
}

// NewUsageRecordV2 builds the Platform 2.0 usage event of a usage Activity.
func NewUsageRecordV2(a Activity) UsageRecordV2 {
	r := UsageRecordV2{
		ID:             a.ID,
		TrafficType:    streamTraffic(a),
		StartTimestamp: streamUTC(a.Start),
		EndTimestamp:   streamUTC(a.At),
		Organisation:   streamOrganisation(),
		SIM:            streamSIMV2(a),
		Endpoint:       streamEventEndpoint(a),
		Operator:       streamOperator(a),
		Currency:       streamCurrency(),
		Cost:           Decimal10(a.Cost),
	}
	if a.Traffic == "SMS" {
		n := a.SMSCount
		r.SMSCount = &n
	} else {
		id := streamSessionID(a)
		r.IPCANSessionID = &id
		r.Volume = &VolumeV2{RXKB: streamKB(a.RxBytes), TXKB: streamKB(a.TxBytes), TotalKB: streamKB(a.RxBytes + a.TxBytes)}
	}
	return r
}

// NewEventRecordV2 builds the Platform 2.0 event of an event Activity.
func NewEventRecordV2(a Activity) EventRecordV2 {
	t, src, sev := streamEventHead(a)
	r := EventRecordV2{
		ID:            a.ID,
		Timestamp:     streamUTC(a.At),
		EventType:     t,
		EventSource:   src,
		EventSeverity: sev,
		Alert:         a.Alert,
		Description:   a.Description,
		Organisation:  streamOrganisation(),
		SIM:           streamSIMV2(a),
		Endpoint:      streamEventEndpoint(a),
		User:          streamUser(a),
	}
	switch {
	case streamIsLocation(a.EventType):
		if d := streamLocationDetail(a); d != nil {
			r.Detail = d
		}
	case streamIsPDP(a.EventType):
		r.Detail = &IPCANDetail{IPCANSession: &IPCANSession{IPCANSessionID: streamSessionID(a), IP: a.IPAddress, APN: streamAPN, RATType: streamRATType}}
	}
	return r
}
