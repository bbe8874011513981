package storetest

import (
	"context"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// FleetStore is what the API, the sync jobs and the dashboard need of the local fleet mirror:
// SIMs, daily usage, quotas, connectivity, events and SMS. *postgres.Store and *sqlite.Store
// implement it with the same semantics, which RunFleet checks.
type FleetStore interface {
	UpsertSIMs(ctx context.Context, sims []fleet.SIM) error
	GetSIM(ctx context.Context, iccid string) (fleet.SIM, error)
	ListSIMs(ctx context.Context, f fleet.SIMFilter) (fleet.Page[fleet.SIM], error)
	UpdateSIM(ctx context.Context, iccid string, u fleet.SIMUpdate) (fleet.SIM, error)
	CountSIMsByStatus(ctx context.Context) ([]fleet.StatusCount, error)

	UpsertUsage(ctx context.Context, rows []fleet.Usage) error
	ListUsage(ctx context.Context, iccid string, from, to time.Time) ([]fleet.Usage, error)
	UsageSummary(ctx context.Context, iccid string, from, to time.Time) (fleet.UsageSummary, error)
	DailyUsageTotals(ctx context.Context, from, to time.Time) ([]fleet.DailyTotal, error)
	TopConsumers(ctx context.Context, from, to time.Time, limit int) ([]fleet.UsageSummary, error)

	UpsertQuotas(ctx context.Context, qs []fleet.Quota) error
	GetQuota(ctx context.Context, iccid string, kind fleet.QuotaKind) (fleet.Quota, error)
	QuotasBelow(ctx context.Context, kind fleet.QuotaKind, pct float64) ([]fleet.Quota, error)

	AddConnectivity(ctx context.Context, c fleet.Connectivity) (fleet.Connectivity, error)
	LatestConnectivity(ctx context.Context, iccid string) (fleet.Connectivity, error)
	ListConnectivity(ctx context.Context, iccid string, limit int) ([]fleet.Connectivity, error)

	InsertEvents(ctx context.Context, events []fleet.Event) (int64, error)
	ListEvents(ctx context.Context, f fleet.EventFilter) (fleet.Page[fleet.Event], error)

	UpsertSMS(ctx context.Context, msgs []fleet.SMS) error
	GetSMS(ctx context.Context, iccid string, id int64) (fleet.SMS, error)
	ListSMS(ctx context.Context, f fleet.SMSFilter) (fleet.Page[fleet.SMS], error)
	DeleteSMS(ctx context.Context, iccid string, id int64) error
	PendingSMS(ctx context.Context, limit int) ([]fleet.SMS, error)
}
