-- +goose Up
-- Transactional outbox of the Data Streamer applier (see the PostgreSQL twin).
CREATE TABLE streamer_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX streamer_outbox_created ON streamer_outbox (created_at);

-- +goose Down
DROP TABLE streamer_outbox;
