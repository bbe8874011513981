package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const connectivityColumns = `id, iccid, observed_at, connected, cell_id, signal_strength, rat,
	country, operator, source`

// AddConnectivity records one observation and returns it with its id. When it is the SIM's
// newest observation, the SIM's online flag follows it, and a connected observation moves
// last_seen_at forward; an older observation arriving late changes neither.
func (s *Store) AddConnectivity(ctx context.Context, c fleet.Connectivity) (fleet.Connectivity, error) {
	if err := c.Validate(); err != nil {
		return fleet.Connectivity{}, fmt.Errorf("add connectivity: %w", err)
	}
	if c.Source == "" {
		c.Source = "api"
	}
	obs := pgTime(c.ObservedAt)
	what := "add connectivity " + c.ICCID
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fleet.Connectivity{}, translate(err, what)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	// The SIM row lock (taken first) orders concurrent observations of one SIM, so the
	// "newest observation" test below cannot race another writer.
	if _, err := tx.Exec(ctx, `SELECT 1 FROM sims WHERE iccid = $1 FOR UPDATE`, c.ICCID); err != nil {
		return fleet.Connectivity{}, translate(err, what)
	}
	if _, err := tx.Exec(ctx, `UPDATE sims SET online = $2,
		last_seen_at = CASE WHEN $2 AND (last_seen_at IS NULL OR last_seen_at < $3) THEN $3 ELSE last_seen_at END,
		updated_at = CASE WHEN online IS DISTINCT FROM $2 THEN $4 ELSE updated_at END
		WHERE iccid = $1 AND NOT EXISTS (
			SELECT 1 FROM sim_connectivity WHERE iccid = $1 AND observed_at > $3)`,
		c.ICCID, c.Connected, obs, nowTS()); err != nil {
		return fleet.Connectivity{}, translate(err, what)
	}
	err = tx.QueryRow(ctx, `INSERT INTO sim_connectivity
		(iccid, observed_at, connected, cell_id, signal_strength, rat, country, operator, source)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		c.ICCID, obs, c.Connected, c.CellID, pgInt4(c.SignalStrength), c.RAT, c.Country, c.Operator, c.Source).Scan(&c.ID)
	if err != nil {
		return fleet.Connectivity{}, translate(err, what)
	}
	if err := tx.Commit(ctx); err != nil {
		return fleet.Connectivity{}, translate(err, what)
	}
	c.ObservedAt = obs.Time
	return c, nil
}

func scanConnectivity(r pgx.CollectableRow) (fleet.Connectivity, error) {
	var (
		c   fleet.Connectivity
		obs pgtype.Timestamptz
		sig pgtype.Int4
	)
	err := r.Scan(&c.ID, &c.ICCID, &obs, &c.Connected, &c.CellID, &sig, &c.RAT, &c.Country, &c.Operator, &c.Source)
	c.ObservedAt, c.SignalStrength = fromPgTime(obs), fromPgInt4(sig)
	return c, err
}

// LatestConnectivity returns the SIM's newest observation; none is a not-found error.
func (s *Store) LatestConnectivity(ctx context.Context, iccid string) (fleet.Connectivity, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+connectivityColumns+` FROM sim_connectivity
		WHERE iccid = $1 ORDER BY observed_at DESC, id DESC LIMIT 1`, iccid)
	if err != nil {
		return fleet.Connectivity{}, translate(err, "latest connectivity "+iccid)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanConnectivity)
	if err != nil {
		return fleet.Connectivity{}, translate(err, "latest connectivity "+iccid)
	}
	return c, nil
}

// ListConnectivity returns up to limit of the SIM's observations, newest first.
func (s *Store) ListConnectivity(ctx context.Context, iccid string, limit int) ([]fleet.Connectivity, error) {
	if err := fleet.ValidateConnectivityLimit(limit); err != nil {
		return nil, fmt.Errorf("list connectivity: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+connectivityColumns+` FROM sim_connectivity
		WHERE iccid = $1 ORDER BY observed_at DESC, id DESC LIMIT $2`, iccid, limit)
	if err != nil {
		return nil, translate(err, "list connectivity "+iccid)
	}
	out, err := pgx.CollectRows(rows, scanConnectivity)
	if err != nil {
		return nil, translate(err, "list connectivity "+iccid)
	}
	return out, nil
}
