package api

import (
	"context"
	"net/http"
	"time"

	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

type SMSPath struct {
	SIMPath
	ID int64 `path:"id" minimum:"1" doc:"1NCE's SMS id."`
}

func (s *Server) registerSMS() {
	c := s.cfg.Control
	type listSMS struct {
		SIMPath
		PageQuery
	}
	register(s, op{id: "list-sim-sms", method: http.MethodGet, path: "/sims/{iccid}/sms", tag: "SMS", role: fleet.RoleViewer,
		summary: "List a SIM's SMS", description: "Newest first, from the mirror after it is refreshed from 1NCE (at most every 30 s)."},
		func(ctx context.Context, in *listSMS) (*listOut[fleet.SMS], error) {
			r, err := c.SMSList(ctx, in.ICCID, in.Page, in.PageSize)
			if err != nil {
				return nil, err
			}
			return pageRead(r), nil
		})

	type sendSMS struct {
		SIMPath
		IdempotencyHeader
		Body struct {
			Payload       string    `json:"payload" minLength:"1" maxLength:"1600" doc:"The text. One SMS holds 160 GSM-7 or 70 UCS-2 characters; longer texts need concatenate."`
			SourceAddress string    `json:"source_address,omitempty" maxLength:"16" doc:"Sender shown on the device (digits, optionally after '+')."`
			Concatenate   bool      `json:"concatenate,omitempty" doc:"Allow a longer text sent as up to 10 concatenated SMS (each billed)."`
			ExpiryDate    time.Time `json:"expiry_date,omitzero" doc:"When 1NCE stops trying to deliver (RFC 3339)."`
		}
	}
	register(s, op{id: "send-sim-sms", method: http.MethodPost, path: "/sims/{iccid}/sms", tag: "SMS", role: fleet.RoleOperator, action: "sms.send",
		status: http.StatusCreated, summary: "Send an SMS to a SIM's device (costs money)",
		description: "Sends an MT-SMS through 1NCE; its delivery state is tracked at GET /sims/{iccid}/sms/{id}."},
		func(ctx context.Context, in *sendSMS) (*dataOut[control.SentSMS], error) {
			b := in.Body
			sent, err := c.SendSMS(ctx, actor(ctx), in.ICCID, control.SendSMSRequest{Payload: b.Payload, SourceAddress: b.SourceAddress, Concatenate: b.Concatenate, ExpiresAt: b.ExpiryDate})
			if err != nil {
				return nil, err
			}
			return data(sent), nil
		})

	type getSMS struct {
		SMSPath
		FreshQuery
	}
	register(s, op{id: "get-sim-sms", method: http.MethodGet, path: "/sims/{iccid}/sms/{id}", tag: "SMS", role: fleet.RoleViewer,
		summary: "Get one SMS", description: "With its delivery state, read from 1NCE (cached for 30 s)."},
		func(ctx context.Context, in *getSMS) (*readOut[fleet.SMS], error) {
			r, err := c.SMS(ctx, in.ICCID, in.ID, in.wantFresh())
			if err != nil {
				return nil, err
			}
			return readResult(r), nil
		})

	register(s, op{id: "cancel-sim-sms", method: http.MethodDelete, path: "/sims/{iccid}/sms/{id}", tag: "SMS", role: fleet.RoleOperator, action: "sms.cancel",
		status: http.StatusNoContent, summary: "Cancel an SMS not delivered yet"},
		func(ctx context.Context, in *SMSPath) (*noContent, error) {
			if err := c.CancelSMS(ctx, actor(ctx), in.ICCID, in.ID); err != nil {
				return nil, err
			}
			return &noContent{}, nil
		})
}
