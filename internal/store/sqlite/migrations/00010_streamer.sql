-- +goose Up
-- Data Streamer (SPEC §9): the finer usage series and per-stream health, both written by the
-- applier in the same transaction that marks records applied, so they count each record once.
-- SQLite dialect of postgres/migrations/00010_streamer.sql: keep both in step.

-- Usage per SIM and hour (UTC) of the record's end time.
CREATE TABLE sim_usage_hourly (
    iccid        TEXT NOT NULL,
    hour         DATETIME NOT NULL,
    volume_rx    BIGINT NOT NULL DEFAULT 0,
    volume_tx    BIGINT NOT NULL DEFAULT 0,
    volume_total BIGINT NOT NULL DEFAULT 0,
    sms_mo       INTEGER NOT NULL DEFAULT 0,
    sms_mt       INTEGER NOT NULL DEFAULT 0,
    records      INTEGER NOT NULL DEFAULT 0,
    updated_at   DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    PRIMARY KEY (iccid, hour)
);
CREATE INDEX sim_usage_hourly_hour ON sim_usage_hourly (hour);

-- One row per stream type (usage | event).
CREATE TABLE streamer_health (
    stream           TEXT PRIMARY KEY,
    last_record_at   DATETIME NOT NULL,
    last_received_at DATETIME NOT NULL,
    applied_total    BIGINT NOT NULL DEFAULT 0,
    updated_at       DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- +goose Down
DROP TABLE streamer_health;
DROP TABLE sim_usage_hourly;
