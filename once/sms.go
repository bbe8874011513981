package once

import (
	"context"
	"iter"
)

// SentSMS identifies an SMS that 1NCE accepted for delivery.
type SentSMS struct {
	// ID is 1NCE's id of the new SMS: from v2's answer, or from v1's Location header when
	// 1NCE sends one ("" otherwise; list the SIM's SMS to find it).
	ID string
	// Source is the API generation that accepted it.
	Source Generation
}

// SendSMS sends an MT-SMS to the device of a SIM. It costs money and is never re-sent once it
// may have reached 1NCE. The payload is never logged.
func (c *Client) SendSMS(ctx context.Context, iccid string, m SMSMessage) (SentSMS, error) {
	if m.Payload == "" && m.UDH == "" {
		return SentSMS{}, invalid("sendSms", "empty SMS payload")
	}
	if c.prefer() == GenV1 {
		loc, err := c.V1().SendSMS(ctx, iccid, m)
		if err != nil {
			return SentSMS{}, err
		}
		return SentSMS{ID: locationID(loc), Source: GenV1}, nil
	}
	res, err := c.V2().SendSMS(ctx, iccid, m)
	if err != nil {
		return SentSMS{}, err
	}
	return SentSMS{ID: res.ID, Source: GenV2}, nil
}

// ListSMS iterates over all SMS sent to and received from a SIM (pages of up to 100).
func (c *Client) ListSMS(ctx context.Context, iccid string, opts ListOptions) iter.Seq2[SMS, error] {
	gen := c.prefer()
	fetch := func(ctx context.Context, page, size int) ([]SMS, Page, error) {
		if gen == GenV1 {
			raw, pg, err := c.V1().ListSMS(ctx, iccid, PageParams{Page: page, PageSize: size})
			if err != nil {
				return nil, pg, err
			}
			out := make([]SMS, len(raw))
			for i, s := range raw {
				out[i] = SMSFromV1(s)
			}
			return out, pg, nil
		}
		raw, pg, err := c.V2().ListSMS(ctx, iccid, PageParams{Page: page, PageSize: size})
		if err != nil {
			return nil, pg, err
		}
		out := make([]SMS, len(raw))
		for i, s := range raw {
			out[i] = SMSFromV2(s)
		}
		return out, pg, nil
	}
	return paginate(ctx, opts, MaxPageSize, fetch)
}

// GetSMS returns one SMS of a SIM.
func (c *Client) GetSMS(ctx context.Context, iccid string, id int64) (SMS, error) {
	if c.prefer() == GenV1 {
		raw, err := c.V1().GetSMS(ctx, iccid, id)
		if err != nil {
			return SMS{}, err
		}
		return SMSFromV1(raw), nil
	}
	raw, err := c.V2().GetSMS(ctx, iccid, id)
	if err != nil {
		return SMS{}, err
	}
	return SMSFromV2(raw), nil
}

// CancelSMS cancels an SMS that 1NCE still buffers for delivery.
func (c *Client) CancelSMS(ctx context.Context, iccid string, id int64) error {
	if c.prefer() == GenV1 {
		return c.V1().CancelSMS(ctx, iccid, id)
	}
	_, err := c.V2().CancelSMS(ctx, iccid, id)
	return err
}
