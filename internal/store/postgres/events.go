package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const eventColumns = `id, iccid, occurred_at, event_type, source, severity, alert, description,
	country, operator, detail, external_id`

// eventBatch bounds the rows per statement.
const eventBatch = 10000

const insertEventsSQL = `INSERT INTO sim_events (iccid, occurred_at, event_type, source, severity,
	alert, description, country, operator, detail, external_id)
SELECT u.iccid, u.at, u.type, u.source, u.severity, u.alert, u.description, u.country,
	u.operator, u.detail::jsonb, NULLIF(u.external_id, '')
FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::bool[],
	$7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
	WITH ORDINALITY AS u(iccid, at, type, source, severity, alert, description, country, operator, detail, external_id, n)
ORDER BY u.n
ON CONFLICT (external_id) DO NOTHING`

// InsertEvents stores events in one transaction and returns how many were new: an event whose
// ExternalID is already stored (or repeated in the batch) is skipped, so resends are harmless.
func (s *Store) InsertEvents(ctx context.Context, events []fleet.Event) (int64, error) {
	if err := fleet.ValidateEach("event", events); err != nil {
		return 0, fmt.Errorf("insert events: %w", err)
	}
	if len(events) == 0 {
		return 0, nil
	}
	var inserted int64
	err := s.inBatches(ctx, "insert events", len(events), eventBatch, func(db execer, start, end int) error {
		b := events[start:end]
		n := len(b)
		iccid, typ, src, sev, desc, country, op, detail, ext := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		at, alert := make([]pgtype.Timestamptz, n), make([]bool, n)
		for i, e := range b {
			d, err := fleet.CompactObject(e.Detail)
			if err != nil {
				return fmt.Errorf("event %d: %w", start+i, err)
			}
			iccid[i], typ[i], src[i], sev[i], desc[i] = e.ICCID, e.Type, e.Source, e.Severity, e.Description
			country[i], op[i], detail[i], ext[i] = e.Country, e.Operator, d, e.ExternalID
			at[i], alert[i] = pgTime(e.OccurredAt), e.Alert
		}
		tag, err := db.Exec(ctx, insertEventsSQL, iccid, at, typ, src, sev, alert, desc, country, op, detail, ext)
		inserted += tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	return inserted, nil
}

func scanEvent(r pgx.CollectableRow) (fleet.Event, error) {
	var (
		e      fleet.Event
		at     pgtype.Timestamptz
		detail []byte
		ext    pgtype.Text
	)
	err := r.Scan(&e.ID, &e.ICCID, &at, &e.Type, &e.Source, &e.Severity, &e.Alert, &e.Description,
		&e.Country, &e.Operator, &detail, &ext)
	e.OccurredAt, e.Detail, e.ExternalID = fromPgTime(at), json.RawMessage(detail), ext.String
	return e, err
}

// ListEvents returns one page of a SIM's events, newest first, with the number of matches.
func (s *Store) ListEvents(ctx context.Context, f fleet.EventFilter) (fleet.Page[fleet.Event], error) {
	f, err := f.Normalize()
	if err != nil {
		return fleet.Page[fleet.Event]{}, err
	}
	conds, args := []string{"iccid = $1"}, []any{f.ICCID}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, cond+" $"+strconv.Itoa(len(args)))
	}
	if f.Type != "" {
		add("event_type =", f.Type)
	}
	if !f.Since.IsZero() {
		add("occurred_at >=", pgTime(f.Since))
	}
	if !f.Until.IsZero() {
		add("occurred_at <", pgTime(f.Until))
	}
	where := " WHERE " + strings.Join(conds, " AND ")
	page := fleet.Page[fleet.Event]{Page: f.Page, PageSize: f.PageSize}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM sim_events`+where, args...).Scan(&page.Total); err != nil {
		return page, translate(err, "count events "+f.ICCID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM sim_events`+where+
		fmt.Sprintf(" ORDER BY occurred_at DESC, id DESC LIMIT %d OFFSET %d", f.PageSize, f.Offset()), args...)
	if err != nil {
		return page, translate(err, "list events "+f.ICCID)
	}
	page.Items, err = pgx.CollectRows(rows, scanEvent)
	if err != nil {
		return page, translate(err, "list events "+f.ICCID)
	}
	if page.Items == nil {
		page.Items = []fleet.Event{}
	}
	return page, nil
}
