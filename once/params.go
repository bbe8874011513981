package once

import (
	"context"
	"errors"
	"time"
)

// Parameters of the calls that take more than one input. Every call takes at most one value
// besides its context, so that a new optional input is a new field, never a new signature.

// SIMsPageParams select one page of GET /v1/sims or GET /v2/sims (V1.SIMsPage, V2.SIMsPage).
type SIMsPageParams struct {
	Page     int // 1-based; 0 means 1
	PageSize int // 1..100; 0 means 100
	// Filter is 1NCE's q parameter: "{field}:{value}" pairs, comma separated; fields imei and
	// ip_address (e.g. "ip_address:10.0.0.1,imei:4711").
	Filter string
	// Sort lists imei and/or ip_address, "-" for descending (e.g. "ip_address,-imei").
	Sort string
}

// EventsPageParams select one page of a SIM's events (V1.EventsPage, V2.EventsPage).
type EventsPageParams struct {
	ICCID    string
	Page     int // 1-based; 0 means 1
	PageSize int // 1..1000; 0 means 1000
	// Sort lists keys, "-" for descending (e.g. "-timestamp,id"). Only v1 sorts: V2.EventsPage
	// fails with ErrUnsupported when it is set.
	Sort string
}

// SMSPageParams select one page of a SIM's SMS (V1.SMSPage, V2.SMSPage).
type SMSPageParams struct {
	ICCID    string
	Page     int // 1-based; 0 means 1
	PageSize int // 0 means the largest the generation allows (100 in v1, 1000 in v2)
	// Sort lists keys, "-" for descending. Only v1 sorts: V2.SMSPage fails with
	// ErrUnsupported when it is set.
	Sort string
}

// OrdersPageParams select one page of the account's orders (Client.OrdersPage).
type OrdersPageParams struct {
	Page     int // 1-based; 0 means 1
	PageSize int // 1..10; 0 means 10
	// Sort lists order_number, order_status and/or order_date, "-" for descending; "" leaves
	// 1NCE's default (order_number).
	Sort string
}

// SupportPageParams select one page of the account's service requests (Client.SupportPage).
type SupportPageParams struct {
	Page     int // 1-based; 0 means 1
	PageSize int // 1..100; 0 means 100 (1NCE's own default is 1)
}

// UsageParams select a SIM's daily usage (Client.Usage, V1.Usage). Only the calendar dates of
// Start and End count, read in their own location; a zero time leaves that end to 1NCE.
type UsageParams struct {
	ICCID string
	Start time.Time
	End   time.Time
}

// SMSRef names one SMS of one SIM (GetSMS, CancelSMS); SentSMS carries the one SendSMS
// created.
type SMSRef struct {
	ICCID string
	// ID is 1NCE's id of the SMS (0 when 1NCE did not say it; list the SIM's SMS to find it).
	ID int64
}

// SMSListOptions select and walk a SIM's SMS (Client.ListSMS, V1.ListSMS, V2.ListSMS).
type SMSListOptions struct {
	ICCID string
	ListOptions
}

// TopUpParams ask for one top-up of one SIM (costs money).
type TopUpParams struct {
	ICCID string
	// PaymentMethod is how 1NCE bills it; "" lets 1NCE use bank transfer.
	PaymentMethod PaymentMethod
}

// TopUpMultipleParams ask for one top-up order for several SIMs (v1 only; costs money).
type TopUpMultipleParams struct {
	ICCIDs []string
	// PaymentMethod is how 1NCE bills it; "" lets 1NCE use bank transfer.
	PaymentMethod PaymentMethod
}

// Accepted is 1NCE's answer to a write that returns no document: the Location header when
// 1NCE sends one. It is a struct so that what 1NCE adds to its answers can be added here.
type Accepted struct {
	// Location is the URL of what 1NCE created or queued ("" when it sent none).
	Location string
	// ID is the last path segment of Location ("" without one).
	ID string
}

func acceptedOf(res *response) Accepted {
	if res == nil || res.header == nil {
		return Accepted{}
	}
	loc := res.header.Get("Location")
	return Accepted{Location: loc, ID: locationID(loc)}
}

// Outcome says what became of a call that costs money (top-ups, orders, extensions). The SDK
// never re-sends such a call once it may have reached 1NCE, so a failed call is either
// certainly not booked or of unknown outcome, and the SDK knows which.
type Outcome string

// Outcomes of a money-costing call.
const (
	// OutcomeDone means 1NCE confirmed the call: it is booked.
	OutcomeDone Outcome = "done"
	// OutcomeNotSent means the call certainly booked nothing: it never left the client (bad
	// input, limits, no token, breaker open, connection refused) or 1NCE refused it with a 4xx
	// answer. It is safe to try again.
	OutcomeNotSent Outcome = "not_sent"
	// OutcomeUnknown means the request may have reached 1NCE but no confirmation came back
	// (timeout, broken connection, 5xx answer): it may or may not be booked. Reconcile with
	// the orders (ListOrders, GetOrder) around AttemptedAt before trying again.
	OutcomeUnknown Outcome = "unknown"
)

// WriteOutcome is what a money-costing call's result carries besides 1NCE's answer.
type WriteOutcome struct {
	// Outcome is done, not sent or unknown; it is set also when the call returns an error.
	Outcome Outcome
	// AttemptedAt is when the SDK started the call (the client's clock), to reconcile an
	// unknown outcome with 1NCE's order dates.
	AttemptedAt time.Time
}

// ErrOutcomeUnknown matches (errors.Is) the error of a money-costing call whose outcome is
// unknown; the call's result says when it was attempted and what it was for.
var ErrOutcomeUnknown = errors.New("once: outcome unknown")

// outcomeOf classifies a finished money-costing request.
func outcomeOf(r *request, err error) Outcome {
	switch {
	case err == nil:
		return OutcomeDone
	case r.mayHaveReached:
		return OutcomeUnknown
	}
	return OutcomeNotSent
}

// unknownErr marks err as of unknown outcome when it is.
func unknownErr(o Outcome, err error) error {
	if err == nil || o != OutcomeUnknown || errors.Is(err, ErrOutcomeUnknown) {
		return err
	}
	return &outcomeError{err: err}
}

// outcomeError wraps the error of a call whose outcome is unknown so that it matches both
// ErrOutcomeUnknown and what it wraps.
type outcomeError struct{ err error }

func (e *outcomeError) Error() string   { return e.err.Error() + " (outcome unknown)" }
func (e *outcomeError) Unwrap() []error { return []error{ErrOutcomeUnknown, e.err} }

// acceptedWrite runs a write whose answer has no document; its error matches
// ErrOutcomeUnknown when the request may have reached 1NCE unconfirmed.
func acceptedWrite(ctx context.Context, d doer, r *request) (Accepted, error) {
	res, err := d.do(ctx, r, nil)
	if _, err = writeOutcome(r, err); err != nil {
		return Accepted{}, err
	}
	return acceptedOf(res), nil
}

// outcomeOfErr is the outcome of a finished write from its error alone (what the request
// knew is in the error: see unknownErr).
func outcomeOfErr(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeDone
	case errors.Is(err, ErrOutcomeUnknown):
		return OutcomeUnknown
	}
	return OutcomeNotSent
}

// writeOutcome is the outcome of a finished money-costing request and its error, marked when
// the outcome is unknown.
func writeOutcome(r *request, err error) (WriteOutcome, error) {
	o := outcomeOf(r, err)
	return WriteOutcome{Outcome: o, AttemptedAt: r.attemptedAt}, unknownErr(o, err)
}
