package control

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/oncefleet/oncefleet/internal/cache"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/internal/mirror"
	"github.com/oncefleet/oncefleet/once"
	"github.com/oncefleet/oncefleet/once/wire"
)

// TTLMessages bounds how old a SIM's SMS list or one SMS may be when served from the cache:
// delivery states change within seconds to minutes.
const TTLMessages = 30 * time.Second

// smsRefreshWindow is how many of a SIM's newest SMS a list read fetches from 1NCE into the
// mirror (one request of the budget); older ones are in the mirror already.
const smsRefreshWindow = 100

// SMSList returns a page of a SIM's SMS from the mirror, after refreshing the mirror with the
// newest SMS 1NCE has (at most once per TTLMessages); with 1NCE unavailable the mirror's page is
// returned marked stale.
func (s *Service) SMSList(ctx context.Context, iccid string, page, pageSize int) (Read[fleet.Page[fleet.SMS]], error) {
	f, err := fleet.SMSFilter{ICCID: iccid, Page: page, PageSize: pageSize}.Normalize()
	if err != nil {
		return Read[fleet.Page[fleet.SMS]]{}, err
	}
	if err := ValidateICCID("iccid", iccid); err != nil {
		return Read[fleet.Page[fleet.SMS]]{}, err
	}
	refreshed, err := readThrough(ctx, s, cache.SIMPrefix(iccid)+":sms:refresh", TTLMessages, "SMS list",
		func(ctx context.Context) (int, error) {
			up, err := s.upstream()
			if err != nil {
				return 0, err
			}
			var batch []fleet.SMS
			for m, err := range up.ListSMS(ctx, once.SMSListOptions{ICCID: iccid, ListOptions: once.ListOptions{PageSize: smsRefreshWindow}}) {
				if err != nil {
					return 0, upstreamErr(err, "listing SMS")
				}
				if m.ID > 0 {
					batch = append(batch, mirror.SMS(iccid, m, ""))
				}
				if len(batch) == smsRefreshWindow {
					break
				}
			}
			if err := s.store.UpsertSMS(ctx, batch); err != nil {
				return 0, fmt.Errorf("sms %s: store: %w", iccid, err)
			}
			return len(batch), nil
		}, func(ctx context.Context) (int, time.Time, error) { return 0, time.Time{}, nil })
	if err != nil {
		return Read[fleet.Page[fleet.SMS]]{}, err
	}
	p, err := s.store.ListSMS(ctx, f)
	if err != nil {
		return Read[fleet.Page[fleet.SMS]]{}, err
	}
	if p.Items == nil {
		p.Items = []fleet.SMS{}
	}
	return Read[fleet.Page[fleet.SMS]]{Value: p, SyncedAt: refreshed.SyncedAt, Stale: refreshed.Stale, Reason: refreshed.Reason}, nil
}

// SMS returns one SMS of a SIM from 1NCE (cached briefly; refresh skips the cache), storing
// its state in the mirror.
func (s *Service) SMS(ctx context.Context, iccid string, id int64, refresh bool) (Read[fleet.SMS], error) {
	if err := ValidateICCID("iccid", iccid); err != nil {
		return Read[fleet.SMS]{}, err
	}
	if id <= 0 {
		return Read[fleet.SMS]{}, fleet.Invalid("id", "must be a positive SMS id")
	}
	key := cache.SIMPrefix(iccid) + ":sms:" + strconv.FormatInt(id, 10)
	s.forget(ctx, key, refresh)
	return readThrough(ctx, s, key, TTLMessages, "SMS",
		func(ctx context.Context) (fleet.SMS, error) { return s.refreshSMS(ctx, iccid, id) },
		func(ctx context.Context) (fleet.SMS, time.Time, error) {
			m, err := s.store.GetSMS(ctx, iccid, id)
			return m, m.UpdatedAt, err
		})
}

// refreshSMS reads one SMS from 1NCE and stores its state, keeping who sent it.
func (s *Service) refreshSMS(ctx context.Context, iccid string, id int64) (fleet.SMS, error) {
	up, err := s.upstream()
	if err != nil {
		return fleet.SMS{}, err
	}
	m, err := up.GetSMS(ctx, once.SMSRef{ICCID: iccid, ID: id})
	if err != nil {
		return fleet.SMS{}, upstreamErr(err, "reading the SMS")
	}
	rec := mirror.SMS(iccid, m, "")
	if prev, err := s.store.GetSMS(ctx, iccid, id); err == nil {
		rec.SentBy = prev.SentBy
	}
	if err := s.store.UpsertSMS(ctx, []fleet.SMS{rec}); err != nil {
		return fleet.SMS{}, fmt.Errorf("sms %s/%d: store: %w", iccid, id, err)
	}
	return s.store.GetSMS(ctx, iccid, id)
}

// SendSMSRequest is an MT-SMS to send to a SIM's device.
type SendSMSRequest struct {
	Payload string
	// SourceAddress is the sender shown on the device (1NCE's default when empty).
	SourceAddress string
	// Concatenate allows a payload longer than one SMS, sent as up to MaxSMSParts parts
	// (each billed as one SMS).
	Concatenate bool
	// ExpiresAt is when 1NCE stops trying to deliver (1NCE's default when zero).
	ExpiresAt time.Time
}

// SentSMS is what sending produced: one SMS per part.
type SentSMS struct {
	ICCID    string      `json:"iccid"`
	Encoding SMSEncoding `json:"encoding"`
	Parts    int         `json:"parts"`
	// IDs are 1NCE's ids of the parts (empty for parts 1NCE did not give an id for).
	IDs []int64 `json:"ids"`
}

// SendSMS sends an MT-SMS. A payload that does not fit one SMS is refused unless
// Concatenate allows it; then it is split into parts with a concatenation header (3GPP TS
// 23.040) and each part sent in order. A failure after some parts went out reports which.
func (s *Service) SendSMS(ctx context.Context, a Actor, iccid string, r SendSMSRequest) (SentSMS, error) {
	au := s.audit(a, "sms.send", iccid)
	if err := need(a, fleet.RoleOperator); err != nil {
		return SentSMS{}, au.done(ctx, err)
	}
	if err := ValidateICCID("iccid", iccid); err != nil {
		return SentSMS{}, au.done(ctx, err)
	}
	enc, parts, err := ValidateSMSPayload("payload", r.Payload, r.Concatenate)
	if err != nil {
		return SentSMS{}, au.done(ctx, err)
	}
	if r.SourceAddress != "" {
		if err := ValidateMSISDN("source_address", r.SourceAddress); err != nil {
			return SentSMS{}, au.done(ctx, err)
		}
	}
	if !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(s.now()) {
		return SentSMS{}, au.done(ctx, fleet.Invalid("expiry_date", "must be in the future"))
	}
	au.set("encoding", string(enc)).set("parts", parts)
	up, err := s.upstream()
	if err != nil {
		return SentSMS{}, au.done(ctx, err)
	}
	msgs := smsParts(r, enc, parts)
	out := SentSMS{ICCID: iccid, Encoding: enc, Parts: parts, IDs: []int64{}}
	wctx, cancel := detach(ctx)
	defer cancel()
	now := s.now().UTC()
	for i, m := range msgs {
		m.ICCID = iccid
		sent, err := up.SendSMS(wctx, m)
		if err != nil {
			au.set("parts_sent", i)
			if sent.Outcome == once.OutcomeUnknown {
				// 1NCE may hold this part: sending it again could deliver it twice.
				err = unconfirmed("SMS", "sent", "GET /api/v1/sims/"+iccid+"/sms", err)
			} else {
				err = upstreamErr(err, "sending the SMS")
			}
			if i > 0 {
				err = fmt.Errorf("sent %d of %d parts, then: %w", i, len(msgs), err)
			}
			return out, au.done(ctx, err)
		}
		s.smsSent.Inc()
		id := sent.ID
		out.IDs = append(out.IDs, id)
		if id > 0 {
			rec := fleet.SMS{ICCID: iccid, ID: id, Direction: fleet.SMSMobileTerminated, Status: string(once.SMSPending),
				Payload: m.Payload, SourceAddress: r.SourceAddress, SubmitDate: now, ExpiryDate: r.ExpiresAt, SentBy: a.ID}
			if err := s.store.UpsertSMS(wctx, []fleet.SMS{rec}); err != nil {
				s.log.WarnContext(ctx, "sent SMS not stored in the mirror", "iccid", iccid, "id", id, "err", err)
			}
		}
	}
	au.set("ids", out.IDs)
	if err := s.cache.DeletePrefix(context.WithoutCancel(ctx), cache.SIMPrefix(iccid)+":sms"); err != nil {
		s.log.WarnContext(ctx, "cache invalidation failed", "iccid", iccid, "err", err)
	}
	return out, au.done(ctx, nil)
}

// smsParts builds the messages to send: one for a single-part payload, else one per part
// with a concatenation user data header sharing a reference number.
func smsParts(r SendSMSRequest, enc SMSEncoding, parts int) []once.SMSMessage {
	base := once.SMSMessage{SourceAddress: r.SourceAddress}
	if !r.ExpiresAt.IsZero() {
		base.ExpiryDate = wire.Timestamp(r.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if enc == UCS2 {
		dcs := 8
		base.DCS = &dcs
	}
	if parts == 1 {
		m := base
		m.Payload = r.Payload
		return []once.SMSMessage{m}
	}
	chunks := splitSMS(r.Payload, enc)
	ref := int(time.Now().UnixNano() & 0xff)
	out := make([]once.SMSMessage, len(chunks))
	for i, c := range chunks {
		m := base
		m.Payload = c
		// IEI 00 (8-bit reference), length 03, reference, total parts, this part's number.
		m.UDH = fmt.Sprintf("050003%02X%02X%02X", ref, len(chunks), i+1)
		out[i] = m
	}
	return out
}

// splitSMS cuts a payload into parts of a concatenated SMS without splitting a GSM-7
// escape sequence or a UTF-16 surrogate pair.
func splitSMS(payload string, enc SMSEncoding) []string {
	limit := gsm7Part
	if enc == UCS2 {
		limit = ucs2Part
	}
	var out []string
	var cur []rune
	used := 0
	for _, r := range payload {
		w := 1
		if enc == GSM7 {
			if isGSM7Ext(r) {
				w = 2
			}
		} else if utf16.RuneLen(r) == 2 {
			w = 2
		}
		if used+w > limit {
			out = append(out, string(cur))
			cur, used = cur[:0:0], 0
		}
		cur = append(cur, r)
		used += w
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

func isGSM7Ext(r rune) bool {
	for _, e := range gsm7Ext {
		if e == r {
			return true
		}
	}
	return false
}

// CancelSMS cancels an SMS 1NCE has not delivered yet.
func (s *Service) CancelSMS(ctx context.Context, a Actor, iccid string, id int64) error {
	au := s.audit(a, "sms.cancel", iccid).set("sms_id", id)
	if err := need(a, fleet.RoleOperator); err != nil {
		return au.done(ctx, err)
	}
	if err := ValidateICCID("iccid", iccid); err != nil {
		return au.done(ctx, err)
	}
	if id <= 0 {
		return au.done(ctx, fleet.Invalid("id", "must be a positive SMS id"))
	}
	up, err := s.upstream()
	if err != nil {
		return au.done(ctx, err)
	}
	wctx, cancel := detach(ctx)
	defer cancel()
	if _, err := up.CancelSMS(wctx, once.SMSRef{ICCID: iccid, ID: id}); err != nil {
		return au.done(ctx, upstreamErr(err, "cancelling the SMS"))
	}
	if err := s.cache.DeletePrefix(context.WithoutCancel(ctx), cache.SIMPrefix(iccid)+":sms"); err != nil {
		s.log.WarnContext(ctx, "cache invalidation failed", "iccid", iccid, "err", err)
	}
	if _, err := s.refreshSMS(wctx, iccid, id); err != nil {
		s.log.InfoContext(ctx, "cancelled SMS not refreshed in the mirror", "iccid", iccid, "id", id, "err", err)
	}
	return au.done(ctx, nil)
}

// smsTrackBatch bounds the SMS one tracking run polls (one 1NCE request each).
const smsTrackBatch = 200

// TrackSMSJob polls the MT-SMS oncefleet sent until 1NCE reports a final state (delivered,
// failed, expired), so GET /sims/{iccid}/sms/{id} and the dashboard show it without anyone
// asking 1NCE. The least recently polled go first; 1NCE is asked at sync priority.
func (s *Service) TrackSMSJob(every time.Duration) jobs.Definition {
	return jobs.Definition{Name: "track_sms", Interval: every, Run: func(ctx context.Context) (jobs.Report, error) {
		pending, err := s.store.PendingSMS(ctx, smsTrackBatch)
		if err != nil {
			return jobs.Report{}, fmt.Errorf("track sms: %w", err)
		}
		rep := jobs.Report{Counts: map[string]int64{}}
		ctx = once.WithPriority(ctx, once.PrioritySync)
		for _, m := range pending {
			if ctx.Err() != nil {
				break
			}
			rep.Items++
			got, err := s.refreshSMS(ctx, m.ICCID, m.ID)
			switch {
			case errors.Is(err, fleet.ErrNotFound):
				// 1NCE no longer has it: it will never become final there; stop asking.
				got = m
				got.Status = string(once.SMSExpired)
				if err := s.store.UpsertSMS(ctx, []fleet.SMS{got}); err != nil {
					rep.Errors++
				}
				rep.Counts["vanished"]++
			case err != nil:
				rep.Errors++
				s.log.WarnContext(ctx, "track sms", "iccid", m.ICCID, "id", m.ID, "err", err)
			case got.Status != string(once.SMSPending):
				rep.Counts[strings.ToLower(got.Status)]++
				if err := s.cache.DeletePrefix(context.WithoutCancel(ctx), cache.SIMPrefix(m.ICCID)+":sms"); err != nil {
					s.log.WarnContext(ctx, "cache invalidation failed", "iccid", m.ICCID, "err", err)
				}
			}
		}
		rep.Detail = fmt.Sprintf("polled %d pending SMS", rep.Items)
		return rep, nil
	}}
}
