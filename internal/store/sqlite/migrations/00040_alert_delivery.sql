-- +goose Up
-- Alert channels (rules refer to them by id) and the record of every delivery, whose dead
-- entries are the dead-letter list; same meaning as the PostgreSQL migration of the same number.
CREATE TABLE alert_channels (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL,           -- webhook | slack | email
    config      TEXT NOT NULL DEFAULT '{}', -- holds secrets: never returned by the API
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);

CREATE TABLE alert_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id  TEXT NOT NULL,
    rule_id     TEXT NOT NULL DEFAULT '',
    event       TEXT NOT NULL,           -- fired | resolved | test
    alert_ids   TEXT NOT NULL DEFAULT '[]',
    payload     TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending','sent','dead')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);
CREATE INDEX alert_deliveries_state ON alert_deliveries (state, id DESC);

-- Who resolved an alert by hand ('' when its condition cleared on its own).
ALTER TABLE alerts ADD COLUMN resolved_by TEXT NOT NULL DEFAULT '';
-- The evaluator lists a rule's open alerts to resolve those whose condition cleared.
CREATE INDEX alerts_rule_open ON alerts (rule_id, fired_at DESC) WHERE resolved_at IS NULL;

-- +goose Down
DROP INDEX alerts_rule_open;
ALTER TABLE alerts DROP COLUMN resolved_by;
DROP TABLE alert_deliveries;
DROP TABLE alert_channels;
