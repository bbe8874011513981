package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

func TestStreamerConformance(t *testing.T) {
	storetest.TestStreamer(t, func(t *testing.T) (storetest.StreamerStore, *sql.DB) {
		s := dbtest.NewPostgres(t)
		db := stdlib.OpenDBFromPool(s.Pool())
		t.Cleanup(func() { db.Close() })
		return s, db
	})
}

// TestStreamerSaveRefusesTextPostgresCannotHold: payloads are TEXT, which holds no NUL byte.
// The receiver never passes one (JSON has none outside escapes), but if one came, the batch
// must fail as invalid input (a 400, nothing stored), not as a store failure (a 503 that 1NCE
// would re-send forever). The escape \u0000 itself is plain text and is stored as sent.
func TestStreamerSaveRefusesTextPostgresCannotHold(t *testing.T) {
	ctx := context.Background()
	s := dbtest.NewPostgres(t)
	for _, batch := range [][]record.Raw{
		{{Stream: record.StreamUsage, ID: "1", Payload: []byte("{\"a\":\"\x00\"}")}},
		{{Stream: record.StreamUsage, ID: "1", Payload: []byte(`{}`)}, {Stream: record.StreamEvent, ID: "2", Payload: []byte("{\"a\":\"\x00\"}")}},
	} {
		if _, err := s.SaveStreamerBatch(ctx, batch); !errors.Is(err, fleet.ErrInvalid) {
			t.Errorf("NUL byte in a payload: err = %v, want fleet.ErrInvalid", err)
		}
	}
	res, err := s.SaveStreamerBatch(ctx, []record.Raw{{Stream: record.StreamUsage, ID: "1", Payload: []byte(`{"a":"\u0000"}`)}})
	if err != nil || res.Inserted.Usage != 1 {
		t.Fatalf("\\u0000 escape: %+v, %v", res, err)
	}
	var got string
	if err := s.Pool().QueryRow(ctx, `SELECT payload FROM streamer_records`).Scan(&got); err != nil || got != `{"a":"\u0000"}` {
		t.Fatalf("stored %q, %v; want the payload as sent", got, err)
	}
}
