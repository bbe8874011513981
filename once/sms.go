package once

import (
	"context"
	"iter"
	"strconv"
)

// SentSMS is 1NCE's answer to SendSMS: the SMS it accepted for delivery, and (also on error)
// the outcome of sending it. Its SMSRef is what GetSMS and CancelSMS take.
type SentSMS struct {
	// SMSRef names the new SMS. ID comes from v2's answer, or from v1's Location header when
	// 1NCE sends one (0 otherwise; list the SIM's SMS to find it).
	SMSRef
	// Source is the API generation the SMS was sent through.
	Source Generation
	// WriteOutcome says whether it was sent (OutcomeDone), certainly not (OutcomeNotSent), or
	// may have been (OutcomeUnknown: look for it with ListSMS before sending it again).
	WriteOutcome
}

// SendSMS sends an MT-SMS to the device of the SIM m.ICCID. It uses the SIM's SMS quota and is
// never re-sent once it may have reached 1NCE; the result's outcome says what became of it.
// The payload is never logged.
func (c *Client) SendSMS(ctx context.Context, m SMSMessage) (SentSMS, error) {
	out := SentSMS{SMSRef: SMSRef{ICCID: m.ICCID}, Source: c.prefer(), WriteOutcome: WriteOutcome{Outcome: OutcomeNotSent, AttemptedAt: c.now()}}
	if m.Payload == "" && m.UDH == "" {
		return out, invalid("sendSms", "empty SMS payload")
	}
	var (
		id  string
		err error
	)
	if out.Source == GenV1 {
		var acc Accepted
		acc, err = c.V1().SendSMS(ctx, m)
		id = acc.ID
	} else {
		var res V2SMSCreated
		res, err = c.V2().SendSMS(ctx, m)
		id = res.ID
	}
	out.Outcome = outcomeOfErr(err)
	if err != nil {
		return out, err
	}
	out.ID, _ = strconv.ParseInt(id, 10, 64)
	return out, nil
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
