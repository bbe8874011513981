package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// simListQuery filters, sorts and pages the mirror.
type simListQuery struct {
	PageQuery
	Status       []string  `query:"status" maxItems:"20" doc:"Keep SIMs in any of these statuses (comma-separated), e.g. Enabled,Disabled."`
	Label        string    `query:"label" maxLength:"256" doc:"Keep SIMs whose label contains this (case-insensitive)."`
	ICCID        string    `query:"iccid" maxLength:"32" doc:"ICCID prefix."`
	IMSI         string    `query:"imsi" maxLength:"32" doc:"IMSI prefix."`
	MSISDN       string    `query:"msisdn" maxLength:"32" doc:"MSISDN prefix."`
	IMEI         string    `query:"imei" maxLength:"32" doc:"IMEI prefix."`
	IP           string    `query:"ip" maxLength:"64" doc:"IP address prefix."`
	Organization string    `query:"organization" maxLength:"64" doc:"Organisation id."`
	QuotaStatus  string    `query:"quota_status" enum:"ACTIVE,EXHAUSTED,EXPIRED," doc:"Data quota status."`
	Online       string    `query:"online" enum:"true,false," doc:"Keep only SIMs online (true) or offline (false)."`
	UpdatedSince time.Time `query:"updated_since" doc:"Keep SIMs whose mirrored values changed at or after this time (RFC 3339)."`
	Sort         string    `query:"sort" maxLength:"40" doc:"Sort column, '-' for descending: iccid, label, status, last_seen_at, data_volume_left, …"`
}

func (q simListQuery) filter() fleet.SIMFilter {
	f := fleet.SIMFilter{Label: q.Label, ICCIDPrefix: q.ICCID, IMSIPrefix: q.IMSI, MSISDNPrefix: q.MSISDN, IMEIPrefix: q.IMEI,
		IPPrefix: q.IP, OrganizationID: q.Organization, DataQuotaStatus: q.QuotaStatus, UpdatedSince: q.UpdatedSince,
		Page: q.Page, PageSize: q.PageSize}
	for _, s := range q.Status {
		if s = strings.TrimSpace(s); s != "" {
			f.Statuses = append(f.Statuses, s)
		}
	}
	if q.Online != "" {
		on := q.Online == "true"
		f.Online = &on
	}
	f.ParseSort(q.Sort)
	return f
}

// simChangeBody is what PUT /sims/{iccid} may change.
type simChangeBody struct {
	Status   *string        `json:"status,omitempty" enum:"Enabled,Disabled,enabled,disabled" doc:"Enable or disable the SIM at 1NCE."`
	Label    *string        `json:"label,omitempty" maxLength:"256" doc:"The SIM's label at 1NCE."`
	IMEILock *bool          `json:"imei_lock,omitempty" doc:"Lock the SIM to its current device (IMEI)."`
	Metadata map[string]any `json:"metadata,omitempty" doc:"oncefleet's own JSON object for the SIM (not sent to 1NCE); replaces the stored one."`
}

func (b simChangeBody) change() (control.SIMChange, error) {
	c := control.SIMChange{Status: b.Status, Label: b.Label, IMEILock: b.IMEILock}
	if b.Metadata != nil {
		raw, err := jsonMarshal(b.Metadata)
		if err != nil {
			return c, fleet.Invalid("metadata", "must be a JSON object")
		}
		c.Metadata = raw
	}
	return c, nil
}

type simConfigItem struct {
	ICCID    string  `json:"iccid" pattern:"^[0-9]{19,20}$"`
	Status   *string `json:"status,omitempty" enum:"Enabled,Disabled,enabled,disabled"`
	Label    *string `json:"label,omitempty" maxLength:"256"`
	IMEILock *bool   `json:"imei_lock,omitempty"`
}

// SelectionBody names the SIMs of a bulk job: a list, or a filter over the mirror.
type SelectionBody struct {
	ICCIDs []string    `json:"iccids,omitempty" maxItems:"100000" doc:"The SIMs (give iccids or filter)."`
	Filter *FilterBody `json:"filter,omitempty" doc:"Every mirrored SIM matching this filter, resolved when the job starts."`
}

type FilterBody struct {
	Status       []string `json:"status,omitempty" maxItems:"20"`
	Label        string   `json:"label,omitempty" maxLength:"256"`
	ICCID        string   `json:"iccid,omitempty" maxLength:"32" doc:"ICCID prefix."`
	IMSI         string   `json:"imsi,omitempty" maxLength:"32"`
	MSISDN       string   `json:"msisdn,omitempty" maxLength:"32"`
	IMEI         string   `json:"imei,omitempty" maxLength:"32"`
	IP           string   `json:"ip,omitempty" maxLength:"64"`
	Organization string   `json:"organization,omitempty" maxLength:"64"`
	QuotaStatus  string   `json:"quota_status,omitempty" enum:"ACTIVE,EXHAUSTED,EXPIRED,"`
	Online       *bool    `json:"online,omitempty"`
}

func (b SelectionBody) selection() (control.Selection, error) {
	sel := control.Selection{ICCIDs: b.ICCIDs}
	if f := b.Filter; f != nil {
		sel.Filter = &fleet.SIMFilter{Statuses: f.Status, Label: f.Label, ICCIDPrefix: f.ICCID, IMSIPrefix: f.IMSI, MSISDNPrefix: f.MSISDN,
			IMEIPrefix: f.IMEI, IPPrefix: f.IP, OrganizationID: f.Organization, DataQuotaStatus: f.QuotaStatus, Online: f.Online}
		if _, err := sel.Filter.Normalize(); err != nil {
			return sel, err
		}
	}
	return sel, nil
}

// bulkBodyLimit admits 100,000 ICCIDs per bulk request.
const bulkBodyLimit = 8 << 20

func (s *Server) registerSIMs() {
	c := s.cfg.Control
	register(s, op{id: "list-sims", method: http.MethodGet, path: "/sims", tag: "SIMs", role: fleet.RoleViewer,
		summary:     "List SIMs from the mirror",
		description: "Pages through the local mirror of the fleet (kept by the background sync and the Data Streamer), with filters 1NCE does not offer. Each SIM carries last_synced_at."},
		func(ctx context.Context, in *simListQuery) (*rawListOut[fleet.SIM], error) {
			raw, err := c.SIMsJSON(ctx, in.filter())
			if err != nil {
				return nil, err
			}
			return &rawListOut[fleet.SIM]{Body: rawJSON[listBody[fleet.SIM]]{raw: raw}}, nil
		})

	type getSIM struct {
		SIMPath
		FreshQuery
	}
	register(s, op{id: "get-sim", method: http.MethodGet, path: "/sims/{iccid}", tag: "SIMs", role: fleet.RoleViewer,
		summary:     "Get a SIM",
		description: "From the mirror; a SIM the mirror does not have yet is read from 1NCE and stored. fresh=true reads 1NCE now."},
		func(ctx context.Context, in *getSIM) (*readOut[rawJSON[fleet.SIM]], error) {
			r, err := c.SIMJSON(ctx, in.ICCID, in.wantFresh())
			if err != nil {
				return nil, err
			}
			return readResult(control.Read[rawJSON[fleet.SIM]]{Value: rawJSON[fleet.SIM]{raw: r.Value}, SyncedAt: r.SyncedAt, Stale: r.Stale, Reason: r.Reason}), nil
		})

	type updateSIM struct {
		SIMPath
		Body simChangeBody
	}
	register(s, op{id: "update-sim", method: http.MethodPut, path: "/sims/{iccid}", tag: "SIMs", role: fleet.RoleOperator, action: "sim.update",
		summary:     "Change a SIM",
		description: "Status, label and IMEI lock change at 1NCE first, then in the mirror; metadata is oncefleet's own. Fields left out stay as they are."},
		func(ctx context.Context, in *updateSIM) (*dataOut[fleet.SIM], error) {
			ch, err := in.Body.change()
			if err != nil {
				return nil, err
			}
			sim, err := c.UpdateSIM(ctx, actor(ctx), in.ICCID, ch)
			if err != nil {
				return nil, err
			}
			return data(sim), nil
		})

	type configure struct {
		Body struct {
			SIMs []simConfigItem `json:"sims" minItems:"1" maxItems:"10000" doc:"One change per SIM."`
		}
	}
	register(s, op{id: "configure-sims", method: http.MethodPost, path: "/sims", tag: "SIMs", role: fleet.RoleOperator, action: "bulk.configure",
		status: http.StatusAccepted, maxBody: bulkBodyLimit, summary: "Change many SIMs (multiple configuration)",
		description: "Starts a bulk job that changes each listed SIM (status, label, IMEI lock) and answers 202 with the job; follow it at /jobs/{id}."},
		func(ctx context.Context, in *configure) (*jobOut, error) {
			cfgs := make([]control.SIMConfig, len(in.Body.SIMs))
			for i, it := range in.Body.SIMs {
				cfgs[i] = control.SIMConfig{ICCID: it.ICCID, SIMChange: control.SIMChange{Status: it.Status, Label: it.Label, IMEILock: it.IMEILock}}
			}
			j, err := c.StartBulkConfigure(ctx, actor(ctx), cfgs)
			if err != nil {
				return nil, err
			}
			return jobAccepted(j), nil
		})

	type bulkUpdate struct {
		Body struct {
			SelectionBody
			Action string `json:"action" enum:"enable,disable,label" doc:"What to do with every SIM."`
			Label  string `json:"label,omitempty" maxLength:"256" doc:"The label to set (action label)."`
		}
	}
	register(s, op{id: "bulk-update-sims", method: http.MethodPost, path: "/sims/bulk", tag: "SIMs", role: fleet.RoleOperator, action: "bulk.update",
		status: http.StatusAccepted, maxBody: bulkBodyLimit, summary: "Enable, disable or label many SIMs",
		description: "Starts a bulk job over the listed SIMs or every mirrored SIM matching the filter; answers 202 with the job."},
		func(ctx context.Context, in *bulkUpdate) (*jobOut, error) {
			sel, err := in.Body.selection()
			if err != nil {
				return nil, err
			}
			var ch control.SIMChange
			switch in.Body.Action {
			case "enable":
				st := "Enabled"
				ch.Status = &st
			case "disable":
				st := "Disabled"
				ch.Status = &st
			case "label":
				l := in.Body.Label
				ch.Label = &l
			}
			j, err := c.StartBulkUpdate(ctx, actor(ctx), sel, ch)
			if err != nil {
				return nil, err
			}
			return jobAccepted(j), nil
		})

	type getStatus struct {
		SIMPath
		FreshQuery
	}
	register(s, op{id: "get-sim-status", method: http.MethodGet, path: "/sims/{iccid}/status", tag: "SIMs", role: fleet.RoleViewer,
		summary: "Get a SIM's network status", description: "Online, attached or offline, with operator, country and radio technology; read from 1NCE and cached for 30 s."},
		func(ctx context.Context, in *getStatus) (*readOut[control.NetworkStatus], error) {
			r, err := c.Status(ctx, in.ICCID, in.wantFresh())
			if err != nil {
				return nil, err
			}
			return readResult(r), nil
		})

	type getConnectivity struct {
		SIMPath
		Subscriber string `query:"subscriber" enum:"true,false," doc:"Ask the network's subscriber database (1NCE's default: true)."`
		USSD       string `query:"ussd" enum:"true,false," doc:"Probe the device over USSD (1NCE's default: false)."`
	}
	register(s, op{id: "get-sim-connectivity", method: http.MethodGet, path: "/sims/{iccid}/connectivity", tag: "SIMs", role: fleet.RoleViewer,
		summary: "Query the network for a SIM now", description: "1NCE's live connectivity information (Management API v1 only; meaningful on 2G/3G). Never cached."},
		func(ctx context.Context, in *getConnectivity) (*dataOut[control.NetworkQuery], error) {
			q, err := c.Connectivity(ctx, in.ICCID, optBool(in.Subscriber), optBool(in.USSD))
			if err != nil {
				return nil, err
			}
			return data(q), nil
		})

	type getUsage struct {
		SIMPath
		FreshQuery
		From string `query:"from" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" doc:"First day (YYYY-MM-DD, UTC); default 30 days ago."`
		To   string `query:"to" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" doc:"Last day, inclusive; default today."`
	}
	register(s, op{id: "get-sim-usage", method: http.MethodGet, path: "/sims/{iccid}/usage", tag: "SIMs", role: fleet.RoleViewer,
		summary:     "Get a SIM's daily usage",
		description: "Daily data and SMS usage with the range's sum, from the mirror (Data Streamer and usage sync). fresh=true first reads the range from 1NCE's v1 usage API."},
		func(ctx context.Context, in *getUsage) (*readOut[control.UsageReport], error) {
			from, to, err := dayRange(in.From, in.To, time.Now())
			if err != nil {
				return nil, err
			}
			r, err := c.Usage(ctx, in.ICCID, from, to, in.wantFresh())
			if err != nil {
				return nil, err
			}
			return readResult(r), nil
		})

	register(s, op{id: "reset-sim", method: http.MethodPost, path: "/sims/{iccid}/reset", tag: "SIMs", role: fleet.RoleOperator, action: "sim.reset",
		status: http.StatusAccepted, summary: "Reset a SIM's connectivity", description: "1NCE queues a network reset: the device detaches and attaches again."},
		func(ctx context.Context, in *SIMPath) (*acceptedOut, error) {
			if err := c.ResetSIM(ctx, actor(ctx), in.ICCID); err != nil {
				return nil, err
			}
			return accepted("reset queued at 1NCE"), nil
		})

	type getEvents struct {
		SIMPath
		PageQuery
		FreshQuery
		Type  string    `query:"type" maxLength:"256" doc:"Exact event type."`
		Since time.Time `query:"since" doc:"Events at or after this time (RFC 3339)."`
		Until time.Time `query:"until" doc:"Events before this time (RFC 3339)."`
	}
	register(s, op{id: "list-sim-events", method: http.MethodGet, path: "/sims/{iccid}/events", tag: "SIMs", role: fleet.RoleViewer,
		summary: "List a SIM's events", description: "Newest first, from the mirror (Data Streamer); fresh=true first reads the newest events from 1NCE."},
		func(ctx context.Context, in *getEvents) (*listOut[fleet.Event], error) {
			r, err := c.Events(ctx, fleet.EventFilter{ICCID: in.ICCID, Type: in.Type, Since: in.Since, Until: in.Until, Page: in.Page, PageSize: in.PageSize}, in.wantFresh())
			if err != nil {
				return nil, err
			}
			return pageRead(r), nil
		})
}

// acceptedOut answers an action 1NCE carries out later.
type acceptedOut struct {
	Body struct {
		Status string `json:"status"`
	}
}

func accepted(msg string) *acceptedOut {
	out := &acceptedOut{}
	out.Body.Status = msg
	return out
}

func optBool(v string) *bool {
	if v == "" {
		return nil
	}
	b := v == "true"
	return &b
}

// dayRange parses an optional YYYY-MM-DD range, defaulting to the last 30 days.
func dayRange(from, to string, now time.Time) (time.Time, time.Time, error) {
	end := fleet.Day(now)
	if to != "" {
		t, err := time.Parse(time.DateOnly, to)
		if err != nil {
			return time.Time{}, time.Time{}, fleet.Invalid("to", "want a date YYYY-MM-DD")
		}
		end = t
	}
	start := end.AddDate(0, 0, -29)
	if from != "" {
		t, err := time.Parse(time.DateOnly, from)
		if err != nil {
			return time.Time{}, time.Time{}, fleet.Invalid("from", "want a date YYYY-MM-DD")
		}
		start = t
	}
	return start, end, nil
}
