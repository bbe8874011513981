package fleet

import (
	"encoding/json"
	"time"
)

// Event is one SIM event (attach, status change, PDP context…) from the 1NCE API or the Data
// Streamer (the sim_events table).
type Event struct {
	ID          int64     `json:"id"`
	ICCID       string    `json:"iccid"`
	OccurredAt  time.Time `json:"occurred_at"`
	Type        string    `json:"type"`
	Source      string    `json:"source,omitempty"`
	Severity    string    `json:"severity,omitempty"`
	Alert       bool      `json:"alert"`
	Description string    `json:"description,omitempty"`
	Country     string    `json:"country,omitempty"`
	Operator    string    `json:"operator,omitempty"`
	// Detail is the upstream record's extra data as a JSON object.
	Detail json.RawMessage `json:"detail,omitempty"`
	// ExternalID is the upstream identity (streamer record id or a hash of an API event);
	// inserting an event whose ExternalID is already stored does nothing. Empty: no dedup.
	ExternalID string `json:"external_id,omitempty"`
}

// Validate checks the event can be stored.
func (e Event) Validate() error {
	if err := ValidateICCID("iccid", e.ICCID); err != nil {
		return err
	}
	if e.OccurredAt.IsZero() {
		return Invalid("occurred_at", "must be set")
	}
	if err := validTime("occurred_at", e.OccurredAt); err != nil {
		return err
	}
	if e.Type == "" {
		return Invalid("type", "must not be empty")
	}
	if err := validTexts("type", e.Type, "source", e.Source, "severity", e.Severity,
		"description", e.Description, "country", e.Country, "operator", e.Operator,
		"external_id", e.ExternalID); err != nil {
		return err
	}
	if len(e.Detail) > 0 {
		if err := validateObject(e.Detail); err != nil {
			return Invalid("detail", "%v", err)
		}
	}
	return nil
}

// EventFilter selects a SIM's events, newest first. Zero fields do not filter.
type EventFilter struct {
	ICCID string // required
	Type  string // exact event type
	// Since and Until bound OccurredAt: Since inclusive, Until exclusive.
	Since    time.Time
	Until    time.Time
	Page     int
	PageSize int
}

// Offset is the number of matching events before the normalized filter's page.
func (f EventFilter) Offset() int { return PageRequest{f.Page, f.PageSize}.Offset() }

// Normalize applies defaults and validates the filter.
func (f EventFilter) Normalize() (EventFilter, error) {
	if err := ValidateICCID("iccid", f.ICCID); err != nil {
		return f, err
	}
	if err := validText("type", f.Type); err != nil {
		return f, err
	}
	if err := validTime("since", f.Since); err != nil {
		return f, err
	}
	if err := validTime("until", f.Until); err != nil {
		return f, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return f, Invalid("until", "must be after since")
	}
	p, err := normalizePage(f.Page, f.PageSize)
	if err != nil {
		return f, err
	}
	f.Page, f.PageSize = p.Page, p.PageSize
	return f, nil
}
