-- +goose Up
-- One width for stored times (see sqltime.go): the Data Streamer applier and two column defaults
-- used to write milliseconds (2026-11-25T22:42:13.123Z) where the rest of the store writes
-- microseconds (2026-11-25T22:42:13.123000Z). Text comparison between the two is wrong within a
-- millisecond ('Z' sorts after the digits), and a millisecond hour in sim_usage_hourly's key
-- would not meet the microsecond one the applier now writes. Rewrite them to the one width; the
-- instant is unchanged. The store now writes every time itself, so the defaults (which SQLite
-- cannot alter without rebuilding the tables) no longer apply to its rows.

UPDATE sims SET last_seen_at = substr(last_seen_at, 1, 23) || '000Z'
    WHERE last_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE sims SET updated_at = substr(updated_at, 1, 23) || '000Z'
    WHERE updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE sim_usage SET updated_at = substr(updated_at, 1, 23) || '000Z'
    WHERE updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE sim_connectivity SET observed_at = substr(observed_at, 1, 23) || '000Z'
    WHERE observed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE sim_events SET occurred_at = substr(occurred_at, 1, 23) || '000Z'
    WHERE occurred_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE streamer_records SET received_at = substr(received_at, 1, 23) || '000Z'
    WHERE received_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE streamer_records SET applied_at = substr(applied_at, 1, 23) || '000Z'
    WHERE applied_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE sim_usage_hourly SET hour = substr(hour, 1, 23) || '000Z'
    WHERE hour GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE sim_usage_hourly SET updated_at = substr(updated_at, 1, 23) || '000Z'
    WHERE updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE streamer_health SET last_record_at = substr(last_record_at, 1, 23) || '000Z'
    WHERE last_record_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE streamer_health SET last_received_at = substr(last_received_at, 1, 23) || '000Z'
    WHERE last_received_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE streamer_health SET updated_at = substr(updated_at, 1, 23) || '000Z'
    WHERE updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE streamer_outbox SET created_at = substr(created_at, 1, 23) || '000Z'
    WHERE created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';

-- +goose Down
-- Nothing to undo: both widths read back as the same instants.
SELECT 1;
