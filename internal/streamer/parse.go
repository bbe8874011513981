// Package streamer is oncefleet's receiver for the 1NCE Data Streamer (SPEC §9): an HTTP handler
// that durably stores pushed record batches before acknowledging them, an applier that turns
// stored records into usage, events, last-seen and connectivity exactly once, and a monitor of
// stream health.
//
// Units: 1NCE sends volumes in MB as decimals with six places. oncefleet stores bytes and, like
// the SDK and 1NCE's v2 spec ("1 MB = 1024 KB"), takes 1 MB = 1,048,576 bytes (wire.MBToBytes in github.com/oncefleet/oncefleet/once/wire),
// so streamed and polled usage of one SIM add up in the same unit.
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
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/oncefleet/oncefleet/internal/streamer/record"
	"github.com/oncefleet/oncefleet/once/wire"
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
	// Organization is the id of the 1NCE organisation the SIM belongs to.
	Organization string

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

// ParseBatch reads a JSON array of records from r and validates each: the returned records
// carry Stream, ID, Raw and the times and amounts; ParseRecord gives the rest. def is the
// stream an ambiguous record belongs to ("" on the combined endpoint, where an ambiguous record
// is an error). r is read whole into memory, so bound it (the handler caps the body).
//
// It returns ErrTooManyRecords past MaxRecords, the reader's own error (e.g.
// *http.MaxBytesError) when reading fails, or a *BatchError for bad input. The one change
// made to a record's bytes: escapes that are valid JSON but whose decoded text PostgreSQL
// cannot hold in text or jsonb columns (\u0000, unpaired surrogates) become \ufffd, so such a
// record is applied rather than failing the applier's transaction after it was acknowledged.
func ParseBatch(r io.Reader, def record.Stream) ([]Record, error) {
	hint := 0
	if l, ok := r.(interface{ Len() int }); ok {
		hint = l.Len()
	}
	body, err := readBody(r, hint)
	if err != nil {
		return nil, err
	}
	return parseBatch(body, def)
}

// readBody reads r to its end into a buffer sized for hint bytes, so a body of known length is
// read without regrowing.
func readBody(r io.Reader, hint int) ([]byte, error) {
	b := make([]byte, 0, max(hint, 512)+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// parseBatch is ParseBatch over a body already in memory. Records' Raw share body's memory.
func parseBatch(body []byte, def record.Stream) ([]Record, error) {
	s := scanner{b: body}
	s.skipSpace()
	if s.i >= len(body) {
		return nil, &BatchError{Index: -1, Reason: errTruncated.Error()}
	}
	if body[s.i] != '[' {
		return nil, &BatchError{Index: -1, Reason: "body must be a JSON array of records"}
	}
	s.i++
	s.skipSpace()
	var p fastjson.Parser
	// Realistic records are hundreds of bytes; sizing for 64 avoids regrowing a large slice.
	out := make([]Record, 0, min(MaxRecords, len(body)/64+1))
	if s.i < len(body) && body[s.i] == ']' {
		s.i++
	} else {
		for i := 0; ; i++ {
			if i >= MaxRecords {
				return nil, ErrTooManyRecords
			}
			start := s.i
			s.fix = false
			if err := s.value(1); err != nil {
				return nil, &BatchError{Index: i, Reason: err.Error()}
			}
			raw := body[start:s.i:s.i]
			if s.fix {
				raw = fixEscapes(raw)
			}
			// Only strings may hold non-ASCII bytes, and the scanner checked everything else.
			if !utf8.Valid(raw) {
				return nil, &BatchError{Index: i, Reason: "record is not valid UTF-8"}
			}
			rec, err := parseRecord(&p, raw, def, false)
			if err != nil {
				return nil, &BatchError{Index: i, Reason: err.Error()}
			}
			out = append(out, rec)
			s.skipSpace()
			if s.i >= len(body) {
				return nil, &BatchError{Index: i + 1, Reason: errTruncated.Error()}
			}
			c := body[s.i]
			s.i++
			if c == ']' {
				break
			}
			if c != ',' {
				return nil, &BatchError{Index: i + 1, Reason: fmt.Sprintf("malformed JSON: expected ',' or ']' after a record, found %q", c)}
			}
			s.skipSpace()
		}
	}
	if s.skipSpace(); s.i < len(body) {
		return nil, &BatchError{Index: -1, Reason: "unexpected data after the array"}
	}
	if len(out) == 0 {
		return nil, &BatchError{Index: -1, Reason: "empty array: a batch holds at least one record"}
	}
	return out, nil
}

var (
	// errSyntax marks bad JSON found by the scanner.
	errSyntax = errors.New("malformed JSON")
	// errTruncated is a body that ends inside a value.
	errTruncated = errors.New("truncated JSON")
)

// scanner validates JSON strictly (RFC 8259) in one pass over bytes in memory and finds where
// each array element ends, so the records need no second validation before fastjson, which is
// lenient, picks their fields. It also refuses numbers PostgreSQL's numeric cannot hold and
// notes the escapes fixEscapes must rewrite.
type scanner struct {
	b   []byte
	i   int
	fix bool // the current element holds a \u escape fixEscapes rewrites
}

// maxDepth is fastjson's nesting limit: deeper records would not parse later.
const maxDepth = fastjson.MaxDepth

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) error {
	if s.i >= len(s.b) {
		return errTruncated
	}
	if depth > maxDepth {
		return fmt.Errorf("%w: nested deeper than %d levels", errSyntax, maxDepth)
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		return s.str()
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return fmt.Errorf("%w: unexpected %q", errSyntax, c)
	}
}

func (s *scanner) object(depth int) error {
	s.i++
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		if s.i >= len(s.b) {
			return errTruncated
		}
		if s.b[s.i] != '"' {
			return fmt.Errorf("%w: expected a quoted key, found %q", errSyntax, s.b[s.i])
		}
		if err := s.str(); err != nil {
			return err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return errTruncated
		}
		if s.b[s.i] != ':' {
			return fmt.Errorf("%w: expected ':' after a key, found %q", errSyntax, s.b[s.i])
		}
		s.i++
		s.skipSpace()
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return errTruncated
		}
		switch c := s.b[s.i]; c {
		case ',':
			s.i++
			s.skipSpace()
		case '}':
			s.i++
			return nil
		default:
			return fmt.Errorf("%w: expected ',' or '}' in an object, found %q", errSyntax, c)
		}
	}
}

func (s *scanner) array(depth int) error {
	s.i++
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return errTruncated
		}
		switch c := s.b[s.i]; c {
		case ',':
			s.i++
			s.skipSpace()
		case ']':
			s.i++
			return nil
		default:
			return fmt.Errorf("%w: expected ',' or ']' in an array, found %q", errSyntax, c)
		}
	}
}

// plainByte marks the bytes a string holds as they are: not the quote, the backslash or a
// control character.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads a string from its opening quote through its closing one.
func (s *scanner) str() error {
	b, i := s.b, s.i+1
	for {
		for i < len(b) && plainByte[b[i]] {
			i++
		}
		if i >= len(b) {
			return errTruncated
		}
		switch b[i] {
		case '"':
			s.i = i + 1
			return nil
		case '\\':
			if i+1 >= len(b) {
				return errTruncated
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return errTruncated
				}
				code, ok := hex4(b[i+2 : i+6])
				if !ok {
					return fmt.Errorf("%w: bad \\u escape", errSyntax)
				}
				if code == 0 || code >= 0xD800 && code <= 0xDFFF {
					s.fix = true
				}
				i += 6
			default:
				return fmt.Errorf("%w: unknown escape \\%c", errSyntax, b[i+1])
			}
		default:
			return fmt.Errorf("%w: control character 0x%02X in a string", errSyntax, b[i])
		}
	}
}

// hex4 decodes four hex digits.
func hex4(h []byte) (rune, bool) {
	var r rune
	for _, c := range h[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// maxNumberLen and the four exponent digits bound number literals to what PostgreSQL's numeric
// (and so jsonb, where the applier writes event details, and the applier's arithmetic) can hold.
// JSON sets no such limits, but a record acknowledged and then refused by the database would
// fail the applier's transaction on every retry.
const maxNumberLen = 1000

func (s *scanner) number() error {
	b, start := s.b, s.i
	i := start
	if b[i] == '-' {
		i++
	}
	digits := func() int {
		from := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - from
	}
	bad := func() error {
		if i >= len(b) {
			return errTruncated
		}
		return fmt.Errorf("%w: invalid number", errSyntax)
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if digits() == 0 {
		return bad()
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return bad()
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		n := digits()
		if n == 0 {
			return bad()
		}
		if n > 4 {
			return fmt.Errorf("%w: number out of range", errSyntax)
		}
	}
	if i-start > maxNumberLen {
		return fmt.Errorf("%w: number out of range", errSyntax)
	}
	s.i = i
	return nil
}

func (s *scanner) literal(lit string) error {
	rest := s.b[s.i:]
	if len(rest) >= len(lit) {
		if string(rest[:len(lit)]) != lit {
			return fmt.Errorf("%w: invalid literal", errSyntax)
		}
		s.i += len(lit)
		return nil
	}
	if string(rest) != lit[:len(rest)] {
		return fmt.Errorf("%w: invalid literal", errSyntax)
	}
	return errTruncated
}

// fixEscapes returns a copy of a valid JSON value with the escapes PostgreSQL refuses although
// JSON allows them, \u0000 and unpaired UTF-16 surrogates, rewritten to \ufffd (the replacement
// character): text columns cannot hold NUL, and jsonb (which the applier writes event details
// to) refuses both.
func fixEscapes(raw []byte) []byte {
	b := bytes.Clone(raw)
	replace := func(at int) { copy(b[at:at+4], "fffd") }
	inString := false
	high := -1 // offset of the hex digits of a high surrogate awaiting its low half
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !inString {
			inString = c == '"'
			continue
		}
		if c != '\\' {
			if high >= 0 {
				replace(high)
				high = -1
			}
			inString = c != '"'
			continue
		}
		i++
		if i >= len(b) {
			break
		}
		if b[i] != 'u' {
			if high >= 0 {
				replace(high)
				high = -1
			}
			continue
		}
		at := i + 1
		if at+4 > len(b) {
			break
		}
		code, _ := hex4(b[at : at+4])
		i += 4
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
	return b
}

// ParseRecord parses one record. It is strict where a wrong guess would corrupt data (the id,
// timestamps, volumes, cost) and lenient everywhere else: unknown fields are ignored, nested
// objects may be null or missing, and descriptive fields may be strings or {id, description}.
func ParseRecord(raw json.RawMessage, def record.Stream) (Record, error) {
	var p fastjson.Parser
	return parseRecord(&p, raw, def, true)
}

// parseRecord with full=false only classifies and checks (id, stream, times, amounts) a record
// parseBatch's scanner already validated as strict UTF-8 JSON: the acknowledgement path needs
// no more, and the applier parses fully later. Both go through the same checks (the full parse
// validating with fastjson in place of the scanner), so a record accepted on receipt always
// parses in full.
func parseRecord(p *fastjson.Parser, raw []byte, def record.Stream, full bool) (Record, error) {
	if full {
		if !utf8.Valid(raw) {
			return Record{}, errors.New("record is not valid UTF-8")
		}
		// Parse is lenient (NaN, leading zeros, raw control characters); the strict validator
		// keeps out what the database would refuse.
		if err := fastjson.ValidateBytes(raw); err != nil {
			return Record{}, fmt.Errorf("malformed JSON: %v", err)
		}
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
	rec.Organization = firstString(object(v.Get("organisation")).Get("id"), v.Get("organisation_id"))
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
	n, err := wire.MBToBytes(wire.Decimal(strings.TrimSpace(str(v))))
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
