package fleet

import (
	"encoding/json"
	"time"
)

// AuditEntry records one mutating call: who did what to which target, when, and the result.
type AuditEntry struct {
	ID        int64
	At        time.Time
	Actor     string // user:<id> | key:<id> | system
	Action    string // e.g. sim.update, sim.topup
	Target    string
	RequestID string
	Result    string // ok | an error code
	Detail    json.RawMessage
}

// Validate checks the fields the audit log requires.
func (e *AuditEntry) Validate() error {
	if e.Actor == "" {
		return Invalid("actor", "must not be empty")
	}
	if e.Action == "" {
		return Invalid("action", "must not be empty")
	}
	if e.Result == "" {
		return Invalid("result", "must not be empty")
	}
	return validJSON("detail", e.Detail)
}

// AuditFilter selects audit entries; zero fields do not filter. Results are newest first.
type AuditFilter struct {
	Actor  string
	Action string
	Target string
	Since  time.Time // inclusive
	Until  time.Time // exclusive
	Limit  int       // 0: DefaultListLimit
	Offset int
}

// DefaultListLimit is the page size of list queries that do not set one, and MaxListLimit the
// largest a caller may ask for: an unbounded list is a denial of service.
const (
	DefaultListLimit = 50
	MaxListLimit     = 1000
)

// ClampLimit returns limit bounded to [1, MaxListLimit], with 0 or less meaning the default.
func ClampLimit(limit int) int {
	if limit <= 0 {
		return DefaultListLimit
	}
	return min(limit, MaxListLimit)
}

// validJSON accepts an empty document (stored as the column default) or valid JSON.
func validJSON(field string, doc json.RawMessage) error {
	if len(doc) > 0 && !json.Valid(doc) {
		return Invalid(field, "must be valid JSON")
	}
	return nil
}

// JSONOr returns doc, or def when doc is empty, so stores never write an empty string into a
// JSON column.
func JSONOr(doc json.RawMessage, def string) json.RawMessage {
	if len(doc) == 0 {
		return json.RawMessage(def)
	}
	return doc
}
