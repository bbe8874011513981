package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// execer is what batched writes need of a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// inBatches calls write for consecutive [start, end) ranges of n items, size at a time, and
// makes the whole call atomic. A call that fits one batch is one statement, which PostgreSQL
// runs atomically on its own: one round trip, no BEGIN/COMMIT. Larger calls share a
// transaction. Errors are translated with what.
func (s *Store) inBatches(ctx context.Context, what string, n, size int, write func(db execer, start, end int) error) error {
	if n <= size {
		return translate(write(s.pool, 0, n), what)
	}
	return s.transact(ctx, what, func(tx pgx.Tx) (bool, error) {
		for start := 0; start < n; start += size {
			if err := write(tx, start, min(start+size, n)); err != nil {
				return false, translate(err, what)
			}
		}
		return false, nil
	})
}
