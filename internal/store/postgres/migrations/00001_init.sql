-- +goose Up
-- The local mirror of the 1NCE fleet and oncefleet's own state (SPEC §4).
-- Volumes are stored in bytes (BIGINT); 1NCE reports MB as decimals and the SDK converts.

-- Identifier and sortable text columns use the "C" collation: byte order is what an ICCID or
-- IMSI sorts by, it matches SQLite's BINARY order (one conformance suite for both backends), and
-- only under "C" can a plain btree serve LIKE 'prefix%' as well as ORDER BY.
CREATE TABLE sims (
    iccid              TEXT COLLATE "C" PRIMARY KEY,
    iccid_with_luhn    TEXT COLLATE "C" NOT NULL DEFAULT '',
    imsi               TEXT COLLATE "C" NOT NULL DEFAULT '',
    imsi_2             TEXT COLLATE "C" NOT NULL DEFAULT '',
    current_imsi       TEXT COLLATE "C" NOT NULL DEFAULT '',
    msisdn             TEXT COLLATE "C" NOT NULL DEFAULT '',
    status             TEXT COLLATE "C" NOT NULL DEFAULT '',
    label              TEXT COLLATE "C" NOT NULL DEFAULT '',
    ip_address         TEXT COLLATE "C" NOT NULL DEFAULT '',
    imei               TEXT COLLATE "C" NOT NULL DEFAULT '',
    imei_lock          BOOLEAN NOT NULL DEFAULT FALSE,
    activation_date    TIMESTAMPTZ,
    organization_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    data_quota_status  TEXT COLLATE "C" NOT NULL DEFAULT '',
    sms_quota_status   TEXT COLLATE "C" NOT NULL DEFAULT '',
    data_volume_left   BIGINT,
    sms_left           BIGINT,
    online             BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen_at       TIMESTAMPTZ,
    metadata           JSONB NOT NULL DEFAULT '{}',
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_synced_at     TIMESTAMPTZ
);
-- GET /sims: every filterable or commonly sorted column is indexed together with iccid, the
-- sort tie-breaker, so "WHERE col LIKE 'p%' ORDER BY col, iccid LIMIT n" and "WHERE col = v
-- ORDER BY iccid" are index range scans that stop after one page.
CREATE INDEX sims_imsi          ON sims (imsi, iccid);
CREATE INDEX sims_msisdn        ON sims (msisdn, iccid);
CREATE INDEX sims_imei          ON sims (imei, iccid);
CREATE INDEX sims_ip            ON sims (ip_address, iccid);
CREATE INDEX sims_status        ON sims (status, iccid);
CREATE INDEX sims_org           ON sims (organization_id, iccid);
CREATE INDEX sims_label         ON sims (label, iccid);
CREATE INDEX sims_updated       ON sims (updated_at, iccid);
CREATE INDEX sims_data_quota    ON sims (data_quota_status, iccid);
CREATE INDEX sims_online        ON sims (online, iccid);
CREATE INDEX sims_last_seen     ON sims (last_seen_at, iccid);
-- Label substring search (ILIKE '%x%') needs a trigram index; pg_trgm ships with PostgreSQL's
-- contrib and is a trusted extension, but a server without contrib still gets a working schema.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX sims_label_trgm ON sims USING gin (label gin_trgm_ops);
    END IF;
END
$$;
-- +goose StatementEnd

-- Exact totals for GET /sims without counting a million rows: per-group SIM counts over the
-- equality filters (status, organization, data quota status, online), kept by statement-level
-- triggers in the writing transaction, so they are exact under MVCC for every writer (the sync,
-- the API, the Data Streamer). A list whose filter uses only these columns sums a few hundred
-- rows; any other filter counts the matching rows through the indexes. Only changes that move
-- a SIM between groups touch a counter row, so ordinary syncs and streamer updates do not
-- contend on them.
CREATE TABLE sims_counts (
    status            TEXT COLLATE "C" NOT NULL,
    organization_id   TEXT COLLATE "C" NOT NULL,
    data_quota_status TEXT COLLATE "C" NOT NULL,
    online            BOOLEAN NOT NULL,
    n                 BIGINT NOT NULL,
    PRIMARY KEY (status, organization_id, data_quota_status, online)
);

-- +goose StatementBegin
CREATE FUNCTION sims_counts_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sims_counts AS c (status, organization_id, data_quota_status, online, n)
    SELECT status, organization_id, data_quota_status, online, count(*)
    FROM sims_new GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (status, organization_id, data_quota_status, online) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION sims_counts_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sims_counts AS c (status, organization_id, data_quota_status, online, n)
    SELECT status, organization_id, data_quota_status, online, sum(k)
    FROM (SELECT status, organization_id, data_quota_status, online, 1 AS k FROM sims_new
          UNION ALL
          SELECT status, organization_id, data_quota_status, online, -1 FROM sims_old) d
    GROUP BY 1, 2, 3, 4 HAVING sum(k) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (status, organization_id, data_quota_status, online) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION sims_counts_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sims_counts AS c (status, organization_id, data_quota_status, online, n)
    SELECT status, organization_id, data_quota_status, online, -count(*)
    FROM sims_old GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (status, organization_id, data_quota_status, online) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION sims_counts_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sims_counts;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER sims_counts_insert AFTER INSERT ON sims REFERENCING NEW TABLE AS sims_new
    FOR EACH STATEMENT EXECUTE FUNCTION sims_counts_after_insert();
CREATE TRIGGER sims_counts_update AFTER UPDATE ON sims REFERENCING OLD TABLE AS sims_old NEW TABLE AS sims_new
    FOR EACH STATEMENT EXECUTE FUNCTION sims_counts_after_update();
CREATE TRIGGER sims_counts_delete AFTER DELETE ON sims REFERENCING OLD TABLE AS sims_old
    FOR EACH STATEMENT EXECUTE FUNCTION sims_counts_after_delete();
CREATE TRIGGER sims_counts_truncate AFTER TRUNCATE ON sims
    FOR EACH STATEMENT EXECUTE FUNCTION sims_counts_after_truncate();

-- One row per SIM and day; TimescaleDB turns it into a hypertable when present (00002).
CREATE TABLE sim_usage (
    iccid        TEXT NOT NULL,
    day          DATE NOT NULL,
    volume_rx    BIGINT NOT NULL DEFAULT 0,
    volume_tx    BIGINT NOT NULL DEFAULT 0,
    volume_total BIGINT NOT NULL DEFAULT 0,
    sms_mo       INTEGER NOT NULL DEFAULT 0,
    sms_mt       INTEGER NOT NULL DEFAULT 0,
    cost         NUMERIC(20,10) NOT NULL DEFAULT 0,
    source       TEXT NOT NULL DEFAULT 'api',  -- api | streamer
    final        BOOLEAN NOT NULL DEFAULT FALSE, -- day closed: sync skips it
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (iccid, day)
);
CREATE INDEX sim_usage_day ON sim_usage (day);

CREATE TABLE sim_connectivity (
    id              BIGSERIAL PRIMARY KEY,
    iccid           TEXT NOT NULL,
    observed_at     TIMESTAMPTZ NOT NULL,
    connected       BOOLEAN NOT NULL,
    cell_id         TEXT NOT NULL DEFAULT '',
    signal_strength INTEGER,
    rat             TEXT NOT NULL DEFAULT '',
    country         TEXT NOT NULL DEFAULT '',
    operator        TEXT NOT NULL DEFAULT '',
    source          TEXT NOT NULL DEFAULT 'api'
);
CREATE INDEX sim_connectivity_iccid_time ON sim_connectivity (iccid, observed_at DESC);

CREATE TABLE sim_events (
    id          BIGSERIAL PRIMARY KEY,
    iccid       TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    event_type  TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    severity    TEXT NOT NULL DEFAULT '',
    alert       BOOLEAN NOT NULL DEFAULT FALSE,
    description TEXT NOT NULL DEFAULT '',
    country     TEXT NOT NULL DEFAULT '',
    operator    TEXT NOT NULL DEFAULT '',
    detail      JSONB NOT NULL DEFAULT '{}',
    -- Upstream identity (streamer record id, or a hash of a v1/v2 API event) for idempotent inserts.
    external_id TEXT,
    UNIQUE (external_id)
);
CREATE INDEX sim_events_iccid_time ON sim_events (iccid, occurred_at DESC);
CREATE INDEX sim_events_type_time  ON sim_events (event_type, occurred_at DESC);

CREATE TABLE sim_quotas (
    iccid             TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('data','sms')),
    volume            BIGINT NOT NULL DEFAULT 0,  -- remaining (bytes for data, count for sms)
    total_volume      BIGINT NOT NULL DEFAULT 0,
    last_volume_added BIGINT NOT NULL DEFAULT 0,
    status            TEXT NOT NULL DEFAULT '',
    threshold_pct     INTEGER,
    expiry_date       TIMESTAMPTZ,
    peak_throughput   BIGINT,
    auto_reload       BOOLEAN NOT NULL DEFAULT FALSE,
    last_status_change_date TIMESTAMPTZ,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (iccid, kind)
);

CREATE TABLE sms_messages (
    iccid          TEXT NOT NULL,
    id             BIGINT NOT NULL,              -- 1NCE's SMS id
    direction      TEXT NOT NULL DEFAULT '',     -- MT | MO
    status         TEXT NOT NULL DEFAULT '',
    payload        TEXT NOT NULL DEFAULT '',
    source_address TEXT NOT NULL DEFAULT '',
    submit_date    TIMESTAMPTZ,
    delivery_date  TIMESTAMPTZ,
    expiry_date    TIMESTAMPTZ,
    sent_by        TEXT NOT NULL DEFAULT '',     -- oncefleet user or key that sent it
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (iccid, id)
);

CREATE TABLE orders (
    order_number   TEXT PRIMARY KEY,
    status         TEXT NOT NULL DEFAULT '',
    order_type     TEXT NOT NULL DEFAULT '',
    total_amount   NUMERIC(20,4),
    currency       TEXT NOT NULL DEFAULT '',
    ordered_at     TIMESTAMPTZ,
    raw            JSONB NOT NULL DEFAULT '{}',
    created_by     TEXT NOT NULL DEFAULT '',
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE products (
    product_id  TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    price       NUMERIC(20,4),
    currency    TEXT NOT NULL DEFAULT '',
    raw         JSONB NOT NULL DEFAULT '{}',
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE support_requests (
    id          TEXT PRIMARY KEY,
    subject     TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    raw         JSONB NOT NULL DEFAULT '{}',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('viewer','operator','admin')),
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at TIMESTAMPTZ
);

CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,   -- SHA-256 of the 256-bit key; the key is shown once
    prefix       TEXT NOT NULL,          -- first characters, to recognise a key in lists
    role         TEXT NOT NULL CHECK (role IN ('viewer','operator','admin')),
    scopes       JSONB NOT NULL DEFAULT '[]',
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor       TEXT NOT NULL,          -- user:<id> | key:<id> | system
    action      TEXT NOT NULL,          -- e.g. sim.update, sim.topup
    target      TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT '',
    result      TEXT NOT NULL,          -- ok | error code
    detail      JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor, at DESC);

CREATE TABLE alert_rules (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,          -- quota_below | connectivity_lost | status_changed | usage_spike | sync_failing | upstream_errors | stream_silent
    params      JSONB NOT NULL DEFAULT '{}',
    channels    JSONB NOT NULL DEFAULT '[]',
    cooldown_s  INTEGER NOT NULL DEFAULT 3600,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE alerts (
    id              BIGSERIAL PRIMARY KEY,
    rule_id         TEXT REFERENCES alert_rules(id) ON DELETE SET NULL,
    kind            TEXT NOT NULL,
    iccid           TEXT NOT NULL DEFAULT '',
    dedup_key       TEXT NOT NULL,
    severity        TEXT NOT NULL DEFAULT 'warning',
    message         TEXT NOT NULL DEFAULT '',
    detail          JSONB NOT NULL DEFAULT '{}',
    fired_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at     TIMESTAMPTZ,
    acknowledged_at TIMESTAMPTZ,
    acknowledged_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_dedup ON alerts (dedup_key, fired_at DESC);
CREATE INDEX alerts_fired ON alerts (fired_at DESC);

CREATE TABLE topup_policies (
    iccid          TEXT PRIMARY KEY,  -- '*' is the fleet default
    enabled        BOOLEAN NOT NULL DEFAULT TRUE,
    threshold_pct  INTEGER NOT NULL CHECK (threshold_pct BETWEEN 0 AND 100),
    max_per_month  INTEGER NOT NULL CHECK (max_per_month >= 0),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE topups (
    id              BIGSERIAL PRIMARY KEY,
    iccid           TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE, -- guards against sending a money-costing top-up twice
    reason          TEXT NOT NULL,        -- manual | bulk | auto
    job_id          TEXT,
    state           TEXT NOT NULL,        -- pending | sent | failed | unknown
    error           TEXT NOT NULL DEFAULT '',
    requested_by    TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX topups_iccid_time ON topups (iccid, created_at DESC);

CREATE TABLE bulk_operations (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,            -- topup | update | ...
    state       TEXT NOT NULL,            -- queued | running | done | failed | cancelled
    total       INTEGER NOT NULL DEFAULT 0,
    succeeded   INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    params      JSONB NOT NULL DEFAULT '{}',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at  TIMESTAMPTZ,
    finished_at TIMESTAMPTZ
);

CREATE TABLE bulk_operation_items (
    operation_id TEXT NOT NULL REFERENCES bulk_operations(id) ON DELETE CASCADE,
    iccid        TEXT NOT NULL,
    state        TEXT NOT NULL,           -- pending | ok | failed
    error        TEXT NOT NULL DEFAULT '',
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (operation_id, iccid)
);

CREATE TABLE idempotency_keys (
    key          TEXT PRIMARY KEY,       -- actor + Idempotency-Key header
    request_hash TEXT NOT NULL,
    status       INTEGER,
    response     BYTEA,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE job_runs (
    id          BIGSERIAL PRIMARY KEY,
    job         TEXT NOT NULL,          -- sync_sims | sync_usage | check_quotas | ...
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    ok          BOOLEAN,
    items       INTEGER NOT NULL DEFAULT 0,
    errors      INTEGER NOT NULL DEFAULT 0,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job_time ON job_runs (job, started_at DESC);

-- Data Streamer ingest: the durable write before 200 (SPEC §9). Applied exactly once, later.
CREATE TABLE streamer_records (
    stream      TEXT NOT NULL,          -- usage | event
    record_id   TEXT NOT NULL,          -- 1NCE's 64-bit id, kept as text (Platform 2.0 ids may not be numeric)
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    payload     JSONB NOT NULL,
    applied_at  TIMESTAMPTZ,
    PRIMARY KEY (stream, record_id)
);
CREATE INDEX streamer_records_pending ON streamer_records (received_at) WHERE applied_at IS NULL;

-- +goose Down
DROP TABLE streamer_records;
DROP TABLE job_runs;
DROP TABLE idempotency_keys;
DROP TABLE bulk_operation_items;
DROP TABLE bulk_operations;
DROP TABLE topups;
DROP TABLE topup_policies;
DROP TABLE alerts;
DROP TABLE alert_rules;
DROP TABLE audit_log;
DROP TABLE api_keys;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE support_requests;
DROP TABLE products;
DROP TABLE orders;
DROP TABLE sms_messages;
DROP TABLE sim_quotas;
DROP TABLE sim_events;
DROP TABLE sim_connectivity;
DROP TABLE sim_usage;
DROP TABLE sims;
DROP TABLE sims_counts;
DROP FUNCTION sims_counts_after_insert();
DROP FUNCTION sims_counts_after_update();
DROP FUNCTION sims_counts_after_delete();
DROP FUNCTION sims_counts_after_truncate();
