package control

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/cache"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/mirror"
	"github.com/oncefleet/oncefleet/once"
)

// TTLQuota bounds how old a quota may be when served from the cache. Top-ups made through
// oncefleet invalidate it at once; usage drains it slowly.
const TTLQuota = 5 * time.Minute

// writeTimeout bounds a change sent to 1NCE once it no longer depends on the caller: a client
// that disconnects must not cut a top-up off halfway and leave its outcome unknown.
const writeTimeout = 90 * time.Second

// detach returns a context for a change to 1NCE: not cancelled with the caller's request,
// but bounded, and keeping the caller's values (priority, request id).
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
}

// Quota returns a SIM's data or SMS quota from 1NCE (cached; refresh skips the cache),
// storing it in the mirror; with 1NCE unavailable, the mirrored quota stands in.
func (s *Service) Quota(ctx context.Context, iccid string, kind fleet.QuotaKind, refresh bool) (Read[fleet.Quota], error) {
	if err := ValidateICCID("iccid", iccid); err != nil {
		return Read[fleet.Quota]{}, err
	}
	if err := kind.Validate(); err != nil {
		return Read[fleet.Quota]{}, err
	}
	key := cache.SIMPrefix(iccid) + ":quota:" + string(kind)
	s.forget(ctx, key, refresh)
	return readThrough(ctx, s, key, TTLQuota, string(kind)+" quota",
		func(ctx context.Context) (fleet.Quota, error) { return s.refreshQuota(ctx, iccid, kind) },
		func(ctx context.Context) (fleet.Quota, time.Time, error) {
			q, err := s.store.GetQuota(ctx, iccid, kind)
			return q, q.UpdatedAt, err
		})
}

// refreshQuota reads one quota from 1NCE and stores it.
func (s *Service) refreshQuota(ctx context.Context, iccid string, kind fleet.QuotaKind) (fleet.Quota, error) {
	up, err := s.upstream()
	if err != nil {
		return fleet.Quota{}, err
	}
	var q once.Quota
	if kind == fleet.QuotaSMS {
		q, err = up.SMSQuota(ctx, iccid)
	} else {
		q, err = up.DataQuota(ctx, iccid)
	}
	if err != nil {
		return fleet.Quota{}, upstreamErr(err, "reading the "+string(kind)+" quota")
	}
	rec := mirror.Quota(iccid, q, s.now())
	if err := s.store.UpsertQuotas(ctx, []fleet.Quota{rec}); err != nil {
		return fleet.Quota{}, fmt.Errorf("quota %s/%s: store: %w", iccid, kind, err)
	}
	// Alert rules judge every reading, whoever asked for it.
	s.publish(bus.QuotaObserved{ICCID: iccid, Quota: string(kind), RemainingPct: rec.RemainingPct(), At: rec.UpdatedAt})
	return rec, nil
}

// ParsePaymentMethod reads a payment method ("" keeps 1NCE's default, bank transfer).
func ParsePaymentMethod(v string) (once.PaymentMethod, error) {
	switch pm := once.PaymentMethod(strings.ToLower(strings.TrimSpace(v))); pm {
	case "", once.PayBankTransfer, once.PayCreditCard, once.PayMonthlyInvoice, once.PayBoleto:
		return pm, nil
	}
	return "", fleet.Invalid("payment_method", "must be banktransfer, creditcard, monthlyinvoice or boleto, got %q", v)
}

// TopUpRequest asks for one money-costing top-up of a SIM's data quota.
type TopUpRequest struct {
	PaymentMethod string
	// Key makes the top-up idempotent: the same key never books twice, whoever retries. An
	// empty key gets a fresh one (no protection beyond this call).
	Key string
	// Reason and JobID record who asked: manual (a person), bulk (a job), auto (a policy).
	Reason fleet.TopUpReason
	JobID  string
}

// TopUp is the record of one top-up.
type TopUp struct {
	ID          int64            `json:"id"`
	ICCID       string           `json:"iccid"`
	State       fleet.TopUpState `json:"state"`
	Reason      string           `json:"reason"`
	OrderNumber int64            `json:"order_number,omitempty"`
	Error       string           `json:"error,omitempty"`
	RequestedBy string           `json:"requested_by,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	// Replayed is set when the key was used before and this is that top-up, not a new one.
	Replayed bool `json:"replayed,omitempty"`
}

func topUpView(t *fleet.TopUp) TopUp {
	return TopUp{ID: t.ID, ICCID: t.ICCID, State: t.State, Reason: string(t.Reason), Error: t.Error, RequestedBy: t.RequestedBy, CreatedAt: t.CreatedAt}
}

// TopUp books one top-up of a SIM's data quota at 1NCE. The top-up is reserved under its key
// before 1NCE is called, so it is booked at most once; when the call's outcome cannot be known
// (1NCE did not answer), the top-up is marked unknown and a CodeOutcomeUnknown error tells
// the caller to check the orders rather than retry.
func (s *Service) TopUp(ctx context.Context, a Actor, iccid string, r TopUpRequest) (TopUp, error) {
	key := r.Key
	if key == "" {
		key = "once:" + fleet.NewRecordID()
	}
	out := s.bookTopUps(ctx, a, []string{iccid}, func(string) string { return key }, r)
	return out[0].TopUp, out[0].Err
}

// TopUpOutcome is the result of one SIM's top-up in a batch.
type TopUpOutcome struct {
	TopUp
	Err error
}

// bookTopUps books a top-up for each SIM: each is checked and reserved under keyFor(iccid)
// (a key used before replays that top-up), then the reserved ones are sent in one call —
// TopUp for one SIM, 1NCE's multiple top-up (v1) for several — and each is marked and
// audited on its own. The result has one outcome per ICCID, in order.
func (s *Service) bookTopUps(ctx context.Context, a Actor, iccids []string, keyFor func(string) string, r TopUpRequest) []TopUpOutcome {
	if r.Reason == "" {
		r.Reason = fleet.TopUpManual
	}
	out := make([]TopUpOutcome, len(iccids))
	audits := make([]*audit, len(iccids))
	var send []int // indexes reserved and to be sent
	for i, iccid := range iccids {
		out[i].ICCID = iccid
		au := s.audit(a, "sim.topup", iccid).set("reason", string(r.Reason))
		if r.JobID != "" {
			au.set("job_id", r.JobID)
		}
		audits[i] = au
		fail := func(err error) { out[i].Err = au.done(ctx, err) }
		if err := need(a, fleet.RoleOperator); err != nil {
			fail(err)
			continue
		}
		if err := ValidateICCID("iccid", iccid); err != nil {
			fail(err)
			continue
		}
		if _, err := ParsePaymentMethod(r.PaymentMethod); err != nil {
			fail(err)
			continue
		}
		if _, err := s.upstream(); err != nil {
			fail(err)
			continue
		}
		key := keyFor(iccid)
		au.set("key_hash", hashKey(key))
		t := &fleet.TopUp{ICCID: iccid, IdempotencyKey: key, Reason: r.Reason, JobID: r.JobID, State: fleet.TopUpPending, RequestedBy: a.ID}
		reserved, err := s.store.ReserveTopUp(ctx, t)
		if err != nil {
			fail(err)
			continue
		}
		if !reserved {
			prev, err := s.store.TopUpByKey(ctx, key)
			switch {
			case err != nil:
				fail(err)
			case prev.ICCID != iccid:
				fail(&fleet.Error{Code: fleet.CodeIdempotencyReused, Message: "this idempotency key was used for a top-up of another SIM"})
			default:
				out[i].TopUp = topUpView(prev)
				out[i].Replayed = true
				au.set("replayed", true).set("topup_id", prev.ID)
				fail(replayErr(prev))
			}
			continue
		}
		out[i].TopUp = topUpView(t)
		send = append(send, i)
	}
	if len(send) == 0 {
		return out
	}
	pm, _ := ParsePaymentMethod(r.PaymentMethod)
	up, _ := s.upstream()
	wctx, cancel := detach(ctx)
	defer cancel()
	// One call for all (a single top-up, or v1's multiple top-up); an account without v1
	// refuses the multiple one before anything is booked, and then each SIM goes on its own.
	results := make([]once.TopUpResult, len(iccids))
	errs := make([]error, len(iccids))
	if len(send) == 1 && len(iccids) == 1 {
		results[send[0]], errs[send[0]] = up.TopUp(wctx, once.TopUpParams{ICCID: iccids[send[0]], PaymentMethod: pm})
	} else {
		batch := make([]string, len(send))
		for j, i := range send {
			batch[j] = iccids[i]
		}
		res, err := up.TopUpMultiple(wctx, once.TopUpMultipleParams{ICCIDs: batch, PaymentMethod: pm})
		if errors.Is(err, once.ErrUnsupported) {
			for _, i := range send {
				results[i], errs[i] = up.TopUp(wctx, once.TopUpParams{ICCID: iccids[i], PaymentMethod: pm})
			}
		} else {
			for _, i := range send {
				results[i], errs[i] = res, err
			}
		}
	}
	for _, i := range send {
		au, callErr, res := audits[i], errs[i], results[i]
		state, msg := fleet.TopUpSent, ""
		if callErr != nil {
			// The SDK knows whether the request may have reached 1NCE.
			state, msg = fleet.TopUpFailed, callErr.Error()
			if res.Outcome == once.OutcomeUnknown {
				state = fleet.TopUpUnknown
			}
		}
		marked, err := s.store.MarkTopUp(wctx, keyFor(iccids[i]), state, msg)
		if err != nil {
			// The top-up is booked (or not) at 1NCE whatever the mirror says; the reservation
			// stays pending, which blocks any second attempt with this key.
			s.log.ErrorContext(ctx, "top-up outcome not recorded", "iccid", iccids[i], "state", state, "err", err)
		} else {
			out[i].TopUp = topUpView(marked)
		}
		out[i].State = state
		s.topups.WithLabelValues(string(r.Reason), string(state)).Inc()
		out[i].OrderNumber = res.OrderNumber
		if res.OrderNumber != 0 {
			au.set("order_number", res.OrderNumber)
		}
		au.set("topup_id", out[i].ID).set("state", string(state))
		switch state {
		case fleet.TopUpSent:
			out[i].Err = au.done(ctx, nil)
		case fleet.TopUpUnknown:
			out[i].Err = au.done(ctx, outcomeUnknown(out[i].ID, callErr))
		default:
			out[i].Err = au.done(ctx, upstreamErr(callErr, "booking the top-up"))
		}
	}
	touched := make([]string, len(send))
	for j, i := range send {
		touched[j] = iccids[i]
	}
	s.invalidateSIM(ctx, touched...)
	return out
}

// replayErr is the answer to a top-up key used before: nil when it was booked, otherwise an
// error saying what became of it.
func replayErr(t *fleet.TopUp) error {
	switch t.State {
	case fleet.TopUpSent:
		return nil
	case fleet.TopUpFailed:
		return &fleet.Error{Code: fleet.CodeConflict, Message: "a top-up with this key failed before: " + t.Error + "; use a new key to try again"}
	case fleet.TopUpPending:
		return &fleet.Error{Code: fleet.CodeIdempotencyInFlight, Message: "a top-up with this key is still being booked"}
	}
	return outcomeUnknown(t.ID, errors.New(t.Error))
}

// outcomeUnknown says a top-up may have been booked.
func outcomeUnknown(id int64, cause error) error {
	return unconfirmed(fmt.Sprintf("top-up %d", id), "booked", "GET /api/v1/orders", cause)
}

// unconfirmed is the answer to a money-costing call 1NCE may have taken without confirming
// it (the SDK's OutcomeUnknown): what may or may not have been done, and where to look before
// trying again — never a retry of our own.
func unconfirmed(what, done, check string, cause error) error {
	msg := fmt.Sprintf("1NCE did not confirm the %s, so it may or may not have been %s; check %s before trying again", what, done, check)
	if cause != nil {
		msg += " (" + cause.Error() + ")"
	}
	return &fleet.Error{Code: fleet.CodeOutcomeUnknown, Message: msg}
}

// AutoTopUpRequest switches automatic top-ups for SIMs: at 1NCE (its auto-reload, v1 only)
// and in oncefleet's own policy (threshold and monthly cap, evaluated by the background
// quota checks).
type AutoTopUpRequest struct {
	Enabled bool
	ICCIDs  []string
	// FleetDefault sets the policy of every SIM without its own (ICCIDs must be empty; 1NCE
	// is not called: its switch is per SIM).
	FleetDefault bool
	// LabelPattern sets the policy of the SIMs whose label matches it (a glob; ICCIDs must be
	// empty; 1NCE is not called). A SIM's own policy wins over it.
	LabelPattern string
	// ThresholdPct tops up when the remaining data falls below it (default 10).
	ThresholdPct int
	// MaxPerMonth caps automatic top-ups per SIM and calendar month (default 1).
	MaxPerMonth int
	// LocalOnly keeps 1NCE's auto-reload as it is and sets only oncefleet's policy (the only
	// choice on an account without Management API v1).
	LocalOnly bool
}

// MaxBatchICCIDs bounds the ICCIDs of one request; larger sets go through bulk jobs.
const MaxBatchICCIDs = 10_000

// AutoTopUp applies r: 1NCE first (unless r.LocalOnly), then the local policies.
func (s *Service) AutoTopUp(ctx context.Context, a Actor, r AutoTopUpRequest) ([]fleet.TopUpPolicy, error) {
	au := s.audit(a, "sim.auto_topup", "").set("enabled", r.Enabled).set("sims", len(r.ICCIDs)).set("fleet_default", r.FleetDefault)
	if err := need(a, fleet.RoleOperator); err != nil {
		return nil, au.done(ctx, err)
	}
	if r.ThresholdPct == 0 {
		r.ThresholdPct = 10
	}
	if r.MaxPerMonth == 0 {
		r.MaxPerMonth = 1
	}
	var targets []string
	switch {
	case r.FleetDefault && len(r.ICCIDs) > 0:
		return nil, au.done(ctx, fleet.Invalid("iccids", "must be empty with fleet_default"))
	case r.LabelPattern != "" && (r.FleetDefault || len(r.ICCIDs) > 0):
		return nil, au.done(ctx, fleet.Invalid("label_pattern", "give iccids, a label pattern or fleet_default, not several"))
	case r.FleetDefault:
		targets, r.LocalOnly = []string{fleet.FleetDefault}, true
		au.target = fleet.FleetDefault
	case r.LabelPattern != "":
		targets, r.LocalOnly = []string{fleet.LabelScope(r.LabelPattern)}, true
		au.target = targets[0]
	default:
		iccids, err := CanonicalICCIDs("iccids", r.ICCIDs, MaxBatchICCIDs)
		if err != nil {
			return nil, au.done(ctx, err)
		}
		r.ICCIDs, targets = iccids, iccids
		if len(r.ICCIDs) == 1 {
			au.target = r.ICCIDs[0]
		}
	}
	policies := make([]fleet.TopUpPolicy, len(targets))
	for i, t := range targets {
		policies[i] = fleet.TopUpPolicy{ICCID: t, Enabled: r.Enabled, ThresholdPct: r.ThresholdPct, MaxPerMonth: r.MaxPerMonth}
		if err := policies[i].Validate(); err != nil {
			return nil, au.done(ctx, err)
		}
	}
	if !r.LocalOnly {
		up, err := s.upstream()
		if err != nil {
			return nil, au.done(ctx, err)
		}
		wctx, cancel := detach(ctx)
		defer cancel()
		if _, err := up.AutoTopUp(wctx, once.AutoTopUpRequest{Enabled: r.Enabled, ICCIDs: r.ICCIDs}); err != nil {
			return nil, au.done(ctx, upstreamErr(err, "switching auto top-up"))
		}
	}
	for i := range policies {
		if err := s.store.PutTopUpPolicy(ctx, &policies[i]); err != nil {
			return nil, au.done(ctx, fmt.Errorf("auto top-up policy %s: %w", policies[i].ICCID, err))
		}
	}
	return policies, au.done(ctx, nil)
}
