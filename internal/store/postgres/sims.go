package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// simBatch is the number of SIMs per upsert statement: 1NCE pages hold at most 100, so one
// page is one statement; a larger call (a benchmark, an import) still bounds each statement's
// parameter arrays.
const simBatch = 5000

const simColumns = `iccid, iccid_with_luhn, imsi, imsi_2, current_imsi, msisdn, status, label,
	ip_address, imei, imei_lock, activation_date, organization_id, data_quota_status,
	sms_quota_status, data_volume_left, sms_left, online, last_seen_at, metadata, created_at,
	updated_at, last_synced_at, data_quota_level, sms_quota_level, gone_at`

// simMerge says how an upsert treats a column of an existing SIM.
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
	empty string // the "not given" literal for mergeKeepEmpty
}{
	{"iccid_with_luhn", mergeReplace, ""}, {"imsi", mergeReplace, ""}, {"imsi_2", mergeReplace, ""},
	{"current_imsi", mergeReplace, ""}, {"msisdn", mergeReplace, ""}, {"status", mergeReplace, ""},
	{"label", mergeReplace, ""}, {"ip_address", mergeReplace, ""}, {"imei", mergeReplace, ""},
	{"imei_lock", mergeReplace, ""}, {"activation_date", mergeReplace, ""},
	{"organization_id", mergeKeepEmpty, "''"},
	{"data_quota_status", mergeKeepEmpty, "''"}, {"sms_quota_status", mergeKeepEmpty, "''"},
	{"data_volume_left", mergeKeepNull, ""}, {"sms_left", mergeKeepNull, ""},
	{"online", mergeWithSeenAt, ""}, {"last_seen_at", mergeKeepNull, ""},
	{"metadata", mergeKeepEmpty, "'{}'::jsonb"},
	{"data_quota_level", mergeKeepNull, ""}, {"sms_quota_level", mergeKeepNull, ""},
}

// simUpsertSet builds the ON CONFLICT assignments: each column by its merge rule, and
// updated_at moved only when some column really changes, so a sync that finds nothing new
// leaves "updated since" untouched.
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

// upsertSIMsSQL inserts a batch given as one array per column (one statement, one round trip
// per batch, no per-row parameters) and merges into existing rows.
var upsertSIMsSQL = `INSERT INTO sims (` + simColumns + `)
SELECT u.iccid, u.iccid_with_luhn, u.imsi, u.imsi_2, u.current_imsi, u.msisdn, u.status, u.label,
	u.ip_address, u.imei, u.imei_lock, u.activation_date, u.organization_id, u.data_quota_status,
	u.sms_quota_status, u.data_volume_left, u.sms_left, u.online, u.last_seen_at, u.metadata::jsonb,
	$21, $21, u.last_synced_at, u.data_quota_level, u.sms_quota_level, NULL
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
	$8::text[], $9::text[], $10::text[], $11::bool[], $12::timestamptz[], $13::text[], $14::text[],
	$15::text[], $16::int8[], $17::int8[], $18::bool[], $19::timestamptz[], $20::text[],
	$22::timestamptz[], $23::int2[], $24::int2[])
	AS u(iccid, iccid_with_luhn, imsi, imsi_2, current_imsi, msisdn, status, label, ip_address,
	imei, imei_lock, activation_date, organization_id, data_quota_status, sms_quota_status,
	data_volume_left, sms_left, online, last_seen_at, metadata, last_synced_at,
	data_quota_level, sms_quota_level)
ON CONFLICT (iccid) DO UPDATE SET
	` + simUpsertSet()

// UpsertSIMs inserts or updates SIMs in batches inside one transaction: all or nothing.
//
// Merge rules for an existing SIM: the sync-owned columns are replaced; empty quota statuses,
// nil DataVolumeLeft/SMSLeft and nil or empty Metadata keep the stored value; Online and
// LastSeenAt change only when LastSeenAt is set (they belong to connectivity observations).
// CreatedAt is kept, UpdatedAt moves only on a real change, LastSyncedAt is set (now when
// zero). Duplicate ICCIDs in one call: the last one wins.
func (s *Store) UpsertSIMs(ctx context.Context, sims []fleet.SIM) error {
	if err := fleet.ValidateEach("sim", sims); err != nil {
		return fmt.Errorf("upsert sims: %w", err)
	}
	sims = fleet.DedupeSIMs(sims)
	if len(sims) == 0 {
		return nil
	}
	ts := nowTS()
	return s.inBatches(ctx, "upsert sims", len(sims), simBatch, func(db execer, start, end int) error {
		args, err := simArrays(sims[start:end], ts)
		if err != nil {
			return err
		}
		_, err = db.Exec(ctx, upsertSIMsSQL, args...)
		return err
	})
}

func simArrays(sims []fleet.SIM, ts pgtype.Timestamptz) ([]any, error) {
	n := len(sims)
	var (
		iccid, luhn, imsi, imsi2, cur, msisdn, status, label = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ip, imei, org, dqs, sqs, meta                        = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		lock, online                                         = make([]bool, n), make([]bool, n)
		act, seen, synced                                    = make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
		dvl, smsl                                            = make([]pgtype.Int8, n), make([]pgtype.Int8, n)
		dql, sqlv                                            = make([]pgtype.Int2, n), make([]pgtype.Int2, n)
	)
	for i, s := range sims {
		m, err := fleet.CompactObject(s.Metadata)
		if err != nil {
			return nil, fmt.Errorf("sim %s: %w", s.ICCID, err)
		}
		iccid[i], luhn[i], imsi[i], imsi2[i], cur[i], msisdn[i] = s.ICCID, s.ICCIDWithLuhn, s.IMSI, s.IMSI2, s.CurrentIMSI, s.MSISDN
		status[i], label[i], ip[i], imei[i], org[i] = s.Status, s.Label, s.IPAddress, s.IMEI, s.OrganizationID
		dqs[i], sqs[i], meta[i] = s.DataQuotaStatus, s.SMSQuotaStatus, m
		lock[i], online[i] = s.IMEILock, s.Online
		act[i], seen[i], synced[i] = pgTime(s.ActivationDate), pgTime(s.LastSeenAt), pgTime(s.LastSyncedAt)
		if !synced[i].Valid {
			synced[i] = ts
		}
		dvl[i], smsl[i] = pgInt8(s.DataVolumeLeft), pgInt8(s.SMSLeft)
		dql[i], sqlv[i] = pgInt2(s.DataQuotaLevel), pgInt2(s.SMSQuotaLevel)
	}
	return []any{iccid, luhn, imsi, imsi2, cur, msisdn, status, label, ip, imei, lock, act, org,
		dqs, sqs, dvl, smsl, online, seen, meta, ts, synced, dql, sqlv}, nil
}

// nowTS is the store clock as a timestamptz value.
func nowTS() pgtype.Timestamptz { return pgtype.Timestamptz{Time: clockNow(), Valid: true} }

func scanSIM(row pgx.Row) (fleet.SIM, error) {
	var (
		s                              fleet.SIM
		act, seen, created, upd, synce pgtype.Timestamptz
		gone                           pgtype.Timestamptz
		dvl, smsl                      pgtype.Int8
		dql, sqlv                      pgtype.Int2
		meta                           []byte
	)
	err := row.Scan(&s.ICCID, &s.ICCIDWithLuhn, &s.IMSI, &s.IMSI2, &s.CurrentIMSI, &s.MSISDN,
		&s.Status, &s.Label, &s.IPAddress, &s.IMEI, &s.IMEILock, &act, &s.OrganizationID,
		&s.DataQuotaStatus, &s.SMSQuotaStatus, &dvl, &smsl, &s.Online, &seen, &meta, &created,
		&upd, &synce, &dql, &sqlv, &gone)
	if err != nil {
		return s, err
	}
	s.ActivationDate, s.LastSeenAt, s.CreatedAt, s.UpdatedAt, s.LastSyncedAt = fromPgTime(act), fromPgTime(seen), fromPgTime(created), fromPgTime(upd), fromPgTime(synce)
	s.DataVolumeLeft, s.SMSLeft = fromPgInt8(dvl), fromPgInt8(smsl)
	s.DataQuotaLevel, s.SMSQuotaLevel, s.GoneAt = fromPgInt2(dql), fromPgInt2(sqlv), fromPgTime(gone)
	s.Metadata = json.RawMessage(meta)
	return s, nil
}

// GetSIM returns one SIM; a missing ICCID is a not-found error.
func (s *Store) GetSIM(ctx context.Context, iccid string) (fleet.SIM, error) {
	sim, err := scanSIM(s.pool.QueryRow(ctx, `SELECT `+simColumns+` FROM sims WHERE iccid = $1`, iccid))
	if err != nil {
		return fleet.SIM{}, translate(err, "get sim "+iccid)
	}
	return sim, nil
}

// simWhere renders the filter as a WHERE clause with numbered arguments. Only whitelisted
// column names reach the SQL text; every value is an argument, and LIKE patterns are escaped.
func simWhere(f fleet.SIMFilter) (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(f.Statuses) == 1 {
		conds = append(conds, "status = "+arg(f.Statuses[0]))
	} else if len(f.Statuses) > 1 {
		conds = append(conds, "status = ANY("+arg(f.Statuses)+"::text[])")
	}
	if f.Label != "" {
		conds = append(conds, "label ILIKE "+arg(likeContains(f.Label)))
	}
	for _, p := range []struct{ col, v string }{
		{"iccid", f.ICCIDPrefix}, {"imsi", f.IMSIPrefix}, {"msisdn", f.MSISDNPrefix},
		{"imei", f.IMEIPrefix}, {"ip_address", f.IPPrefix},
	} {
		if p.v != "" {
			conds = append(conds, p.col+" LIKE "+arg(likePrefix(p.v)))
		}
	}
	if f.OrganizationID != "" {
		conds = append(conds, "organization_id = "+arg(f.OrganizationID))
	}
	if f.DataQuotaStatus != "" {
		conds = append(conds, "data_quota_status = "+arg(f.DataQuotaStatus))
	}
	if f.Online != nil {
		conds = append(conds, "online = "+arg(*f.Online))
	}
	if !f.UpdatedSince.IsZero() {
		conds = append(conds, "updated_at >= "+arg(pgTime(f.UpdatedSince)))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// countable reports whether f filters only on the columns sims_counts groups by, so the exact
// total is a sum over that small table instead of a count over the matching SIMs.
func countable(f fleet.SIMFilter) bool {
	return f.Label == "" && f.ICCIDPrefix == "" && f.IMSIPrefix == "" && f.MSISDNPrefix == "" &&
		f.IMEIPrefix == "" && f.IPPrefix == "" && f.UpdatedSince.IsZero()
}

// simOrder renders ORDER BY for a validated sort column. NULLs compare as the largest value
// (PostgreSQL's default, so a plain index serves both directions); iccid breaks ties.
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
// Filters on status, organization, data quota status and online only are counted from the
// trigger-kept sims_counts table; other filters are counted over the matching rows, which the
// indexes keep small for prefixes and label search. The page and the count run concurrently
// on two connections, so the page never waits for a large count.
func (s *Store) ListSIMs(ctx context.Context, f fleet.SIMFilter) (fleet.Page[fleet.SIM], error) {
	f, err := f.Normalize()
	if err != nil {
		return fleet.Page[fleet.SIM]{}, err
	}
	where, args := simWhere(f)
	// Plan every execution with its actual values: a cached generic plan cannot use an index
	// for "col LIKE $1" (the prefix is unknown at plan time) and would scan the whole table.
	// QueryExecModeExec sends an unnamed statement, still one round trip.
	execArgs := append([]any{pgx.QueryExecModeExec}, args...)
	type countResult struct {
		n   int64
		err error
	}
	countc := make(chan countResult, 1)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	countSQL := `SELECT count(*) FROM sims` + where
	if countable(f) {
		// Same WHERE, same arguments: the filter names only columns sims_counts has.
		countSQL = `SELECT COALESCE(sum(n), 0)::int8 FROM sims_counts` + where
	}
	go func() {
		var n int64
		err := s.pool.QueryRow(cctx, countSQL, execArgs...).Scan(&n)
		countc <- countResult{n, err}
	}()

	page := fleet.Page[fleet.SIM]{Page: f.Page, PageSize: f.PageSize, Items: []fleet.SIM{}}
	q := `SELECT ` + simColumns + ` FROM sims` + where + simOrder(f) +
		fmt.Sprintf(" LIMIT %d OFFSET %d", f.PageSize, f.Offset())
	rows, err := s.pool.Query(ctx, q, execArgs...)
	if err != nil {
		return page, translate(err, "list sims")
	}
	for rows.Next() {
		sim, err := scanSIM(rows)
		if err != nil {
			rows.Close()
			return page, translate(err, "list sims")
		}
		page.Items = append(page.Items, sim)
	}
	if err := rows.Err(); err != nil {
		return page, translate(err, "list sims")
	}
	c := <-countc
	if c.err != nil {
		return page, translate(c.err, "count sims")
	}
	page.Total = c.n
	return page, nil
}

// UpdateSIM changes the fields set in u and returns the updated SIM.
func (s *Store) UpdateSIM(ctx context.Context, iccid string, u fleet.SIMUpdate) (fleet.SIM, error) {
	if err := u.Validate(); err != nil {
		return fleet.SIM{}, fmt.Errorf("update sim %s: %w", iccid, err)
	}
	var meta *string
	if u.Metadata != nil {
		m, err := fleet.CompactObject(u.Metadata)
		if err != nil {
			return fleet.SIM{}, fmt.Errorf("update sim %s: %w", iccid, err)
		}
		meta = &m
	}
	sim, err := scanSIM(s.pool.QueryRow(ctx, `UPDATE sims SET
		status = COALESCE($2, status), label = COALESCE($3, label),
		imei_lock = COALESCE($4, imei_lock), metadata = COALESCE($5::jsonb, metadata),
		updated_at = $6
		WHERE iccid = $1 RETURNING `+simColumns, iccid, u.Status, u.Label, u.IMEILock, meta, nowTS()))
	if err != nil {
		return fleet.SIM{}, translate(err, "update sim "+iccid)
	}
	return sim, nil
}

// CountSIMsByStatus returns the number of SIMs per status, ordered by status.
func (s *Store) CountSIMsByStatus(ctx context.Context) ([]fleet.StatusCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT status, count(*) FROM sims GROUP BY status ORDER BY status`)
	if err != nil {
		return nil, translate(err, "count sims by status")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fleet.StatusCount, error) {
		var c fleet.StatusCount
		return c, r.Scan(&c.Status, &c.Count)
	})
	if err != nil {
		return nil, translate(err, "count sims by status")
	}
	return out, nil
}
