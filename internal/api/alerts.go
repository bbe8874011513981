package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/oncefleet/oncefleet/internal/alerts"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// AlertStore keeps alert rules, channels, alerts and deliveries.
type AlertStore interface {
	CreateAlertRule(ctx context.Context, r *fleet.AlertRule) error
	AlertRuleByID(ctx context.Context, id string) (*fleet.AlertRule, error)
	ListAlertRules(ctx context.Context, enabledOnly bool) ([]fleet.AlertRule, error)
	UpdateAlertRule(ctx context.Context, r *fleet.AlertRule) error
	DeleteAlertRule(ctx context.Context, id string) error

	CreateAlertChannel(ctx context.Context, c *fleet.AlertChannel) error
	AlertChannelByID(ctx context.Context, id string) (*fleet.AlertChannel, error)
	ListAlertChannels(ctx context.Context) ([]fleet.AlertChannel, error)
	UpdateAlertChannel(ctx context.Context, c *fleet.AlertChannel) error
	DeleteAlertChannel(ctx context.Context, id string) error

	AlertByID(ctx context.Context, id int64) (*fleet.Alert, error)
	ListAlerts(ctx context.Context, f fleet.AlertFilter) ([]fleet.Alert, int, error)
	AcknowledgeAlert(ctx context.Context, id int64, by string, at time.Time) error
	ResolveAlertBy(ctx context.Context, id int64, by string, at time.Time) error

	ListAlertDeliveries(ctx context.Context, f fleet.AlertDeliveryFilter) ([]fleet.AlertDelivery, int, error)
}

// AlertEngine is the part of the alert engine the API drives (*alerts.Engine).
type AlertEngine interface {
	Reload(ctx context.Context) error
	TestChannel(ctx context.Context, ch *fleet.AlertChannel) (fleet.AlertDelivery, error)
	Resend(ctx context.Context, id int64) (fleet.AlertDelivery, error)
}

// AlertRule is an alert rule as the API shows and takes it.
type AlertRule struct {
	ID   string          `json:"id" readOnly:"true"`
	Name string          `json:"name" minLength:"1" maxLength:"200"`
	Kind fleet.AlertKind `json:"kind" enum:"quota_below,quota_forecast,no_session,connectivity_lost,status_changed,field_changed,usage_spike,stream_silent,sync_failing,upstream_errors"`
	// Params are kind-specific; see docs/ALERTS.md.
	Params          map[string]any  `json:"params,omitempty" doc:"The kind's parameters, e.g. {\"threshold_pct\": 20} for quota_below; see docs/ALERTS.md."`
	Scope           *alerts.Scope   `json:"scope,omitempty" doc:"Which SIMs: a label glob (label) or an ICCID list (iccids); all SIMs when left out."`
	Actions         []alerts.Action `json:"actions,omitempty" doc:"Automatic actions on the SIM the rule fires for: disable, topup or sms (with text). Done as the rule (audit actor rule:<id>)."`
	ChannelIDs      []string        `json:"channel_ids" doc:"The alert channels messages go to."`
	CooldownSeconds int64           `json:"cooldown_seconds" minimum:"0" maximum:"2592000" doc:"No second alert for the same rule and SIM within this many seconds of the last (default 3600)."`
	Enabled         bool            `json:"enabled"`
	CreatedAt       time.Time       `json:"created_at" readOnly:"true"`
	UpdatedAt       time.Time       `json:"updated_at" readOnly:"true"`
}

// alertRuleBody is what create and replace take.
type alertRuleBody struct {
	Name            string          `json:"name" minLength:"1" maxLength:"200"`
	Kind            fleet.AlertKind `json:"kind" enum:"quota_below,quota_forecast,no_session,connectivity_lost,status_changed,field_changed,usage_spike,stream_silent,sync_failing,upstream_errors"`
	Params          map[string]any  `json:"params,omitempty" doc:"The kind's parameters; see docs/ALERTS.md."`
	Scope           *alerts.Scope   `json:"scope,omitempty"`
	Actions         []alerts.Action `json:"actions,omitempty" maxItems:"3"`
	ChannelIDs      []string        `json:"channel_ids,omitempty" maxItems:"20"`
	CooldownSeconds *int64          `json:"cooldown_seconds,omitempty" minimum:"0" maximum:"2592000"`
	Enabled         *bool           `json:"enabled,omitempty" doc:"Default true."`
}

// ruleFromBody builds and validates the stored rule: scope and actions are kept in params
// (one JSON object the engine parses), channel IDs must name existing channels.
func (s *Server) ruleFromBody(ctx context.Context, b alertRuleBody, r *fleet.AlertRule) error {
	params := map[string]any{}
	for k, v := range b.Params {
		if k == "scope" || k == "actions" {
			return fleet.Invalid("params."+k, "give %s at the top level of the rule", k)
		}
		params[k] = v
	}
	if b.Scope != nil && (b.Scope.Label != "" || len(b.Scope.ICCIDs) > 0) {
		params["scope"] = b.Scope
	}
	if len(b.Actions) > 0 {
		params["actions"] = b.Actions
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return fleet.Invalid("params", "not encodable")
	}
	if _, err := alerts.ParseSpec(b.Kind, raw); err != nil {
		return err
	}
	ids := b.ChannelIDs
	if ids == nil {
		ids = []string{}
	}
	for i, id := range ids {
		if _, err := s.cfg.AlertStore.AlertChannelByID(ctx, id); err != nil {
			if errors.Is(err, fleet.ErrNotFound) {
				return fleet.Invalid("channel_ids["+strconv.Itoa(i)+"]", "no alert channel %q", id)
			}
			return err
		}
	}
	chans, _ := json.Marshal(ids)
	r.Name, r.Kind, r.Params, r.Channels = b.Name, b.Kind, raw, chans
	r.Cooldown = time.Hour
	if b.CooldownSeconds != nil {
		r.Cooldown = time.Duration(*b.CooldownSeconds) * time.Second
	}
	r.Enabled = b.Enabled == nil || *b.Enabled
	return r.Validate()
}

func ruleView(r *fleet.AlertRule) AlertRule {
	out := AlertRule{ID: r.ID, Name: r.Name, Kind: r.Kind, CooldownSeconds: int64(r.Cooldown / time.Second), Enabled: r.Enabled,
		CreatedAt: r.Created, UpdatedAt: r.Updated, ChannelIDs: []string{}}
	var params map[string]json.RawMessage
	_ = json.Unmarshal(r.Params, &params)
	out.Params = map[string]any{}
	for k, v := range params {
		switch k {
		case "scope":
			var sc alerts.Scope
			if json.Unmarshal(v, &sc) == nil {
				out.Scope = &sc
			}
		case "actions":
			_ = json.Unmarshal(v, &out.Actions)
		default:
			var x any
			_ = json.Unmarshal(v, &x)
			out.Params[k] = x
		}
	}
	if ids, err := alerts.ParseChannelIDs(r.Channels); err == nil && ids != nil {
		out.ChannelIDs = ids
	}
	return out
}

// AlertChannel is a channel as the API shows it: its settings without secrets.
type AlertChannel struct {
	ID        string                 `json:"id"`
	Name      string                 `json:"name"`
	Type      fleet.AlertChannelType `json:"type" enum:"webhook,slack,email"`
	Config    map[string]any         `json:"config" doc:"The settings, secrets left out: a webhook's secret and an SMTP password show only as secret_set / password_set; a Slack URL only by its host."`
	CreatedAt time.Time              `json:"created_at"`
	UpdatedAt time.Time              `json:"updated_at"`
}

type alertChannelBody struct {
	Name   string                 `json:"name" minLength:"1" maxLength:"200"`
	Type   fleet.AlertChannelType `json:"type" enum:"webhook,slack,email"`
	Config map[string]any         `json:"config" doc:"webhook: {url, secret (write-only, at least 16 characters)}; slack: {url}; email: {host, port, username, password (write-only), from, to: [..], tls: starttls|tls|opportunistic|none}. On replace, a secret left out keeps the stored one."`
}

func channelView(c *fleet.AlertChannel) AlertChannel {
	return AlertChannel{ID: c.ID, Name: c.Name, Type: c.Type, Config: alerts.Redacted(c), CreatedAt: c.Created, UpdatedAt: c.Updated}
}

// Alert is one raised alert.
type Alert struct {
	ID             int64           `json:"id"`
	RuleID         string          `json:"rule_id,omitempty"`
	Kind           fleet.AlertKind `json:"kind"`
	ICCID          string          `json:"iccid,omitempty"`
	Severity       string          `json:"severity" enum:"info,warning,critical"`
	Message        string          `json:"message"`
	Detail         map[string]any  `json:"detail"`
	State          string          `json:"state" enum:"open,acknowledged,resolved"`
	FiredAt        time.Time       `json:"fired_at"`
	AcknowledgedAt *time.Time      `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string          `json:"acknowledged_by,omitempty"`
	ResolvedAt     *time.Time      `json:"resolved_at,omitempty"`
	ResolvedBy     string          `json:"resolved_by,omitempty" doc:"Who resolved it; empty when its condition cleared on its own."`
}

func alertView(a *fleet.Alert) Alert {
	out := Alert{ID: a.ID, RuleID: a.RuleID, Kind: a.Kind, ICCID: a.ICCID, Severity: a.Severity, Message: a.Message, FiredAt: a.FiredAt,
		AcknowledgedAt: a.AcknowledgedAt, AcknowledgedBy: a.AcknowledgedBy, ResolvedAt: a.ResolvedAt, ResolvedBy: a.ResolvedBy, State: "open", Detail: map[string]any{}}
	_ = json.Unmarshal(a.Detail, &out.Detail)
	switch {
	case a.ResolvedAt != nil:
		out.State = "resolved"
	case a.AcknowledgedAt != nil:
		out.State = "acknowledged"
	}
	return out
}

// AlertDelivery is one message to one channel.
type AlertDelivery struct {
	ID        int64           `json:"id"`
	ChannelID string          `json:"channel_id"`
	RuleID    string          `json:"rule_id,omitempty"`
	Event     string          `json:"event" enum:"fired,resolved,test"`
	AlertIDs  []int64         `json:"alert_ids"`
	Payload   json.RawMessage `json:"payload" doc:"The JSON body as sent to a webhook (no secrets)."`
	State     string          `json:"state" enum:"pending,sent,dead"`
	Attempts  int             `json:"attempts"`
	LastError string          `json:"last_error,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

func deliveryView(d fleet.AlertDelivery) AlertDelivery {
	ids := d.AlertIDs
	if ids == nil {
		ids = []int64{}
	}
	return AlertDelivery{ID: d.ID, ChannelID: d.ChannelID, RuleID: d.RuleID, Event: d.Event, AlertIDs: ids, Payload: d.Payload,
		State: string(d.State), Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.Created, UpdatedAt: d.Updated}
}

// alertIDPath names an alert or a delivery by number.
type alertIDPath struct {
	ID int64 `path:"id" minimum:"1"`
}

// record audits an alert configuration change (err nil: ok).
func (s *Server) record(ctx context.Context, action, target string, err error, detail map[string]any) error {
	result := "ok"
	if err != nil {
		result = string(fleet.ErrorCode(err))
	}
	if rerr := s.cfg.Control.Record(ctx, actor(ctx), action, target, result, detail); rerr != nil && err == nil {
		return rerr
	}
	return err
}

// reload tells the engine a rule changed; a failure only delays it to the next periodic reload.
func (s *Server) reloadAlerts(ctx context.Context) {
	if err := s.cfg.Alerts.Reload(ctx); err != nil {
		s.log.Warn("alert rules not reloaded", "err", err)
	}
}

func (s *Server) registerAlerts() {
	st := s.cfg.AlertStore
	type empty struct{}
	const tag = "Alerts"

	register(s, op{id: "list-alert-rules", method: http.MethodGet, path: "/alert-rules", tag: tag, role: fleet.RoleViewer,
		summary: "List alert rules"},
		func(ctx context.Context, _ *empty) (*dataOut[[]AlertRule], error) {
			rs, err := st.ListAlertRules(ctx, false)
			if err != nil {
				return nil, err
			}
			out := make([]AlertRule, 0, len(rs))
			for i := range rs {
				out = append(out, ruleView(&rs[i]))
			}
			return data(out), nil
		})

	type createRule struct {
		Body alertRuleBody
	}
	register(s, op{id: "create-alert-rule", method: http.MethodPost, path: "/alert-rules", tag: tag, role: fleet.RoleAdmin, action: "alert_rule.create",
		status: http.StatusCreated, summary: "Create an alert rule", description: "The params are checked for the kind (docs/ALERTS.md); an unknown field is refused."},
		func(ctx context.Context, in *createRule) (*dataOut[AlertRule], error) {
			var r fleet.AlertRule
			err := s.ruleFromBody(ctx, in.Body, &r)
			if err == nil {
				err = st.CreateAlertRule(ctx, &r)
			}
			if err := s.record(ctx, "alert_rule.create", "alert_rule:"+r.ID, err, map[string]any{"name": in.Body.Name, "kind": in.Body.Kind}); err != nil {
				return nil, err
			}
			s.reloadAlerts(ctx)
			return data(ruleView(&r)), nil
		})

	register(s, op{id: "get-alert-rule", method: http.MethodGet, path: "/alert-rules/{id}", tag: tag, role: fleet.RoleViewer, summary: "Get an alert rule"},
		func(ctx context.Context, in *IDPath) (*dataOut[AlertRule], error) {
			r, err := st.AlertRuleByID(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return data(ruleView(r)), nil
		})

	type replaceRule struct {
		IDPath
		Body alertRuleBody
	}
	register(s, op{id: "replace-alert-rule", method: http.MethodPut, path: "/alert-rules/{id}", tag: tag, role: fleet.RoleAdmin, action: "alert_rule.update",
		summary: "Replace an alert rule"},
		func(ctx context.Context, in *replaceRule) (*dataOut[AlertRule], error) {
			r, err := st.AlertRuleByID(ctx, in.ID)
			if err == nil {
				err = s.ruleFromBody(ctx, in.Body, r)
			}
			if err == nil {
				err = st.UpdateAlertRule(ctx, r)
			}
			if err := s.record(ctx, "alert_rule.update", "alert_rule:"+in.ID, err, map[string]any{"name": in.Body.Name, "kind": in.Body.Kind}); err != nil {
				return nil, err
			}
			s.reloadAlerts(ctx)
			return data(ruleView(r)), nil
		})

	register(s, op{id: "delete-alert-rule", method: http.MethodDelete, path: "/alert-rules/{id}", tag: tag, role: fleet.RoleAdmin, action: "alert_rule.delete",
		status: http.StatusNoContent, summary: "Delete an alert rule", description: "Its alerts stay in the history."},
		func(ctx context.Context, in *IDPath) (*noContent, error) {
			if err := s.record(ctx, "alert_rule.delete", "alert_rule:"+in.ID, st.DeleteAlertRule(ctx, in.ID), nil); err != nil {
				return nil, err
			}
			s.reloadAlerts(ctx)
			return &noContent{}, nil
		})

	register(s, op{id: "list-alert-channels", method: http.MethodGet, path: "/alert-channels", tag: tag, role: fleet.RoleViewer,
		summary: "List alert channels", description: "Secrets are never shown."},
		func(ctx context.Context, _ *empty) (*dataOut[[]AlertChannel], error) {
			cs, err := st.ListAlertChannels(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]AlertChannel, 0, len(cs))
			for i := range cs {
				out = append(out, channelView(&cs[i]))
			}
			return data(out), nil
		})

	type createChannel struct {
		Body alertChannelBody
	}
	register(s, op{id: "create-alert-channel", method: http.MethodPost, path: "/alert-channels", tag: tag, role: fleet.RoleAdmin, action: "alert_channel.create",
		status: http.StatusCreated, summary: "Create an alert channel", description: "A signed webhook, a Slack-compatible incoming webhook or SMTP e-mail."},
		func(ctx context.Context, in *createChannel) (*dataOut[AlertChannel], error) {
			raw, _ := json.Marshal(in.Body.Config)
			c := fleet.AlertChannel{Name: in.Body.Name, Type: in.Body.Type, Config: raw}
			err := alerts.ValidateChannel(&c, nil)
			if err == nil {
				err = st.CreateAlertChannel(ctx, &c)
			}
			if err := s.record(ctx, "alert_channel.create", "alert_channel:"+c.ID, err, map[string]any{"name": c.Name, "type": c.Type}); err != nil {
				return nil, err
			}
			return data(channelView(&c)), nil
		})

	register(s, op{id: "get-alert-channel", method: http.MethodGet, path: "/alert-channels/{id}", tag: tag, role: fleet.RoleViewer, summary: "Get an alert channel"},
		func(ctx context.Context, in *IDPath) (*dataOut[AlertChannel], error) {
			c, err := st.AlertChannelByID(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return data(channelView(c)), nil
		})

	type replaceChannel struct {
		IDPath
		Body alertChannelBody
	}
	register(s, op{id: "replace-alert-channel", method: http.MethodPut, path: "/alert-channels/{id}", tag: tag, role: fleet.RoleAdmin, action: "alert_channel.update",
		summary: "Replace an alert channel", description: "Secrets left out keep their stored values."},
		func(ctx context.Context, in *replaceChannel) (*dataOut[AlertChannel], error) {
			prev, err := st.AlertChannelByID(ctx, in.ID)
			raw, _ := json.Marshal(in.Body.Config)
			c := fleet.AlertChannel{ID: in.ID, Name: in.Body.Name, Type: in.Body.Type, Config: raw}
			if err == nil {
				err = alerts.ValidateChannel(&c, prev)
			}
			if err == nil {
				err = st.UpdateAlertChannel(ctx, &c)
			}
			if err := s.record(ctx, "alert_channel.update", "alert_channel:"+in.ID, err, map[string]any{"name": c.Name, "type": c.Type}); err != nil {
				return nil, err
			}
			return data(channelView(&c)), nil
		})

	register(s, op{id: "delete-alert-channel", method: http.MethodDelete, path: "/alert-channels/{id}", tag: tag, role: fleet.RoleAdmin, action: "alert_channel.delete",
		status: http.StatusNoContent, summary: "Delete an alert channel", description: "Rules naming it skip it from then on."},
		func(ctx context.Context, in *IDPath) (*noContent, error) {
			if err := s.record(ctx, "alert_channel.delete", "alert_channel:"+in.ID, st.DeleteAlertChannel(ctx, in.ID), nil); err != nil {
				return nil, err
			}
			return &noContent{}, nil
		})

	register(s, op{id: "test-alert-channel", method: http.MethodPost, path: "/alert-channels/{id}/test", tag: tag, role: fleet.RoleAdmin, action: "alert_channel.test",
		summary: "Send a test message to an alert channel", description: "Sent now, once; the answer is the delivery with its outcome (state sent, or dead with the error)."},
		func(ctx context.Context, in *IDPath) (*dataOut[AlertDelivery], error) {
			c, err := st.AlertChannelByID(ctx, in.ID)
			var d fleet.AlertDelivery
			if err == nil {
				d, err = s.cfg.Alerts.TestChannel(ctx, c)
			}
			if err := s.record(ctx, "alert_channel.test", "alert_channel:"+in.ID, err, map[string]any{"state": d.State}); err != nil {
				return nil, err
			}
			return data(deliveryView(d)), nil
		})

	type listAlerts struct {
		PageQuery
		State  string    `query:"state" enum:"open,acknowledged,unacknowledged,resolved," doc:"open: not resolved; acknowledged / unacknowledged: open and (not) acknowledged; resolved."`
		RuleID string    `query:"rule_id" maxLength:"64"`
		ICCID  string    `query:"iccid" maxLength:"32"`
		Kind   string    `query:"kind" enum:"quota_below,quota_forecast,no_session,connectivity_lost,status_changed,field_changed,usage_spike,stream_silent,sync_failing,upstream_errors,"`
		Since  time.Time `query:"since" doc:"Fired at or after (RFC 3339)."`
		Until  time.Time `query:"until" doc:"Fired before (RFC 3339)."`
	}
	register(s, op{id: "list-alerts", method: http.MethodGet, path: "/alerts", tag: tag, role: fleet.RoleViewer,
		summary: "List alerts", description: "Newest first, paged on the server."},
		func(ctx context.Context, in *listAlerts) (*listOut[Alert], error) {
			p, err := fleet.SIMFilter{Page: in.Page, PageSize: in.PageSize}.Normalize()
			if err != nil {
				return nil, err
			}
			f := fleet.AlertFilter{RuleID: in.RuleID, ICCID: in.ICCID, Kind: fleet.AlertKind(in.Kind), Since: in.Since, Until: in.Until, Limit: p.PageSize, Offset: p.Offset()}
			if err := f.SetState(in.State); err != nil {
				return nil, err
			}
			as, total, err := st.ListAlerts(ctx, f)
			if err != nil {
				return nil, err
			}
			out := fleet.Page[Alert]{Items: make([]Alert, 0, len(as)), Total: int64(total), Page: p.Page, PageSize: p.PageSize}
			for i := range as {
				out.Items = append(out.Items, alertView(&as[i]))
			}
			return pageResult(out), nil
		})

	register(s, op{id: "get-alert", method: http.MethodGet, path: "/alerts/{id}", tag: tag, role: fleet.RoleViewer, summary: "Get an alert"},
		func(ctx context.Context, in *alertIDPath) (*dataOut[Alert], error) {
			a, err := st.AlertByID(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return data(alertView(a)), nil
		})

	for _, act := range []struct{ id, verb, action, summary string }{
		{"acknowledge-alert", "acknowledge", "alert.acknowledge", "Acknowledge an alert"},
		{"resolve-alert", "resolve", "alert.resolve", "Resolve an alert"},
	} {
		register(s, op{id: act.id, method: http.MethodPost, path: "/alerts/{id}/" + act.verb, tag: tag, role: fleet.RoleOperator, action: act.action,
			summary: act.summary, description: "Records who and when; doing it twice keeps the first."},
			func(ctx context.Context, in *alertIDPath) (*dataOut[Alert], error) {
				a := actor(ctx)
				who := a.Name
				if who == "" {
					who = a.ID
				}
				var err error
				if act.verb == "acknowledge" {
					err = st.AcknowledgeAlert(ctx, in.ID, who, time.Now().UTC())
				} else {
					err = st.ResolveAlertBy(ctx, in.ID, who, time.Now().UTC())
				}
				if err := s.record(ctx, act.action, "alert:"+strconv.FormatInt(in.ID, 10), err, nil); err != nil {
					return nil, err
				}
				al, err := st.AlertByID(ctx, in.ID)
				if err != nil {
					return nil, err
				}
				return data(alertView(al)), nil
			})
	}

	type listDeliveries struct {
		PageQuery
		State     string `query:"state" enum:"pending,sent,dead," doc:"dead is the dead-letter list: retries spent."`
		ChannelID string `query:"channel_id" maxLength:"64"`
	}
	register(s, op{id: "list-alert-deliveries", method: http.MethodGet, path: "/alert-deliveries", tag: tag, role: fleet.RoleAdmin,
		summary: "List alert deliveries", description: "Newest first; state=dead is the dead-letter list an admin re-sends from."},
		func(ctx context.Context, in *listDeliveries) (*listOut[AlertDelivery], error) {
			p, err := fleet.SIMFilter{Page: in.Page, PageSize: in.PageSize}.Normalize()
			if err != nil {
				return nil, err
			}
			ds, total, err := st.ListAlertDeliveries(ctx, fleet.AlertDeliveryFilter{State: fleet.DeliveryState(in.State), ChannelID: in.ChannelID, Limit: p.PageSize, Offset: p.Offset()})
			if err != nil {
				return nil, err
			}
			out := fleet.Page[AlertDelivery]{Items: make([]AlertDelivery, 0, len(ds)), Total: int64(total), Page: p.Page, PageSize: p.PageSize}
			for _, d := range ds {
				out.Items = append(out.Items, deliveryView(d))
			}
			return pageResult(out), nil
		})

	register(s, op{id: "resend-alert-delivery", method: http.MethodPost, path: "/alert-deliveries/{id}/resend", tag: tag, role: fleet.RoleAdmin, action: "alert_delivery.resend",
		summary: "Re-send an alert delivery", description: "Sends the stored message again now, once, freshly signed; the answer has the outcome. 409 while the delivery is still being retried."},
		func(ctx context.Context, in *alertIDPath) (*dataOut[AlertDelivery], error) {
			d, err := s.cfg.Alerts.Resend(ctx, in.ID)
			if err := s.record(ctx, "alert_delivery.resend", "alert_delivery:"+strconv.FormatInt(in.ID, 10), err, map[string]any{"state": d.State}); err != nil {
				return nil, err
			}
			return data(deliveryView(d)), nil
		})
}
