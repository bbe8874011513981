package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// Statement helpers every part of the store shares.

// transact runs fn in a transaction, committing when it returns nil. fn may return a domain
// error after writes it wants kept (refresh-token reuse revokes, then fails): keepOnErr says so.
func (s *Store) transact(ctx context.Context, what string, fn func(tx pgx.Tx) (keepOnErr bool, err error)) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: %s: begin: %w", what, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	keep, ferr := fn(tx)
	if ferr != nil && !keep {
		return ferr
	}
	if err := tx.Commit(ctx); err != nil {
		return translate(err, what+": commit")
	}
	return ferr
}

// whereClause collects AND-ed conditions with numbered placeholders.
type whereClause struct {
	conds []string
	args  []any
}

func (w *whereClause) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(w.args))))
}

func (w *whereClause) addRaw(cond string) { w.conds = append(w.conds, cond) }

func (w *whereClause) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// page appends LIMIT/OFFSET placeholders and returns the clause.
func (w *whereClause) page(limit, offset int) string {
	w.args = append(w.args, fleet.ClampLimit(limit), max(offset, 0))
	return fmt.Sprintf(" LIMIT $%d OFFSET $%d", len(w.args)-1, len(w.args))
}

func (s *Store) countWhere(ctx context.Context, table string, w *whereClause, what string) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+table+w.sql(), w.args...).Scan(&n); err != nil {
		return 0, translate(err, what)
	}
	return n, nil
}

// expectOne turns "no row changed" into not-found for updates and deletes by key.
func expectOne(rows int64, what string) error {
	if rows == 0 {
		return fmt.Errorf("%s: %w", what, fleet.Errorf(fleet.CodeNotFound, "%s: not found", what))
	}
	return nil
}

// scanAll reads every row with scan, in order, and closes rows; no rows is a nil slice.
func scanAll[T any](rows pgx.Rows, what string, scan func(pgx.Row, *T) error) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, translate(err, what)
		}
		out = append(out, v)
	}
	return out, translate(rows.Err(), what)
}

// toUTC puts scanned times in UTC: pgx returns timestamptz in the process's local zone, and
// the API promises UTC whatever the server's TZ. Nil pointers (NULL columns) are skipped.
func toUTC(ts ...*time.Time) {
	for _, t := range ts {
		if t != nil {
			*t = t.UTC()
		}
	}
}
