package control

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/once"
)

// Account-wide reads only 1NCE knows, cached for a while: limits are set rarely, and the
// selectable values change with 1NCE's price list.
const (
	TTLLimits           = 5 * time.Minute
	TTLSelectableLimits = time.Hour
	accountLimitsKey    = "account:limits"
)

// LimitValue is one monthly limit: its id (what SetLimits takes), amount and unit.
type LimitValue struct {
	ID    int64  `json:"id"`
	Limit string `json:"limit,omitempty"`
	Unit  string `json:"unit,omitempty"`
}

// Limits are the account's self-set monthly limits per service (nil: none set).
type Limits struct {
	Data  *LimitValue `json:"data,omitempty"`
	SMSMT *LimitValue `json:"sms_mt,omitempty"`
	SMSMO *LimitValue `json:"sms_mo,omitempty"`
}

func limitValue(l *once.Limit) *LimitValue {
	if l == nil {
		return nil
	}
	return &LimitValue{ID: l.ID, Limit: l.Limit, Unit: l.Unit}
}

func limitsOf(l once.Limits) Limits {
	return Limits{Data: limitValue(l.Data), SMSMT: limitValue(l.SMSMT), SMSMO: limitValue(l.SMSMO)}
}

// Limits returns the account's global limits (v1 only).
func (s *Service) Limits(ctx context.Context) (Read[Limits], error) {
	return readThrough(ctx, s, accountLimitsKey, TTLLimits, "limits", func(ctx context.Context) (Limits, error) {
		up, err := s.upstream()
		if err != nil {
			return Limits{}, err
		}
		l, err := up.Limits(ctx)
		if err != nil {
			return Limits{}, upstreamErr(err, "reading the limits")
		}
		return limitsOf(l), nil
	}, nil)
}

// ParseLimitService reads a service name of the selectable limits.
func ParseLimitService(v string) (once.LimitService, error) {
	switch strings.ToLower(v) {
	case "data":
		return once.LimitData, nil
	case "smsmo", "sms_mo", "sms-mo":
		return once.LimitSMSMO, nil
	case "smsmt", "sms_mt", "sms-mt":
		return once.LimitSMSMT, nil
	}
	return "", fleet.Invalid("service", "must be data, smsMO or smsMT, got %q", v)
}

// SelectableLimits returns the limit 1NCE offers for a service (v1 only).
func (s *Service) SelectableLimits(ctx context.Context, service string) (Read[Limits], error) {
	svc, err := ParseLimitService(service)
	if err != nil {
		return Read[Limits]{}, err
	}
	return readThrough(ctx, s, accountLimitsKey+":selectable:"+string(svc), TTLSelectableLimits, "selectable limits",
		func(ctx context.Context) (Limits, error) {
			up, err := s.upstream()
			if err != nil {
				return Limits{}, err
			}
			l, err := up.SelectableLimits(ctx, svc)
			if err != nil {
				return Limits{}, upstreamErr(err, "reading the selectable limits")
			}
			return limitsOf(l), nil
		}, nil)
}

// SetLimitsRequest names the limit ids to set (from SelectableLimits); zero leaves one as is.
type SetLimitsRequest struct {
	DataLimitID  int64 `json:"data_limit_id,omitempty"`
	SMSMTLimitID int64 `json:"sms_mt_limit_id,omitempty"`
	SMSMOLimitID int64 `json:"sms_mo_limit_id,omitempty"`
}

// SetLimits sets the account's global limits (v1 only; admin: it caps every SIM).
func (s *Service) SetLimits(ctx context.Context, a Actor, r SetLimitsRequest) error {
	au := s.audit(a, "account.set_limits", "account").set("request", r)
	if err := need(a, fleet.RoleAdmin); err != nil {
		return au.done(ctx, err)
	}
	if r.DataLimitID < 0 || r.SMSMTLimitID < 0 || r.SMSMOLimitID < 0 {
		return au.done(ctx, fleet.Invalid("", "limit ids must not be negative"))
	}
	if r == (SetLimitsRequest{}) {
		return au.done(ctx, fleet.Invalid("", "name at least one limit id to set"))
	}
	up, err := s.upstream()
	if err != nil {
		return au.done(ctx, err)
	}
	wctx, cancel := detach(ctx)
	defer cancel()
	if _, err := up.SetLimits(wctx, once.SetLimitsRequest{DataLimitID: r.DataLimitID, SMSMTLimitID: r.SMSMTLimitID, SMSMOLimitID: r.SMSMOLimitID}); err != nil {
		return au.done(ctx, upstreamErr(err, "setting the limits"))
	}
	if err := s.cache.DeletePrefix(context.WithoutCancel(ctx), accountLimitsKey); err != nil {
		s.log.WarnContext(ctx, "cache invalidation failed", "key", accountLimitsKey, "err", err)
	}
	return au.done(ctx, nil)
}

// ExtensionRequest extends the lifetime of SIMs (money-costing, v1 only).
type ExtensionRequest struct {
	ICCIDs []string
	// ProductID optionally changes the product while extending.
	ProductID     int64
	PaymentMethod string
}

// Extend books the extension of SIMs whose quota lifetime ends.
func (s *Service) Extend(ctx context.Context, a Actor, r ExtensionRequest) error {
	au := s.audit(a, "sim.extend", "").set("sims", len(r.ICCIDs)).set("product_id", r.ProductID)
	if err := need(a, fleet.RoleOperator); err != nil {
		return au.done(ctx, err)
	}
	iccids, err := CanonicalICCIDs("iccids", r.ICCIDs, MaxBatchICCIDs)
	if err != nil {
		return au.done(ctx, err)
	}
	r.ICCIDs = iccids
	if len(r.ICCIDs) == 1 {
		au.target = r.ICCIDs[0]
	}
	if r.ProductID < 0 {
		return au.done(ctx, fleet.Invalid("product_id", "must not be negative"))
	}
	pm, err := ParsePaymentMethod(r.PaymentMethod)
	if err != nil {
		return au.done(ctx, err)
	}
	up, err := s.upstream()
	if err != nil {
		return au.done(ctx, err)
	}
	wctx, cancel := detach(ctx)
	defer cancel()
	if res, err := up.Extension(wctx, once.ExtensionRequest{ICCIDs: r.ICCIDs, ProductID: r.ProductID, PaymentMethod: pm}); err != nil {
		if res.Outcome == once.OutcomeUnknown {
			return au.done(ctx, unconfirmed("extension", "booked", "GET /api/v1/orders", err))
		}
		return au.done(ctx, upstreamErr(err, "booking the extension"))
	}
	s.invalidateSIM(ctx, r.ICCIDs...)
	return au.done(ctx, nil)
}

// ICCIDRange is an inclusive range of ICCIDs.
type ICCIDRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// TransferRequest moves SIMs to another organisation (v1 only).
type TransferRequest struct {
	// TargetOrganisation is required for a sub-organisation; without it 1NCE starts a
	// transfer workflow to another customer.
	TargetOrganisation int64
	ICCIDs             []string
	Ranges             []ICCIDRange
}

// Transfer moves SIMs to another organisation (admin: they leave this fleet).
func (s *Service) Transfer(ctx context.Context, a Actor, r TransferRequest) error {
	au := s.audit(a, "sim.transfer", "").set("sims", len(r.ICCIDs)).set("ranges", len(r.Ranges)).set("target_organisation", r.TargetOrganisation)
	if err := need(a, fleet.RoleAdmin); err != nil {
		return au.done(ctx, err)
	}
	if len(r.ICCIDs) == 0 && len(r.Ranges) == 0 {
		return au.done(ctx, fleet.Invalid("iccids", "name SIMs by iccids or iccid_ranges"))
	}
	if len(r.ICCIDs) > 0 {
		iccids, err := CanonicalICCIDs("iccids", r.ICCIDs, MaxBatchICCIDs)
		if err != nil {
			return au.done(ctx, err)
		}
		r.ICCIDs = iccids
	}
	if len(r.Ranges) > 100 {
		return au.done(ctx, fleet.Invalid("iccid_ranges", "at most 100 ranges per request"))
	}
	ranges := make([]once.ICCIDRange, len(r.Ranges))
	for i, rg := range r.Ranges {
		if err := ValidateICCID(fmt.Sprintf("iccid_ranges[%d].from", i), rg.From); err != nil {
			return au.done(ctx, err)
		}
		if err := ValidateICCID(fmt.Sprintf("iccid_ranges[%d].to", i), rg.To); err != nil {
			return au.done(ctx, err)
		}
		if len(rg.From) != len(rg.To) || rg.To < rg.From {
			return au.done(ctx, fleet.Invalid(fmt.Sprintf("iccid_ranges[%d]", i), "to must not be before from"))
		}
		ranges[i] = once.ICCIDRange{From: rg.From, To: rg.To}
	}
	if r.TargetOrganisation < 0 {
		return au.done(ctx, fleet.Invalid("target_organisation", "must not be negative"))
	}
	up, err := s.upstream()
	if err != nil {
		return au.done(ctx, err)
	}
	wctx, cancel := detach(ctx)
	defer cancel()
	if _, err := up.Transfer(wctx, once.SIMTransfer{TargetOrganisation: r.TargetOrganisation, ICCIDs: r.ICCIDs, ICCIDRanges: ranges}); err != nil {
		return au.done(ctx, upstreamErr(err, "transferring SIMs"))
	}
	s.invalidateSIM(ctx, r.ICCIDs...)
	return au.done(ctx, nil)
}
