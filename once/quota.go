package once

import "context"

// DataQuota returns the SIM's data quota (volumes in bytes).
func (c *Client) DataQuota(ctx context.Context, iccid string) (Quota, error) {
	return c.quota(ctx, iccid, QuotaData)
}

// SMSQuota returns the SIM's SMS quota (volumes in messages).
func (c *Client) SMSQuota(ctx context.Context, iccid string) (Quota, error) {
	return c.quota(ctx, iccid, QuotaSMS)
}

func (c *Client) quota(ctx context.Context, iccid string, svc QuotaService) (Quota, error) {
	if c.prefer() == GenV1 {
		var (
			raw V1Quota
			err error
		)
		if svc == QuotaData {
			raw, err = c.V1().DataQuota(ctx, iccid)
		} else {
			raw, err = c.V1().SMSQuota(ctx, iccid)
		}
		if err != nil {
			return Quota{}, err
		}
		return quotaFromV1(raw, svc, c.now())
	}
	var (
		raw V2Quota
		err error
	)
	if svc == QuotaData {
		raw, err = c.V2().DataQuota(ctx, iccid)
	} else {
		raw, err = c.V2().SMSQuota(ctx, iccid)
	}
	if err != nil {
		return Quota{}, err
	}
	return quotaFromV2(raw, svc)
}

// TopUp buys the SIM's top-up volume (data and SMS as the SIM's product defines). It costs
// money: it is never re-sent once the request may have reached 1NCE, and the result's Outcome
// says what became of it, also on error: OutcomeDone, OutcomeNotSent (safe to try again) or
// OutcomeUnknown (the error then matches ErrOutcomeUnknown; reconcile with the orders around
// AttemptedAt before trying again). An empty payment method lets 1NCE use bank transfer.
func (c *Client) TopUp(ctx context.Context, p TopUpParams) (TopUpResult, error) {
	if c.prefer() == GenV1 {
		return c.V1().TopUp(ctx, p)
	}
	return c.V2().TopUp(ctx, p)
}

// TopUpMultiple tops up several SIMs in one order (v1 only; costs money, never re-sent; the
// result reports the outcome as TopUp's does).
func (c *Client) TopUpMultiple(ctx context.Context, p TopUpMultipleParams) (TopUpResult, error) {
	return c.V1().TopUpMultiple(ctx, p)
}

// AutoTopUp enables or disables 1NCE's automatic top-up for the SIMs (v1 only).
func (c *Client) AutoTopUp(ctx context.Context, r AutoTopUpRequest) (Accepted, error) {
	return c.V1().AutoTopUp(ctx, r)
}
