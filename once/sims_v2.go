package once

import (
	"context"
	"iter"
	"net/http"
)

// V2 holds the raw operations of 1NCE SIM Management v2 (Platform 2.0), one method per
// operation of the official spec, answering the v2 wire types.
type V2 struct{ d doer }

// V2 returns the raw SIM Management v2 operations.
func (c *Client) V2() V2 { return V2{d: c} }

// ListSIMs is GET /v2/sims: one page of the account's SIMs (same parameters and pagination
// headers as v1).
func (v V2) SIMsPage(ctx context.Context, p SIMsPageParams) ([]V2SIM, Page, error) {
	var out []V2SIM
	q := p.query()
	res, err := v.d.do(ctx, &request{op: "v2.getSims", gen: GenV2, method: http.MethodGet, path: "/v2/sims", query: q}, &out)
	if err != nil {
		return nil, Page{}, err
	}
	return out, pageOf(res, q, "pageSize"), nil
}

// ListSIMs iterates over all SIMs of the account through GET /v2/sims, as v2 answers them.
func (v V2) ListSIMs(ctx context.Context, opts SIMListOptions) iter.Seq2[V2SIM, error] {
	return paginate(ctx, opts.ListOptions, MaxPageSize, func(ctx context.Context, page, size int) ([]V2SIM, Page, error) {
		return v.SIMsPage(ctx, SIMsPageParams{Page: page, PageSize: size, Filter: opts.Filter, Sort: opts.Sort})
	})
}

// GetSIM is GET /v2/sims/{iccid}.
func (v V2) GetSIM(ctx context.Context, iccid string) (V2SIM, error) {
	var out V2SIM
	if err := checkICCID("v2.getSim", iccid); err != nil {
		return out, err
	}
	_, err := v.d.do(ctx, &request{op: "v2.getSim", gen: GenV2, method: http.MethodGet, path: simPath(GenV2, iccid, "")}, &out)
	return out, err
}

// UpdateSIM is PUT /v2/sims/{iccid}: change status, label or IMEI lock (nil fields are kept).
func (v V2) UpdateSIM(ctx context.Context, u SIMUpdate) (Accepted, error) {
	iccid := u.ICCID
	if err := checkICCID("v2.updateSim", iccid); err != nil {
		return Accepted{}, err
	}
	return acceptedWrite(ctx, v.d, &request{op: "v2.updateSim", gen: GenV2, method: http.MethodPut, path: simPath(GenV2, iccid, ""), body: u})
}

// Reset is POST /v2/sims/{iccid}/reset: queue a connectivity reset.
func (v V2) Reset(ctx context.Context, iccid string) (Accepted, error) {
	if err := checkICCID("v2.resetConnectivity", iccid); err != nil {
		return Accepted{}, err
	}
	return acceptedWrite(ctx, v.d, &request{op: "v2.resetConnectivity", gen: GenV2, method: http.MethodPost, path: simPath(GenV2, iccid, "/reset"), unsafe: true})
}

// DataQuota is GET /v2/sims/{iccid}/quota/data.
func (v V2) DataQuota(ctx context.Context, iccid string) (V2Quota, error) {
	return v.quota(ctx, "v2.getDataQuota", iccid, "/quota/data")
}

// SMSQuota is GET /v2/sims/{iccid}/quota/sms.
func (v V2) SMSQuota(ctx context.Context, iccid string) (V2Quota, error) {
	return v.quota(ctx, "v2.getSmsQuota", iccid, "/quota/sms")
}

func (v V2) quota(ctx context.Context, op, iccid, suffix string) (V2Quota, error) {
	var out V2Quota
	if err := checkICCID(op, iccid); err != nil {
		return out, err
	}
	_, err := v.d.do(ctx, &request{op: op, gen: GenV2, method: http.MethodGet, path: simPath(GenV2, iccid, suffix)}, &out)
	return out, err
}

// Status is GET /v2/sims/{iccid}/status: connectivity status, location and PDP contexts.
func (v V2) Status(ctx context.Context, iccid string) (V2Connectivity, error) {
	var out V2Connectivity
	if err := checkICCID("v2.getStatus", iccid); err != nil {
		return out, err
	}
	_, err := v.d.do(ctx, &request{op: "v2.getStatus", gen: GenV2, method: http.MethodGet, path: simPath(GenV2, iccid, "/status")}, &out)
	return out, err
}

// SendSMS is POST /v2/sims/{iccid}/sms: send an MT-SMS; 1NCE answers the new SMS id.
func (v V2) SendSMS(ctx context.Context, m SMSMessage) (V2SMSCreated, error) {
	var out V2SMSCreated
	iccid := m.ICCID
	if err := checkICCID("v2.sendSms", iccid); err != nil {
		return out, err
	}
	r := &request{op: "v2.sendSms", gen: GenV2, method: http.MethodPost, path: simPath(GenV2, iccid, "/sms"), body: m, unsafe: true}
	_, err := v.d.do(ctx, r, &out)
	_, err = writeOutcome(r, err)
	return out, err
}

// MaxSMSPageSizeV2 is the largest page of GET /v2/sims/{iccid}/sms (per_page ≤ 1000).
const MaxSMSPageSizeV2 = 1000

// ListSMS is GET /v2/sims/{iccid}/sms: one page of a SIM's SMS. v2 names the page size
// per_page and documents no pagination headers, so Page totals are usually -1 and callers
// stop at a short page (the iterators do).
func (v V2) SMSPage(ctx context.Context, p SMSPageParams) ([]V2SMS, Page, error) {
	var out []V2SMS
	iccid := p.ICCID
	if err := checkICCID("v2.listSms", iccid); err != nil {
		return nil, Page{}, err
	}
	if p.Sort != "" {
		return nil, Page{}, &UnsupportedError{Op: "v2.listSms", Gen: GenV1, Reason: "only v1 sorts SMS"}
	}
	q := pageQuery("per_page", p.Page, p.PageSize, MaxSMSPageSizeV2)
	res, err := v.d.do(ctx, &request{op: "v2.listSms", gen: GenV2, method: http.MethodGet, path: simPath(GenV2, iccid, "/sms"), query: q}, &out)
	if err != nil {
		return nil, Page{}, err
	}
	return out, pageOf(res, q, "per_page"), nil
}

// ListSMS iterates over all SMS of a SIM through GET /v2/sims/{iccid}/sms.
func (v V2) ListSMS(ctx context.Context, opts SMSListOptions) iter.Seq2[V2SMS, error] {
	return paginate(ctx, opts.ListOptions, MaxSMSPageSizeV2, func(ctx context.Context, page, size int) ([]V2SMS, Page, error) {
		return v.SMSPage(ctx, SMSPageParams{ICCID: opts.ICCID, Page: page, PageSize: size})
	})
}

// GetSMS is GET /v2/sims/{iccid}/sms/{id}.
func (v V2) GetSMS(ctx context.Context, ref SMSRef) (V2SMS, error) {
	var out V2SMS
	iccid, id := ref.ICCID, ref.ID
	if err := checkICCID("v2.getSms", iccid); err != nil {
		return out, err
	}
	_, err := v.d.do(ctx, &request{op: "v2.getSms", gen: GenV2, method: http.MethodGet, path: smsPath(GenV2, iccid, id)}, &out)
	return out, err
}

// CancelSMS is DELETE /v2/sims/{iccid}/sms/{id}: cancel an SMS still buffered for delivery.
func (v V2) CancelSMS(ctx context.Context, ref SMSRef) (V2Deleted, error) {
	var out V2Deleted
	iccid, id := ref.ICCID, ref.ID
	if err := checkICCID("v2.cancelSms", iccid); err != nil {
		return out, err
	}
	_, err := v.d.do(ctx, &request{op: "v2.cancelSms", gen: GenV2, method: http.MethodDelete, path: smsPath(GenV2, iccid, id)}, &out)
	return out, err
}

// EventsPage is GET /v2/sims/{iccid}/events: one page of a SIM's events. v2 does not sort:
// a Sort fails with ErrUnsupported rather than being dropped.
func (v V2) EventsPage(ctx context.Context, p EventsPageParams) ([]V2Event, Page, error) {
	var out []V2Event
	iccid := p.ICCID
	if err := checkICCID("v2.getEvents", iccid); err != nil {
		return nil, Page{}, err
	}
	if p.Sort != "" {
		return nil, Page{}, &UnsupportedError{Op: "v2.getEvents", Gen: GenV1, Reason: "only v1 sorts events"}
	}
	q := pageQuery("pageSize", p.Page, p.PageSize, MaxEventPageSize)
	res, err := v.d.do(ctx, &request{op: "v2.getEvents", gen: GenV2, method: http.MethodGet, path: simPath(GenV2, iccid, "/events"), query: q}, &out)
	if err != nil {
		return nil, Page{}, err
	}
	return out, pageOf(res, q, "pageSize"), nil
}

// ListEvents iterates over all of a SIM's events through GET /v2/sims/{iccid}/events.
func (v V2) ListEvents(ctx context.Context, opts EventListOptions) iter.Seq2[V2Event, error] {
	return paginate(ctx, opts.ListOptions, MaxEventPageSize, func(ctx context.Context, page, size int) ([]V2Event, Page, error) {
		return v.EventsPage(ctx, EventsPageParams{ICCID: opts.ICCID, Page: page, PageSize: size, Sort: opts.Sort})
	})
}

// TopUp is POST /v2/sims/{iccid}/topup: buy the SIM's top-up volume (costs money; never
// re-sent once it may have reached 1NCE). The result reports the outcome as V1.TopUp's does.
func (v V2) TopUp(ctx context.Context, p TopUpParams) (TopUpResult, error) {
	return topUpOne(ctx, v.d, GenV2, "v2.topUp", p)
}
