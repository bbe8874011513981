package fleet

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// SIM is one 1NCE SIM card as mirrored locally (the sims table). Zero times and nil pointers
// mean "unknown" and are stored as NULL.
type SIM struct {
	ICCID           string `json:"iccid"`
	ICCIDWithLuhn   string `json:"iccid_with_luhn,omitempty"`
	IMSI            string `json:"imsi,omitempty"`
	IMSI2           string `json:"imsi_2,omitempty"`
	CurrentIMSI     string `json:"current_imsi,omitempty"`
	MSISDN          string `json:"msisdn,omitempty"`
	Status          string `json:"status"`
	Label           string `json:"label"`
	IPAddress       string `json:"ip_address,omitempty"`
	IMEI            string `json:"imei,omitempty"`
	IMEILock        bool   `json:"imei_lock"`
	OrganizationID  string `json:"organization_id,omitempty"`
	DataQuotaStatus string `json:"data_quota_status,omitempty"`
	SMSQuotaStatus  string `json:"sms_quota_status,omitempty"`
	// DataVolumeLeft is the remaining data quota in bytes; nil when not known yet.
	DataVolumeLeft *int64 `json:"data_volume_left,omitempty"`
	// SMSLeft is the remaining SMS quota; nil when not known yet.
	SMSLeft        *int64    `json:"sms_left,omitempty"`
	ActivationDate time.Time `json:"activation_date,omitzero"`
	// Online and LastSeenAt come from connectivity observations, not from the SIM list: an
	// upsert with a zero LastSeenAt keeps the stored pair (see UpsertSIMs in the stores).
	Online     bool      `json:"online"`
	LastSeenAt time.Time `json:"last_seen_at,omitzero"`
	// Metadata is oncefleet's own free-form JSON object for the SIM; nil keeps the stored value.
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// CreatedAt and UpdatedAt are kept by the store: UpdatedAt moves only when a stored value
	// actually changes, so "updated since" filters see real changes, not every sync.
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	LastSyncedAt time.Time `json:"last_synced_at,omitzero"`
	// DataQuotaLevel and SMSQuotaLevel are 1NCE's coarse indicators from the SIM list: 0 more
	// than 20 % left, 1 less than 20 %, 2 nothing left; nil when not known. The fleet sync
	// keeps them so quota checks can take SIMs at risk first; nil keeps the stored value.
	DataQuotaLevel *int `json:"data_quota_level,omitempty"`
	SMSQuotaLevel  *int `json:"sms_quota_level,omitempty"`
	// GoneAt is when the fleet sync found the SIM no longer listed at 1NCE (zero: present).
	// Gone SIMs are kept, not deleted; writing the SIM from 1NCE again clears it.
	GoneAt time.Time `json:"gone_at,omitzero"`
}

// MaxICCIDLen bounds identifiers: ICCIDs are 19–20 digits, 22 with a Luhn digit and padding.
const MaxICCIDLen = 32

// ValidateICCID checks an ICCID is usable as a key: present, short, printable and without
// spaces. It does not enforce digits only, because test and Platform 2.0 fleets use other forms.
func ValidateICCID(field, iccid string) error {
	if iccid == "" {
		return Invalid(field, "must not be empty")
	}
	if len(iccid) > MaxICCIDLen {
		return Invalid(field, "longer than %d characters", MaxICCIDLen)
	}
	if !utf8.ValidString(iccid) || strings.ContainsFunc(iccid, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return Invalid(field, "contains spaces or control characters")
	}
	return nil
}

// MaxTextLen bounds free-text fields (labels, descriptions, filter values) so that a
// request cannot make the store index or scan megabytes.
const MaxTextLen = 4096

// validText rejects text no backend can store the same way: invalid UTF-8 and NUL bytes
// (PostgreSQL refuses both, SQLite would keep them), and overlong values.
func validText(field, s string) error {
	if len(s) > MaxTextLen {
		return Invalid(field, "longer than %d bytes", MaxTextLen)
	}
	if !utf8.ValidString(s) {
		return Invalid(field, "is not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return Invalid(field, "contains a NUL character")
	}
	return nil
}

// validTime keeps instants within years 1–9999: what both backends and RFC 3339 text can hold.
func validTime(field string, t time.Time) error {
	if y := t.UTC().Year(); !t.IsZero() && (y < 1 || y > 9999) {
		return Invalid(field, "year %d out of range", y)
	}
	return nil
}

// validTexts checks field/value pairs with validText.
func validTexts(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := validText(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks the SIM can be stored.
func (s SIM) Validate() error {
	if err := ValidateICCID("iccid", s.ICCID); err != nil {
		return err
	}
	if err := validTexts("iccid_with_luhn", s.ICCIDWithLuhn, "imsi", s.IMSI, "imsi_2", s.IMSI2,
		"current_imsi", s.CurrentIMSI, "msisdn", s.MSISDN, "status", s.Status, "label", s.Label,
		"ip_address", s.IPAddress, "imei", s.IMEI, "organization_id", s.OrganizationID,
		"data_quota_status", s.DataQuotaStatus, "sms_quota_status", s.SMSQuotaStatus); err != nil {
		return err
	}
	if s.DataVolumeLeft != nil && *s.DataVolumeLeft < 0 {
		return Invalid("data_volume_left", "must not be negative")
	}
	if s.SMSLeft != nil && *s.SMSLeft < 0 {
		return Invalid("sms_left", "must not be negative")
	}
	for _, l := range []struct {
		f string
		v *int
	}{{"data_quota_level", s.DataQuotaLevel}, {"sms_quota_level", s.SMSQuotaLevel}} {
		if l.v != nil && (*l.v < 0 || *l.v > 2) {
			return Invalid(l.f, "must be 0, 1 or 2")
		}
	}
	for _, t := range []struct {
		f string
		t time.Time
	}{{"activation_date", s.ActivationDate}, {"last_seen_at", s.LastSeenAt}, {"last_synced_at", s.LastSyncedAt}} {
		if err := validTime(t.f, t.t); err != nil {
			return err
		}
	}
	if len(s.Metadata) > 0 {
		if err := validateObject(s.Metadata); err != nil {
			return Invalid("metadata", "%v", err)
		}
	}
	return nil
}

// validateObject accepts a JSON object (or null) and nothing else.
func validateObject(raw json.RawMessage) error {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return Errorf(CodeInvalid, "must be a JSON object")
	}
	return nil
}

// CompactObject returns the canonical stored text of a metadata or detail object, "{}" for
// none: compact text makes "{}" recognisable as "not given" and keeps equal objects equal in
// the stores' change tests. Both stores write it.
func CompactObject(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "{}", nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", Invalid("metadata", "not valid JSON")
	}
	if b.String() == "null" {
		return "{}", nil
	}
	return b.String(), nil
}

// SIMUpdate changes selected fields of one SIM; nil fields stay as they are.
type SIMUpdate struct {
	Status   *string         `json:"status,omitempty"`
	Label    *string         `json:"label,omitempty"`
	IMEILock *bool           `json:"imei_lock,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// IsEmpty reports whether the update changes nothing.
func (u SIMUpdate) IsEmpty() bool {
	return u.Status == nil && u.Label == nil && u.IMEILock == nil && u.Metadata == nil
}

// Validate checks the update is well-formed.
func (u SIMUpdate) Validate() error {
	if u.IsEmpty() {
		return Invalid("", "no field to update")
	}
	if u.Metadata != nil {
		if err := validateObject(u.Metadata); err != nil {
			return Invalid("metadata", "%v", err)
		}
	}
	if u.Status != nil {
		if err := validText("status", *u.Status); err != nil {
			return err
		}
	}
	if u.Label != nil {
		if err := validText("label", *u.Label); err != nil {
			return err
		}
	}
	return nil
}

// SIM list sort columns: the names SIMFilter.Sort accepts. They equal the column names, and
// they are the only strings the stores ever put into SQL from a filter.
var simSortColumns = map[string]bool{
	"iccid": true, "iccid_with_luhn": true, "imsi": true, "imsi_2": true, "current_imsi": true,
	"msisdn": true, "status": true, "label": true, "ip_address": true, "imei": true,
	"imei_lock": true, "activation_date": true, "organization_id": true,
	"data_quota_status": true, "sms_quota_status": true, "data_volume_left": true,
	"sms_left": true, "online": true, "last_seen_at": true, "created_at": true,
	"updated_at": true, "last_synced_at": true,
}

// SIMSortColumns returns the names SIMFilter.Sort accepts, for API documentation.
func SIMSortColumns() []string {
	out := make([]string, 0, len(simSortColumns))
	for c := range simSortColumns {
		out = append(out, c)
	}
	return out
}

// Page size bounds shared by every paginated list.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
	// MaxPage keeps OFFSET arithmetic far from overflow and deep scans bounded.
	MaxPage = 1_000_000
)

// SIMFilter selects and orders SIMs from the mirror (GET /sims). Zero fields do not filter.
type SIMFilter struct {
	// Statuses matches any of the given statuses exactly.
	Statuses []string
	// Label matches SIMs whose label contains it, ignoring ASCII case.
	Label string
	// Prefix filters match the start of the identifier exactly (case-sensitive).
	ICCIDPrefix  string
	IMSIPrefix   string
	MSISDNPrefix string
	IMEIPrefix   string
	IPPrefix     string
	// OrganizationID matches exactly.
	OrganizationID string
	// DataQuotaStatus matches the data quota status exactly (e.g. "EXHAUSTED").
	DataQuotaStatus string
	// Online, when set, keeps only SIMs with that online state.
	Online *bool
	// UpdatedSince keeps SIMs whose stored values changed at or after it.
	UpdatedSince time.Time

	// Sort is a column name from SIMSortColumns (default "iccid"); Desc reverses it. ICCID
	// breaks ties in the same direction, so paging is stable. NULLs sort after every value
	// ascending and before every value descending (they compare as the largest value).
	Sort string
	Desc bool
	// Page is 1-based (0 means 1); PageSize 0 means DefaultPageSize.
	Page     int
	PageSize int
}

// ParseSort sets Sort and Desc from the API form "column" or "-column".
func (f *SIMFilter) ParseSort(s string) {
	f.Desc = strings.HasPrefix(s, "-")
	f.Sort = strings.TrimPrefix(s, "-")
}

// Normalize applies defaults and validates: unknown sort columns and out-of-range paging are
// CodeInvalid errors. Stores call it; callers may call it first to report errors early.
func (f SIMFilter) Normalize() (SIMFilter, error) {
	if f.Sort == "" {
		f.Sort = "iccid"
	}
	if !simSortColumns[f.Sort] {
		return f, Invalid("sort", "unknown column %q", f.Sort)
	}
	for i, s := range f.Statuses {
		if s == "" {
			return f, Invalid("status", "status %d is empty", i)
		}
		if err := validText("status", s); err != nil {
			return f, err
		}
	}
	if len(f.Statuses) > 100 {
		return f, Invalid("status", "more than 100 statuses")
	}
	if err := validTexts("label", f.Label, "iccid", f.ICCIDPrefix, "imsi", f.IMSIPrefix,
		"msisdn", f.MSISDNPrefix, "imei", f.IMEIPrefix, "ip_address", f.IPPrefix,
		"organization_id", f.OrganizationID, "data_quota_status", f.DataQuotaStatus); err != nil {
		return f, err
	}
	p, err := normalizePage(f.Page, f.PageSize)
	if err != nil {
		return f, err
	}
	f.Page, f.PageSize = p.Page, p.PageSize
	if err := validTime("updated_since", f.UpdatedSince); err != nil {
		return f, err
	}
	f.UpdatedSince = f.UpdatedSince.UTC()
	return f, nil
}

// Offset is the number of matching SIMs before the normalized filter's page.
func (f SIMFilter) Offset() int { return PageRequest{f.Page, f.PageSize}.Offset() }

// PageRequest is a validated page position.
type PageRequest struct {
	Page     int
	PageSize int
}

// Offset is the number of rows before the page.
func (p PageRequest) Offset() int { return (p.Page - 1) * p.PageSize }

func normalizePage(page, size int) (PageRequest, error) {
	if page == 0 {
		page = 1
	}
	if size == 0 {
		size = DefaultPageSize
	}
	if page < 1 || page > MaxPage {
		return PageRequest{}, Invalid("page", "must be between 1 and %d", MaxPage)
	}
	if size < 1 || size > MaxPageSize {
		return PageRequest{}, Invalid("page_size", "must be between 1 and %d", MaxPageSize)
	}
	return PageRequest{Page: page, PageSize: size}, nil
}

// Page is one page of a list with the total number of matching items.
type Page[T any] struct {
	Items    []T   `json:"data"`
	Total    int64 `json:"total"`
	Page     int   `json:"page"`
	PageSize int   `json:"page_size"`
}

// StatusCount is the number of SIMs in one status (dashboard overview).
type StatusCount struct {
	Status string `json:"status"`
	Count  int64  `json:"count"`
}

// A batch may name the same key twice (a 1NCE page boundary shifting during a sync, or a
// Data Streamer resend). SQL upserts cannot touch one row twice in a statement, so stores
// collapse a batch first with DedupeSIMs, MergeUsage, DedupeQuotas and DedupeSMS, which
// apply the rules the database applies.

// DedupeSIMs keeps the last SIM for each ICCID, in first-seen order.
func DedupeSIMs(sims []SIM) []SIM {
	return dedupeLast(sims, func(s SIM) string { return s.ICCID })
}

// dedupeLast keeps the last item for each key, at the position where the key first occurs.
func dedupeLast[T any, K comparable](items []T, key func(T) K) []T {
	idx := make(map[K]int, len(items))
	out := make([]T, 0, len(items))
	for _, it := range items {
		k := key(it)
		if i, ok := idx[k]; ok {
			out[i] = it
			continue
		}
		idx[k] = len(out)
		out = append(out, it)
	}
	return out
}

// MergeSIM returns what a store holds after upserting next over stored, by the rules of the
// stores' UpsertSIMs: the sync owns the identity and state columns; empty quota statuses, nil
// remaining volumes and empty metadata keep the stored value; Online and LastSeenAt change
// only with a LastSeenAt; CreatedAt is kept; UpdatedAt moves to now only on a real change. It
// lets a read answer with the merged record while the write goes on in the background; the
// conformance suite holds it to what the stores do.
func MergeSIM(stored, next SIM, now time.Time) SIM {
	out := next
	// The stores keep microseconds in UTC.
	for _, t := range []*time.Time{&out.ActivationDate, &out.LastSeenAt, &out.LastSyncedAt} {
		if !t.IsZero() {
			*t = t.UTC().Truncate(time.Microsecond)
		}
	}
	if out.OrganizationID == "" { // 1NCE's SIM lists do not carry it; the Data Streamer does
		out.OrganizationID = stored.OrganizationID
	}
	if out.DataQuotaStatus == "" {
		out.DataQuotaStatus = stored.DataQuotaStatus
	}
	if out.SMSQuotaStatus == "" {
		out.SMSQuotaStatus = stored.SMSQuotaStatus
	}
	if out.DataVolumeLeft == nil {
		out.DataVolumeLeft = stored.DataVolumeLeft
	}
	if out.SMSLeft == nil {
		out.SMSLeft = stored.SMSLeft
	}
	if out.LastSeenAt.IsZero() {
		out.Online, out.LastSeenAt = stored.Online, stored.LastSeenAt
	}
	if meta, _ := CompactObject(out.Metadata); meta == "{}" {
		out.Metadata = stored.Metadata
	}
	out.CreatedAt, out.UpdatedAt = stored.CreatedAt, stored.UpdatedAt
	if simChanged(stored, out) {
		out.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	}
	if out.LastSyncedAt.IsZero() {
		out.LastSyncedAt = now.UTC().Truncate(time.Microsecond)
	}
	return out
}

// simChanged reports whether a merged record differs from the stored one in a stored value.
func simChanged(a, b SIM) bool {
	ptrEq := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.ICCIDWithLuhn != b.ICCIDWithLuhn || a.IMSI != b.IMSI || a.IMSI2 != b.IMSI2 || a.CurrentIMSI != b.CurrentIMSI ||
		a.MSISDN != b.MSISDN || a.Status != b.Status || a.Label != b.Label || a.IPAddress != b.IPAddress || a.IMEI != b.IMEI ||
		a.IMEILock != b.IMEILock || !a.ActivationDate.Equal(b.ActivationDate) || a.OrganizationID != b.OrganizationID ||
		a.DataQuotaStatus != b.DataQuotaStatus || a.SMSQuotaStatus != b.SMSQuotaStatus || !ptrEq(a.DataVolumeLeft, b.DataVolumeLeft) ||
		!ptrEq(a.SMSLeft, b.SMSLeft) || a.Online != b.Online || !a.LastSeenAt.Equal(b.LastSeenAt) || !sameObject(a.Metadata, b.Metadata)
}

// sameObject compares two JSON objects by value (a store may reorder keys); none equals {}.
func sameObject(a, b json.RawMessage) bool {
	var x, y map[string]any
	if len(a) > 0 && json.Unmarshal(a, &x) != nil {
		return false
	}
	if len(b) > 0 && json.Unmarshal(b, &y) != nil {
		return false
	}
	if len(x) == 0 && len(y) == 0 {
		return true
	}
	return reflect.DeepEqual(x, y)
}
