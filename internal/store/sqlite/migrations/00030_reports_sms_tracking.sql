-- +goose Up
-- Daily fleet reports and the pending-SMS index; same meaning as the PostgreSQL migration of
-- the same number.
CREATE TABLE reports (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    period_start DATETIME NOT NULL,
    period_end   DATETIME NOT NULL,
    created_at   DATETIME NOT NULL,
    body_json    TEXT NOT NULL,
    body_csv     TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX reports_kind_period ON reports (kind, period_start);
CREATE INDEX reports_created ON reports (created_at DESC);
CREATE INDEX sms_pending_sent ON sms_messages (updated_at) WHERE status = 'PENDING' AND sent_by <> '';

-- +goose Down
DROP INDEX sms_pending_sent;
DROP TABLE reports;
