package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

type IDPath struct {
	ID string `path:"id" minLength:"1" maxLength:"64"`
}

func (s *Server) registerAdmin() {
	m := s.cfg.Accounts
	type empty struct{}
	register(s, op{id: "list-users", method: http.MethodGet, path: "/users", tag: "Users", role: fleet.RoleAdmin, summary: "List users"},
		func(ctx context.Context, _ *empty) (*dataOut[[]control.User], error) {
			us, err := m.Users(ctx)
			if err != nil {
				return nil, err
			}
			return data(us), nil
		})

	type createUser struct {
		Body struct {
			Email    string     `json:"email" minLength:"3" maxLength:"320" format:"email"`
			Name     string     `json:"name,omitempty" maxLength:"200"`
			Role     fleet.Role `json:"role" enum:"viewer,operator,admin"`
			Password string     `json:"password,omitempty" minLength:"12" maxLength:"1024" doc:"Leave out to have one generated (returned once)."`
		}
	}
	register(s, op{id: "create-user", method: http.MethodPost, path: "/users", tag: "Users", role: fleet.RoleAdmin, action: "user.create",
		status: http.StatusCreated, summary: "Create a user"},
		func(ctx context.Context, in *createUser) (*dataOut[NewUser], error) {
			b := in.Body
			u, pw, err := m.CreateUser(ctx, actor(ctx), control.NewUser{Email: b.Email, Name: b.Name, Role: b.Role, Password: b.Password})
			if err != nil {
				return nil, err
			}
			out := NewUser{User: u}
			if b.Password == "" {
				out.Password = pw
			}
			return data(out), nil
		})

	register(s, op{id: "get-user", method: http.MethodGet, path: "/users/{id}", tag: "Users", role: fleet.RoleAdmin, summary: "Get a user"},
		func(ctx context.Context, in *IDPath) (*dataOut[control.User], error) {
			u, err := m.User(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return data(u), nil
		})

	type updateUser struct {
		IDPath
		Body struct {
			Name     *string     `json:"name,omitempty" maxLength:"200"`
			Role     *fleet.Role `json:"role,omitempty" enum:"viewer,operator,admin"`
			Disabled *bool       `json:"disabled,omitempty" doc:"A disabled user cannot sign in; their sessions end."`
			Password *string     `json:"password,omitempty" minLength:"12" maxLength:"1024" doc:"Set a new password; the user's sessions end."`
		}
	}
	register(s, op{id: "update-user", method: http.MethodPut, path: "/users/{id}", tag: "Users", role: fleet.RoleAdmin, action: "user.update",
		summary: "Change a user", description: "Fields left out stay as they are. The last enabled admin cannot be demoted or disabled."},
		func(ctx context.Context, in *updateUser) (*dataOut[control.User], error) {
			b := in.Body
			u, err := m.UpdateUser(ctx, actor(ctx), in.ID, control.UserChange{Name: b.Name, Role: b.Role, Disabled: b.Disabled, Password: b.Password})
			if err != nil {
				return nil, err
			}
			return data(u), nil
		})

	register(s, op{id: "delete-user", method: http.MethodDelete, path: "/users/{id}", tag: "Users", role: fleet.RoleAdmin, action: "user.delete",
		status: http.StatusNoContent, summary: "Delete a user"},
		func(ctx context.Context, in *IDPath) (*noContent, error) {
			if err := m.DeleteUser(ctx, actor(ctx), in.ID); err != nil {
				return nil, err
			}
			return &noContent{}, nil
		})

	register(s, op{id: "list-api-keys", method: http.MethodGet, path: "/api-keys", tag: "API keys", role: fleet.RoleAdmin,
		summary: "List API keys", description: "Never the keys themselves: only their prefix, role and use."},
		func(ctx context.Context, _ *empty) (*dataOut[[]control.APIKey], error) {
			ks, err := m.APIKeys(ctx)
			if err != nil {
				return nil, err
			}
			return data(ks), nil
		})

	type createKey struct {
		Body struct {
			Name      string     `json:"name" minLength:"1" maxLength:"200"`
			Role      fleet.Role `json:"role" enum:"viewer,operator,admin"`
			ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When the key stops working (default: never)."`
		}
	}
	register(s, op{id: "create-api-key", method: http.MethodPost, path: "/api-keys", tag: "API keys", role: fleet.RoleAdmin, action: "api_key.create",
		status: http.StatusCreated, summary: "Create an API key", description: "The key is in the answer once; only its hash is stored."},
		func(ctx context.Context, in *createKey) (*KeyOut, error) {
			k, secret, err := m.CreateAPIKey(ctx, actor(ctx), control.NewAPIKey{Name: in.Body.Name, Role: in.Body.Role, ExpiresAt: in.Body.ExpiresAt})
			if err != nil {
				return nil, err
			}
			out := &KeyOut{CacheControl: "no-store"}
			out.Body.Data = NewKey{APIKey: k, Key: secret}
			return out, nil
		})

	register(s, op{id: "revoke-api-key", method: http.MethodDelete, path: "/api-keys/{id}", tag: "API keys", role: fleet.RoleAdmin, action: "api_key.revoke",
		status: http.StatusNoContent, summary: "Revoke an API key"},
		func(ctx context.Context, in *IDPath) (*noContent, error) {
			if err := m.RevokeAPIKey(ctx, actor(ctx), in.ID); err != nil {
				return nil, err
			}
			return &noContent{}, nil
		})

	type listAudit struct {
		PageQuery
		Actor  string    `query:"actor" maxLength:"200" doc:"Exact actor: user:<id>, key:<id>, policy:…, rule:…"`
		Action string    `query:"action" maxLength:"100" doc:"Exact action, e.g. sim.topup."`
		Target string    `query:"target" maxLength:"200" doc:"Exact target, e.g. an ICCID."`
		Since  time.Time `query:"since" doc:"Entries at or after (RFC 3339)."`
		Until  time.Time `query:"until" doc:"Entries before (RFC 3339)."`
	}
	register(s, op{id: "list-audit", method: http.MethodGet, path: "/audit", tag: "Audit", role: fleet.RoleAdmin,
		summary: "Read the audit log", description: "One entry per mutating call, newest first: who (actor, role), what (action, target), when, the result and 1NCE's request id."},
		func(ctx context.Context, in *listAudit) (*listOut[auditEntry], error) {
			p, err := fleet.SIMFilter{Page: in.Page, PageSize: in.PageSize}.Normalize()
			if err != nil {
				return nil, err
			}
			if !in.Since.IsZero() && !in.Until.IsZero() && !in.Until.After(in.Since) {
				return nil, fleet.Invalid("until", "must be after since")
			}
			es, total, err := s.cfg.Audit.ListAudit(ctx, fleet.AuditFilter{Actor: in.Actor, Action: in.Action, Target: in.Target,
				Since: in.Since, Until: in.Until, Limit: p.PageSize, Offset: p.Offset()})
			if err != nil {
				return nil, err
			}
			out := fleet.Page[auditEntry]{Items: make([]auditEntry, 0, len(es)), Total: int64(total), Page: p.Page, PageSize: p.PageSize}
			for _, e := range es {
				out.Items = append(out.Items, auditView(e))
			}
			return pageResult(out), nil
		})
}

// auditEntry is one row of the audit log.
type auditEntry struct {
	ID                int64          `json:"id"`
	At                time.Time      `json:"at"`
	Actor             string         `json:"actor"`
	ActorName         string         `json:"actor_name,omitempty"`
	Role              string         `json:"role,omitempty"`
	Action            string         `json:"action"`
	Target            string         `json:"target,omitempty"`
	RequestID         string         `json:"request_id,omitempty"`
	Result            string         `json:"result"`
	UpstreamRequestID string         `json:"upstream_request_id,omitempty"`
	Detail            map[string]any `json:"detail,omitempty"`
}

func auditView(e fleet.AuditEntry) auditEntry {
	out := auditEntry{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target, RequestID: e.RequestID, Result: e.Result}
	var d map[string]any
	if json.Unmarshal(e.Detail, &d) == nil {
		out.Role, _ = d["role"].(string)
		out.ActorName, _ = d["actor_name"].(string)
		out.UpstreamRequestID, _ = d["upstream_request_id"].(string)
		delete(d, "role")
		delete(d, "actor_name")
		delete(d, "upstream_request_id")
		if len(d) > 0 {
			out.Detail = d
		}
	}
	return out
}

// NewUser is a created user, with the generated password when one was generated.
type NewUser struct {
	control.User
	Password string `json:"password,omitempty" doc:"The generated password, shown this once."`
}

// NewKey is a created API key with the key itself.
type NewKey struct {
	control.APIKey
	Key string `json:"key" doc:"The key itself, shown this once: store it now."`
}

// KeyOut answers the creation of a key; it must not be cached anywhere.
type KeyOut struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		Data NewKey `json:"data"`
	}
}
