-- +goose Up
-- Data Streamer (SPEC §9): the finer usage series and per-stream health, both written by the
-- applier in the same transaction that marks records applied, so they count each record once.

-- Usage per SIM and hour (UTC) of the record's end time: usage records arrive at most every
-- 15 minutes per data session, so an hour is the finest grain every record can fill honestly.
CREATE TABLE sim_usage_hourly (
    iccid        TEXT NOT NULL,
    hour         TIMESTAMPTZ NOT NULL,
    volume_rx    BIGINT NOT NULL DEFAULT 0,
    volume_tx    BIGINT NOT NULL DEFAULT 0,
    volume_total BIGINT NOT NULL DEFAULT 0,
    sms_mo       INTEGER NOT NULL DEFAULT 0,
    sms_mt       INTEGER NOT NULL DEFAULT 0,
    records      INTEGER NOT NULL DEFAULT 0,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (iccid, hour)
);
CREATE INDEX sim_usage_hourly_hour ON sim_usage_hourly (hour);

-- One row per stream type (usage | event). Shared by every replica, so "stream silent" is judged
-- on what the whole deployment received, not on one replica's share.
CREATE TABLE streamer_health (
    stream           TEXT PRIMARY KEY,
    last_record_at   TIMESTAMPTZ NOT NULL, -- newest record timestamp applied (1NCE's clock)
    last_received_at TIMESTAMPTZ NOT NULL, -- newest receipt among applied records (our clock)
    applied_total    BIGINT NOT NULL DEFAULT 0,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE streamer_health;
DROP TABLE sim_usage_hourly;
