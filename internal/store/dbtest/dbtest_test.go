package dbtest

import (
	"context"
	"testing"
)

func TestBothBackendsMigrate(t *testing.T) {
	ctx := context.Background()
	pg := NewPostgres(t)
	if err := pg.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := pg.MigrationStatus(ctx)
	if err != nil || len(st) == 0 {
		t.Fatalf("postgres status: %v %v", st, err)
	}
	sq := NewSQLite(t)
	if err := sq.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range []interface{ MigrateDown(context.Context) error }{pg, sq} {
		if err := s.MigrateDown(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
