-- +goose Up
-- Transactional outbox of the Data Streamer applier: the bus events of applied records are
-- written in the transaction that applies them and deleted once published, so a crash between
-- commit and publish delays those events instead of losing them.
CREATE TABLE streamer_outbox (
    id         BIGSERIAL PRIMARY KEY,
    kind       TEXT NOT NULL,
    payload    JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX streamer_outbox_created ON streamer_outbox (created_at);

-- +goose Down
DROP TABLE streamer_outbox;
