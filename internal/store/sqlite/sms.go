package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const smsColumns = `iccid, id, direction, status, payload, source_address, submit_date,
	delivery_date, expiry_date, sent_by, created_at, updated_at`

// The merge rules are the PostgreSQL store's: on a known message, 1NCE's fields replace the
// stored ones, except that empty direction/status/payload/source and unknown dates keep what
// is stored, and sent_by (oncefleet's own) is kept unless given.
const (
	upsertSMSHead = `INSERT INTO sms_messages AS t (` + smsColumns + `) VALUES `
	upsertSMSRow  = `(?,?,?,?,?,?,?,?,?,?,?,?)`
	upsertSMSTail = ` ON CONFLICT (iccid, id) DO UPDATE SET
	direction = CASE WHEN excluded.direction = '' THEN t.direction ELSE excluded.direction END,
	status = CASE WHEN excluded.status = '' THEN t.status ELSE excluded.status END,
	payload = CASE WHEN excluded.payload = '' THEN t.payload ELSE excluded.payload END,
	source_address = CASE WHEN excluded.source_address = '' THEN t.source_address ELSE excluded.source_address END,
	submit_date = COALESCE(excluded.submit_date, t.submit_date),
	delivery_date = COALESCE(excluded.delivery_date, t.delivery_date),
	expiry_date = COALESCE(excluded.expiry_date, t.expiry_date),
	sent_by = CASE WHEN excluded.sent_by = '' THEN t.sent_by ELSE excluded.sent_by END,
	updated_at = excluded.updated_at`
)

// UpsertSMS stores messages in one transaction.
func (s *Store) UpsertSMS(ctx context.Context, msgs []fleet.SMS) error {
	if err := fleet.ValidateEach("message", msgs); err != nil {
		return fmt.Errorf("upsert sms: %w", err)
	}
	msgs = fleet.DedupeSMS(msgs)
	if len(msgs) == 0 {
		return nil
	}
	ts := nowText()
	return s.inTx(ctx, "upsert sms", func(tx *sql.Tx) error {
		_, err := execRows(ctx, tx, upsertSMSHead, upsertSMSRow, upsertSMSTail, len(msgs), func(i int, dst []any) []any {
			m := msgs[i]
			return append(dst, m.ICCID, m.ID, m.Direction, m.Status, m.Payload, m.SourceAddress,
				nullableTime(m.SubmitDate), nullableTime(m.DeliveryDate), nullableTime(m.ExpiryDate), m.SentBy, ts, ts)
		})
		return err
	})
}

func scanSMS(row rowScanner) (fleet.SMS, error) {
	var m fleet.SMS
	err := row.Scan(&m.ICCID, &m.ID, &m.Direction, &m.Status, &m.Payload, &m.SourceAddress, scanTime(&m.SubmitDate),
		scanTime(&m.DeliveryDate), scanTime(&m.ExpiryDate), &m.SentBy, scanTime(&m.CreatedAt), scanTime(&m.UpdatedAt))
	return m, err
}

// GetSMS returns one message; a missing one is a not-found error.
func (s *Store) GetSMS(ctx context.Context, iccid string, id int64) (fleet.SMS, error) {
	m, err := scanSMS(s.db.QueryRowContext(ctx, `SELECT `+smsColumns+` FROM sms_messages WHERE iccid = ? AND id = ?`, iccid, id))
	if err != nil {
		return fleet.SMS{}, translate(err, fmt.Sprintf("get sms %s/%d", iccid, id))
	}
	return m, nil
}

// ListSMS returns one page of a SIM's messages, newest (highest 1NCE id) first.
func (s *Store) ListSMS(ctx context.Context, f fleet.SMSFilter) (fleet.Page[fleet.SMS], error) {
	f, err := f.Normalize()
	if err != nil {
		return fleet.Page[fleet.SMS]{}, err
	}
	page := fleet.Page[fleet.SMS]{Page: f.Page, PageSize: f.PageSize, Items: []fleet.SMS{}}
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sms_messages WHERE iccid = ?`, f.ICCID).Scan(&page.Total); err != nil {
		return page, translate(err, "count sms "+f.ICCID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+smsColumns+` FROM sms_messages WHERE iccid = ?
		ORDER BY id DESC LIMIT ? OFFSET ?`, f.ICCID, f.PageSize, f.Offset())
	if err != nil {
		return page, translate(err, "list sms "+f.ICCID)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanSMS(rows)
		if err != nil {
			return page, translate(err, "list sms "+f.ICCID)
		}
		page.Items = append(page.Items, m)
	}
	return page, translate(rows.Err(), "list sms "+f.ICCID)
}

// DeleteSMS removes one message from the mirror; a missing one is a not-found error.
func (s *Store) DeleteSMS(ctx context.Context, iccid string, id int64) error {
	what := fmt.Sprintf("delete sms %s/%d", iccid, id)
	res, err := s.db.ExecContext(ctx, `DELETE FROM sms_messages WHERE iccid = ? AND id = ?`, iccid, id)
	if err != nil {
		return translate(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, what)
	}
	if n == 0 {
		return translate(sql.ErrNoRows, what)
	}
	return nil
}
