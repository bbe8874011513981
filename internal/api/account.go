package api

import (
	"context"
	"net/http"

	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

func (s *Server) registerAccountOps() {
	c := s.cfg.Control
	type empty struct{}
	register(s, op{id: "get-limits", method: http.MethodGet, path: "/sims/limits", tag: "Limits", role: fleet.RoleViewer,
		summary: "Get the account's monthly limits", description: "1NCE's global data and SMS limits (Management API v1 only); cached for 5 minutes."},
		func(ctx context.Context, _ *empty) (*readOut[control.Limits], error) {
			r, err := c.Limits(ctx)
			if err != nil {
				return nil, err
			}
			return readResult(r), nil
		})

	type setLimits struct {
		Body struct {
			DataLimitID  int64 `json:"data_limit_id,omitempty" minimum:"0" doc:"Id of the data limit (from GET /sims/data/limits)."`
			SMSMTLimitID int64 `json:"sms_mt_limit_id,omitempty" minimum:"0" doc:"Id of the MT-SMS limit."`
			SMSMOLimitID int64 `json:"sms_mo_limit_id,omitempty" minimum:"0" doc:"Id of the MO-SMS limit."`
		}
	}
	register(s, op{id: "set-limits", method: http.MethodPost, path: "/sims/limits", tag: "Limits", role: fleet.RoleAdmin, action: "account.set_limits",
		status: http.StatusNoContent, summary: "Set the account's monthly limits", description: "Caps every SIM of the account (Management API v1 only)."},
		func(ctx context.Context, in *setLimits) (*noContent, error) {
			b := in.Body
			if err := c.SetLimits(ctx, actor(ctx), control.SetLimitsRequest{DataLimitID: b.DataLimitID, SMSMTLimitID: b.SMSMTLimitID, SMSMOLimitID: b.SMSMOLimitID}); err != nil {
				return nil, err
			}
			return &noContent{}, nil
		})

	type selectable struct {
		Service string `path:"service" enum:"data,smsMO,smsMT" doc:"The service."`
	}
	register(s, op{id: "get-selectable-limits", method: http.MethodGet, path: "/sims/{service}/limits", tag: "Limits", role: fleet.RoleViewer,
		summary: "Get the limit 1NCE offers for a service", description: "Management API v1 only; cached for an hour."},
		func(ctx context.Context, in *selectable) (*readOut[control.Limits], error) {
			r, err := c.SelectableLimits(ctx, in.Service)
			if err != nil {
				return nil, err
			}
			return readResult(r), nil
		})

	type extension struct {
		IdempotencyHeader
		Body struct {
			ICCIDs        []string `json:"iccids" minItems:"1" maxItems:"10000"`
			ProductID     int64    `json:"product_id,omitempty" minimum:"0" doc:"Change to this product while extending."`
			PaymentMethod string   `json:"payment_method,omitempty" enum:"banktransfer,creditcard,monthlyinvoice,boleto,"`
		}
	}
	register(s, op{id: "extend-sims", method: http.MethodPost, path: "/sims/extension", tag: "Limits", role: fleet.RoleOperator, action: "sim.extend",
		status: http.StatusAccepted, summary: "Extend SIMs' lifetime (costs money)", description: "Books 1NCE's SIM extension (Management API v1 only); sent at most once."},
		func(ctx context.Context, in *extension) (*acceptedOut, error) {
			b := in.Body
			if err := c.Extend(ctx, actor(ctx), control.ExtensionRequest{ICCIDs: b.ICCIDs, ProductID: b.ProductID, PaymentMethod: b.PaymentMethod}); err != nil {
				return nil, err
			}
			return accepted("extension booked at 1NCE"), nil
		})

	type transfer struct {
		IdempotencyHeader
		Body struct {
			TargetOrganisation int64                `json:"target_organisation,omitempty" minimum:"0" doc:"Required for a sub-organisation; without it 1NCE starts a transfer to another customer."`
			ICCIDs             []string             `json:"iccids,omitempty" maxItems:"10000"`
			ICCIDRanges        []control.ICCIDRange `json:"iccid_ranges,omitempty" maxItems:"100"`
		}
	}
	register(s, op{id: "transfer-sims", method: http.MethodPost, path: "/sims/transfer", tag: "Limits", role: fleet.RoleAdmin, action: "sim.transfer",
		status: http.StatusAccepted, summary: "Transfer SIMs to another organisation", description: "Management API v1 only."},
		func(ctx context.Context, in *transfer) (*acceptedOut, error) {
			b := in.Body
			if err := c.Transfer(ctx, actor(ctx), control.TransferRequest{TargetOrganisation: b.TargetOrganisation, ICCIDs: b.ICCIDs, Ranges: b.ICCIDRanges}); err != nil {
				return nil, err
			}
			return accepted("transfer requested at 1NCE"), nil
		})
}
