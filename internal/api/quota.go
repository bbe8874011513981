package api

import (
	"context"
	"net/http"

	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// IdempotencyHeader documents the header on money-costing POSTs (the gate acts on it).
type IdempotencyHeader struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the POST safe to retry: the same key and body replay the first answer and never call 1NCE again; another body is 422, a key in flight 409."`
}

// key is the request's idempotency key scoped to the caller, for the control plane's own
// reservation (a top-up is booked at most once per key even across replicas).
func (h IdempotencyHeader) key(ctx context.Context) string {
	if h.IdempotencyKey == "" {
		return ""
	}
	return actor(ctx).ID + ":" + h.IdempotencyKey
}

func (s *Server) registerQuotas() {
	c := s.cfg.Control
	for _, kind := range []fleet.QuotaKind{fleet.QuotaData, fleet.QuotaSMS} {
		type getQuota struct {
			SIMPath
			FreshQuery
		}
		register(s, op{id: "get-sim-quota-" + string(kind), method: http.MethodGet, path: "/sims/{iccid}/quota/" + string(kind), tag: "Quotas", role: fleet.RoleViewer,
			summary: "Get a SIM's " + string(kind) + " quota", description: "Remaining and total volume (bytes for data, messages for SMS), state and expiry; read from 1NCE and cached for 5 minutes."},
			func(ctx context.Context, in *getQuota) (*readOut[fleet.Quota], error) {
				r, err := c.Quota(ctx, in.ICCID, kind, in.wantFresh())
				if err != nil {
					return nil, err
				}
				return readResult(r), nil
			})
	}

	type topUp struct {
		SIMPath
		IdempotencyHeader
		Body struct {
			PaymentMethod string `json:"payment_method,omitempty" enum:"banktransfer,creditcard,monthlyinvoice,boleto," doc:"How 1NCE bills it: banktransfer (1NCE's default), creditcard, monthlyinvoice or boleto."`
		}
	}
	register(s, op{id: "topup-sim", method: http.MethodPost, path: "/sims/{iccid}/topup", tag: "Quotas", role: fleet.RoleOperator, action: "sim.topup",
		status: http.StatusCreated, summary: "Top up a SIM (costs money)",
		description: "Books one top-up of the SIM's data quota at 1NCE. It is sent at most once: reserved before 1NCE is called, never retried once it may have reached 1NCE. " +
			"If 1NCE does not answer, the top-up is recorded as unknown and the answer is 502 outcome_unknown: check /orders before trying again."},
		func(ctx context.Context, in *topUp) (*dataOut[control.TopUp], error) {
			t, err := c.TopUp(ctx, actor(ctx), in.ICCID, control.TopUpRequest{PaymentMethod: in.Body.PaymentMethod, Key: in.key(ctx)})
			if err != nil {
				return nil, err
			}
			return data(t), nil
		})

	type bulkTopUp struct {
		IdempotencyHeader
		Body struct {
			SelectionBody
			PaymentMethod string `json:"payment_method,omitempty" enum:"banktransfer,creditcard,monthlyinvoice,boleto," doc:"How 1NCE bills it."`
		}
	}
	register(s, op{id: "bulk-topup-sims", method: http.MethodPost, path: "/sims/topup", tag: "Quotas", role: fleet.RoleOperator, action: "bulk.topup",
		status: http.StatusAccepted, maxBody: bulkBodyLimit, summary: "Top up many SIMs (costs money)",
		description: "Starts a bulk job booking one top-up per SIM (1NCE's multiple top-up while the account has v1, single top-ups otherwise) and answers 202 with the job. Each SIM is booked at most once, even when a replica dies mid-job."},
		func(ctx context.Context, in *bulkTopUp) (*jobOut, error) {
			sel, err := in.Body.selection()
			if err != nil {
				return nil, err
			}
			j, err := c.StartBulkTopUp(ctx, actor(ctx), sel, in.Body.PaymentMethod)
			if err != nil {
				return nil, err
			}
			return jobAccepted(j), nil
		})

	type autoTopUp struct {
		Body struct {
			Enabled      bool     `json:"enabled" doc:"Switch automatic top-ups on or off."`
			ICCIDs       []string `json:"iccids,omitempty" maxItems:"10000" doc:"The SIMs (empty with fleet_default)."`
			FleetDefault bool     `json:"fleet_default,omitempty" doc:"Set oncefleet's policy for every SIM without one of its own (1NCE is not called)."`
			ThresholdPct int      `json:"threshold_pct,omitempty" minimum:"0" maximum:"100" doc:"Top up when less than this % of the data quota is left (default 10)."`
			MaxPerMonth  int      `json:"max_per_month,omitempty" minimum:"0" maximum:"100" doc:"At most this many automatic top-ups per SIM and month (default 1)."`
			LocalOnly    bool     `json:"local_only,omitempty" doc:"Set only oncefleet's policy and leave 1NCE's auto-reload as it is (the only choice without Management API v1)."`
		}
	}
	register(s, op{id: "set-auto-topup", method: http.MethodPost, path: "/sims/auto-topup", tag: "Quotas", role: fleet.RoleOperator, action: "sim.auto_topup",
		summary:     "Switch automatic top-ups",
		description: "Switches 1NCE's auto-reload for the SIMs (Management API v1) and stores oncefleet's policy: the threshold and monthly cap the background quota checks apply."},
		func(ctx context.Context, in *autoTopUp) (*dataOut[[]policyView], error) {
			b := in.Body
			ps, err := c.AutoTopUp(ctx, actor(ctx), control.AutoTopUpRequest{Enabled: b.Enabled, ICCIDs: b.ICCIDs, FleetDefault: b.FleetDefault,
				ThresholdPct: b.ThresholdPct, MaxPerMonth: b.MaxPerMonth, LocalOnly: b.LocalOnly})
			if err != nil {
				return nil, err
			}
			out := make([]policyView, len(ps))
			for i, p := range ps {
				out[i] = policyView{ICCID: p.ICCID, Enabled: p.Enabled, ThresholdPct: p.ThresholdPct, MaxPerMonth: p.MaxPerMonth}
			}
			return data(out), nil
		})
}

// policyView is an auto top-up policy ("*" is the fleet default).
type policyView struct {
	ICCID        string `json:"iccid"`
	Enabled      bool   `json:"enabled"`
	ThresholdPct int    `json:"threshold_pct"`
	MaxPerMonth  int    `json:"max_per_month"`
}
