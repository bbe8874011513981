// Package streamer is oncefleet's receiver for the 1NCE Data Streamer (SPEC §9): an HTTP handler
// that durably stores pushed record batches before acknowledging them, an applier that turns
// stored records into usage, events, last-seen and connectivity exactly once, and a monitor of
// stream health.
//
// Units: 1NCE sends volumes in MB as decimals with six places. oncefleet stores bytes and, like
// the SDK and 1NCE's v2 spec ("1 MB = 1024 KB"), takes 1 MB = 1,048,576 bytes (once.MBToBytes),
// so streamed and polled usage of one SIM add up in the same unit.
package streamer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/oncefleet/oncefleet/internal/streamer/record"
	"github.com/oncefleet/oncefleet/once"
)

// MaxRecords is the most records 1NCE puts in one request; more is refused with 413.
const MaxRecords = 3000

// Record is one parsed Data Streamer record of either generation, reduced to what oncefleet
// uses; Raw keeps the record as sent (see ParseBatch for the one rewrite).
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

// ParseBatch reads a JSON array of records from r one element at a time (the body is never held
// whole) and validates each: the returned records carry Stream, ID, Raw and the times and
// amounts; ParseRecord gives the rest. def is the stream an ambiguous record belongs to (""
// on the combined endpoint, where an ambiguous record is an error).
//
// It returns ErrTooManyRecords past MaxRecords, the reader's own error (e.g.
// *http.MaxBytesError) when reading fails, or a *BatchError for bad input. The one change
// made to a record's bytes: escapes that are valid JSON but that PostgreSQL's jsonb cannot hold
// (\u0000, unpaired surrogates) become \ufffd, so such a record is stored rather than refused
// on every re-send.
func ParseBatch(r io.Reader, def record.Stream) ([]Record, error) {
	sp := splitter{r: bufio.NewReaderSize(r, 64<<10)}
	var p fastjson.Parser
	c, err := sp.skipSpace()
	if err != nil {
		return nil, sp.fail(err, -1)
	}
	if c != '[' {
		return nil, &BatchError{Index: -1, Reason: "body must be a JSON array of records"}
	}
	if c, err = sp.skipSpace(); err != nil {
		return nil, sp.fail(err, 0)
	}
	var out []Record
	if c != ']' {
		for i := 0; ; i++ {
			if i >= MaxRecords {
				return nil, ErrTooManyRecords
			}
			raw, err := sp.element(c)
			if err != nil {
				return nil, sp.fail(err, i)
			}
			rec, err := parseRecord(&p, raw, def, false)
			if err != nil {
				return nil, &BatchError{Index: i, Reason: err.Error()}
			}
			out = append(out, rec)
			if c, err = sp.skipSpace(); err != nil {
				return nil, sp.fail(err, i+1)
			}
			if c == ']' {
				break
			}
			if c != ',' {
				return nil, &BatchError{Index: i + 1, Reason: fmt.Sprintf("malformed JSON: expected ',' or ']' after a record, found %q", c)}
			}
			if c, err = sp.skipSpace(); err != nil {
				return nil, sp.fail(err, i+1)
			}
		}
	}
	if _, err := sp.skipSpace(); err == nil {
		return nil, &BatchError{Index: -1, Reason: "unexpected data after the array"}
	} else if !errors.Is(err, io.EOF) {
		return nil, sp.fail(err, -1)
	}
	if len(out) == 0 {
		return nil, &BatchError{Index: -1, Reason: "empty array: a batch holds at least one record"}
	}
	return out, nil
}

// errSyntax marks bad JSON found by the splitter.
var errSyntax = errors.New("malformed JSON")

// splitter cuts a JSON array into its elements' bytes while reading. It checks only what it
// needs to find element boundaries (brackets, strings); fastjson validates each element.
type splitter struct {
	r *bufio.Reader
}

// fail turns read errors into BatchErrors where the input is to blame, and passes the
// reader's own failures (size limit, broken connection) through.
func (s *splitter) fail(err error, index int) error {
	switch {
	case errors.Is(err, errSyntax):
		return &BatchError{Index: index, Reason: err.Error()}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &BatchError{Index: index, Reason: "truncated JSON"}
	}
	return err
}

func (s *splitter) skipSpace() (byte, error) {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c, nil
		}
	}
}

// element reads one array element whose first byte c was already consumed.
func (s *splitter) element(c byte) ([]byte, error) {
	buf := make([]byte, 0, 1024)
	buf = append(buf, c)
	switch c {
	case '{', '[':
		depth := 1
		var num numberCheck
		for depth > 0 {
			b, err := s.r.ReadByte()
			if err != nil {
				return nil, unexpected(err)
			}
			buf = append(buf, b)
			if err := num.next(b); err != nil {
				return nil, err
			}
			switch b {
			case '"':
				if buf, err = s.stringBody(buf); err != nil {
					return nil, err
				}
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
		return buf, nil
	case '"':
		return s.stringBody(buf)
	case ',', ']', '}', ':':
		return nil, fmt.Errorf("%w: unexpected %q", errSyntax, c)
	}
	// A bare literal (number, true, false, null): runs to the next delimiter.
	for {
		b, err := s.r.ReadByte()
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if b == ',' || b == ']' || b == ' ' || b == '\t' || b == '\n' || b == '\r' {
			_ = s.r.UnreadByte()
			return buf, nil
		}
		buf = append(buf, b)
	}
}

// numberCheck refuses number literals PostgreSQL's numeric (and so jsonb) cannot hold: more
// than maxNumberLen characters or an exponent beyond four digits. JSON sets no such limits,
// but a record acknowledged and then refused by the database would be re-sent forever.
type numberCheck struct {
	length  int // characters of the current number-like run, 0 outside one
	expDigs int // digits after e/E, -1 before an exponent
}

const maxNumberLen = 1000

func (n *numberCheck) next(b byte) error {
	switch {
	case b >= '0' && b <= '9':
		if n.length == 0 {
			n.expDigs = -1
		}
		if n.expDigs >= 0 {
			n.expDigs++
		}
	case b == 'e' || b == 'E':
		if n.length == 0 { // the e of true/false: not a number
			return nil
		}
		n.expDigs = 0
	case b == '-' || b == '+' || b == '.':
		if n.length == 0 {
			n.expDigs = -1
		}
	default:
		n.length = 0
		return nil
	}
	n.length++
	if n.length > maxNumberLen || n.expDigs > 4 {
		return fmt.Errorf("%w: number out of range", errSyntax)
	}
	return nil
}

// stringBody reads a string's bytes after its opening quote, through the closing quote. It
// rewrites the escapes PostgreSQL's jsonb refuses although JSON allows them, \u0000 and
// unpaired UTF-16 surrogates, to \ufffd (the replacement character).
func (s *splitter) stringBody(buf []byte) ([]byte, error) {
	high := -1 // offset in buf of the hex digits of a high surrogate awaiting its low half
	replace := func(at int) { copy(buf[at:at+4], "fffd") }
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			return nil, unexpected(err)
		}
		buf = append(buf, b)
		if b != '\\' {
			if high >= 0 {
				replace(high)
				high = -1
			}
			if b == '"' {
				return buf, nil
			}
			continue
		}
		e, err := s.r.ReadByte()
		if err != nil {
			return nil, unexpected(err)
		}
		buf = append(buf, e)
		if e != 'u' {
			if high >= 0 {
				replace(high)
				high = -1
			}
			continue
		}
		at := len(buf)
		var hex [4]byte
		if _, err := io.ReadFull(s.r, hex[:]); err != nil {
			return nil, unexpected(err)
		}
		buf = append(buf, hex[:]...)
		code, err := strconv.ParseUint(string(hex[:]), 16, 16)
		if err != nil {
			return nil, fmt.Errorf("%w: bad \\u escape", errSyntax)
		}
		switch {
		case code >= 0xDC00 && code <= 0xDFFF: // low surrogate: fine only right after a high one
			if high < 0 {
				replace(at)
			}
			high = -1
		case code >= 0xD800 && code <= 0xDBFF:
			if high >= 0 {
				replace(high)
			}
			high = at
		default:
			if high >= 0 {
				replace(high)
				high = -1
			}
			if code == 0 {
				replace(at)
			}
		}
	}
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ParseRecord parses one record. It is strict where a wrong guess would corrupt data (the id,
// timestamps, volumes, cost) and lenient everywhere else: unknown fields are ignored, nested
// objects may be null or missing, and descriptive fields may be strings or {id, description}.
func ParseRecord(raw json.RawMessage, def record.Stream) (Record, error) {
	var p fastjson.Parser
	return parseRecord(&p, raw, def, true)
}

// parseRecord with full=false only validates and classifies (id, stream, times, amounts): the
// acknowledgement path needs no more, and the applier parses fully later. Both go through
// the same checks, so a record accepted on receipt always parses in full.
func parseRecord(p *fastjson.Parser, raw []byte, def record.Stream, full bool) (Record, error) {
	if !utf8.Valid(raw) {
		return Record{}, errors.New("record is not valid UTF-8")
	}
	// Parse is lenient (NaN, leading zeros, raw control characters); the strict validator keeps
	// out what the JSON column would refuse after the record was acknowledged.
	if err := fastjson.ValidateBytes(raw); err != nil {
		return Record{}, fmt.Errorf("malformed JSON: %v", err)
	}
	v, err := p.ParseBytes(raw)
	if err != nil {
		return Record{}, fmt.Errorf("malformed JSON: %v", err)
	}
	if v.Type() != fastjson.TypeObject {
		return Record{}, errors.New("record must be a JSON object")
	}
	rec := Record{Raw: raw}
	if rec.ID, err = parseID(field(v, "id", "record_id", "event_id", "usage_event_id")); err != nil {
		return Record{}, err
	}
	switch {
	case present(v.Get("event_type")):
		rec.Stream = record.StreamEvent
	case field(v, "traffic_type", "service_type", "volume", "start_timestamp", "start_time", "end_timestamp", "end_time") != nil:
		rec.Stream = record.StreamUsage
	case def != "":
		rec.Stream = def
	default:
		return Record{}, errors.New("cannot tell an event record from a usage record: neither event_type nor traffic_type/volume/start_timestamp is present")
	}
	if full {
		fillIdentity(&rec, v)
	}
	if rec.Stream == record.StreamEvent {
		return parseEvent(rec, v, full)
	}
	return parseUsage(rec, v)
}

// fillIdentity reads the SIM's identity from the nested objects (v1) or top-level fields
// (Platform 2.0).
func fillIdentity(rec *Record, v *fastjson.Value) {
	sim := object(v.Get("sim"))
	rec.ICCID = firstString(sim.Get("iccid"), v.Get("iccid"))
	rec.MSISDN = firstString(sim.Get("msisdn"), v.Get("msisdn"))
	if imsi := object(v.Get("imsi")); imsi != nil {
		rec.IMSI = str(imsi.Get("imsi"))
	} else {
		rec.IMSI = firstString(v.Get("imsi"), sim.Get("imsi")) // Platform 2.0 moves it into sim
	}
	ep := object(v.Get("endpoint"))
	rec.IMEI = firstString(ep.Get("imei"), v.Get("imei"))
	rec.IPAddress = firstString(ep.Get("ip_address"), v.Get("ip_address"))
	if op := object(v.Get("operator")); op != nil {
		rec.Operator = str(op.Get("name"))
		rec.Country = str(object(op.Get("country")).Get("name"))
	} else {
		rec.Operator = str(v.Get("operator"))
	}
	rec.SessionID = firstString(v.Get("ipcan_session_id"), v.Get("pdp_context_id"))
}

func parseEvent(rec Record, v *fastjson.Value, full bool) (Record, error) {
	at, err := parseTime("timestamp", field(v, "timestamp", "event_timestamp"))
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
	rec.EventType = describe(v.Get("event_type"))
	rec.EventSource = describe(v.Get("event_source"))
	rec.Severity = describe(field(v, "event_severity", "severity"))
	rec.Description = str(v.Get("description"))
	rec.Alert = v.Get("alert") != nil && v.Get("alert").Type() == fastjson.TypeTrue
	if d := object(v.Get("detail")); d != nil {
		rec.Detail = d.MarshalTo(nil)
		if rec.Operator == "" {
			rec.Operator = str(d.Get("name"))
		}
		if c := object(d.Get("country")); c != nil && rec.Country == "" {
			rec.Country = str(c.Get("name"))
		}
		// v1 calls the session pdp_context, Platform 2.0 ipcan_session.
		pdp := object(d.Get("pdp_context"))
		if pdp == nil {
			pdp = object(d.Get("ipcan_session"))
		}
		if pdp != nil {
			if rec.SessionID == "" {
				rec.SessionID = str(pdp.Get("ipcan_session_id"))
			}
			rec.RAT = str(pdp.Get("rat_type"))
			if rec.IPAddress == "" {
				rec.IPAddress = firstString(pdp.Get("ip"), pdp.Get("ip_address"))
			}
		}
	}
	return rec, nil
}

func parseUsage(rec Record, v *fastjson.Value) (Record, error) {
	start, err := parseTime("start_timestamp", field(v, "start_timestamp", "start_time"))
	if err != nil {
		return Record{}, err
	}
	end, err := parseTime("end_timestamp", field(v, "end_timestamp", "end_time", "timestamp", "event_timestamp"))
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
	rec.Traffic = describe(field(v, "traffic_type", "service_type"))

	vol := object(v.Get("volume"))
	if rec.CostE10, err = parseAmount("cost", v.Get("cost"), 10); err != nil {
		return Record{}, err
	}
	traffic := strings.ToLower(rec.Traffic)
	if strings.Contains(traffic, "sms") {
		return parseSMS(rec, v, vol, traffic)
	}
	switch {
	case vol != nil && field(vol, "rx_kb", "tx_kb", "total_kb") != nil:
		// Platform 2.0 counts whole kilobytes of 1,024 bytes.
		var kb [3]int64
		for i, f := range []string{"rx_kb", "tx_kb", "total_kb"} {
			if kb[i], err = parseAmount("volume."+f, vol.Get(f), 0); err != nil {
				return Record{}, err
			}
		}
		rec.RxBytes, rec.TxBytes, rec.TotalBytes = kb[0]*1024, kb[1]*1024, kb[2]*1024
		if !present(vol.Get("total_kb")) {
			rec.TotalBytes = rec.RxBytes + rec.TxBytes
		}
	case vol != nil:
		if rec.RxBytes, err = parseMB("volume.rx", vol.Get("rx")); err != nil {
			return Record{}, err
		}
		if rec.TxBytes, err = parseMB("volume.tx", vol.Get("tx")); err != nil {
			return Record{}, err
		}
		if rec.TotalBytes, err = parseMB("volume.total", vol.Get("total")); err != nil {
			return Record{}, err
		}
		if !present(vol.Get("total")) {
			rec.TotalBytes = rec.RxBytes + rec.TxBytes
		}
	case present(v.Get("volume")):
		// A bare number is the total volume in MB.
		if rec.TotalBytes, err = parseMB("volume", v.Get("volume")); err != nil {
			return Record{}, err
		}
	}
	return rec, nil
}

// parseSMS reads an SMS usage record's message counts. An explicit count (sms_count,
// quantity) goes to the direction the record names (default MO); otherwise the volume object
// counts messages, not megabytes: tx is mobile-originated, rx mobile-terminated, and a total
// alone counts as MO. A record with no count at all stands for one message.
func parseSMS(rec Record, v, vol *fastjson.Value, traffic string) (Record, error) {
	count := field(v, "sms_count", "quantity")
	dir := strings.ToLower(describe(v.Get("direction")))
	mt := strings.Contains(traffic, "mt") || dir == "mt" || strings.Contains(dir, "terminated")
	switch {
	case count != nil:
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
		rx, err := parseAmount("volume.rx", vol.Get("rx"), 0)
		if err != nil {
			return Record{}, err
		}
		tx, err := parseAmount("volume.tx", vol.Get("tx"), 0)
		if err != nil {
			return Record{}, err
		}
		total, err := parseAmount("volume.total", vol.Get("total"), 0)
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
func present(v *fastjson.Value) bool {
	return v != nil && v.Type() != fastjson.TypeNull
}

// field returns the first of keys that o has with a non-null value: both generations' names.
func field(o *fastjson.Value, keys ...string) *fastjson.Value {
	for _, k := range keys {
		if f := o.Get(k); present(f) {
			return f
		}
	}
	return nil
}

// object returns v if it is an object, else nil; Get on a nil *Value returns nil, so chains
// over missing or null nested objects are safe.
func object(v *fastjson.Value) *fastjson.Value {
	if v == nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	return v
}

// str reads a JSON string, or a number's text exactly as sent; anything else is "".
func str(v *fastjson.Value) string {
	if v == nil {
		return ""
	}
	switch v.Type() {
	case fastjson.TypeString:
		return string(v.GetStringBytes())
	case fastjson.TypeNumber:
		return string(v.MarshalTo(nil))
	}
	return ""
}

func firstString(vs ...*fastjson.Value) string {
	for _, v := range vs {
		if s := str(v); s != "" {
			return s
		}
	}
	return ""
}

// describe reads a descriptive field sent as {"id":…, "description":"…"} (v1) or as a string.
func describe(v *fastjson.Value) string {
	if o := object(v); o != nil {
		return firstString(o.Get("description"), o.Get("name"))
	}
	return str(v)
}

// parseID accepts a JSON string or integer and keeps the integer's exact digits.
func parseID(v *fastjson.Value) (string, error) {
	if !present(v) {
		return "", errors.New("record has no id")
	}
	switch v.Type() {
	case fastjson.TypeString:
		s := strings.TrimSpace(string(v.GetStringBytes()))
		if s == "" {
			return "", errors.New("id is empty")
		}
		if len(s) > 200 {
			return "", errors.New("id is longer than 200 characters")
		}
		return s, nil
	case fastjson.TypeNumber:
		s := str(v)
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			if _, uerr := strconv.ParseUint(s, 10, 64); uerr != nil {
				return "", fmt.Errorf("id %s is not a 64-bit integer", s)
			}
		}
		return s, nil
	}
	return "", errors.New("id must be a string or an integer")
}

// timeLayouts are the timestamp forms accepted; zone-less forms are UTC, as 1NCE documents.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"}

// parseTime reads an ISO-8601 string or Unix seconds/milliseconds; absent gives the zero time.
func parseTime(name string, v *fastjson.Value) (time.Time, error) {
	if !present(v) {
		return time.Time{}, nil
	}
	if v.Type() == fastjson.TypeString {
		s := string(v.GetStringBytes())
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("%s %q is not an ISO-8601 time", name, s)
	}
	n, err := strconv.ParseInt(str(v), 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("%s must be an ISO-8601 string or Unix seconds", name)
	}
	if n > 1e12 {
		return time.UnixMilli(n).UTC(), nil
	}
	return time.Unix(n, 0).UTC(), nil
}

// parseMB reads a non-negative data volume in MB (number or numeric string) as bytes.
func parseMB(name string, v *fastjson.Value) (int64, error) {
	if !present(v) {
		return 0, nil
	}
	// parseAmount validates (a non-negative decimal within range); the conversion itself is the
	// SDK's, so both sources of usage agree to the byte.
	if _, err := parseAmount(name, v, 6); err != nil {
		return 0, err
	}
	n, err := once.MBToBytes(once.Decimal(strings.TrimSpace(str(v))))
	if err != nil || n < 0 || n > maxAmount {
		return 0, fmt.Errorf("%s %q is out of range", name, str(v))
	}
	return n, nil
}

// maxAmount bounds parsed amounts so sums over many records cannot overflow int64.
const maxAmount = 1 << 50

// parseAmount reads a non-negative decimal (number or numeric string) scaled by 10^scale and
// rounded half up: MB with scale 6 gives bytes, cost with scale 10 gives 1e-10 units. Absent
// gives 0.
func parseAmount(name string, v *fastjson.Value, scale int) (int64, error) {
	if !present(v) {
		return 0, nil
	}
	s := strings.TrimSpace(str(v))
	if s == "" {
		return 0, fmt.Errorf("%s must be a number", name)
	}
	if !isDecimal(s) {
		return 0, fmt.Errorf("%s %q is not a number", name, s)
	}
	if s[0] == '-' && strings.Trim(s, "-+0.eE") != "" {
		return 0, fmt.Errorf("%s %q is negative", name, s)
	}
	n, ok := scalePlain(s, scale)
	if !ok {
		// Exponents and long mantissas take the exact (slower) path.
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return 0, fmt.Errorf("%s %q is not a number", name, s)
		}
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
		r.Add(r, big.NewRat(1, 2)) // round half up: floor(v + 1/2)
		q := new(big.Int).Quo(r.Num(), r.Denom())
		if !q.IsInt64() {
			return 0, fmt.Errorf("%s %q is out of range", name, s)
		}
		n = q.Int64()
	}
	if n > maxAmount {
		return 0, fmt.Errorf("%s %q is out of range", name, s)
	}
	return max(n, 0), nil
}

// scalePlain scales a plain decimal ("123.456", no sign or exponent) by 10^scale, rounding
// half up, in integer arithmetic; ok is false for anything else or when it might overflow.
func scalePlain(s string, scale int) (int64, bool) {
	intPart, frac, _ := strings.Cut(s, ".")
	if len(intPart) == 0 || len(intPart)+scale > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(intPart); i++ {
		c := intPart[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	for i := 0; i < scale; i++ {
		d := int64(0)
		if i < len(frac) {
			c := frac[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			d = int64(c - '0')
		}
		n = n*10 + d
	}
	if len(frac) > scale {
		for i := scale; i < len(frac); i++ {
			if frac[i] < '0' || frac[i] > '9' {
				return 0, false
			}
		}
		if frac[scale] >= '5' {
			n++
		}
	}
	return n, true
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
