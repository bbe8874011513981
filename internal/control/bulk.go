package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/once"
)

// Bulk job kinds.
const (
	// BulkTopUp books a top-up for every SIM (1NCE's multiple top-up while the account has v1,
	// single top-ups otherwise).
	BulkTopUp = "topup"
	// BulkUpdate applies one change to every SIM (enable, disable, label).
	BulkUpdate = "update"
	// BulkConfigure applies a change per SIM (POST /sims, 1NCE's multiple configuration).
	BulkConfigure = "configure"
)

// MaxBulkSIMs bounds one bulk job: a whole fleet of a million SIMs.
const MaxBulkSIMs = 1_000_000

// bulkParams is what a job remembers about how it was asked for: the items run with the
// creator's role, so a job cannot do more than the person who started it.
type bulkParams struct {
	Role          fleet.Role           `json:"role"`
	ActorName     string               `json:"actor_name,omitempty"`
	PaymentMethod string               `json:"payment_method,omitempty"`
	Change        *SIMChange           `json:"change,omitempty"`
	Changes       map[string]SIMChange `json:"changes,omitempty"`
	Filter        *fleet.SIMFilter     `json:"filter,omitempty"`
}

// Selection names the SIMs of a bulk job: an explicit list, or every mirrored SIM matching a
// filter (resolved when the job is created, so the job's SIMs do not shift as the mirror does).
type Selection struct {
	ICCIDs []string
	Filter *fleet.SIMFilter
}

// resolve returns the ICCIDs of the selection.
func (s *Service) resolve(ctx context.Context, sel Selection) ([]string, error) {
	switch {
	case len(sel.ICCIDs) > 0 && sel.Filter != nil:
		return nil, fleet.Invalid("filter", "give iccids or a filter, not both")
	case len(sel.ICCIDs) > 0:
		return CanonicalICCIDs("iccids", sel.ICCIDs, MaxBulkSIMs)
	case sel.Filter == nil:
		return nil, fleet.Invalid("iccids", "give the SIMs as iccids or as a filter")
	}
	f := *sel.Filter
	f.Sort, f.Desc, f.PageSize = "iccid", false, fleet.MaxPageSize
	var out []string
	for page := 1; ; page++ {
		f.Page = page
		p, err := s.store.ListSIMs(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, sim := range p.Items {
			out = append(out, sim.ICCID)
		}
		if len(out) > MaxBulkSIMs {
			return nil, fleet.Invalid("filter", "matches more than %d SIMs", MaxBulkSIMs)
		}
		if len(p.Items) < f.PageSize {
			break
		}
	}
	if len(out) == 0 {
		return nil, fleet.Invalid("filter", "matches no SIM in the mirror")
	}
	return out, nil
}

// Job is a bulk job and its progress.
type Job struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	State     fleet.BulkState `json:"state"`
	Total     int             `json:"total"`
	Succeeded int             `json:"succeeded"`
	Failed    int             `json:"failed"`
	Pending   int             `json:"pending"`
	// Progress is the finished share, 0 to 1.
	Progress   float64         `json:"progress"`
	Params     json.RawMessage `json:"params,omitempty"`
	CreatedBy  string          `json:"created_by,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}

func jobView(op *fleet.BulkOperation) Job {
	j := Job{ID: op.ID, Kind: op.Kind, State: op.State, Total: op.Total, Succeeded: op.Succeeded, Failed: op.Failed,
		Pending: op.Pending(), CreatedBy: op.CreatedBy, CreatedAt: op.CreatedAt, StartedAt: op.StartedAt, FinishedAt: op.FinishedAt}
	if op.Total > 0 {
		j.Progress = float64(op.Succeeded+op.Failed) / float64(op.Total)
	}
	// Per-SIM changes can be large and the role is internal: show only what was asked.
	var p bulkParams
	if json.Unmarshal(op.Params, &p) == nil {
		p.Changes, p.Role, p.ActorName = nil, "", ""
		j.Params, _ = json.Marshal(p)
	}
	return j
}

// JobItem is one SIM of a bulk job.
type JobItem struct {
	ICCID     string              `json:"iccid"`
	State     fleet.BulkItemState `json:"state"`
	Error     string              `json:"error,omitempty"`
	UpdatedAt time.Time           `json:"updated_at"`
}

// startBulk creates a job over the selected SIMs and wakes the runner.
func (s *Service) startBulk(ctx context.Context, a Actor, kind string, sel Selection, p bulkParams) (Job, error) {
	au := s.audit(a, "bulk."+kind, "")
	if err := need(a, fleet.RoleOperator); err != nil {
		return Job{}, au.done(ctx, err)
	}
	if kind == BulkTopUp {
		if _, err := ParsePaymentMethod(p.PaymentMethod); err != nil {
			return Job{}, au.done(ctx, err)
		}
	}
	if p.Change != nil {
		if _, err := p.Change.validate(""); err != nil {
			return Job{}, au.done(ctx, err)
		}
	}
	iccids, err := s.resolve(ctx, sel)
	if err != nil {
		return Job{}, au.done(ctx, err)
	}
	if _, err := s.upstream(); err != nil {
		return Job{}, au.done(ctx, err)
	}
	p.Role, p.ActorName, p.Filter = a.Role, a.Name, sel.Filter
	raw, err := json.Marshal(p)
	if err != nil {
		return Job{}, au.done(ctx, fmt.Errorf("bulk job params: %w", err))
	}
	op := &fleet.BulkOperation{Kind: kind, Params: raw, CreatedBy: a.ID}
	if err := s.store.CreateBulkOperation(ctx, op, iccids); err != nil {
		return Job{}, au.done(ctx, err)
	}
	au.target = "job:" + op.ID
	au.set("sims", op.Total)
	s.publish(bus.BulkProgress{ID: op.ID, JobKind: kind, State: string(op.State), Total: op.Total})
	s.wakeBulk()
	return jobView(op), au.done(ctx, nil)
}

// StartBulkTopUp starts a job booking one top-up for each selected SIM.
func (s *Service) StartBulkTopUp(ctx context.Context, a Actor, sel Selection, paymentMethod string) (Job, error) {
	return s.startBulk(ctx, a, BulkTopUp, sel, bulkParams{PaymentMethod: paymentMethod})
}

// StartBulkUpdate starts a job applying one change (enable, disable, label) to every selected
// SIM.
func (s *Service) StartBulkUpdate(ctx context.Context, a Actor, sel Selection, c SIMChange) (Job, error) {
	if c.Metadata != nil {
		return Job{}, s.audit(a, "bulk."+BulkUpdate, "").done(ctx, fleet.Invalid("metadata", "bulk jobs change 1NCE fields only (status, label, imei_lock)"))
	}
	return s.startBulk(ctx, a, BulkUpdate, sel, bulkParams{Change: &c})
}

// SIMConfig is one SIM's change of a multiple configuration.
type SIMConfig struct {
	ICCID string
	SIMChange
}

// StartBulkConfigure starts a job applying a change per SIM (1NCE's multiple configuration).
func (s *Service) StartBulkConfigure(ctx context.Context, a Actor, configs []SIMConfig) (Job, error) {
	au := s.audit(a, "bulk."+BulkConfigure, "")
	if len(configs) == 0 || len(configs) > MaxBatchICCIDs {
		return Job{}, au.done(ctx, fleet.Invalid("sims", "configure 1 to %d SIMs per request", MaxBatchICCIDs))
	}
	changes := make(map[string]SIMChange, len(configs))
	iccids := make([]string, 0, len(configs))
	for i, c := range configs {
		field := fmt.Sprintf("sims[%d]", i)
		canon, err := CanonicalICCID(field+".iccid", c.ICCID)
		if err != nil {
			return Job{}, au.done(ctx, err)
		}
		c.ICCID = canon
		if _, dup := changes[c.ICCID]; dup {
			return Job{}, au.done(ctx, fleet.Invalid(field+".iccid", "SIM %s is listed twice", c.ICCID))
		}
		if c.Metadata != nil {
			return Job{}, au.done(ctx, fleet.Invalid(field+".metadata", "configure changes 1NCE fields only (status, label, imei_lock)"))
		}
		if up, err := c.validate(c.ICCID); err != nil || up == nil {
			if err == nil {
				err = fleet.Invalid(field, "changes nothing")
			}
			return Job{}, au.done(ctx, err)
		}
		changes[c.ICCID] = c.SIMChange
		iccids = append(iccids, c.ICCID)
	}
	return s.startBulk(ctx, a, BulkConfigure, Selection{ICCIDs: iccids}, bulkParams{Changes: changes})
}

// Job returns a bulk job's progress.
func (s *Service) Job(ctx context.Context, id string) (Job, error) {
	op, err := s.store.BulkOperationByID(ctx, id)
	if err != nil {
		return Job{}, err
	}
	return jobView(op), nil
}

// Jobs returns a page of bulk jobs, newest first.
func (s *Service) Jobs(ctx context.Context, page, pageSize int) (fleet.Page[Job], error) {
	p, err := pageRequest(page, pageSize)
	if err != nil {
		return fleet.Page[Job]{}, err
	}
	ops, total, err := s.store.ListBulkOperations(ctx, p.PageSize, p.Offset())
	if err != nil {
		return fleet.Page[Job]{}, err
	}
	out := fleet.Page[Job]{Items: make([]Job, 0, len(ops)), Total: int64(total), Page: p.Page, PageSize: p.PageSize}
	for i := range ops {
		out.Items = append(out.Items, jobView(&ops[i]))
	}
	return out, nil
}

// JobItems returns a page of a job's per-SIM results, optionally only those in state.
func (s *Service) JobItems(ctx context.Context, id string, state fleet.BulkItemState, page, pageSize int) (fleet.Page[JobItem], error) {
	switch state {
	case "", fleet.BulkItemPending, fleet.BulkItemRunning, fleet.BulkItemOK, fleet.BulkItemFailed:
	default:
		return fleet.Page[JobItem]{}, fleet.Invalid("state", "must be pending, running, ok or failed")
	}
	p, err := pageRequest(page, pageSize)
	if err != nil {
		return fleet.Page[JobItem]{}, err
	}
	items, total, err := s.store.ListBulkItems(ctx, id, fleet.BulkItemFilter{State: state, Limit: p.PageSize, Offset: p.Offset()})
	if err != nil {
		return fleet.Page[JobItem]{}, err
	}
	out := fleet.Page[JobItem]{Items: make([]JobItem, 0, len(items)), Total: int64(total), Page: p.Page, PageSize: p.PageSize}
	for _, it := range items {
		out.Items = append(out.Items, JobItem{ICCID: it.ICCID, State: it.State, Error: it.Error, UpdatedAt: it.UpdatedAt})
	}
	return out, nil
}

// CancelJob stops a bulk job: no further SIMs are started; those in flight finish.
func (s *Service) CancelJob(ctx context.Context, a Actor, id string) (Job, error) {
	au := s.audit(a, "bulk.cancel", "job:"+id)
	if err := need(a, fleet.RoleOperator); err != nil {
		return Job{}, au.done(ctx, err)
	}
	op, err := s.store.CancelBulkOperation(ctx, id)
	if err != nil {
		return Job{}, au.done(ctx, err)
	}
	s.publish(bus.BulkProgress{ID: op.ID, JobKind: op.Kind, State: string(op.State), Total: op.Total, Succeeded: op.Succeeded, Failed: op.Failed})
	return jobView(op), au.done(ctx, nil)
}

// pageRequest validates a 1-based page and size (0 means the default).
func pageRequest(page, size int) (fleet.PageRequest, error) {
	f, err := fleet.SIMFilter{Page: page, PageSize: size}.Normalize()
	if err != nil {
		return fleet.PageRequest{}, err
	}
	return fleet.PageRequest{Page: f.Page, PageSize: f.PageSize}, nil
}

// BulkRunnerOptions tune the bulk job runner. Zero fields take the documented defaults.
type BulkRunnerOptions struct {
	// Poll is how often the runner looks for jobs another replica created (default 2s); jobs
	// created by this process start at once.
	Poll time.Duration
	// Batch is how many SIMs one v1 multiple top-up books in one request (default 50, at
	// most 100).
	Batch int
	// Concurrency is how many SIMs run at once (default 8): 1NCE answers in tens to hundreds
	// of milliseconds, so a few calls in flight keep the budget's rate busy.
	Concurrency int
	// StaleAfter is when a SIM claimed by a replica that died is taken over (default 5m). A
	// taken-over top-up is never re-sent: its reservation answers instead.
	StaleAfter time.Duration
}

// RunBulkJobs runs bulk jobs until ctx ends. Every replica may run it: items are claimed in
// the database, so no SIM of a job is handled twice, and a job survives restarts. Its 1NCE
// calls wait for the shared budget at sync priority, below people's requests.
func (s *Service) RunBulkJobs(ctx context.Context, o BulkRunnerOptions) error {
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 50
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 5 * time.Minute
	}
	ctx = once.WithPriority(ctx, once.PrioritySync)
	t := time.NewTicker(o.Poll)
	defer t.Stop()
	for {
		ops, err := s.store.ActiveBulkOperations(ctx, 20)
		if err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "bulk jobs: list active", "err", err)
		}
		for i := range ops {
			if err := s.runBulk(ctx, &ops[i], o); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "bulk job step failed", "job", ops[i].ID, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.bulkWake():
		}
	}
}

// itemTimeout bounds the work on one claimed batch once started: claimed SIMs are finished
// even while the process shuts down (a graceful restart leaves no SIM waiting for takeover).
const itemTimeout = 5 * time.Minute

// v1TopUpBatch is how many SIMs one v1 multiple top-up books in one request.
const v1TopUpBatch = 100

// runBulk works on one job until it has no unclaimed SIMs left or ctx ends. It claims only
// what it starts at once — a batch for one multiple top-up, else Concurrency SIMs — so that
// nothing claimed waits behind a shutdown.
func (s *Service) runBulk(ctx context.Context, op *fleet.BulkOperation, o BulkRunnerOptions) error {
	var p bulkParams
	if err := json.Unmarshal(op.Params, &p); err != nil {
		return fmt.Errorf("job %s: params: %w", op.ID, err)
	}
	actor := Actor{ID: op.CreatedBy, Name: p.ActorName, Role: p.Role, RequestID: "job:" + op.ID}
	for ctx.Err() == nil {
		multi := op.Kind == BulkTopUp && s.up != nil && s.up.V1Available()
		limit := o.Concurrency
		if multi {
			limit = min(o.Batch, v1TopUpBatch)
		}
		items, err := s.store.ClaimBulkItems(ctx, op.ID, limit, o.StaleAfter)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), itemTimeout)
		if multi && len(items) > 1 {
			iccids := make([]string, len(items))
			for i, it := range items {
				iccids[i] = it.ICCID
			}
			for _, out := range s.bookTopUps(ictx, actor, iccids, bulkTopUpKey(op.ID), TopUpRequest{PaymentMethod: p.PaymentMethod, Reason: fleet.TopUpBulk, JobID: op.ID}) {
				s.finishItem(ictx, op, out.ICCID, out.Err)
			}
			cancel()
			continue
		}
		var wg sync.WaitGroup
		for _, it := range items {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.finishItem(ictx, op, it.ICCID, s.runItem(ictx, actor, op, &p, it.ICCID))
			}()
		}
		wg.Wait()
		cancel()
	}
	return nil
}

// bulkTopUpKey is the reservation key of a job's top-up of one SIM: a replica that takes over
// the SIM finds the reservation and never books it a second time.
func bulkTopUpKey(jobID string) func(string) string {
	return func(iccid string) string { return "bulk:" + jobID + ":" + iccid }
}

// runItem applies the job to one SIM.
func (s *Service) runItem(ctx context.Context, a Actor, op *fleet.BulkOperation, p *bulkParams, iccid string) error {
	switch op.Kind {
	case BulkTopUp:
		_, err := s.TopUp(ctx, a, iccid, TopUpRequest{PaymentMethod: p.PaymentMethod, Key: bulkTopUpKey(op.ID)(iccid), Reason: fleet.TopUpBulk, JobID: op.ID})
		return err
	case BulkUpdate:
		if p.Change == nil {
			return errors.New("job has no change")
		}
		_, err := s.UpdateSIM(ctx, a, iccid, *p.Change)
		return err
	case BulkConfigure:
		c, ok := p.Changes[iccid]
		if !ok {
			return errors.New("job has no change for this SIM")
		}
		_, err := s.UpdateSIM(ctx, a, iccid, c)
		return err
	}
	return fmt.Errorf("unknown job kind %q", op.Kind)
}

// finishItem records one SIM's result and publishes the job's progress.
func (s *Service) finishItem(ctx context.Context, op *fleet.BulkOperation, iccid string, itemErr error) {
	msg := ""
	if itemErr != nil {
		msg = string(fleet.ErrorCode(itemErr)) + ": " + fleet.ErrorMessage(itemErr)
	}
	// A result must be recorded even while shutting down, or the SIM waits for a takeover.
	cur, err := s.store.FinishBulkItem(context.WithoutCancel(ctx), op.ID, iccid, itemErr == nil, msg)
	if err != nil {
		s.log.WarnContext(ctx, "bulk item result not recorded", "job", op.ID, "iccid", iccid, "err", err)
		return
	}
	s.publish(bus.BulkProgress{ID: cur.ID, JobKind: cur.Kind, State: string(cur.State), Total: cur.Total, Succeeded: cur.Succeeded, Failed: cur.Failed})
}
