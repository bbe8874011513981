package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const eventColumns = `id, iccid, occurred_at, event_type, source, severity, alert, description,
	country, operator, detail, external_id`

const (
	insertEventsHead = `INSERT INTO sim_events (iccid, occurred_at, event_type, source, severity,
	alert, description, country, operator, detail, external_id) VALUES `
	insertEventsRow  = `(?,?,?,?,?,?,?,?,?,?,NULLIF(?, ''))`
	insertEventsTail = ` ON CONFLICT (external_id) DO NOTHING`
)

// InsertEvents stores events in one transaction and returns how many were new: an event whose
// ExternalID is already stored (or repeated in the batch) is skipped, so resends are harmless.
func (s *Store) InsertEvents(ctx context.Context, events []fleet.Event) (int64, error) {
	if err := fleet.ValidateEach("event", events); err != nil {
		return 0, fmt.Errorf("insert events: %w", err)
	}
	if len(events) == 0 {
		return 0, nil
	}
	detail := make([]string, len(events))
	for i, e := range events {
		d, err := fleet.CompactObject(e.Detail)
		if err != nil {
			return 0, fmt.Errorf("insert events: event %d: %w", i, err)
		}
		detail[i] = d
	}
	var inserted int64
	err := s.inTx(ctx, "insert events", func(tx *sql.Tx) error {
		n, err := execRows(ctx, tx, insertEventsHead, insertEventsRow, insertEventsTail, len(events), func(i int, dst []any) []any {
			e := events[i]
			return append(dst, e.ICCID, nullableTime(e.OccurredAt), e.Type, e.Source, e.Severity, e.Alert,
				e.Description, e.Country, e.Operator, detail[i], e.ExternalID)
		})
		inserted = n
		return err
	})
	if err != nil {
		return 0, err
	}
	return inserted, nil
}

func scanEvent(row rowScanner) (fleet.Event, error) {
	var (
		e      fleet.Event
		detail string
		ext    sql.NullString
	)
	err := row.Scan(&e.ID, &e.ICCID, scanTime(&e.OccurredAt), &e.Type, &e.Source, &e.Severity, &e.Alert, &e.Description,
		&e.Country, &e.Operator, &detail, &ext)
	e.Detail, e.ExternalID = json.RawMessage(detail), ext.String
	return e, err
}

// ListEvents returns one page of a SIM's events, newest first, with the number of matches.
func (s *Store) ListEvents(ctx context.Context, f fleet.EventFilter) (fleet.Page[fleet.Event], error) {
	f, err := f.Normalize()
	if err != nil {
		return fleet.Page[fleet.Event]{}, err
	}
	conds, args := []string{"iccid = ?"}, []any{f.ICCID}
	if f.Type != "" {
		conds, args = append(conds, "event_type = ?"), append(args, f.Type)
	}
	if !f.Since.IsZero() {
		conds, args = append(conds, "occurred_at >= ?"), append(args, nullableTime(f.Since))
	}
	if !f.Until.IsZero() {
		conds, args = append(conds, "occurred_at < ?"), append(args, nullableTime(f.Until))
	}
	where := " WHERE " + strings.Join(conds, " AND ")
	page := fleet.Page[fleet.Event]{Page: f.Page, PageSize: f.PageSize, Items: []fleet.Event{}}
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sim_events`+where, args...).Scan(&page.Total); err != nil {
		return page, translate(err, "count events "+f.ICCID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventColumns+` FROM sim_events`+where+
		fmt.Sprintf(" ORDER BY occurred_at DESC, id DESC LIMIT %d OFFSET %d", f.PageSize, f.Offset()), args...)
	if err != nil {
		return page, translate(err, "list events "+f.ICCID)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return page, translate(err, "list events "+f.ICCID)
		}
		page.Items = append(page.Items, e)
	}
	return page, translate(rows.Err(), "list events "+f.ICCID)
}
