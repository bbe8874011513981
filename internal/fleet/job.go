package fleet

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// BulkState is where a bulk operation is in its life: queued → running → done | failed, or
// cancelled from queued or running.
type BulkState string

// The bulk operation states.
const (
	BulkQueued    BulkState = "queued"
	BulkRunning   BulkState = "running"
	BulkDone      BulkState = "done"
	BulkFailed    BulkState = "failed"
	BulkCancelled BulkState = "cancelled"
)

// Terminal reports whether no further work happens in state s.
func (s BulkState) Terminal() bool {
	return s == BulkDone || s == BulkFailed || s == BulkCancelled
}

// BulkItemState is the state of one SIM in a bulk operation.
type BulkItemState string

// The bulk item states. running marks an item a worker has claimed; a claim older than the
// caller's stale limit is taken over, so a crashed worker does not strand its items.
const (
	BulkItemPending BulkItemState = "pending"
	BulkItemRunning BulkItemState = "running"
	BulkItemOK      BulkItemState = "ok"
	BulkItemFailed  BulkItemState = "failed"
)

// BulkOperation is a job over many SIMs (bulk top-up, bulk update) whose progress and per-SIM
// results are served at /jobs/{id}. Total, Succeeded and Failed always agree with the items.
type BulkOperation struct {
	ID         string
	Kind       string // topup | update | …
	State      BulkState
	Total      int
	Succeeded  int
	Failed     int
	Params     json.RawMessage
	CreatedBy  string
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// Pending returns how many items are not finished yet.
func (o *BulkOperation) Pending() int { return o.Total - o.Succeeded - o.Failed }

// Validate checks an operation before it is created.
func (o *BulkOperation) Validate() error {
	if strings.TrimSpace(o.Kind) == "" {
		return Invalid("kind", "must not be empty")
	}
	return validJSON("params", o.Params)
}

// BulkICCIDs returns the SIMs of a new bulk operation: iccids sorted, each once, so an
// operation has one item per SIM. None, or an empty ICCID, is invalid.
func BulkICCIDs(iccids []string) ([]string, error) {
	uniq := slices.Clone(iccids)
	slices.Sort(uniq)
	uniq = slices.Compact(uniq)
	if len(uniq) == 0 || uniq[0] == "" {
		return nil, Invalid("iccids", "must list at least one non-empty ICCID")
	}
	return uniq, nil
}

// BulkItem is one SIM of a bulk operation.
type BulkItem struct {
	OperationID string
	ICCID       string
	State       BulkItemState
	Error       string
	UpdatedAt   time.Time
}

// BulkItemFilter pages through the items of one operation, in ICCID order.
type BulkItemFilter struct {
	State  BulkItemState // empty: every state
	Limit  int
	Offset int
}

// JobRun records one run of a periodic job: counts, duration and errors (SPEC §7).
type JobRun struct {
	ID         int64
	Job        string // sync_sims | sync_usage | check_quotas | …
	StartedAt  time.Time
	FinishedAt *time.Time
	OK         *bool // nil while running
	Items      int
	Errors     int
	Detail     string
	// Skipped marks a run that found nothing it could do (the account lacks the API it needs,
	// another run of the job was still going); Detail says why. A skipped run is OK.
	Skipped bool
	// Counts are the run's own measures by name (pages, sims_seen, changed, gone, once_calls, …).
	Counts map[string]int64
}

// Duration is how long the run took, or 0 while it runs.
func (r *JobRun) Duration() time.Duration {
	if r.FinishedAt == nil {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

// IdempotencyRecord remembers a POST made with an Idempotency-Key: the hash of the request it
// came with and, once the handler finished, the response to replay. Status 0 means the first
// request is still in flight.
type IdempotencyRecord struct {
	Key         string // actor + header value, so two clients' keys never collide
	RequestHash string
	Status      int
	Response    []byte
	CreatedAt   time.Time
}

// Completed reports whether a response is stored for replay.
func (r *IdempotencyRecord) Completed() bool { return r.Status != 0 }

// JobRunCountsJSON is the stored text of a run's counts ("{}" for none).
func JobRunCountsJSON(c map[string]int64) (string, error) {
	if len(c) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("job run counts: %w", err)
	}
	return string(b), nil
}

// ParseJobRunCounts reads stored counts back (nil for none).
func ParseJobRunCounts(s string) (map[string]int64, error) {
	var c map[string]int64
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return nil, fmt.Errorf("job run counts %q: %w", s, err)
	}
	if len(c) == 0 {
		return nil, nil
	}
	return c, nil
}
