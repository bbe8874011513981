package once

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// V1 holds the raw operations of 1NCE SIM Management v1, one method per operation of the
// official spec, answering the v1 wire types. Every call is marked v1-only, so on a client in
// mode v2, or once 1NCE has shown that the account has no v1 any more, it fails with
// ErrUnsupported without a network call. Most programs use Client's generation-independent
// methods; V1 is for what only v1 has and for reading v1 answers verbatim.
type V1 struct{ d doer }

// V1 returns the raw SIM Management v1 operations.
func (c *Client) V1() V1 { return V1{d: c} }

func (p SIMsPageParams) query() url.Values {
	q := pageQuery("pageSize", p.Page, p.PageSize, MaxPageSize)
	if p.Filter != "" {
		q.Set("q", p.Filter)
	}
	if p.Sort != "" {
		q.Set("sort", p.Sort)
	}
	return q
}

// SIMsPage is GET /v1/sims: one page of the account's SIMs.
func (v V1) SIMsPage(ctx context.Context, p SIMsPageParams) ([]V1SIM, Page, error) {
	var out []V1SIM
	q := p.query()
	res, err := v.d.do(ctx, &request{op: "v1.getSims", gen: GenV1, method: http.MethodGet, path: "/v1/sims", query: q}, &out)
	if err != nil {
		return nil, Page{}, err
	}
	return out, pageOf(res, q, "pageSize"), nil
}

// ListSIMs iterates over all SIMs of the account through GET /v1/sims, as v1 answers them.
func (v V1) ListSIMs(ctx context.Context, opts SIMListOptions) iter.Seq2[V1SIM, error] {
	return paginate(ctx, opts.ListOptions, MaxPageSize, func(ctx context.Context, page, size int) ([]V1SIM, Page, error) {
		return v.SIMsPage(ctx, SIMsPageParams{Page: page, PageSize: size, Filter: opts.Filter, Sort: opts.Sort})
	})
}

// UpdateSIMs is POST /v1/sims: change several SIMs at once (status, label, IMEI lock). 1NCE
// queues the changes and applies them asynchronously; success means queued. Each update needs
// ICCID and Status (v1 requires both).
func (v V1) UpdateSIMs(ctx context.Context, updates []SIMUpdate) (Accepted, error) {
	if len(updates) == 0 {
		return Accepted{}, invalid("v1.updateSims", "no SIM updates")
	}
	for _, u := range updates {
		if err := checkICCID("v1.updateSims", u.ICCID); err != nil {
			return Accepted{}, err
		}
		if u.Status == "" {
			return Accepted{}, invalid("v1.updateSims", "status is required by v1 for SIM "+u.ICCID)
		}
	}
	return v.accepted(ctx, &request{op: "v1.updateSims", gen: GenV1, method: http.MethodPost, path: "/v1/sims", body: updates, unsafe: true})
}

// accepted runs a write whose answer has no document.
// Its error matches ErrOutcomeUnknown when the request may have reached 1NCE unconfirmed.
func (v V1) accepted(ctx context.Context, r *request) (Accepted, error) {
	return acceptedWrite(ctx, v.d, r)
}

// GetSIM is GET /v1/sims/{iccid}.
func (v V1) GetSIM(ctx context.Context, iccid string) (V1SIM, error) {
	var out V1SIM
	if err := checkICCID("v1.getSim", iccid); err != nil {
		return out, err
	}
	_, err := v.d.do(ctx, &request{op: "v1.getSim", gen: GenV1, method: http.MethodGet, path: simPath(GenV1, iccid, "")}, &out)
	return out, err
}

// UpdateSIM is PUT /v1/sims/{iccid}. v1 requires Status in the body.
func (v V1) UpdateSIM(ctx context.Context, u SIMUpdate) (Accepted, error) {
	if err := checkICCID("v1.updateSim", u.ICCID); err != nil {
		return Accepted{}, err
	}
	if u.Status == "" {
		return Accepted{}, invalid("v1.updateSim", "status is required by v1")
	}
	return v.accepted(ctx, &request{op: "v1.updateSim", gen: GenV1, method: http.MethodPut, path: simPath(GenV1, u.ICCID, ""), body: u})
}

// Status is GET /v1/sims/{iccid}/status: connectivity status, location and PDP context.
func (v V1) Status(ctx context.Context, iccid string) (V1Connectivity, error) {
	var out V1Connectivity
	if err := checkICCID("v1.getStatus", iccid); err != nil {
		return out, err
	}
	_, err := v.d.do(ctx, &request{op: "v1.getStatus", gen: GenV1, method: http.MethodGet, path: simPath(GenV1, iccid, "/status")}, &out)
	return out, err
}

// Transfer is POST /v1/sims/simTransfer: start moving SIMs to another (sub-)organisation.
func (v V1) Transfer(ctx context.Context, t SIMTransfer) (Accepted, error) {
	if len(t.ICCIDs) == 0 && len(t.ICCIDRanges) == 0 {
		return Accepted{}, invalid("v1.simTransfer", "no ICCIDs or ICCID ranges")
	}
	return v.accepted(ctx, &request{op: "v1.simTransfer", gen: GenV1, method: http.MethodPost, path: "/v1/sims/simTransfer", body: t, unsafe: true})
}

// ConnectivityInfo is GET /v1/sims/{iccid}/connectivity_info: live subscriber (cell) and USSD
// information from the network. 1NCE says it is only valid while attached to 2G/3G.
func (v V1) ConnectivityInfo(ctx context.Context, p ConnectivityInfoParams) (V1ConnectivityInfo, error) {
	var out V1ConnectivityInfo
	iccid := p.ICCID
	if err := checkICCID("v1.getConnectivityInfo", iccid); err != nil {
		return out, err
	}
	q := url.Values{}
	if p.Subscriber != nil {
		q.Set("subscriber", strconv.FormatBool(*p.Subscriber))
	}
	if p.USSD != nil {
		q.Set("ussd", strconv.FormatBool(*p.USSD))
	}
	_, err := v.d.do(ctx, &request{op: "v1.getConnectivityInfo", gen: GenV1, method: http.MethodGet, path: simPath(GenV1, iccid, "/connectivity_info"), query: q}, &out)
	return out, err
}

// Reset is POST /v1/sims/{iccid}/reset: queue a connectivity reset (the device is detached
// and must re-attach).
func (v V1) Reset(ctx context.Context, iccid string) (Accepted, error) {
	if err := checkICCID("v1.resetConnectivity", iccid); err != nil {
		return Accepted{}, err
	}
	return v.accepted(ctx, &request{op: "v1.resetConnectivity", gen: GenV1, method: http.MethodPost, path: simPath(GenV1, iccid, "/reset"), unsafe: true})
}

// MaxEventPageSize is the largest page of the event lists (pageSize ≤ 1000 in both
// generations).
const MaxEventPageSize = 1000

// EventsPage is GET /v1/sims/{iccid}/events: one page of a SIM's events. The page totals
// come from the headers or, when 1NCE leaves them out, from the body's totalEvents/totalPages.
func (v V1) EventsPage(ctx context.Context, p EventsPageParams) (V1EventCollection, Page, error) {
	var out V1EventCollection
	iccid := p.ICCID
	if err := checkICCID("v1.getEvents", iccid); err != nil {
		return out, Page{}, err
	}
	q := pageQuery("pageSize", p.Page, p.PageSize, MaxEventPageSize)
	if p.Sort != "" {
		q.Set("sort", p.Sort)
	}
	res, err := v.d.do(ctx, &request{op: "v1.getEvents", gen: GenV1, method: http.MethodGet, path: simPath(GenV1, iccid, "/events"), query: q}, &out)
	if err != nil {
		return out, Page{}, err
	}
	pg := pageOf(res, q, "pageSize")
	if pg.TotalPages < 0 && out.TotalPages > 0 {
		pg.TotalPages = out.TotalPages
	}
	if pg.TotalCount < 0 && out.TotalEvents > 0 {
		pg.TotalCount = out.TotalEvents
	}
	return out, pg, nil
}

// ListEvents iterates over all of a SIM's events through GET /v1/sims/{iccid}/events.
func (v V1) ListEvents(ctx context.Context, opts EventListOptions) iter.Seq2[V1Event, error] {
	return paginate(ctx, opts.ListOptions, MaxEventPageSize, func(ctx context.Context, page, size int) ([]V1Event, Page, error) {
		col, pg, err := v.EventsPage(ctx, EventsPageParams{ICCID: opts.ICCID, Page: page, PageSize: size, Sort: opts.Sort})
		return col.Events, pg, err
	})
}

// Usage is GET /v1/sims/{iccid}/usage: daily data and SMS usage between two dates (start_dt,
// end_dt as YYYY-MM-DD; 1NCE keeps the last 6 months). Zero times are left out and 1NCE
// chooses the range.
func (v V1) Usage(ctx context.Context, p UsageParams) (V1DailyUsage, error) {
	var out V1DailyUsage
	iccid, start, end := p.ICCID, p.Start, p.End
	if err := checkICCID("v1.getUsage", iccid); err != nil {
		return out, err
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return out, invalid("v1.getUsage", "end date before start date")
	}
	q := url.Values{}
	if !start.IsZero() {
		q.Set("start_dt", date(start))
	}
	if !end.IsZero() {
		q.Set("end_dt", date(end))
	}
	_, err := v.d.do(ctx, &request{op: "v1.getUsage", gen: GenV1, method: http.MethodGet, path: simPath(GenV1, iccid, "/usage"), query: q}, &out)
	return out, err
}

// DataQuota is GET /v1/sims/{iccid}/quota/data.
func (v V1) DataQuota(ctx context.Context, iccid string) (V1Quota, error) {
	return v.quota(ctx, "v1.getDataQuota", iccid, "/quota/data")
}

// SMSQuota is GET /v1/sims/{iccid}/quota/sms.
func (v V1) SMSQuota(ctx context.Context, iccid string) (V1Quota, error) {
	return v.quota(ctx, "v1.getSmsQuota", iccid, "/quota/sms")
}

func (v V1) quota(ctx context.Context, op, iccid, suffix string) (V1Quota, error) {
	var out V1Quota
	if err := checkICCID(op, iccid); err != nil {
		return out, err
	}
	_, err := v.d.do(ctx, &request{op: op, gen: GenV1, method: http.MethodGet, path: simPath(GenV1, iccid, suffix)}, &out)
	return out, err
}

// SMSPage is GET /v1/sims/{iccid}/sms: one page of the SMS sent to and from a SIM.
func (v V1) SMSPage(ctx context.Context, p SMSPageParams) ([]V1SMS, Page, error) {
	var out []V1SMS
	iccid := p.ICCID
	if err := checkICCID("v1.listSms", iccid); err != nil {
		return nil, Page{}, err
	}
	q := pageQuery("pageSize", p.Page, p.PageSize, MaxPageSize)
	if p.Sort != "" {
		q.Set("sort", p.Sort)
	}
	res, err := v.d.do(ctx, &request{op: "v1.listSms", gen: GenV1, method: http.MethodGet, path: simPath(GenV1, iccid, "/sms"), query: q}, &out)
	if err != nil {
		return nil, Page{}, err
	}
	return out, pageOf(res, q, "pageSize"), nil
}

// ListSMS iterates over all SMS of a SIM through GET /v1/sims/{iccid}/sms.
func (v V1) ListSMS(ctx context.Context, opts SMSListOptions) iter.Seq2[V1SMS, error] {
	return paginate(ctx, opts.ListOptions, MaxPageSize, func(ctx context.Context, page, size int) ([]V1SMS, Page, error) {
		return v.SMSPage(ctx, SMSPageParams{ICCID: opts.ICCID, Page: page, PageSize: size})
	})
}

// SendSMS is POST /v1/sims/{iccid}/sms: send an MT-SMS to m.ICCID. v1 answers 201 without a
// body; the Location header, when 1NCE sends one, names the new SMS.
func (v V1) SendSMS(ctx context.Context, m SMSMessage) (Accepted, error) {
	if err := checkICCID("v1.sendSms", m.ICCID); err != nil {
		return Accepted{}, err
	}
	return v.accepted(ctx, &request{op: "v1.sendSms", gen: GenV1, method: http.MethodPost, path: simPath(GenV1, m.ICCID, "/sms"), body: m, unsafe: true})
}

// GetSMS is GET /v1/sims/{iccid}/sms/{id}.
func (v V1) GetSMS(ctx context.Context, ref SMSRef) (V1SMS, error) {
	var out V1SMS
	if err := checkICCID("v1.getSms", ref.ICCID); err != nil {
		return out, err
	}
	_, err := v.d.do(ctx, &request{op: "v1.getSms", gen: GenV1, method: http.MethodGet, path: smsPath(GenV1, ref.ICCID, ref.ID)}, &out)
	return out, err
}

// CancelSMS is DELETE /v1/sims/{iccid}/sms/{id}: cancel an SMS still buffered for delivery.
func (v V1) CancelSMS(ctx context.Context, ref SMSRef) (Accepted, error) {
	if err := checkICCID("v1.cancelSms", ref.ICCID); err != nil {
		return Accepted{}, err
	}
	return v.accepted(ctx, &request{op: "v1.cancelSms", gen: GenV1, method: http.MethodDelete, path: smsPath(GenV1, ref.ICCID, ref.ID)})
}

// TopUp is POST /v1/sims/{iccid}/topup: buy the SIM's top-up volume (costs money). It is
// never re-sent once it may have reached 1NCE; the result says whether it is booked, certainly
// not booked, or of unknown outcome (then the error also matches ErrOutcomeUnknown).
func (v V1) TopUp(ctx context.Context, p TopUpParams) (TopUpResult, error) {
	return topUpOne(ctx, v.d, GenV1, "v1.topUp", p)
}

// TopUpMultiple is POST /v1/sims/topup: one top-up order for several SIMs (costs money; the
// result reports the outcome as TopUp's does).
func (v V1) TopUpMultiple(ctx context.Context, p TopUpMultipleParams) (TopUpResult, error) {
	out := TopUpResult{ICCIDs: p.ICCIDs, PaymentMethod: p.PaymentMethod, WriteOutcome: WriteOutcome{Outcome: OutcomeNotSent}}
	if len(p.ICCIDs) == 0 {
		return out, invalid("v1.topUpMultiple", "no ICCIDs")
	}
	for _, id := range p.ICCIDs {
		if err := checkICCID("v1.topUpMultiple", id); err != nil {
			return out, err
		}
	}
	r := &request{op: "v1.topUpMultiple", gen: GenV1, method: http.MethodPost, path: "/v1/sims/topup", query: paymentQuery(p.PaymentMethod), body: p.ICCIDs, unsafe: true}
	res, err := v.d.do(ctx, r, nil)
	return out.finish(r, res, err)
}

// AutoTopUp is POST /v1/sims/autoTopup: enable or disable 1NCE's automatic top-up for SIMs.
func (v V1) AutoTopUp(ctx context.Context, r AutoTopUpRequest) (Accepted, error) {
	if len(r.ICCIDs) == 0 {
		return Accepted{}, invalid("v1.autoTopup", "no ICCIDs")
	}
	return v.accepted(ctx, &request{op: "v1.autoTopup", gen: GenV1, method: http.MethodPost, path: "/v1/sims/autoTopup", body: r, unsafe: true})
}

// Limits is GET /v1/sims/limits: the account's self-set monthly limits.
func (v V1) Limits(ctx context.Context) (Limits, error) {
	var out Limits
	_, err := v.d.do(ctx, &request{op: "v1.getLimits", gen: GenV1, method: http.MethodGet, path: "/v1/sims/limits"}, &out)
	return out, err
}

// SetLimits is POST /v1/sims/limits: set the account's monthly limits by the ids that
// SelectableLimits lists.
func (v V1) SetLimits(ctx context.Context, r SetLimitsRequest) (Accepted, error) {
	if r == (SetLimitsRequest{}) {
		return Accepted{}, invalid("v1.setLimits", "no limit ids")
	}
	return v.accepted(ctx, &request{op: "v1.setLimits", gen: GenV1, method: http.MethodPost, path: "/v1/sims/limits", body: r, unsafe: true})
}

// SelectableLimits is GET /v1/sims/{service}/limits: the limit options of one service.
func (v V1) SelectableLimits(ctx context.Context, s LimitService) (Limits, error) {
	var out Limits
	switch s {
	case LimitData, LimitSMSMO, LimitSMSMT:
	default:
		return out, invalid("v1.getSelectableLimits", "service must be data, smsMO or smsMT")
	}
	_, err := v.d.do(ctx, &request{op: "v1.getSelectableLimits", gen: GenV1, method: http.MethodGet, path: "/v1/sims/" + string(s) + "/limits"}, &out)
	return out, err
}

// Extension is POST /v1/sims/extension: extend SIMs' lifetime and renew their quotas (costs
// money; 1NCE invoices by r.PaymentMethod). The result reports the outcome as TopUp's does.
func (v V1) Extension(ctx context.Context, r ExtensionRequest) (ExtensionResult, error) {
	out := ExtensionResult{ICCIDs: r.ICCIDs, WriteOutcome: WriteOutcome{Outcome: OutcomeNotSent}}
	if len(r.ICCIDs) == 0 {
		return out, invalid("v1.extendSims", "no ICCIDs")
	}
	req := &request{op: "v1.extendSims", gen: GenV1, method: http.MethodPost, path: "/v1/sims/extension", query: paymentQuery(r.PaymentMethod), body: r, unsafe: true}
	res, err := v.d.do(ctx, req, nil)
	out.Accepted = acceptedOf(res)
	out.WriteOutcome, err = writeOutcome(req, err)
	return out, err
}
