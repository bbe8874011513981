package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const bulkOpCols = `id, kind, state, total, succeeded, failed, params, created_by, created_at, started_at, finished_at`

func scanBulkOp(row rowScanner, o *fleet.BulkOperation) error {
	var state string
	var params []byte
	if err := row.Scan(&o.ID, &o.Kind, &state, &o.Total, &o.Succeeded, &o.Failed, &params, &o.CreatedBy, scanTime(&o.CreatedAt),
		scanOptionalTime(&o.StartedAt), scanOptionalTime(&o.FinishedAt)); err != nil {
		return err
	}
	o.State, o.Params = fleet.BulkState(state), params
	return nil
}

// CreateBulkOperation stores a queued operation and one pending item per distinct ICCID in one
// transaction, so a job never exists with part of its SIMs. An empty ID is generated.
func (s *Store) CreateBulkOperation(ctx context.Context, op *fleet.BulkOperation, iccids []string) error {
	if err := op.Validate(); err != nil {
		return err
	}
	uniq, err := fleet.BulkICCIDs(iccids)
	if err != nil {
		return err
	}
	if op.ID == "" {
		op.ID = fleet.NewRecordID()
	}
	op.Params = fleet.JSONOr(op.Params, "{}")
	now := clockNow()
	ts := formatTime(now)
	return s.transact(ctx, "create bulk operation", func(tx *sql.Tx) (bool, error) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO bulk_operations (id, kind, state, total, params, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, op.ID, op.Kind, string(fleet.BulkQueued), len(uniq), string(op.Params), op.CreatedBy, ts); err != nil {
			return false, translate(err, "create bulk operation")
		}
		if _, err := execRows(ctx, tx, `INSERT INTO bulk_operation_items (operation_id, iccid, state, updated_at) VALUES `, "(?,?,?,?)", "",
			len(uniq), func(i int, dst []any) []any {
				return append(dst, op.ID, uniq[i], string(fleet.BulkItemPending), ts)
			}); err != nil {
			return false, translate(err, "create bulk operation items")
		}
		op.State, op.Total, op.Succeeded, op.Failed = fleet.BulkQueued, len(uniq), 0, 0
		op.CreatedAt, op.StartedAt, op.FinishedAt = now, nil, nil
		return false, nil
	})
}

// BulkOperationByID returns an operation with its progress counters.
func (s *Store) BulkOperationByID(ctx context.Context, id string) (*fleet.BulkOperation, error) {
	var o fleet.BulkOperation
	if err := scanBulkOp(s.db.QueryRowContext(ctx, `SELECT `+bulkOpCols+` FROM bulk_operations WHERE id = $1`, id), &o); err != nil {
		return nil, translate(err, "get bulk operation "+id)
	}
	return &o, nil
}

// ListBulkOperations returns one page of operations, newest first, and how many there are.
func (s *Store) ListBulkOperations(ctx context.Context, limit, offset int) ([]fleet.BulkOperation, int, error) {
	var w whereClause
	total, err := s.countWhere(ctx, "bulk_operations", &w, "list bulk operations")
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+bulkOpCols+` FROM bulk_operations ORDER BY created_at DESC, id`+w.page(limit, offset), w.args...)
	if err != nil {
		return nil, 0, translate(err, "list bulk operations")
	}
	out, err := scanAll(rows, "list bulk operations", scanBulkOp)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// ActiveBulkOperations returns up to limit queued and running operations, oldest first: the
// order workers serve them in.
func (s *Store) ActiveBulkOperations(ctx context.Context, limit int) ([]fleet.BulkOperation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+bulkOpCols+` FROM bulk_operations WHERE state IN (?, ?) ORDER BY created_at, id LIMIT ?`,
		string(fleet.BulkQueued), string(fleet.BulkRunning), fleet.ClampLimit(limit))
	if err != nil {
		return nil, translate(err, "active bulk operations")
	}
	return scanAll(rows, "active bulk operations", scanBulkOp)
}

func scanBulkItems(rows *sql.Rows, what string) ([]fleet.BulkItem, error) {
	defer rows.Close()
	var out []fleet.BulkItem
	for rows.Next() {
		var it fleet.BulkItem
		var state string
		if err := rows.Scan(&it.OperationID, &it.ICCID, &state, &it.Error, scanTime(&it.UpdatedAt)); err != nil {
			return nil, translate(err, what)
		}
		it.State = fleet.BulkItemState(state)
		out = append(out, it)
	}
	return out, translate(rows.Err(), what)
}

// ListBulkItems returns one page of an operation's items in ICCID order and how many match.
// An unknown operation is not-found rather than an empty page.
func (s *Store) ListBulkItems(ctx context.Context, id string, f fleet.BulkItemFilter) ([]fleet.BulkItem, int, error) {
	if _, err := s.BulkOperationByID(ctx, id); err != nil {
		return nil, 0, err
	}
	var w whereClause
	w.add("operation_id = ?", id)
	if f.State != "" {
		w.add("state = ?", string(f.State))
	}
	total, err := s.countWhere(ctx, "bulk_operation_items", &w, "list bulk items")
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT operation_id, iccid, state, error, updated_at FROM bulk_operation_items`+w.sql()+
		` ORDER BY iccid`+w.page(f.Limit, f.Offset), w.args...)
	if err != nil {
		return nil, 0, translate(err, "list bulk items")
	}
	items, err := scanBulkItems(rows, "list bulk items")
	return items, total, err
}

// ClaimBulkItems hands up to limit pending items of a running or queued operation to one
// worker, marking them running; items another worker claimed more than staleAfter ago are
// taken over (that worker died). Concurrent workers never get the same item: the immediate
// transaction serialises claims. The first claim moves the operation to running. A finished or
// cancelled operation yields no items.
func (s *Store) ClaimBulkItems(ctx context.Context, id string, limit int, staleAfter time.Duration) ([]fleet.BulkItem, error) {
	var items []fleet.BulkItem
	now := clockNow()
	err := s.transact(ctx, "claim bulk items", func(tx *sql.Tx) (bool, error) {
		var state string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM bulk_operations WHERE id = $1`, id).Scan(&state); err != nil {
			return false, translate(err, "claim bulk items "+id)
		}
		if fleet.BulkState(state).Terminal() {
			return false, nil
		}
		rows, err := tx.QueryContext(ctx, `UPDATE bulk_operation_items SET state = $4, updated_at = $5
			WHERE operation_id = $1 AND iccid IN (
				SELECT iccid FROM bulk_operation_items
				WHERE operation_id = $1 AND (state = $2 OR (state = $4 AND updated_at < $3))
				ORDER BY iccid LIMIT $6)
			RETURNING operation_id, iccid, state, error, updated_at`,
			id, string(fleet.BulkItemPending), formatTime(now.Add(-staleAfter)), string(fleet.BulkItemRunning), formatTime(now), fleet.ClampLimit(limit))
		if err != nil {
			return false, translate(err, "claim bulk items")
		}
		if items, err = scanBulkItems(rows, "claim bulk items"); err != nil {
			return false, err
		}
		slices.SortFunc(items, func(a, b fleet.BulkItem) int { return cmp.Compare(a.ICCID, b.ICCID) })
		if len(items) > 0 && fleet.BulkState(state) == fleet.BulkQueued {
			if _, err := tx.ExecContext(ctx, `UPDATE bulk_operations SET state = $2, started_at = COALESCE(started_at, $3) WHERE id = $1 AND state = $4`,
				id, string(fleet.BulkRunning), formatTime(now), string(fleet.BulkQueued)); err != nil {
				return false, translate(err, "start bulk operation")
			}
		}
		return false, nil
	})
	return items, err
}

// FinishBulkItem records the result of one item and bumps the operation's counters in the same
// transaction, so the counters always equal the items; the last item marks the operation done.
// Finishing an item twice counts it once (a retried worker step) and returns the operation.
func (s *Store) FinishBulkItem(ctx context.Context, id, iccid string, ok bool, errMsg string) (*fleet.BulkOperation, error) {
	state, okInc, failInc := fleet.BulkItemFailed, 0, 1
	if ok {
		state, okInc, failInc, errMsg = fleet.BulkItemOK, 1, 0, ""
	}
	var op fleet.BulkOperation
	now := formatTime(clockNow())
	err := s.transact(ctx, "finish bulk item", func(tx *sql.Tx) (bool, error) {
		res, err := tx.ExecContext(ctx, `UPDATE bulk_operation_items SET state = $3, error = $4, updated_at = $5
			WHERE operation_id = $1 AND iccid = $2 AND state IN ($6, $7)`,
			id, iccid, string(state), errMsg, now, string(fleet.BulkItemPending), string(fleet.BulkItemRunning))
		if err != nil {
			return false, translate(err, "finish bulk item")
		}
		n, err := rowsAffected(res, "finish bulk item")
		if err != nil {
			return false, err
		}
		if n == 0 {
			var exists bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM bulk_operation_items WHERE operation_id = $1 AND iccid = $2)`, id, iccid).Scan(&exists); err != nil {
				return false, translate(err, "finish bulk item")
			}
			if !exists {
				return false, fmt.Errorf("finish bulk item: %w", fleet.Errorf(fleet.CodeNotFound, "bulk item %s/%s: not found", id, iccid))
			}
			return false, translate(scanBulkOp(tx.QueryRowContext(ctx, `SELECT `+bulkOpCols+` FROM bulk_operations WHERE id = $1`, id), &op), "finish bulk item")
		}
		err = scanBulkOp(tx.QueryRowContext(ctx, `UPDATE bulk_operations SET succeeded = succeeded + $2, failed = failed + $3,
				state = CASE WHEN state IN ($5, $6) AND succeeded + failed + 1 >= total THEN $7 ELSE state END,
				finished_at = CASE WHEN state IN ($5, $6) AND succeeded + failed + 1 >= total THEN $4 ELSE finished_at END,
				started_at = COALESCE(started_at, $4)
			WHERE id = $1 RETURNING `+bulkOpCols, id, okInc, failInc, now,
			string(fleet.BulkQueued), string(fleet.BulkRunning), string(fleet.BulkDone)), &op)
		return false, translate(err, "finish bulk item: progress")
	})
	if err != nil {
		return nil, err
	}
	return &op, nil
}

// CancelBulkOperation stops an operation: no further items are claimed; items already claimed
// may still finish and are counted. Cancelling a finished operation is a conflict.
func (s *Store) CancelBulkOperation(ctx context.Context, id string) (*fleet.BulkOperation, error) {
	var op fleet.BulkOperation
	err := scanBulkOp(s.db.QueryRowContext(ctx, `UPDATE bulk_operations SET state = $2, finished_at = $3
		WHERE id = $1 AND state IN ($4, $5) RETURNING `+bulkOpCols, id, string(fleet.BulkCancelled), formatTime(clockNow()),
		string(fleet.BulkQueued), string(fleet.BulkRunning)), &op)
	if err == nil {
		return &op, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, translate(err, "cancel bulk operation")
	}
	cur, gerr := s.BulkOperationByID(ctx, id)
	if gerr != nil {
		return nil, gerr
	}
	return nil, fmt.Errorf("cancel bulk operation: %w", fleet.Errorf(fleet.CodeConflict, "operation is already %s", cur.State))
}
