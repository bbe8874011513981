package once

import (
	"context"
	"iter"
	"strconv"
)

// SentSMS is 1NCE's answer to SendSMS: the SMS it accepted for delivery. Its SMSRef is what
// GetSMS and CancelSMS take.
type SentSMS struct {
	// SMSRef names the new SMS. ID comes from v2's answer, or from v1's Location header when
	// 1NCE sends one (0 otherwise; list the SIM's SMS to find it).
	SMSRef
	// Source is the API generation that accepted it.
	Source Generation
}

// SendSMS sends an MT-SMS to the device of the SIM m.ICCID. It costs money and is never
// re-sent once it may have reached 1NCE. The payload is never logged.
func (c *Client) SendSMS(ctx context.Context, m SMSMessage) (SentSMS, error) {
	if m.Payload == "" && m.UDH == "" {
		return SentSMS{}, invalid("sendSms", "empty SMS payload")
	}
	if c.prefer() == GenV1 {
		acc, err := c.V1().SendSMS(ctx, m)
		if err != nil {
			return SentSMS{}, err
		}
		id, _ := strconv.ParseInt(acc.ID, 10, 64)
		return SentSMS{SMSRef: SMSRef{ICCID: m.ICCID, ID: id}, Source: GenV1}, nil
	}
	res, err := c.V2().SendSMS(ctx, m)
	if err != nil {
		return SentSMS{}, err
	}
	id, _ := strconv.ParseInt(res.ID, 10, 64)
	return SentSMS{SMSRef: SMSRef{ICCID: m.ICCID, ID: id}, Source: GenV2}, nil
}

// ListSMS iterates over all SMS sent to and received from the SIM opts.ICCID.
func (c *Client) ListSMS(ctx context.Context, opts SMSListOptions) iter.Seq2[SMS, error] {
	gen := c.prefer()
	fetch := func(ctx context.Context, page, size int) ([]SMS, Page, error) {
		p := SMSPageParams{ICCID: opts.ICCID, Page: page, PageSize: size}
		if gen == GenV1 {
			raw, pg, err := c.V1().SMSPage(ctx, p)
			if err != nil {
				return nil, pg, err
			}
			out := make([]SMS, len(raw))
			for i, s := range raw {
				out[i] = smsFromV1(s)
			}
			return out, pg, nil
		}
		raw, pg, err := c.V2().SMSPage(ctx, p)
		if err != nil {
			return nil, pg, err
		}
		out := make([]SMS, len(raw))
		for i, s := range raw {
			out[i] = smsFromV2(s)
		}
		return out, pg, nil
	}
	return paginate(ctx, opts.ListOptions, MaxPageSize, fetch)
}

// GetSMS returns one SMS of a SIM.
func (c *Client) GetSMS(ctx context.Context, ref SMSRef) (SMS, error) {
	if c.prefer() == GenV1 {
		raw, err := c.V1().GetSMS(ctx, ref)
		if err != nil {
			return SMS{}, err
		}
		return smsFromV1(raw), nil
	}
	raw, err := c.V2().GetSMS(ctx, ref)
	if err != nil {
		return SMS{}, err
	}
	return smsFromV2(raw), nil
}

// CancelSMS cancels an SMS that 1NCE still buffers for delivery.
func (c *Client) CancelSMS(ctx context.Context, ref SMSRef) (Accepted, error) {
	if c.prefer() == GenV1 {
		return c.V1().CancelSMS(ctx, ref)
	}
	_, err := c.V2().CancelSMS(ctx, ref)
	return Accepted{}, err
}
