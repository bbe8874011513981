package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// Statement helpers every part of the store shares.

// transact runs fn in a transaction, committing when it returns nil. The store opens
// transactions with BEGIN IMMEDIATE, so a transaction holds the write lock from its first
// statement: read-check-write sequences inside fn are atomic against every other writer. fn may
// return a domain error after writes it wants kept: keepOnErr says so.
func (s *Store) transact(ctx context.Context, what string, fn func(tx *sql.Tx) (keepOnErr bool, err error)) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return translate(err, what+": begin")
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	keep, ferr := fn(tx)
	if ferr != nil && !keep {
		return ferr
	}
	if err := tx.Commit(); err != nil {
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
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+table+w.sql(), w.args...).Scan(&n); err != nil {
		return 0, translate(err, what)
	}
	return n, nil
}

// expectOne turns "no row changed" into not-found for updates and deletes by key.
func expectOne(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, what)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, fleet.Errorf(fleet.CodeNotFound, "%s: not found", what))
	}
	return nil
}

func rowsAffected(res sql.Result, what string) (int, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(err, what)
	}
	return int(n), nil
}

// inTx is transact for fn that keep nothing on error: any error rolls back and is translated.
func (s *Store) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	return s.transact(ctx, what, func(tx *sql.Tx) (bool, error) { return false, translate(fn(tx), what) })
}

// execAll runs one statement for every argument list inside one transaction, so an upsert
// of a 1NCE page is all or nothing; the statement is prepared once.
func (s *Store) execAll(ctx context.Context, what, query string, argLists [][]any) error {
	return s.transact(ctx, what, func(tx *sql.Tx) (bool, error) {
		return false, execEach(ctx, tx, what, query, argLists, func(args []any) []any { return args })
	})
}

// execEach runs one prepared statement per item inside tx.
func execEach[T any](ctx context.Context, tx *sql.Tx, what, query string, items []T, args func(T) []any) error {
	if len(items) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return translate(err, what)
	}
	defer st.Close()
	for _, it := range items {
		if _, err := st.ExecContext(ctx, args(it)...); err != nil {
			return translate(err, what)
		}
	}
	return nil
}

// rowScanner is what *sql.Row and *sql.Rows share, so one scan function serves both.
type rowScanner interface{ Scan(dest ...any) error }

// scanAll reads every row with scan, in order, and closes rows; no rows is a nil slice.
func scanAll[T any](rows *sql.Rows, what string, scan func(rowScanner, *T) error) ([]T, error) {
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

// nullText maps "" (unknown) to NULL.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt64(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func fromNullInt64(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	n := v.Int64
	return &n
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func fromNullInt(v sql.NullInt64) *int {
	if !v.Valid {
		return nil
	}
	n := int(v.Int64)
	return &n
}
