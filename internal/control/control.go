// Package control is oncefleet's control plane: every read of 1NCE and every change to the
// fleet, made on behalf of an Actor (a user, an API key, an auto top-up policy, an alert rule).
// The REST API, the dashboard, the background jobs and the alert actions all go through it, so
// a change is checked, ordered and recorded the same way whoever asks:
//
//   - the actor's role is checked first (a rule or policy acts with the role it was given);
//   - a write goes to 1NCE first, then to the local mirror, then invalidates the cache, then
//     appends one audit row — a failed 1NCE call changes nothing locally;
//   - a money-costing call is reserved under an idempotency key before 1NCE is called, so a
//     retry, a second replica or a double click never books it twice;
//   - reads of what only 1NCE knows go through the cache with the SPEC §7 TTLs, and fall back
//     to the mirror, marked stale, when 1NCE is down or the request budget is spent.
package control

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/cache"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// Actor is who asks for an action: a signed-in user, an API key, or oncefleet itself acting
// for a policy or an alert rule. The audit log records ID; Role bounds what it may do.
type Actor struct {
	// ID is "user:<id>", "key:<id>", "policy:<name>", "rule:<id>" or "system".
	ID string
	// Name is what people read in the audit log (an e-mail, a key or rule name).
	Name string
	Role fleet.Role
	// RequestID ties the audit row to the request log line ("" outside a request).
	RequestID string
}

// SystemActor returns the actor for work oncefleet does on its own behalf (kind "policy",
// "rule", "job"), with the role that work was granted.
func SystemActor(kind, id, name string, role fleet.Role) Actor {
	return Actor{ID: kind + ":" + id, Name: name, Role: role}
}

// Store is what the control plane needs of the storage backend.
type Store interface {
	GetSIM(ctx context.Context, iccid string) (fleet.SIM, error)
	ListSIMs(ctx context.Context, f fleet.SIMFilter) (fleet.Page[fleet.SIM], error)
	UpsertSIMs(ctx context.Context, sims []fleet.SIM) error
	UpdateSIM(ctx context.Context, iccid string, u fleet.SIMUpdate) (fleet.SIM, error)

	ListUsage(ctx context.Context, iccid string, from, to time.Time) ([]fleet.Usage, error)
	UsageSummary(ctx context.Context, iccid string, from, to time.Time) (fleet.UsageSummary, error)
	UpsertUsage(ctx context.Context, rows []fleet.Usage) error

	ListEvents(ctx context.Context, f fleet.EventFilter) (fleet.Page[fleet.Event], error)
	InsertEvents(ctx context.Context, events []fleet.Event) (int64, error)

	AddConnectivity(ctx context.Context, c fleet.Connectivity) (fleet.Connectivity, error)
	LatestConnectivity(ctx context.Context, iccid string) (fleet.Connectivity, error)

	UpsertQuotas(ctx context.Context, qs []fleet.Quota) error
	GetQuota(ctx context.Context, iccid string, kind fleet.QuotaKind) (fleet.Quota, error)

	UpsertSMS(ctx context.Context, msgs []fleet.SMS) error
	GetSMS(ctx context.Context, iccid string, id int64) (fleet.SMS, error)
	ListSMS(ctx context.Context, f fleet.SMSFilter) (fleet.Page[fleet.SMS], error)
	PendingSMS(ctx context.Context, limit int) ([]fleet.SMS, error)

	UpsertOrders(ctx context.Context, orders []fleet.Order) error
	OrderByNumber(ctx context.Context, number string) (*fleet.Order, error)
	ListOrders(ctx context.Context, f fleet.CommerceFilter) ([]fleet.Order, int, error)
	UpsertProducts(ctx context.Context, products []fleet.Product) error
	ListProducts(ctx context.Context) ([]fleet.Product, error)
	UpsertSupportRequests(ctx context.Context, reqs []fleet.SupportRequest) error
	SupportRequestByID(ctx context.Context, id string) (*fleet.SupportRequest, error)
	ListSupportRequests(ctx context.Context, f fleet.CommerceFilter) ([]fleet.SupportRequest, int, error)

	PutTopUpPolicy(ctx context.Context, p *fleet.TopUpPolicy) error
	ReserveTopUp(ctx context.Context, t *fleet.TopUp) (reserved bool, err error)
	TopUpByKey(ctx context.Context, key string) (*fleet.TopUp, error)
	MarkTopUp(ctx context.Context, key string, state fleet.TopUpState, errMsg string) (*fleet.TopUp, error)

	CreateBulkOperation(ctx context.Context, op *fleet.BulkOperation, iccids []string) error
	BulkOperationByID(ctx context.Context, id string) (*fleet.BulkOperation, error)
	ListBulkOperations(ctx context.Context, limit, offset int) ([]fleet.BulkOperation, int, error)
	ActiveBulkOperations(ctx context.Context, limit int) ([]fleet.BulkOperation, error)
	ListBulkItems(ctx context.Context, id string, f fleet.BulkItemFilter) ([]fleet.BulkItem, int, error)
	ClaimBulkItems(ctx context.Context, id string, limit int, staleAfter time.Duration) ([]fleet.BulkItem, error)
	FinishBulkItem(ctx context.Context, id, iccid string, ok bool, errMsg string) (*fleet.BulkOperation, error)
	CancelBulkOperation(ctx context.Context, id string) (*fleet.BulkOperation, error)

	AppendAudit(ctx context.Context, e *fleet.AuditEntry) error
}

// Publisher delivers local events (bulk job progress, SIM changes) to in-process subscribers:
// the dashboard's live updates and the alert engine.
type Publisher interface {
	Publish(ctx context.Context, ev bus.Event) int
}

// Options configure a Service.
type Options struct {
	// Store is the storage backend (required).
	Store Store
	// Upstream is the 1NCE client; nil runs without 1NCE (every call that needs it answers
	// CodeUnavailable, reads fall back to the mirror).
	Upstream Upstream
	// Cache holds answers only 1NCE knows (required).
	Cache cache.Cache
	// Bus receives local events; nil publishes nothing.
	Bus Publisher
	// Logger receives operational logs (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Registerer receives the action metrics (nil: none).
	Registerer prometheus.Registerer
}

// Service performs reads and actions on the fleet. It is safe for concurrent use.
type Service struct {
	store Store
	up    Upstream
	cache cache.Cache
	bus   Publisher
	log   *slog.Logger
	now   func() time.Time
	// wake starts the bulk runner at once when this process creates a job.
	wake chan struct{}
	// mirror holds fresh reads' records until the background writer stores them.
	mirror mirrorQueue
	// smsSent and topups count what the fleet spent money on.
	smsSent prometheus.Counter
	topups  *prometheus.CounterVec
}

// New returns a Service.
func New(opts Options) (*Service, error) {
	if opts.Store == nil || opts.Cache == nil {
		return nil, errors.New("control: Store and Cache are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{store: opts.Store, up: opts.Upstream, cache: opts.Cache, bus: opts.Bus, log: opts.Logger, now: opts.Now,
		wake: make(chan struct{}, 1), mirror: mirrorQueue{kick: make(chan struct{}, 1)},
		smsSent: prometheus.NewCounter(prometheus.CounterOpts{Name: "sms_sent_total", Help: "MT-SMS parts 1NCE accepted from oncefleet."}),
		topups: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "topups_total",
			Help: "Top-ups sent to 1NCE, by reason (manual, bulk, auto) and outcome (sent, failed, unknown)."}, []string{"reason", "state"})}
	// Every reason and outcome exists from the start, at zero: increase() cannot see a
	// counter's first step from nothing, so without this the first top-up with an unknown
	// outcome would never raise the alert on it, and a fresh replica's /metrics would lack
	// the family.
	for _, reason := range []fleet.TopUpReason{fleet.TopUpManual, fleet.TopUpBulk, fleet.TopUpAuto} {
		for _, state := range []fleet.TopUpState{fleet.TopUpSent, fleet.TopUpFailed, fleet.TopUpUnknown} {
			s.topups.WithLabelValues(string(reason), string(state))
		}
	}
	if opts.Registerer != nil {
		for _, c := range []prometheus.Collector{s.smsSent, s.topups} {
			if err := opts.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("control: metrics: %w", err)
			}
		}
	}
	return s, nil
}

// HasUpstream reports whether 1NCE credentials are configured.
func (s *Service) HasUpstream() bool { return s.up != nil }

// need returns a forbidden error unless the actor's role allows what needs role.
func need(a Actor, role fleet.Role) error {
	if a.Role.Allows(role) {
		return nil
	}
	return &fleet.Error{Code: fleet.CodeForbidden, Message: fmt.Sprintf("this needs the %s role", role)}
}

// auditedKey marks a context whose request has written its audit row, so the API layer
// writes one for calls rejected before they reached the control plane and never two.
type auditedKey struct{}

// AuditScope returns a context that records whether an audit row was written for it, and a
// function reporting that.
func AuditScope(ctx context.Context) (context.Context, func() bool) {
	flag := new(bool)
	return context.WithValue(ctx, auditedKey{}, flag), func() bool { return *flag }
}

// audit is one audit row in the making: actions fill in what they learn (1NCE's request id,
// the order number) and finish it with the outcome.
type audit struct {
	s      *Service
	actor  Actor
	action string
	target string
	detail map[string]any
}

func (s *Service) audit(a Actor, action, target string) *audit {
	return &audit{s: s, actor: a, action: action, target: target, detail: map[string]any{}}
}

// set adds a detail to the row.
func (au *audit) set(k string, v any) *audit { au.detail[k] = v; return au }

// done appends the row with err's code as result (or "ok") and returns err, so actions end
// with `return au.done(ctx, err)`. A failure to write the audit log is logged and, for a
// successful action, returned wrapped: an unaudited change must not look audited.
func (au *audit) done(ctx context.Context, err error) error {
	result := "ok"
	if err != nil {
		result = string(fleet.ErrorCode(err))
		var fe *fleet.Error
		if errors.As(err, &fe) {
			if fe.UpstreamRequestID != "" {
				au.detail["upstream_request_id"] = fe.UpstreamRequestID
			}
			if fe.UpstreamCode != "" {
				au.detail["upstream_code"] = fe.UpstreamCode
			}
		}
	}
	if werr := au.s.Record(ctx, au.actor, au.action, au.target, result, au.detail); werr != nil && err == nil {
		return werr
	}
	return err
}

// Record appends one audit row for an action taken by a. The API uses it for calls it
// rejected itself (bad input, no permission) and for changes of oncefleet's own records.
func (s *Service) Record(ctx context.Context, a Actor, action, target, result string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["role"] = string(a.Role)
	if a.Name != "" {
		detail["actor_name"] = a.Name
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit %s: encode detail: %w", action, err)
	}
	e := &fleet.AuditEntry{At: s.now().UTC(), Actor: a.ID, Action: action, Target: target, RequestID: a.RequestID, Result: result, Detail: raw}
	if e.Actor == "" {
		e.Actor = "anonymous"
	}
	if f, ok := ctx.Value(auditedKey{}).(*bool); ok {
		*f = true
	}
	// An audit row must not be lost because the caller gave up waiting for the answer.
	if err := s.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("audit log write failed", "action", action, "target", target, "err", err)
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// publish sends ev to the bus, if there is one. Delivery is best effort (the bus drops for
// a subscriber that does not keep up, and counts it); an action never waits on a listener.
func (s *Service) publish(ev bus.Event) {
	if s.bus != nil {
		s.bus.Publish(context.Background(), ev)
	}
}

// invalidateSIM drops everything cached about one SIM and every SIM list page.
func (s *Service) invalidateSIM(ctx context.Context, iccids ...string) {
	ctx = context.WithoutCancel(ctx)
	for _, iccid := range iccids {
		if err := s.cache.DeletePrefix(ctx, cache.SIMPrefix(iccid)); err != nil {
			s.log.Warn("cache invalidation failed", "iccid", iccid, "err", err)
		}
	}
	if err := s.cache.DeletePrefix(ctx, cache.SIMListPrefix); err != nil {
		s.log.Warn("cache invalidation failed", "prefix", cache.SIMListPrefix, "err", err)
	}
}

// hashKey is a short, non-reversible fingerprint of an idempotency key for the audit log:
// enough to correlate retries, useless to replay them.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}

// wakeBulk tells the bulk runner a job is waiting (never blocks: one pending wake-up is enough).
func (s *Service) wakeBulk() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) bulkWake() <-chan struct{} { return s.wake }

// OnEvent keeps the cache in step with changes others make to the mirror: a SIM the fleet
// sync found changed at 1NCE, or whose online state a connectivity snapshot or a streamed
// event changed, is dropped from the cache (and with it every SIM list page).
func (s *Service) OnEvent(ctx context.Context, ev bus.Event) {
	switch ev := ev.(type) {
	case bus.SIMChanged:
		s.invalidateSIM(ctx, ev.ICCID)
	case bus.ConnectivityLost:
		s.invalidateSIM(ctx, ev.ICCID)
	case bus.ConnectivityRestored:
		s.invalidateSIM(ctx, ev.ICCID)
	case bus.SIMEvent:
		if ev.Online != nil {
			s.invalidateSIM(ctx, ev.ICCID)
		}
	}
}
