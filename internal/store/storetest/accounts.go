// Package storetest holds the conformance suites every storage backend passes: one body of
// tests, run from each backend's own test files against a real database.
package storetest

import (
	"context"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// AccountStore is what the API, auth and jobs need of oncefleet's own records: users and
// credentials, audit, alerts, top-ups, bulk operations, idempotency, job runs and the mirrored
// commerce records. *postgres.Store and *sqlite.Store implement it.
type AccountStore interface {
	CreateUser(ctx context.Context, u *fleet.User) error
	UserByEmail(ctx context.Context, email string) (*fleet.User, error)
	UserByID(ctx context.Context, id string) (*fleet.User, error)
	ListUsers(ctx context.Context) ([]fleet.User, error)
	UpdateUser(ctx context.Context, u *fleet.User) error
	DeleteUser(ctx context.Context, id string) error
	SetLastLogin(ctx context.Context, id string, at time.Time) error

	CreateRefreshToken(ctx context.Context, t *fleet.RefreshToken) error
	RotateRefreshToken(ctx context.Context, oldHash string, next *fleet.RefreshToken, now time.Time) error
	RevokeRefreshToken(ctx context.Context, hash string, at time.Time) error
	RevokeUserRefreshTokens(ctx context.Context, userID string, at time.Time) (int, error)
	DeleteExpiredRefreshTokens(ctx context.Context, before time.Time) (int, error)

	CreateAPIKey(ctx context.Context, k *fleet.APIKey) error
	APIKeyByHash(ctx context.Context, hash string) (*fleet.APIKey, error)
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
	ListAPIKeys(ctx context.Context) ([]fleet.APIKey, error)
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error

	AppendAudit(ctx context.Context, e *fleet.AuditEntry) error
	ListAudit(ctx context.Context, f fleet.AuditFilter) ([]fleet.AuditEntry, int, error)
	DeleteAuditBefore(ctx context.Context, before time.Time) (int, error)

	CreateAlertRule(ctx context.Context, r *fleet.AlertRule) error
	AlertRuleByID(ctx context.Context, id string) (*fleet.AlertRule, error)
	ListAlertRules(ctx context.Context, enabledOnly bool) ([]fleet.AlertRule, error)
	UpdateAlertRule(ctx context.Context, r *fleet.AlertRule) error
	DeleteAlertRule(ctx context.Context, id string) error
	InsertAlert(ctx context.Context, a *fleet.Alert, cooldown time.Duration) (bool, error)
	AlertByID(ctx context.Context, id int64) (*fleet.Alert, error)
	ListAlerts(ctx context.Context, f fleet.AlertFilter) ([]fleet.Alert, int, error)
	AcknowledgeAlert(ctx context.Context, id int64, by string, at time.Time) error
	ResolveAlert(ctx context.Context, id int64, at time.Time) error
	ResolveAlertsByDedupKey(ctx context.Context, key string, at time.Time) (int, error)
	DeleteResolvedAlertsBefore(ctx context.Context, before time.Time) (int, error)

	PutTopUpPolicy(ctx context.Context, p *fleet.TopUpPolicy) error
	TopUpPolicyByICCID(ctx context.Context, iccid string) (*fleet.TopUpPolicy, error)
	EffectiveTopUpPolicy(ctx context.Context, iccid string) (*fleet.TopUpPolicy, error)
	ListTopUpPolicies(ctx context.Context) ([]fleet.TopUpPolicy, error)
	DeleteTopUpPolicy(ctx context.Context, iccid string) error
	ReserveTopUp(ctx context.Context, t *fleet.TopUp) (bool, error)
	TopUpByKey(ctx context.Context, key string) (*fleet.TopUp, error)
	MarkTopUp(ctx context.Context, key string, state fleet.TopUpState, errMsg string) (*fleet.TopUp, error)
	CountTopUps(ctx context.Context, iccid string, month time.Time, reason fleet.TopUpReason) (int, error)
	ListTopUps(ctx context.Context, f fleet.TopUpFilter) ([]fleet.TopUp, int, error)

	CreateBulkOperation(ctx context.Context, op *fleet.BulkOperation, iccids []string) error
	BulkOperationByID(ctx context.Context, id string) (*fleet.BulkOperation, error)
	ListBulkOperations(ctx context.Context, limit, offset int) ([]fleet.BulkOperation, int, error)
	ActiveBulkOperations(ctx context.Context, limit int) ([]fleet.BulkOperation, error)
	ListBulkItems(ctx context.Context, id string, f fleet.BulkItemFilter) ([]fleet.BulkItem, int, error)
	ClaimBulkItems(ctx context.Context, id string, limit int, staleAfter time.Duration) ([]fleet.BulkItem, error)
	FinishBulkItem(ctx context.Context, id, iccid string, ok bool, errMsg string) (*fleet.BulkOperation, error)
	CancelBulkOperation(ctx context.Context, id string) (*fleet.BulkOperation, error)

	BeginIdempotency(ctx context.Context, key, requestHash string) (*fleet.IdempotencyRecord, bool, error)
	CompleteIdempotency(ctx context.Context, key string, status int, response []byte) error
	ReleaseIdempotency(ctx context.Context, key string) error
	DeleteIdempotencyBefore(ctx context.Context, before time.Time) (int, error)

	StartJobRun(ctx context.Context, job string, at time.Time) (int64, error)
	FinishJobRun(ctx context.Context, r *fleet.JobRun) error
	ListJobRuns(ctx context.Context, job string, limit int) ([]fleet.JobRun, error)
	DeleteJobRunsBefore(ctx context.Context, before time.Time) (int, error)

	UpsertOrders(ctx context.Context, orders []fleet.Order) error
	OrderByNumber(ctx context.Context, number string) (*fleet.Order, error)
	ListOrders(ctx context.Context, f fleet.CommerceFilter) ([]fleet.Order, int, error)
	UpsertProducts(ctx context.Context, products []fleet.Product) error
	ProductByID(ctx context.Context, id string) (*fleet.Product, error)
	ListProducts(ctx context.Context) ([]fleet.Product, error)
	UpsertSupportRequests(ctx context.Context, reqs []fleet.SupportRequest) error
	SupportRequestByID(ctx context.Context, id string) (*fleet.SupportRequest, error)
	ListSupportRequests(ctx context.Context, f fleet.CommerceFilter) ([]fleet.SupportRequest, int, error)
}
