-- +goose Up
-- Background work (issue 9): what the fleet sync, the usage gap-fill and the quota check keep
-- between runs, the extra job-run fields, and indexes for retention deletes.

-- SIMs no longer listed at 1NCE are marked, never deleted (their history stays queryable).
ALTER TABLE sims ADD COLUMN gone_at TIMESTAMPTZ;
-- 1NCE's coarse quota indicator from the SIM list (0 > 20 % left, 1 < 20 %, 2 none): the
-- quota check takes SIMs at risk first without asking 1NCE for every quota.
ALTER TABLE sims ADD COLUMN data_quota_level SMALLINT;
ALTER TABLE sims ADD COLUMN sms_quota_level SMALLINT;
-- Gone candidates after a sync: present SIMs not written by it.
CREATE INDEX sims_present_synced ON sims (last_synced_at) WHERE gone_at IS NULL;
CREATE INDEX sims_quota_level ON sims (data_quota_level, sms_quota_level) WHERE gone_at IS NULL;

-- Per SIM: up to which day its daily usage is final in the mirror, and when the gap-fill last
-- read it from 1NCE. Zero-usage days need no rows: final_through covers them.
CREATE TABLE sim_usage_sync (
    iccid         TEXT COLLATE "C" PRIMARY KEY,
    final_through DATE,
    checked_at    TIMESTAMPTZ
);
CREATE INDEX sim_usage_sync_checked ON sim_usage_sync (checked_at);

-- Per SIM and quota kind: its own thresholds (NULL: the fleet default) and the share left at
-- the last quota check, against which the next one detects threshold crossings.
CREATE TABLE quota_watch (
    iccid      TEXT COLLATE "C" NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('data','sms')),
    thresholds TEXT,
    last_pct   DOUBLE PRECISION,
    checked_at TIMESTAMPTZ,
    PRIMARY KEY (iccid, kind)
);
CREATE INDEX quota_watch_checked ON quota_watch (checked_at);

ALTER TABLE job_runs ADD COLUMN skipped BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE job_runs ADD COLUMN counts JSONB NOT NULL DEFAULT '{}';

-- Retention deletes by age.
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
