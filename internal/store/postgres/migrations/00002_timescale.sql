-- +goose Up
-- sim_usage becomes a hypertable when TimescaleDB is installed; a plain table works everywhere.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;
        PERFORM create_hypertable('sim_usage', 'day', chunk_time_interval => INTERVAL '30 days', migrate_data => TRUE);
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
SELECT 1;
