package postgres

import (
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Helpers converting between domain values (zero time, nil pointer = unknown) and nullable
// PostgreSQL values. Times are stored with microsecond precision, the server's resolution, and
// always come back in UTC.

func pgTime(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t.UTC().Truncate(time.Microsecond), Valid: true}
}

func fromPgTime(ts pgtype.Timestamptz) time.Time {
	if !ts.Valid {
		return time.Time{}
	}
	return ts.Time.UTC()
}

func pgInt8(p *int64) pgtype.Int8 {
	if p == nil {
		return pgtype.Int8{}
	}
	return pgtype.Int8{Int64: *p, Valid: true}
}

func fromPgInt8(v pgtype.Int8) *int64 {
	if !v.Valid {
		return nil
	}
	n := v.Int64
	return &n
}

func pgInt4(p *int) pgtype.Int4 {
	if p == nil {
		return pgtype.Int4{}
	}
	return pgtype.Int4{Int32: int32(*p), Valid: true}
}

func fromPgInt4(v pgtype.Int4) *int {
	if !v.Valid {
		return nil
	}
	n := int(v.Int32)
	return &n
}

// clockNow is the store's clock at the stored precision, so a time returned to the caller
// equals the one read back later.
func clockNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// likeEscaper escapes LIKE metacharacters so user input matches literally (backslash is
// PostgreSQL's default LIKE escape character).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func likePrefix(p string) string   { return likeEscaper.Replace(p) + "%" }
func likeContains(p string) string { return "%" + likeEscaper.Replace(p) + "%" }

func pgInt2(p *int) pgtype.Int2 {
	if p == nil {
		return pgtype.Int2{}
	}
	return pgtype.Int2{Int16: int16(*p), Valid: true}
}

func fromPgInt2(v pgtype.Int2) *int {
	if !v.Valid {
		return nil
	}
	n := int(v.Int16)
	return &n
}
