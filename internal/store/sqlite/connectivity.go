package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const connectivityColumns = `id, iccid, observed_at, connected, cell_id, signal_strength, rat,
	country, operator, source`

// AddConnectivity records one observation and returns it with its id. When it is the SIM's
// newest observation, the SIM's online flag follows it, and a connected observation moves
// last_seen_at forward; an older observation arriving late changes neither. The write
// transaction (BEGIN IMMEDIATE) serialises concurrent observations.
func (s *Store) AddConnectivity(ctx context.Context, c fleet.Connectivity) (fleet.Connectivity, error) {
	if err := c.Validate(); err != nil {
		return fleet.Connectivity{}, fmt.Errorf("add connectivity: %w", err)
	}
	if c.Source == "" {
		c.Source = "api"
	}
	obs := nullableTime(c.ObservedAt)
	var sig any
	if c.SignalStrength != nil {
		sig = *c.SignalStrength
	}
	err := s.inTx(ctx, "add connectivity "+c.ICCID, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sims SET online = ?2,
			last_seen_at = CASE WHEN ?2 AND (last_seen_at IS NULL OR last_seen_at < ?3) THEN ?3 ELSE last_seen_at END,
			updated_at = CASE WHEN online IS NOT ?2 THEN ?4 ELSE updated_at END
			WHERE iccid = ?1 AND NOT EXISTS (
				SELECT 1 FROM sim_connectivity WHERE iccid = ?1 AND observed_at > ?3)`,
			c.ICCID, c.Connected, obs, nowText()); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO sim_connectivity
			(iccid, observed_at, connected, cell_id, signal_strength, rat, country, operator, source)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.ICCID, obs, c.Connected, c.CellID, sig, c.RAT, c.Country, c.Operator, c.Source).Scan(&c.ID)
	})
	if err != nil {
		return fleet.Connectivity{}, err
	}
	c.ObservedAt = c.ObservedAt.UTC().Truncate(time.Microsecond)
	return c, nil
}

func scanConnectivity(row rowScanner) (fleet.Connectivity, error) {
	var (
		c   fleet.Connectivity
		sig sql.NullInt64
	)
	err := row.Scan(&c.ID, &c.ICCID, scanTime(&c.ObservedAt), &c.Connected, &c.CellID, &sig, &c.RAT, &c.Country, &c.Operator, &c.Source)
	if sig.Valid {
		n := int(sig.Int64)
		c.SignalStrength = &n
	}
	return c, err
}

// LatestConnectivity returns the SIM's newest observation; none is a not-found error.
func (s *Store) LatestConnectivity(ctx context.Context, iccid string) (fleet.Connectivity, error) {
	c, err := scanConnectivity(s.db.QueryRowContext(ctx, `SELECT `+connectivityColumns+` FROM sim_connectivity
		WHERE iccid = ? ORDER BY observed_at DESC, id DESC LIMIT 1`, iccid))
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
	rows, err := s.db.QueryContext(ctx, `SELECT `+connectivityColumns+` FROM sim_connectivity
		WHERE iccid = ? ORDER BY observed_at DESC, id DESC LIMIT ?`, iccid, limit)
	if err != nil {
		return nil, translate(err, "list connectivity "+iccid)
	}
	defer rows.Close()
	out := []fleet.Connectivity{}
	for rows.Next() {
		c, err := scanConnectivity(rows)
		if err != nil {
			return nil, translate(err, "list connectivity "+iccid)
		}
		out = append(out, c)
	}
	return out, translate(rows.Err(), "list connectivity "+iccid)
}
