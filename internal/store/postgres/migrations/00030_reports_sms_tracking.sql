-- +goose Up
-- Daily fleet reports (JSON and CSV, downloadable from the API), and the index the SMS
-- delivery tracking reads: MT-SMS oncefleet sent that are still pending.
CREATE TABLE reports (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    period_start TIMESTAMPTZ NOT NULL,
    period_end   TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    body_json    JSONB NOT NULL,
    body_csv     TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX reports_kind_period ON reports (kind, period_start);
CREATE INDEX reports_created ON reports (created_at DESC);
CREATE INDEX sms_pending_sent ON sms_messages (updated_at) WHERE status = 'PENDING' AND sent_by <> '';

-- +goose Down
DROP INDEX sms_pending_sent;
DROP TABLE reports;
