package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const smsColumns = `iccid, id, direction, status, payload, source_address, submit_date,
	delivery_date, expiry_date, sent_by, created_at, updated_at`

// upsertSMSSQL stores messages; on a known message, 1NCE's fields replace the stored ones,
// except that empty direction/payload/source and unknown dates keep what is stored (1NCE's
// status lists are sparser than its detail), and sent_by is oncefleet's own.
const upsertSMSSQL = `INSERT INTO sms_messages AS t (` + smsColumns + `)
SELECT u.iccid, u.id, u.direction, u.status, u.payload, u.source_address, u.submit_date,
	u.delivery_date, u.expiry_date, u.sent_by, $11, $11
FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[],
	$7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::text[])
	AS u(iccid, id, direction, status, payload, source_address, submit_date, delivery_date, expiry_date, sent_by)
ON CONFLICT (iccid, id) DO UPDATE SET
	direction = CASE WHEN excluded.direction = '' THEN t.direction ELSE excluded.direction END,
	status = CASE WHEN excluded.status = '' THEN t.status ELSE excluded.status END,
	payload = CASE WHEN excluded.payload = '' THEN t.payload ELSE excluded.payload END,
	source_address = CASE WHEN excluded.source_address = '' THEN t.source_address ELSE excluded.source_address END,
	submit_date = COALESCE(excluded.submit_date, t.submit_date),
	delivery_date = COALESCE(excluded.delivery_date, t.delivery_date),
	expiry_date = COALESCE(excluded.expiry_date, t.expiry_date),
	sent_by = CASE WHEN excluded.sent_by = '' THEN t.sent_by ELSE excluded.sent_by END,
	updated_at = excluded.updated_at`

// UpsertSMS stores messages in one transaction (see upsertSMSSQL for the merge rules).
func (s *Store) UpsertSMS(ctx context.Context, msgs []fleet.SMS) error {
	if err := fleet.ValidateEach("message", msgs); err != nil {
		return fmt.Errorf("upsert sms: %w", err)
	}
	msgs = fleet.DedupeSMS(msgs)
	if len(msgs) == 0 {
		return nil
	}
	n := len(msgs)
	iccid, dir, status, payload, src, sentBy := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	id := make([]int64, n)
	submit, deliv, expiry := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
	for i, m := range msgs {
		iccid[i], id[i], dir[i], status[i], payload[i], src[i], sentBy[i] = m.ICCID, m.ID, m.Direction, m.Status, m.Payload, m.SourceAddress, m.SentBy
		submit[i], deliv[i], expiry[i] = pgTime(m.SubmitDate), pgTime(m.DeliveryDate), pgTime(m.ExpiryDate)
	}
	_, err := s.pool.Exec(ctx, upsertSMSSQL, iccid, id, dir, status, payload, src, submit, deliv, expiry, sentBy, nowTS())
	return translate(err, "upsert sms")
}

func scanSMS(r pgx.CollectableRow) (fleet.SMS, error) {
	var (
		m                               fleet.SMS
		submit, deliv, expiry, cre, upd pgtype.Timestamptz
	)
	err := r.Scan(&m.ICCID, &m.ID, &m.Direction, &m.Status, &m.Payload, &m.SourceAddress, &submit,
		&deliv, &expiry, &m.SentBy, &cre, &upd)
	m.SubmitDate, m.DeliveryDate, m.ExpiryDate = fromPgTime(submit), fromPgTime(deliv), fromPgTime(expiry)
	m.CreatedAt, m.UpdatedAt = fromPgTime(cre), fromPgTime(upd)
	return m, err
}

// GetSMS returns one message; a missing one is a not-found error.
func (s *Store) GetSMS(ctx context.Context, iccid string, id int64) (fleet.SMS, error) {
	what := fmt.Sprintf("get sms %s/%d", iccid, id)
	rows, err := s.pool.Query(ctx, `SELECT `+smsColumns+` FROM sms_messages WHERE iccid = $1 AND id = $2`, iccid, id)
	if err != nil {
		return fleet.SMS{}, translate(err, what)
	}
	m, err := pgx.CollectExactlyOneRow(rows, scanSMS)
	if err != nil {
		return fleet.SMS{}, translate(err, what)
	}
	return m, nil
}

// ListSMS returns one page of a SIM's messages, newest (highest 1NCE id) first.
func (s *Store) ListSMS(ctx context.Context, f fleet.SMSFilter) (fleet.Page[fleet.SMS], error) {
	f, err := f.Normalize()
	if err != nil {
		return fleet.Page[fleet.SMS]{}, err
	}
	page := fleet.Page[fleet.SMS]{Page: f.Page, PageSize: f.PageSize}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM sms_messages WHERE iccid = $1`, f.ICCID).Scan(&page.Total); err != nil {
		return page, translate(err, "count sms "+f.ICCID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+smsColumns+` FROM sms_messages WHERE iccid = $1
		ORDER BY id DESC LIMIT $2 OFFSET $3`, f.ICCID, f.PageSize, f.Offset())
	if err != nil {
		return page, translate(err, "list sms "+f.ICCID)
	}
	page.Items, err = pgx.CollectRows(rows, scanSMS)
	if err != nil {
		return page, translate(err, "list sms "+f.ICCID)
	}
	if page.Items == nil {
		page.Items = []fleet.SMS{}
	}
	return page, nil
}

// DeleteSMS removes one message from the mirror; a missing one is a not-found error.
func (s *Store) DeleteSMS(ctx context.Context, iccid string, id int64) error {
	what := fmt.Sprintf("delete sms %s/%d", iccid, id)
	tag, err := s.pool.Exec(ctx, `DELETE FROM sms_messages WHERE iccid = $1 AND id = $2`, iccid, id)
	if err != nil {
		return translate(err, what)
	}
	if tag.RowsAffected() == 0 {
		return translate(pgx.ErrNoRows, what)
	}
	return nil
}
