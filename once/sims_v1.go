package once

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// V1 holds the raw operations of 1NCE SIM Management v1, one method per operation of the
// official spec, answering the v1 wire types. Every call is marked v1-only, so on a client in
// mode v2, or once 1NCE has shown that the account has no v1 any more, it fails with
// ErrUnsupported without a network call. Most programs use Client's generation-independent
// methods; V1 is for what only v1 has and for reading v1 answers verbatim.
type V1 struct{ d doer }

// V1 returns the raw SIM Management v1 operations.
func (c *Client) V1() V1 { return V1{d: c} }

// ListSIMsParams are the query parameters of GET /v1/sims and GET /v2/sims.
type ListSIMsParams struct {
	Page     int // 1-based; 0 means 1
	PageSize int // 1..100; 0 means 100
	// Q filters as "{field}:{value}" pairs, comma separated; fields imei and ip_address
	// (e.g. "ip_address:10.0.0.1,imei:4711").
	Q string
	// Sort lists imei and/or ip_address, "-" for descending (e.g. "ip_address,-imei").
	Sort string
}

func (p ListSIMsParams) query() url.Values {
	q := pageQuery("pageSize", p.Page, p.PageSize, MaxPageSize)
	if p.Q != "" {
		q.Set("q", p.Q)
	}
	if p.Sort != "" {
		q.Set("sort", p.Sort)
	}
	return q
}

// PageParams select one page of a v1 list with an optional sort (events, SMS).
type PageParams struct {
	Page     int // 1-based; 0 means 1
	PageSize int // 0 means the largest the list allows
	// Sort lists keys, "-" for descending (e.g. "-timestamp,id"); v1 only.
	Sort string
}

// ListSIMs is GET /v1/sims: one page of the account's SIMs.
func (v V1) ListSIMs(ctx context.Context, p ListSIMsParams) ([]V1SIM, Page, error) {
	var out []V1SIM
	q := p.query()
	res, err := v.d.do(ctx, &request{op: "v1.getSims", gen: GenV1, method: http.MethodGet, path: "/v1/sims", query: q}, &out)
	if err != nil {
		return nil, Page{}, err
	}
	return out, pageOf(res, q, "pageSize"), nil
}

// UpdateSIMs is POST /v1/sims: change several SIMs at once (status, label, IMEI lock). 1NCE
// queues the changes and applies them asynchronously; success means queued. Each update needs
// ICCID and Status (v1 requires both).
func (v V1) UpdateSIMs(ctx context.Context, updates []SIMUpdate) error {
	if len(updates) == 0 {
		return invalid("v1.updateSims", "no SIM updates")
	}
	for _, u := range updates {
		if err := checkICCID("v1.updateSims", u.ICCID); err != nil {
			return err
		}
		if u.Status == "" {
			return invalid("v1.updateSims", "status is required by v1 for SIM "+u.ICCID)
		}
	}
	_, err := v.d.do(ctx, &request{op: "v1.updateSims", gen: GenV1, method: http.MethodPost, path: "/v1/sims", body: updates, unsafe: true}, nil)
	return err
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
func (v V1) UpdateSIM(ctx context.Context, iccid string, u SIMUpdate) error {
	if err := checkICCID("v1.updateSim", iccid); err != nil {
		return err
	}
	if u.Status == "" {
		return invalid("v1.updateSim", "status is required by v1")
	}
	u.ICCID = iccid
	_, err := v.d.do(ctx, &request{op: "v1.updateSim", gen: GenV1, method: http.MethodPut, path: simPath(GenV1, iccid, ""), body: u}, nil)
	return err
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
func (v V1) Transfer(ctx context.Context, t SIMTransfer) error {
	if len(t.ICCIDs) == 0 && len(t.ICCIDRanges) == 0 {
		return invalid("v1.simTransfer", "no ICCIDs or ICCID ranges")
	}
	_, err := v.d.do(ctx, &request{op: "v1.simTransfer", gen: GenV1, method: http.MethodPost, path: "/v1/sims/simTransfer", body: t, unsafe: true}, nil)
	return err
}

// ConnectivityInfo is GET /v1/sims/{iccid}/connectivity_info: live subscriber (cell) and USSD
// information from the network. 1NCE says it is only valid while attached to 2G/3G.
func (v V1) ConnectivityInfo(ctx context.Context, iccid string, p ConnectivityInfoParams) (V1ConnectivityInfo, error) {
	var out V1ConnectivityInfo
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
func (v V1) Reset(ctx context.Context, iccid string) error {
	if err := checkICCID("v1.resetConnectivity", iccid); err != nil {
		return err
	}
	_, err := v.d.do(ctx, &request{op: "v1.resetConnectivity", gen: GenV1, method: http.MethodPost, path: simPath(GenV1, iccid, "/reset"), unsafe: true}, nil)
	return err
}

// MaxEventPageSize is the largest page of the event lists (pageSize ≤ 1000 in both
// generations).
const MaxEventPageSize = 1000

// Events is GET /v1/sims/{iccid}/events: one page of a SIM's events. The page totals come
// from the headers or, when 1NCE leaves them out, from the body's totalEvents/totalPages.
func (v V1) Events(ctx context.Context, iccid string, p PageParams) (V1EventCollection, Page, error) {
	var out V1EventCollection
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

// Usage is GET /v1/sims/{iccid}/usage: daily data and SMS usage between two dates (start_dt,
// end_dt as YYYY-MM-DD; 1NCE keeps the last 6 months). Zero times are left out and 1NCE
// chooses the range.
func (v V1) Usage(ctx context.Context, iccid string, start, end time.Time) (V1DailyUsage, error) {
	var out V1DailyUsage
	if err := checkICCID("v1.getUsage", iccid); err != nil {
		return out, err
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return out, invalid("v1.getUsage", "end date before start date")
	}
	q := url.Values{}
	if !start.IsZero() {
		q.Set("start_dt", Date(start))
	}
	if !end.IsZero() {
		q.Set("end_dt", Date(end))
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

// ListSMS is GET /v1/sims/{iccid}/sms: one page of the SMS sent to and from a SIM.
func (v V1) ListSMS(ctx context.Context, iccid string, p PageParams) ([]V1SMS, Page, error) {
	var out []V1SMS
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

// SendSMS is POST /v1/sims/{iccid}/sms: send an MT-SMS. v1 answers 201 without a body; the
// Location header, when 1NCE sends one, is returned.
func (v V1) SendSMS(ctx context.Context, iccid string, m SMSMessage) (location string, err error) {
	if err := checkICCID("v1.sendSms", iccid); err != nil {
		return "", err
	}
	res, err := v.d.do(ctx, &request{op: "v1.sendSms", gen: GenV1, method: http.MethodPost, path: simPath(GenV1, iccid, "/sms"), body: m, unsafe: true}, nil)
	if err != nil {
		return "", err
	}
	return res.header.Get("Location"), nil
}

// GetSMS is GET /v1/sims/{iccid}/sms/{id}.
func (v V1) GetSMS(ctx context.Context, iccid string, id int64) (V1SMS, error) {
	var out V1SMS
	if err := checkICCID("v1.getSms", iccid); err != nil {
		return out, err
	}
	_, err := v.d.do(ctx, &request{op: "v1.getSms", gen: GenV1, method: http.MethodGet, path: smsPath(GenV1, iccid, id)}, &out)
	return out, err
}

// CancelSMS is DELETE /v1/sims/{iccid}/sms/{id}: cancel an SMS still buffered for delivery.
func (v V1) CancelSMS(ctx context.Context, iccid string, id int64) error {
	if err := checkICCID("v1.cancelSms", iccid); err != nil {
		return err
	}
	_, err := v.d.do(ctx, &request{op: "v1.cancelSms", gen: GenV1, method: http.MethodDelete, path: smsPath(GenV1, iccid, id)}, nil)
	return err
}

// TopUp is POST /v1/sims/{iccid}/topup: buy the SIM's top-up volume (costs money). It is
// never re-sent once it may have reached 1NCE.
func (v V1) TopUp(ctx context.Context, iccid string, pm PaymentMethod) (TopUpResult, error) {
	if err := checkICCID("v1.topUp", iccid); err != nil {
		return TopUpResult{}, err
	}
	res, err := v.d.do(ctx, &request{op: "v1.topUp", gen: GenV1, method: http.MethodPost, path: simPath(GenV1, iccid, "/topup"), query: paymentQuery(pm), unsafe: true}, nil)
	if err != nil {
		return TopUpResult{}, err
	}
	return topUpResult(res), nil
}

// TopUpMultiple is POST /v1/sims/topup: one top-up order for several SIMs (costs money).
func (v V1) TopUpMultiple(ctx context.Context, iccids []string, pm PaymentMethod) (TopUpResult, error) {
	if len(iccids) == 0 {
		return TopUpResult{}, invalid("v1.topUpMultiple", "no ICCIDs")
	}
	for _, id := range iccids {
		if err := checkICCID("v1.topUpMultiple", id); err != nil {
			return TopUpResult{}, err
		}
	}
	res, err := v.d.do(ctx, &request{op: "v1.topUpMultiple", gen: GenV1, method: http.MethodPost, path: "/v1/sims/topup", query: paymentQuery(pm), body: iccids, unsafe: true}, nil)
	if err != nil {
		return TopUpResult{}, err
	}
	return topUpResult(res), nil
}

// AutoTopUp is POST /v1/sims/autoTopup: enable or disable 1NCE's automatic top-up for SIMs.
func (v V1) AutoTopUp(ctx context.Context, r AutoTopUpRequest) error {
	if len(r.ICCIDs) == 0 {
		return invalid("v1.autoTopup", "no ICCIDs")
	}
	_, err := v.d.do(ctx, &request{op: "v1.autoTopup", gen: GenV1, method: http.MethodPost, path: "/v1/sims/autoTopup", body: r, unsafe: true}, nil)
	return err
}

// Limits is GET /v1/sims/limits: the account's self-set monthly limits.
func (v V1) Limits(ctx context.Context) (Limits, error) {
	var out Limits
	_, err := v.d.do(ctx, &request{op: "v1.getLimits", gen: GenV1, method: http.MethodGet, path: "/v1/sims/limits"}, &out)
	return out, err
}

// SetLimits is POST /v1/sims/limits: set the account's monthly limits by the ids that
// SelectableLimits lists.
func (v V1) SetLimits(ctx context.Context, r SetLimitsRequest) error {
	if r == (SetLimitsRequest{}) {
		return invalid("v1.setLimits", "no limit ids")
	}
	_, err := v.d.do(ctx, &request{op: "v1.setLimits", gen: GenV1, method: http.MethodPost, path: "/v1/sims/limits", body: r, unsafe: true}, nil)
	return err
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
// money; 1NCE invoices by the payment method).
func (v V1) Extension(ctx context.Context, r ExtensionRequest, pm PaymentMethod) error {
	if len(r.ICCIDs) == 0 {
		return invalid("v1.extendSims", "no ICCIDs")
	}
	_, err := v.d.do(ctx, &request{op: "v1.extendSims", gen: GenV1, method: http.MethodPost, path: "/v1/sims/extension", query: paymentQuery(pm), body: r, unsafe: true}, nil)
	return err
}
