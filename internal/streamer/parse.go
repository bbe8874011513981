// Package streamer is oncefleet's receiver for the 1NCE Data Streamer (SPEC §9): an HTTP handler
// that durably stores pushed record batches before acknowledging them, an applier that turns
// stored records into usage, events, last-seen and connectivity exactly once, and a monitor of
// stream health.
//
// Units: 1NCE sends volumes in MB as decimals with six places. oncefleet stores bytes and takes
// 1 MB = 1,000,000 bytes, the only reading under which six decimal places are whole bytes.
package streamer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// MaxRecords is the most records 1NCE puts in one request; more is refused with 413.
const MaxRecords = 3000

// Record is one parsed Data Streamer record of either generation, reduced to what oncefleet
// uses; Raw keeps the record exactly as sent.
type Record struct {
	Stream record.Stream
	ID     string
	Raw    json.RawMessage

	// At is when the record happened: the event time, or the end of the usage interval.
	At time.Time
	// Start is the beginning of the usage interval (zero when not given).
	Start time.Time

	ICCID, IMSI, MSISDN, IMEI, IPAddress string
	Operator, Country                    string

	// Usage.
	Traffic                      string // "Data", "SMS", … as 1NCE names it
	RxBytes, TxBytes, TotalBytes int64
	SMSMO, SMSMT                 int64 // SMS messages sent by / to the device
	CostE10                      int64
	SessionID                    string

	// Event.
	EventType, EventSource, Severity, Description string
	Alert                                         bool
	Detail                                        json.RawMessage
	RAT                                           string
}

// BatchError is a batch rejected for its first bad record.
type BatchError struct {
	// Index is the position of the bad record in the array (-1: the body itself is bad).
	Index  int
	Reason string
}

func (e *BatchError) Error() string {
	if e.Index < 0 {
		return "invalid batch: " + e.Reason
	}
	return fmt.Sprintf("invalid record at index %d: %s", e.Index, e.Reason)
}

// ErrTooManyRecords is returned when a batch holds more than MaxRecords records.
var ErrTooManyRecords = fmt.Errorf("batch holds more than %d records", MaxRecords)

// ParseBatch reads a JSON array of records from r, one element at a time, and validates each:
// the returned records carry Stream, ID, Raw and the times and amounts; ParseRecord gives the
// rest.
// def is the stream an ambiguous record belongs to ("" on the combined endpoint, where an
// ambiguous record is an error). It returns ErrTooManyRecords past MaxRecords, the reader's
// own error (e.g. *http.MaxBytesError) when reading fails, or a *BatchError for bad input.
func ParseBatch(r io.Reader, def record.Stream) ([]Record, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, readErr(err, -1)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, &BatchError{Index: -1, Reason: "body must be a JSON array of records"}
	}
	var out []Record
	for i := 0; dec.More(); i++ {
		if i >= MaxRecords {
			return nil, ErrTooManyRecords
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, readErr(err, i)
		}
		rec, err := parseRecord(raw, def, false)
		if err != nil {
			return nil, &BatchError{Index: i, Reason: err.Error()}
		}
		out = append(out, rec)
	}
	if _, err := dec.Token(); err != nil {
		return nil, readErr(err, len(out))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, readErr(err, -1)
		}
		return nil, &BatchError{Index: -1, Reason: "unexpected data after the array"}
	}
	if len(out) == 0 {
		return nil, &BatchError{Index: -1, Reason: "empty array: a batch holds at least one record"}
	}
	return out, nil
}

// readErr keeps reader failures (body too large, connection reset) distinct from bad JSON.
func readErr(err error, index int) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn), errors.As(err, &typ):
		return &BatchError{Index: index, Reason: "malformed JSON: " + err.Error()}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &BatchError{Index: index, Reason: "truncated JSON"}
	}
	return err
}

// wire lists the fields oncefleet reads, under both generations' names; encoding/json ignores
// every other field. Polymorphic fields (object or string, number or string) stay raw.
type wire struct {
	ID            json.RawMessage `json:"id"`
	RecordID      json.RawMessage `json:"record_id"`
	EventID       json.RawMessage `json:"event_id"`
	UsageEventID  json.RawMessage `json:"usage_event_id"`
	Timestamp     json.RawMessage `json:"timestamp"`
	EventTime     json.RawMessage `json:"event_timestamp"`
	Start         json.RawMessage `json:"start_timestamp"`
	StartTime     json.RawMessage `json:"start_time"`
	End           json.RawMessage `json:"end_timestamp"`
	EndTime       json.RawMessage `json:"end_time"`
	TrafficType   json.RawMessage `json:"traffic_type"`
	ServiceType   json.RawMessage `json:"service_type"`
	EventType     json.RawMessage `json:"event_type"`
	EventSource   json.RawMessage `json:"event_source"`
	EventSeverity json.RawMessage `json:"event_severity"`
	Severity      json.RawMessage `json:"severity"`
	Alert         json.RawMessage `json:"alert"`
	Description   json.RawMessage `json:"description"`
	SIM           json.RawMessage `json:"sim"`
	ICCID         json.RawMessage `json:"iccid"`
	MSISDN        json.RawMessage `json:"msisdn"`
	IMSI          json.RawMessage `json:"imsi"`
	Endpoint      json.RawMessage `json:"endpoint"`
	IMEI          json.RawMessage `json:"imei"`
	IPAddress     json.RawMessage `json:"ip_address"`
	Operator      json.RawMessage `json:"operator"`
	Volume        json.RawMessage `json:"volume"`
	Cost          json.RawMessage `json:"cost"`
	SMSCount      json.RawMessage `json:"sms_count"`
	Quantity      json.RawMessage `json:"quantity"`
	Direction     json.RawMessage `json:"direction"`
	SessionID     json.RawMessage `json:"ipcan_session_id"`
	PDPContextID  json.RawMessage `json:"pdp_context_id"`
	Detail        json.RawMessage `json:"detail"`
}

// ParseRecord parses one record. It is strict where a wrong guess would corrupt data (the id,
// timestamps, volumes, cost) and lenient everywhere else: unknown fields are ignored, nested
// objects may be null or missing, and descriptive fields may be strings or {id, description}.
func ParseRecord(raw json.RawMessage, def record.Stream) (Record, error) {
	return parseRecord(raw, def, true)
}

// parseRecord with full=false only validates and classifies (id, stream, times, amounts): the
// acknowledgement path needs no more, and the applier parses fully later.
func parseRecord(raw json.RawMessage, def record.Stream, full bool) (Record, error) {
	var w wire
	if err := json.Unmarshal(raw, &w); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field == "" {
			return Record{}, errors.New("record must be a JSON object")
		}
		return Record{}, fmt.Errorf("malformed record: %v", err)
	}
	rec := Record{Raw: raw}
	id, err := parseID(first(w.ID, w.RecordID, w.EventID, w.UsageEventID))
	if err != nil {
		return Record{}, err
	}
	rec.ID = id

	switch {
	case present(w.EventType):
		rec.Stream = record.StreamEvent
	case present(w.TrafficType), present(w.ServiceType), present(w.Volume), present(w.Start), present(w.StartTime), present(w.End), present(w.EndTime):
		rec.Stream = record.StreamUsage
	case def != "":
		rec.Stream = def
	default:
		return Record{}, errors.New("cannot tell an event record from a usage record: neither event_type nor traffic_type/volume/start_timestamp is present")
	}

	if full {
		fillIdentity(&rec, &w)
	}
	if rec.Stream == record.StreamEvent {
		return parseEvent(rec, &w, full)
	}
	return parseUsage(rec, &w)
}

// fillIdentity reads the SIM's identity from the nested objects (v1) or top-level fields
// (Platform 2.0).
func fillIdentity(rec *Record, w *wire) {
	sim := objectFields(w.SIM)
	rec.ICCID = firstString(sim["iccid"], w.ICCID)
	rec.MSISDN = firstString(sim["msisdn"], w.MSISDN)
	if imsi := objectFields(w.IMSI); imsi != nil {
		rec.IMSI = str(imsi["imsi"])
	} else {
		rec.IMSI = firstString(w.IMSI, sim["imsi"]) // Platform 2.0 moves it into sim
	}
	ep := objectFields(w.Endpoint)
	rec.IMEI = firstString(ep["imei"], w.IMEI)
	rec.IPAddress = firstString(ep["ip_address"], w.IPAddress)
	if op := objectFields(w.Operator); op != nil {
		rec.Operator = str(op["name"])
		rec.Country = str(objectFields(op["country"])["name"])
	} else {
		rec.Operator = str(w.Operator)
	}
	rec.SessionID = firstString(w.SessionID, w.PDPContextID)
}

func parseEvent(rec Record, w *wire, full bool) (Record, error) {
	at, err := parseTime("timestamp", first(w.Timestamp, w.EventTime))
	if err != nil {
		return Record{}, err
	}
	if at.IsZero() {
		return Record{}, errors.New("event record has no timestamp")
	}
	rec.At = at
	if !full {
		return rec, nil
	}
	rec.EventType = describe(w.EventType)
	rec.EventSource = describe(w.EventSource)
	rec.Severity = describe(first(w.EventSeverity, w.Severity))
	rec.Description = str(w.Description)
	rec.Alert = bytes.Equal(bytes.TrimSpace(w.Alert), []byte("true"))
	if d := objectFields(w.Detail); d != nil {
		rec.Detail = w.Detail
		if rec.Operator == "" {
			rec.Operator = str(d["name"])
		}
		if c := objectFields(d["country"]); c != nil && rec.Country == "" {
			rec.Country = str(c["name"])
		}
		// v1 calls the session pdp_context, Platform 2.0 ipcan_session.
		pdp := objectFields(d["pdp_context"])
		if pdp == nil {
			pdp = objectFields(d["ipcan_session"])
		}
		if pdp != nil {
			if rec.SessionID == "" {
				rec.SessionID = str(pdp["ipcan_session_id"])
			}
			rec.RAT = str(pdp["rat_type"])
			if rec.IPAddress == "" {
				rec.IPAddress = firstString(pdp["ip"], pdp["ip_address"])
			}
		}
	}
	return rec, nil
}

func parseUsage(rec Record, w *wire) (Record, error) {
	start, err := parseTime("start_timestamp", first(w.Start, w.StartTime))
	if err != nil {
		return Record{}, err
	}
	end, err := parseTime("end_timestamp", first(w.End, w.EndTime, w.Timestamp, w.EventTime))
	if err != nil {
		return Record{}, err
	}
	if end.IsZero() {
		end = start
	}
	if end.IsZero() {
		return Record{}, errors.New("usage record has neither end_timestamp nor start_timestamp")
	}
	rec.Start, rec.At = start, end
	rec.Traffic = describe(first(w.TrafficType, w.ServiceType))

	vol := objectFields(w.Volume)
	if rec.CostE10, err = parseAmount("cost", w.Cost, 10); err != nil {
		return Record{}, err
	}
	traffic := strings.ToLower(rec.Traffic)
	if strings.Contains(traffic, "sms") {
		return parseSMS(rec, w, vol, traffic)
	}
	switch {
	case vol != nil && (present(vol["rx_kb"]) || present(vol["tx_kb"]) || present(vol["total_kb"])):
		// Platform 2.0 counts whole kilobytes of 1,024 bytes.
		var kb [3]int64
		for i, f := range []string{"rx_kb", "tx_kb", "total_kb"} {
			if kb[i], err = parseAmount("volume."+f, vol[f], 0); err != nil {
				return Record{}, err
			}
		}
		rec.RxBytes, rec.TxBytes, rec.TotalBytes = kb[0]*1024, kb[1]*1024, kb[2]*1024
		if !present(vol["total_kb"]) {
			rec.TotalBytes = rec.RxBytes + rec.TxBytes
		}
	case vol != nil:
		if rec.RxBytes, err = parseAmount("volume.rx", vol["rx"], 6); err != nil {
			return Record{}, err
		}
		if rec.TxBytes, err = parseAmount("volume.tx", vol["tx"], 6); err != nil {
			return Record{}, err
		}
		if rec.TotalBytes, err = parseAmount("volume.total", vol["total"], 6); err != nil {
			return Record{}, err
		}
		if !present(vol["total"]) {
			rec.TotalBytes = rec.RxBytes + rec.TxBytes
		}
	case present(w.Volume):
		// A bare number is the total volume in MB.
		if rec.TotalBytes, err = parseAmount("volume", w.Volume, 6); err != nil {
			return Record{}, err
		}
	}
	return rec, nil
}

// parseSMS reads an SMS usage record's message counts. An explicit count (sms_count,
// quantity) goes to the direction the record names (default MO); otherwise the volume object
// counts messages, not megabytes: tx is mobile-originated, rx mobile-terminated, and a total
// alone counts as MO. A record with no count at all stands for one message.
func parseSMS(rec Record, w *wire, vol map[string]json.RawMessage, traffic string) (Record, error) {
	count := first(w.SMSCount, w.Quantity)
	dir := strings.ToLower(describe(w.Direction))
	mt := strings.Contains(traffic, "mt") || dir == "mt" || strings.Contains(dir, "terminated")
	switch {
	case present(count):
		n, err := parseAmount("sms_count", count, 0)
		if err != nil {
			return Record{}, err
		}
		if mt {
			rec.SMSMT = n
		} else {
			rec.SMSMO = n
		}
	case vol != nil:
		rx, err := parseAmount("volume.rx", vol["rx"], 0)
		if err != nil {
			return Record{}, err
		}
		tx, err := parseAmount("volume.tx", vol["tx"], 0)
		if err != nil {
			return Record{}, err
		}
		total, err := parseAmount("volume.total", vol["total"], 0)
		if err != nil {
			return Record{}, err
		}
		rec.SMSMO, rec.SMSMT = tx, rx
		if rx+tx == 0 {
			rec.SMSMO = total
		}
	default:
		if mt {
			rec.SMSMT = 1
		} else {
			rec.SMSMO = 1
		}
	}
	return rec, nil
}

// present reports whether a field was sent with a non-null value.
func present(r json.RawMessage) bool {
	r = bytes.TrimSpace(r)
	return len(r) > 0 && !bytes.Equal(r, []byte("null"))
}

func first(rs ...json.RawMessage) json.RawMessage {
	for _, r := range rs {
		if present(r) {
			return r
		}
	}
	return nil
}

// parseID accepts a JSON string or integer and keeps the integer's exact digits.
func parseID(r json.RawMessage) (string, error) {
	if !present(r) {
		return "", errors.New("record has no id")
	}
	r = bytes.TrimSpace(r)
	switch r[0] {
	case '"':
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			return "", fmt.Errorf("id: %v", err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return "", errors.New("id is empty")
		}
		if len(s) > 200 {
			return "", errors.New("id is longer than 200 characters")
		}
		return s, nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		s := string(r)
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			if _, uerr := strconv.ParseUint(s, 10, 64); uerr != nil {
				return "", fmt.Errorf("id %s is not a 64-bit integer", s)
			}
		}
		return s, nil
	}
	return "", errors.New("id must be a string or an integer")
}

// objectFields returns the members of a JSON object, or nil for null, missing or non-objects.
func objectFields(r json.RawMessage) map[string]json.RawMessage {
	if !present(r) || bytes.TrimSpace(r)[0] != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(r, &m) != nil {
		return nil
	}
	return m
}

// str reads a JSON string, or a number's text; anything else is "".
func str(r json.RawMessage) string {
	r = bytes.TrimSpace(r)
	if len(r) == 0 {
		return ""
	}
	switch r[0] {
	case '"':
		var s string
		if json.Unmarshal(r, &s) == nil {
			return s
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(r)
	}
	return ""
}

func firstString(rs ...json.RawMessage) string {
	for _, r := range rs {
		if s := str(r); s != "" {
			return s
		}
	}
	return ""
}

// describe reads a descriptive field sent as {"id":…, "description":"…"} (v1) or as a string.
func describe(r json.RawMessage) string {
	if m := objectFields(r); m != nil {
		return firstString(m["description"], m["name"])
	}
	return str(r)
}

// timeLayouts are the timestamp forms accepted; zone-less forms are UTC, as 1NCE documents.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"}

// parseTime reads an ISO-8601 string or Unix seconds/milliseconds; absent gives the zero time.
func parseTime(field string, r json.RawMessage) (time.Time, error) {
	if !present(r) {
		return time.Time{}, nil
	}
	r = bytes.TrimSpace(r)
	if r[0] == '"' {
		s := str(r)
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("%s %q is not an ISO-8601 time", field, s)
	}
	n, err := strconv.ParseInt(string(r), 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("%s must be an ISO-8601 string or Unix seconds", field)
	}
	if n > 1e12 {
		return time.UnixMilli(n).UTC(), nil
	}
	return time.Unix(n, 0).UTC(), nil
}

// maxAmount bounds parsed amounts so sums of a batch cannot overflow int64.
var maxAmount = new(big.Rat).SetInt64(1 << 50)

// parseAmount reads a non-negative decimal (number or numeric string) scaled by 10^scale and
// rounded half up: MB with scale 6 gives bytes, cost with scale 10 gives 1e-10 units. Absent
// gives 0.
func parseAmount(field string, r json.RawMessage, scale int) (int64, error) {
	if !present(r) {
		return 0, nil
	}
	s := str(r)
	if s == "" {
		return 0, fmt.Errorf("%s must be a number", field)
	}
	s = strings.TrimSpace(s)
	if !isDecimal(s) {
		return 0, fmt.Errorf("%s %q is not a number", field, s)
	}
	v, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, fmt.Errorf("%s %q is not a number", field, s)
	}
	if v.Sign() < 0 {
		return 0, fmt.Errorf("%s %q is negative", field, s)
	}
	v.Mul(v, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if v.Cmp(maxAmount) > 0 {
		return 0, fmt.Errorf("%s %q is out of range", field, s)
	}
	// Round half up: floor(v + 1/2).
	v.Add(v, big.NewRat(1, 2))
	q := new(big.Int).Quo(v.Num(), v.Denom())
	return q.Int64(), nil
}

// isDecimal accepts plain decimal numbers with an optional small exponent. It guards big.Rat,
// which would otherwise accept fractions and hex and spend unbounded time on 1e999999999.
func isDecimal(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	i := 0
	if s[i] == '-' || s[i] == '+' {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		start := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp = exp*10 + int(s[i]-'0')
			if exp > 40 {
				return false
			}
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}
