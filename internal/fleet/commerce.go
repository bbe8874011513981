package fleet

import (
	"encoding/json"
	"strings"
	"time"
)

// Order mirrors a 1NCE order (SIM purchases, top-ups billed as orders). Raw keeps 1NCE's full
// document so nothing is lost when 1NCE adds fields.
type Order struct {
	Number      string
	Status      string
	Type        string
	TotalAmount string // decimal as text: money never goes through float
	Currency    string
	OrderedAt   *time.Time
	Raw         json.RawMessage
	CreatedBy   string // the oncefleet user or key that placed it, empty for orders synced in
	UpdatedAt   time.Time
}

// Validate checks an order before it is stored.
func (o *Order) Validate() error {
	if strings.TrimSpace(o.Number) == "" {
		return Invalid("order_number", "must not be empty")
	}
	if err := validDecimal("total_amount", o.TotalAmount); err != nil {
		return err
	}
	return validJSON("raw", o.Raw)
}

// Product mirrors an entry of 1NCE's product catalogue.
type Product struct {
	ID        string
	Name      string
	Price     string // decimal as text
	Currency  string
	Raw       json.RawMessage
	UpdatedAt time.Time
}

// Validate checks a product before it is stored.
func (p *Product) Validate() error {
	if strings.TrimSpace(p.ID) == "" {
		return Invalid("product_id", "must not be empty")
	}
	if err := validDecimal("price", p.Price); err != nil {
		return err
	}
	return validJSON("raw", p.Raw)
}

// SupportRequest mirrors a 1NCE support ticket.
type SupportRequest struct {
	ID        string
	Subject   string
	Status    string
	Raw       json.RawMessage
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate checks a support request before it is stored.
func (r *SupportRequest) Validate() error {
	if strings.TrimSpace(r.ID) == "" {
		return Invalid("id", "must not be empty")
	}
	return validJSON("raw", r.Raw)
}

// CommerceFilter pages through orders or support requests; Status filters when set.
type CommerceFilter struct {
	Status string
	Limit  int
	Offset int
}

// validDecimal accepts "" (unknown) or a plain decimal number such as "12", "-3.50".
func validDecimal(field, s string) error {
	if s == "" {
		return nil
	}
	digits, dot := 0, false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		case c == '-' && i == 0:
		default:
			return Invalid(field, "must be a decimal number")
		}
	}
	if digits == 0 {
		return Invalid(field, "must be a decimal number")
	}
	return nil
}

// NormalizeDecimal returns s without trailing fractional zeros ("12.5000" → "12.5", "3.00" →
// "3"), so both backends report the same text for the same amount.
func NormalizeDecimal(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	if s == "" || s == "-" { // "-.0", ".0": zero
		return "0"
	}
	return s
}

// IsDecimal reports whether s is a non-empty decimal the stores accept as an amount.
func IsDecimal(s string) bool { return s != "" && validDecimal("", s) == nil }
