package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// maxVariables is SQLite's default limit of bound parameters per statement
// (SQLITE_MAX_VARIABLE_NUMBER, 32766 since 3.32).
const maxVariables = 32766

// rowsPerStatement is how many rows of nvars parameters one multi-row statement carries:
// close to the limit but at most 1,000, beyond which a longer statement no longer pays.
func rowsPerStatement(nvars int) int {
	return max(1, min(1000, maxVariables/nvars))
}

// execRows executes head + n copies of rowTmpl (comma-separated) + tail for n rows, in
// chunks below the variable limit. One prepared statement serves every full chunk; the last,
// shorter chunk gets its own. rowArgs appends row i's arguments to dst. It returns the summed
// rows affected. rowTmpl takes anonymous "?" parameters: the driver resolves "$n" names one
// by one, which turns a statement of thousands of parameters quadratic.
func execRows(ctx context.Context, tx *sql.Tx, head, rowTmpl, tail string, n int, rowArgs func(i int, dst []any) []any) (int64, error) {
	nvars := strings.Count(rowTmpl, "?")
	per := rowsPerStatement(nvars)
	build := func(rows int) string {
		var b strings.Builder
		b.Grow(len(head) + rows*(len(rowTmpl)+1) + len(tail))
		b.WriteString(head)
		for i := 0; i < rows; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(rowTmpl)
		}
		b.WriteString(tail)
		return b.String()
	}
	var (
		full     *sql.Stmt
		affected int64
		args     = make([]any, 0, per*nvars)
	)
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for start := 0; start < n; start += per {
		rows := min(per, n-start)
		args = args[:0]
		for i := start; i < start+rows; i++ {
			args = rowArgs(i, args)
		}
		if len(args) != rows*nvars {
			return affected, fmt.Errorf("sqlite: batch row arguments: got %d, want %d", len(args), rows*nvars)
		}
		var (
			res sql.Result
			err error
		)
		if rows == per {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, build(per)); err != nil {
					return affected, err
				}
			}
			res, err = full.ExecContext(ctx, args...)
		} else {
			res, err = tx.ExecContext(ctx, build(rows), args...)
		}
		if err != nil {
			return affected, err
		}
		if k, err := res.RowsAffected(); err == nil {
			affected += k
		}
	}
	return affected, nil
}
