package fleet

import "time"

// SMS directions.
const (
	SMSMobileTerminated = "MT" // sent to the device
	SMSMobileOriginated = "MO" // sent by the device
)

// SMS is one SMS to or from a SIM (the sms_messages table), keyed by ICCID and 1NCE's id.
type SMS struct {
	ICCID         string    `json:"iccid"`
	ID            int64     `json:"id"`
	Direction     string    `json:"direction,omitempty"`
	Status        string    `json:"status,omitempty"`
	Payload       string    `json:"payload"`
	SourceAddress string    `json:"source_address,omitempty"`
	SubmitDate    time.Time `json:"submit_date,omitzero"`
	DeliveryDate  time.Time `json:"delivery_date,omitzero"`
	ExpiryDate    time.Time `json:"expiry_date,omitzero"`
	// SentBy is the oncefleet actor that sent an MT message; upserts keep it when empty,
	// because 1NCE does not know it.
	SentBy    string    `json:"sent_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate checks the message can be stored.
func (m SMS) Validate() error {
	if err := ValidateICCID("iccid", m.ICCID); err != nil {
		return err
	}
	if m.ID <= 0 {
		return Invalid("id", "must be positive")
	}
	switch m.Direction {
	case "", SMSMobileTerminated, SMSMobileOriginated:
	default:
		return Invalid("direction", "must be %q or %q", SMSMobileTerminated, SMSMobileOriginated)
	}
	for _, t := range []struct {
		f string
		t time.Time
	}{{"submit_date", m.SubmitDate}, {"delivery_date", m.DeliveryDate}, {"expiry_date", m.ExpiryDate}} {
		if err := validTime(t.f, t.t); err != nil {
			return err
		}
	}
	return validTexts("status", m.Status, "payload", m.Payload, "source_address", m.SourceAddress, "sent_by", m.SentBy)
}

// SMSFilter selects a SIM's messages, newest first.
type SMSFilter struct {
	ICCID    string // required
	Page     int
	PageSize int
}

// Offset is the number of the SIM's messages before the normalized filter's page.
func (f SMSFilter) Offset() int { return PageRequest{f.Page, f.PageSize}.Offset() }

// Normalize applies defaults and validates the filter.
func (f SMSFilter) Normalize() (SMSFilter, error) {
	if err := ValidateICCID("iccid", f.ICCID); err != nil {
		return f, err
	}
	p, err := normalizePage(f.Page, f.PageSize)
	if err != nil {
		return f, err
	}
	f.Page, f.PageSize = p.Page, p.PageSize
	return f, nil
}

// DedupeSMS keeps the last message for each ICCID and id, in first-seen order.
func DedupeSMS(ms []SMS) []SMS {
	type key struct {
		iccid string
		id    int64
	}
	return dedupeLast(ms, func(m SMS) key { return key{m.ICCID, m.ID} })
}
