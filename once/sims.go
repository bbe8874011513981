package once

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"path"
	"strconv"
)

// ErrInvalidInput means the SDK refused a call before sending it because an argument could not
// be right (empty ICCID, no ICCIDs, end before start, …); no request reached 1NCE.
var ErrInvalidInput = errors.New("once: invalid input")

func invalid(op, msg string) error { return fmt.Errorf("once: %s: %w: %s", op, ErrInvalidInput, msg) }

// checkICCID rejects ICCIDs that cannot name a SIM, so that a bad argument never turns into a
// request for another path (an ICCID "limits" would otherwise hit GET /v1/sims/limits).
func checkICCID(op, iccid string) error {
	if iccid == "" || len(iccid) > 32 {
		return invalid(op, "ICCID must be 1 to 32 characters")
	}
	for i := 0; i < len(iccid); i++ {
		if c := iccid[i]; c < '0' || c > '9' {
			// Some ICCIDs carry hex padding (F) after the digits.
			if (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
				return invalid(op, fmt.Sprintf("ICCID %q is not numeric", iccid))
			}
		}
	}
	if iccid[0] < '0' || iccid[0] > '9' {
		return invalid(op, fmt.Sprintf("ICCID %q is not numeric", iccid))
	}
	return nil
}

// simPath is /{gen}/sims/{iccid}{suffix}.
func simPath(g Generation, iccid, suffix string) string {
	return "/" + string(g) + "/sims/" + url.PathEscape(iccid) + suffix
}

func smsPath(g Generation, iccid string, id int64) string {
	return simPath(g, iccid, "/sms/"+strconv.FormatInt(id, 10))
}

// pageQuery builds page/size parameters, clamping the size to the list's maximum; sizeName is
// "pageSize" (v1 and most v2 lists) or "per_page" (v2 SMS).
func pageQuery(sizeName string, page, size, max int) url.Values {
	if page < 1 {
		page = 1
	}
	if size < 1 || size > max {
		size = max
	}
	return url.Values{"page": {strconv.Itoa(page)}, sizeName: {strconv.Itoa(size)}}
}

// pageOf reads the pagination of an answer to a request made with query q.
func pageOf(res *response, q url.Values, sizeName string) Page {
	page, _ := strconv.Atoi(q.Get("page"))
	size, _ := strconv.Atoi(q.Get(sizeName))
	if res == nil {
		return pageFromHeader(nil, page, size)
	}
	return pageFromHeader(res.header, page, size)
}

func paymentQuery(pm PaymentMethod) url.Values {
	if pm == "" {
		return nil
	}
	return url.Values{"payment_method": {string(pm)}}
}

// TopUpResult is what became of a top-up: its outcome (also on error), when it was attempted,
// what it was for, and 1NCE's answer (the order it created).
type TopUpResult struct {
	WriteOutcome
	// ICCIDs are the SIMs the top-up was for.
	ICCIDs []string
	// PaymentMethod is the payment method sent ("" for 1NCE's default).
	PaymentMethod PaymentMethod
	// Location is the order URL from the Location header ("" when 1NCE sent none).
	Location string
	// OrderNumber is the order number at the end of Location (0 when absent or not numeric);
	// look the order up with GetOrder.
	OrderNumber int64
}

// finish fills in 1NCE's answer and the outcome of a top-up request.
func (t TopUpResult) finish(r *request, res *response, err error) (TopUpResult, error) {
	if res != nil && res.header != nil && err == nil {
		t.Location = res.header.Get("Location")
		if n, perr := strconv.ParseInt(locationID(t.Location), 10, 64); perr == nil && n > 0 {
			t.OrderNumber = n
		}
	}
	t.WriteOutcome, err = writeOutcome(r, err)
	return t, err
}

// topUpOne is POST /{gen}/sims/{iccid}/topup.
func topUpOne(ctx context.Context, d doer, g Generation, op string, p TopUpParams) (TopUpResult, error) {
	out := TopUpResult{ICCIDs: []string{p.ICCID}, PaymentMethod: p.PaymentMethod, WriteOutcome: WriteOutcome{Outcome: OutcomeNotSent}}
	if err := checkICCID(op, p.ICCID); err != nil {
		return out, err
	}
	r := &request{op: op, gen: g, method: http.MethodPost, path: simPath(g, p.ICCID, "/topup"), query: paymentQuery(p.PaymentMethod), unsafe: true}
	res, err := d.do(ctx, r, nil)
	return out.finish(r, res, err)
}

// ExtensionResult is what became of an extension (Client.Extension): its outcome (also on
// error), when it was attempted, the SIMs, and 1NCE's answer.
type ExtensionResult struct {
	WriteOutcome
	Accepted
	// ICCIDs are the SIMs the extension was for.
	ICCIDs []string
}

// locationID is the last path segment of a Location header: the id of what 1NCE created
// ("" when loc is empty).
func locationID(loc string) string {
	if loc == "" {
		return ""
	}
	p := loc
	if u, err := url.Parse(loc); err == nil {
		p = u.Path
	}
	return path.Base(p)
}

// SIMListOptions select and walk the SIM list.
type SIMListOptions struct {
	ListOptions
	// Filter is 1NCE's q parameter: "imei:{v}" and/or "ip_address:{v}", comma separated.
	Filter string
	// Sort is "imei" and/or "ip_address", "-" for descending.
	Sort string
}

// ListSIMs iterates over all SIMs of the account, v2 first (v1 in mode v1), fetching pages of
// up to 100 as the loop goes; opts.Concurrency > 1 fetches pages ahead for full-fleet syncs.
// An error ends the iteration after being yielded once.
//
//	for sim, err := range c.ListSIMs(ctx, once.SIMListOptions{}) { … }
func (c *Client) ListSIMs(ctx context.Context, opts SIMListOptions) iter.Seq2[SIM, error] {
	gen := c.prefer()
	fetch := func(ctx context.Context, page, size int) ([]SIM, Page, error) {
		p := SIMsPageParams{Page: page, PageSize: size, Filter: opts.Filter, Sort: opts.Sort}
		if gen == GenV1 {
			raw, pg, err := c.V1().SIMsPage(ctx, p)
			if err != nil {
				return nil, pg, err
			}
			return mapAll(raw, pg, simFromV1)
		}
		raw, pg, err := c.V2().SIMsPage(ctx, p)
		if err != nil {
			return nil, pg, err
		}
		return mapAll(raw, pg, simFromV2)
	}
	return paginate(ctx, opts.ListOptions, MaxPageSize, fetch)
}

// mapAll maps a page of wire values.
func mapAll[W, T any](raw []W, pg Page, f func(W) (T, error)) ([]T, Page, error) {
	out := make([]T, 0, len(raw))
	for _, w := range raw {
		v, err := f(w)
		if err != nil {
			return nil, pg, err
		}
		out = append(out, v)
	}
	return out, pg, nil
}

// GetSIM returns one SIM.
func (c *Client) GetSIM(ctx context.Context, iccid string) (SIM, error) {
	if c.prefer() == GenV1 {
		raw, err := c.V1().GetSIM(ctx, iccid)
		if err != nil {
			return SIM{}, err
		}
		return simFromV1(raw)
	}
	raw, err := c.V2().GetSIM(ctx, iccid)
	if err != nil {
		return SIM{}, err
	}
	return simFromV2(raw)
}

// UpdateSIM changes one SIM (status, label, IMEI lock; nil fields are kept). v1's API requires
// the status: a client in mode v1 fails with ErrInvalidInput when u.Status is empty instead of
// reading the SIM first (that read would cost a request and could undo a concurrent change).
func (c *Client) UpdateSIM(ctx context.Context, u SIMUpdate) (Accepted, error) {
	if c.prefer() == GenV2 {
		return c.V2().UpdateSIM(ctx, u)
	}
	return c.V1().UpdateSIM(ctx, u)
}

// UpdateSIMs changes several SIMs in one request (v1 only: POST /v1/sims; 1NCE applies the
// changes asynchronously, so success means queued). Every update needs ICCID and Status.
func (c *Client) UpdateSIMs(ctx context.Context, updates []SIMUpdate) (Accepted, error) {
	return c.V1().UpdateSIMs(ctx, updates)
}

// Connectivity returns the SIM's connectivity: online state, location, PDP context.
func (c *Client) Connectivity(ctx context.Context, iccid string) (Connectivity, error) {
	if c.prefer() == GenV1 {
		raw, err := c.V1().Status(ctx, iccid)
		if err != nil {
			return Connectivity{}, err
		}
		return connectivityFromV1(raw, iccid), nil
	}
	raw, err := c.V2().Status(ctx, iccid)
	if err != nil {
		return Connectivity{}, err
	}
	return connectivityFromV2(raw, iccid), nil
}

// ConnectivityInfo asks the network for live subscriber (cell) and USSD information (v1 only;
// 1NCE says it is valid only on 2G/3G).
func (c *Client) ConnectivityInfo(ctx context.Context, p ConnectivityInfoParams) (V1ConnectivityInfo, error) {
	return c.V1().ConnectivityInfo(ctx, p)
}

// Reset queues a connectivity reset of the SIM (not retried once it may have reached 1NCE).
func (c *Client) Reset(ctx context.Context, iccid string) (Accepted, error) {
	if c.prefer() == GenV1 {
		return c.V1().Reset(ctx, iccid)
	}
	return c.V2().Reset(ctx, iccid)
}

// EventListOptions select and walk a SIM's events.
type EventListOptions struct {
	ICCID string
	// ListOptions.PageSize may go up to 1000 for events.
	ListOptions
	// Sort lists keys, "-" for descending, e.g. "-timestamp". Only v1 sorts: where the call
	// goes to v2 (modes auto and v2), a Sort fails with ErrUnsupported instead of being
	// dropped.
	Sort string
}

// ListEvents iterates over a SIM's events, all pages.
func (c *Client) ListEvents(ctx context.Context, opts EventListOptions) iter.Seq2[Event, error] {
	gen := c.prefer()
	fetch := func(ctx context.Context, page, size int) ([]Event, Page, error) {
		p := EventsPageParams{ICCID: opts.ICCID, Page: page, PageSize: size, Sort: opts.Sort}
		if gen == GenV1 {
			col, pg, err := c.V1().EventsPage(ctx, p)
			if err != nil {
				return nil, pg, err
			}
			out := make([]Event, len(col.Events))
			for i, e := range col.Events {
				out[i] = eventFromV1(e)
			}
			return out, pg, nil
		}
		raw, pg, err := c.V2().EventsPage(ctx, p)
		if err != nil {
			return nil, pg, err
		}
		out := make([]Event, len(raw))
		for i, e := range raw {
			out[i] = eventFromV2(e, opts.ICCID)
		}
		return out, pg, nil
	}
	return paginate(ctx, opts.ListOptions, MaxEventPageSize, fetch)
}

// Usage returns a SIM's daily data and SMS usage from p.Start to p.End inclusive (v1 only;
// 1NCE keeps 6 months and recommends the Data Streamer for large fleets).
func (c *Client) Usage(ctx context.Context, p UsageParams) ([]DailyUsage, error) {
	raw, err := c.V1().Usage(ctx, p)
	if err != nil {
		return nil, err
	}
	return usageFromV1(raw)
}
