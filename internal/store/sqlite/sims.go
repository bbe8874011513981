package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

const simColumns = `iccid, iccid_with_luhn, imsi, imsi_2, current_imsi, msisdn, status, label,
	ip_address, imei, imei_lock, activation_date, organization_id, data_quota_status,
	sms_quota_status, data_volume_left, sms_left, online, last_seen_at, metadata, created_at,
	updated_at, last_synced_at, data_quota_level, sms_quota_level, gone_at`

// simMerge says how an upsert treats a column of an existing SIM (the same rules as the
// PostgreSQL store; the conformance suite holds both to them).
type simMerge int

const (
	mergeReplace    simMerge = iota // the sync owns it: take the new value
	mergeKeepEmpty                  // '' (or '{}' for metadata) keeps the stored value
	mergeKeepNull                   // NULL keeps the stored value
	mergeWithSeenAt                 // online: only together with a last_seen_at
)

var simUpsertColumns = []struct {
	name  string
	merge simMerge
	empty string
}{
	{"iccid_with_luhn", mergeReplace, ""}, {"imsi", mergeReplace, ""}, {"imsi_2", mergeReplace, ""},
	{"current_imsi", mergeReplace, ""}, {"msisdn", mergeReplace, ""}, {"status", mergeReplace, ""},
	{"label", mergeReplace, ""}, {"ip_address", mergeReplace, ""}, {"imei", mergeReplace, ""},
	{"imei_lock", mergeReplace, ""}, {"activation_date", mergeReplace, ""},
	{"organization_id", mergeKeepEmpty, "''"},
	{"data_quota_status", mergeKeepEmpty, "''"}, {"sms_quota_status", mergeKeepEmpty, "''"},
	{"data_volume_left", mergeKeepNull, ""}, {"sms_left", mergeKeepNull, ""},
	{"online", mergeWithSeenAt, ""}, {"last_seen_at", mergeKeepNull, ""},
	{"metadata", mergeKeepEmpty, "'{}'"},
	{"data_quota_level", mergeKeepNull, ""}, {"sms_quota_level", mergeKeepNull, ""},
}

// simUpsertSet builds the ON CONFLICT assignments; updated_at moves only on a real change.
func simUpsertSet() string {
	var set, changed []string
	for _, c := range simUpsertColumns {
		n := c.name
		switch c.merge {
		case mergeReplace:
			set = append(set, fmt.Sprintf("%s = excluded.%s", n, n))
			changed = append(changed, fmt.Sprintf("sims.%s IS DISTINCT FROM excluded.%s", n, n))
		case mergeKeepEmpty:
			set = append(set, fmt.Sprintf("%s = CASE WHEN excluded.%s = %s THEN sims.%s ELSE excluded.%s END", n, n, c.empty, n, n))
			changed = append(changed, fmt.Sprintf("(excluded.%s <> %s AND sims.%s IS DISTINCT FROM excluded.%s)", n, c.empty, n, n))
		case mergeKeepNull:
			set = append(set, fmt.Sprintf("%s = COALESCE(excluded.%s, sims.%s)", n, n, n))
			changed = append(changed, fmt.Sprintf("(excluded.%s IS NOT NULL AND sims.%s IS DISTINCT FROM excluded.%s)", n, n, n))
		case mergeWithSeenAt:
			set = append(set, fmt.Sprintf("%s = CASE WHEN excluded.last_seen_at IS NULL THEN sims.%s ELSE excluded.%s END", n, n, n))
			changed = append(changed, fmt.Sprintf("(excluded.last_seen_at IS NOT NULL AND sims.%s IS DISTINCT FROM excluded.%s)", n, n))
		}
	}
	// A SIM written from 1NCE is listed there: a gone mark is cleared (a real change).
	changed = append(changed, "sims.gone_at IS NOT NULL")
	set = append(set, "last_synced_at = excluded.last_synced_at", "gone_at = NULL",
		"updated_at = CASE WHEN "+strings.Join(changed, "\n\t OR ")+" THEN excluded.updated_at ELSE sims.updated_at END")
	return strings.Join(set, ",\n\t")
}

var (
	upsertSIMsHead = `INSERT INTO sims (` + simColumns + `) VALUES `
	upsertSIMsRow  = `(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL)`
	upsertSIMsTail = ` ON CONFLICT (iccid) DO UPDATE SET
	` + simUpsertSet()
)

// UpsertSIMs inserts or updates SIMs with multi-row statements in one transaction: all or
// nothing. The merge rules are those of the PostgreSQL store: sync-owned columns are replaced;
// empty quota statuses, nil DataVolumeLeft/SMSLeft and nil or empty Metadata keep the stored
// value; Online and LastSeenAt change only when LastSeenAt is set; CreatedAt is kept,
// UpdatedAt moves only on a real change, LastSyncedAt is set (now when zero). Duplicate
// ICCIDs in one call: the last one wins.
func (s *Store) UpsertSIMs(ctx context.Context, sims []fleet.SIM) error {
	if err := fleet.ValidateEach("sim", sims); err != nil {
		return fmt.Errorf("upsert sims: %w", err)
	}
	sims = fleet.DedupeSIMs(sims)
	if len(sims) == 0 {
		return nil
	}
	ts := nowText()
	return s.inTx(ctx, "upsert sims", func(tx *sql.Tx) error { return upsertSIMsTx(ctx, tx, sims, ts) })
}

// upsertSIMsTx writes validated, de-duplicated SIMs inside tx.
func upsertSIMsTx(ctx context.Context, tx *sql.Tx, sims []fleet.SIM, ts string) error {
	meta := make([]string, len(sims))
	for i, sim := range sims {
		m, err := fleet.CompactObject(sim.Metadata)
		if err != nil {
			return fmt.Errorf("upsert sims: sim %s: %w", sim.ICCID, err)
		}
		meta[i] = m
	}
	_, err := execRows(ctx, tx, upsertSIMsHead, upsertSIMsRow, upsertSIMsTail, len(sims), func(i int, dst []any) []any {
		m := sims[i]
		synced := nullableTime(m.LastSyncedAt)
		if synced == nil {
			synced = ts
		}
		return append(dst, m.ICCID, m.ICCIDWithLuhn, m.IMSI, m.IMSI2, m.CurrentIMSI, m.MSISDN,
			m.Status, m.Label, m.IPAddress, m.IMEI, m.IMEILock, nullableTime(m.ActivationDate),
			m.OrganizationID, m.DataQuotaStatus, m.SMSQuotaStatus, nullInt64(m.DataVolumeLeft),
			nullInt64(m.SMSLeft), m.Online, nullableTime(m.LastSeenAt), meta[i], ts, ts, synced,
			nullInt(m.DataQuotaLevel), nullInt(m.SMSQuotaLevel))
	})
	return err
}

func scanSIM(row rowScanner) (fleet.SIM, error) {
	var (
		s         fleet.SIM
		dvl, smsl sql.NullInt64
		dql, sqll sql.NullInt64
		meta      string
	)
	err := row.Scan(&s.ICCID, &s.ICCIDWithLuhn, &s.IMSI, &s.IMSI2, &s.CurrentIMSI, &s.MSISDN,
		&s.Status, &s.Label, &s.IPAddress, &s.IMEI, &s.IMEILock, scanTime(&s.ActivationDate), &s.OrganizationID,
		&s.DataQuotaStatus, &s.SMSQuotaStatus, &dvl, &smsl, &s.Online, scanTime(&s.LastSeenAt), &meta, scanTime(&s.CreatedAt),
		scanTime(&s.UpdatedAt), scanTime(&s.LastSyncedAt), &dql, &sqll, scanTime(&s.GoneAt))
	if err != nil {
		return s, err
	}
	s.DataVolumeLeft, s.SMSLeft = fromNullInt64(dvl), fromNullInt64(smsl)
	s.DataQuotaLevel, s.SMSQuotaLevel = fromNullInt(dql), fromNullInt(sqll)
	s.Metadata = json.RawMessage(meta)
	return s, nil
}

// GetSIM returns one SIM; a missing ICCID is a not-found error.
func (s *Store) GetSIM(ctx context.Context, iccid string) (fleet.SIM, error) {
	sim, err := scanSIM(s.db.QueryRowContext(ctx, `SELECT `+simColumns+` FROM sims WHERE iccid = ?`, iccid))
	if err != nil {
		return fleet.SIM{}, translate(err, "get sim "+iccid)
	}
	return sim, nil
}

// likeEscaper escapes LIKE metacharacters (with ESCAPE '\') so user input matches literally.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// simWhere renders the filter as a WHERE clause. Only whitelisted column names reach the SQL
// text; every value is a bound argument. Prefixes are byte ranges [p, p+0xFF): 0xFF never
// occurs in UTF-8, so the range holds exactly the strings starting with p, and the column
// indexes serve it (SQLite's LIKE is case-insensitive and would not use them).
func simWhere(f fleet.SIMFilter) (string, []any) {
	var conds []string
	var args []any
	if len(f.Statuses) > 0 {
		conds = append(conds, "status IN (?"+strings.Repeat(",?", len(f.Statuses)-1)+")")
		for _, st := range f.Statuses {
			args = append(args, st)
		}
	}
	if f.Label != "" {
		conds = append(conds, `label LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscaper.Replace(f.Label)+"%")
	}
	for _, p := range []struct{ col, v string }{
		{"iccid", f.ICCIDPrefix}, {"imsi", f.IMSIPrefix}, {"msisdn", f.MSISDNPrefix},
		{"imei", f.IMEIPrefix}, {"ip_address", f.IPPrefix},
	} {
		if p.v != "" {
			conds = append(conds, p.col+" >= ? AND "+p.col+" < ?")
			args = append(args, p.v, p.v+"\xff")
		}
	}
	if f.OrganizationID != "" {
		conds = append(conds, "organization_id = ?")
		args = append(args, f.OrganizationID)
	}
	if f.DataQuotaStatus != "" {
		conds = append(conds, "data_quota_status = ?")
		args = append(args, f.DataQuotaStatus)
	}
	if f.Online != nil {
		conds = append(conds, "online = ?")
		args = append(args, *f.Online)
	}
	if !f.UpdatedSince.IsZero() {
		conds = append(conds, "updated_at >= ?")
		args = append(args, nullableTime(f.UpdatedSince))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// simOrder renders ORDER BY for a validated sort column: NULLs compare as the largest value,
// as in PostgreSQL; iccid breaks ties.
func simOrder(f fleet.SIMFilter) string {
	if f.Sort == "iccid" {
		if f.Desc {
			return " ORDER BY iccid DESC"
		}
		return " ORDER BY iccid"
	}
	if f.Desc {
		return " ORDER BY " + f.Sort + " DESC NULLS FIRST, iccid DESC"
	}
	return " ORDER BY " + f.Sort + " ASC NULLS LAST, iccid ASC"
}

// ListSIMs returns one page of SIMs matching f, in f's order, with the exact number of matches.
func (s *Store) ListSIMs(ctx context.Context, f fleet.SIMFilter) (fleet.Page[fleet.SIM], error) {
	f, err := f.Normalize()
	if err != nil {
		return fleet.Page[fleet.SIM]{}, err
	}
	where, args := simWhere(f)
	page := fleet.Page[fleet.SIM]{Page: f.Page, PageSize: f.PageSize, Items: []fleet.SIM{}}
	rows, err := s.db.QueryContext(ctx, `SELECT `+simColumns+` FROM sims`+where+simOrder(f)+
		fmt.Sprintf(" LIMIT %d OFFSET %d", f.PageSize, f.Offset()), args...)
	if err != nil {
		return page, translate(err, "list sims")
	}
	defer rows.Close()
	for rows.Next() {
		sim, err := scanSIM(rows)
		if err != nil {
			return page, translate(err, "list sims")
		}
		page.Items = append(page.Items, sim)
	}
	if err := rows.Err(); err != nil {
		return page, translate(err, "list sims")
	}
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sims`+where, args...).Scan(&page.Total); err != nil {
		return page, translate(err, "count sims")
	}
	return page, nil
}

// UpdateSIM changes the fields set in u and returns the updated SIM.
func (s *Store) UpdateSIM(ctx context.Context, iccid string, u fleet.SIMUpdate) (fleet.SIM, error) {
	if err := u.Validate(); err != nil {
		return fleet.SIM{}, fmt.Errorf("update sim %s: %w", iccid, err)
	}
	var meta any
	if u.Metadata != nil {
		m, err := fleet.CompactObject(u.Metadata)
		if err != nil {
			return fleet.SIM{}, fmt.Errorf("update sim %s: %w", iccid, err)
		}
		meta = m
	}
	var status, label, lock any
	if u.Status != nil {
		status = *u.Status
	}
	if u.Label != nil {
		label = *u.Label
	}
	if u.IMEILock != nil {
		lock = *u.IMEILock
	}
	sim, err := scanSIM(s.db.QueryRowContext(ctx, `UPDATE sims SET
		status = COALESCE(?, status), label = COALESCE(?, label),
		imei_lock = COALESCE(?, imei_lock), metadata = COALESCE(?, metadata), updated_at = ?
		WHERE iccid = ? RETURNING `+simColumns, status, label, lock, meta, nowText(), iccid))
	if err != nil {
		return fleet.SIM{}, translate(err, "update sim "+iccid)
	}
	return sim, nil
}

// CountSIMsByStatus returns the number of SIMs per status, ordered by status.
func (s *Store) CountSIMsByStatus(ctx context.Context) ([]fleet.StatusCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT status, count(*) FROM sims GROUP BY status ORDER BY status`)
	if err != nil {
		return nil, translate(err, "count sims by status")
	}
	defer rows.Close()
	out := []fleet.StatusCount{}
	for rows.Next() {
		var c fleet.StatusCount
		if err := rows.Scan(&c.Status, &c.Count); err != nil {
			return nil, translate(err, "count sims by status")
		}
		out = append(out, c)
	}
	return out, translate(rows.Err(), "count sims by status")
}
