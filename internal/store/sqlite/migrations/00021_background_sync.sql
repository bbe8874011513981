-- +goose Up
-- Background work (issue 9): what the fleet sync, the usage gap-fill and the quota check keep
-- between runs, the extra job-run fields, and indexes for retention deletes. Same meaning as
-- the PostgreSQL migration of the same number.

ALTER TABLE sims ADD COLUMN gone_at DATETIME;
ALTER TABLE sims ADD COLUMN data_quota_level INTEGER;
ALTER TABLE sims ADD COLUMN sms_quota_level INTEGER;
CREATE INDEX sims_present_synced ON sims (last_synced_at) WHERE gone_at IS NULL;
CREATE INDEX sims_quota_level ON sims (data_quota_level, sms_quota_level) WHERE gone_at IS NULL;

CREATE TABLE sim_usage_sync (
    iccid         TEXT PRIMARY KEY,
    final_through DATE,
    checked_at    DATETIME
);
CREATE INDEX sim_usage_sync_checked ON sim_usage_sync (checked_at);

CREATE TABLE quota_watch (
    iccid      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('data','sms')),
    thresholds TEXT,
    last_pct   REAL,
    checked_at DATETIME,
    PRIMARY KEY (iccid, kind)
);
CREATE INDEX quota_watch_checked ON quota_watch (checked_at);

ALTER TABLE job_runs ADD COLUMN skipped BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE job_runs ADD COLUMN counts TEXT NOT NULL DEFAULT '{}';

CREATE INDEX sim_events_occurred ON sim_events (occurred_at);
CREATE INDEX sim_connectivity_observed ON sim_connectivity (observed_at);

-- +goose Down
DROP INDEX sim_connectivity_observed;
DROP INDEX sim_events_occurred;
ALTER TABLE job_runs DROP COLUMN counts;
ALTER TABLE job_runs DROP COLUMN skipped;
DROP TABLE quota_watch;
DROP TABLE sim_usage_sync;
DROP INDEX sims_quota_level;
DROP INDEX sims_present_synced;
ALTER TABLE sims DROP COLUMN sms_quota_level;
ALTER TABLE sims DROP COLUMN data_quota_level;
ALTER TABLE sims DROP COLUMN gone_at;
