// Package backup copies the embedded SQLite database out of and back into a data dir while
// keeping both sides consistent: a backup is a transactionally consistent snapshot taken while
// the server runs (SQLite's VACUUM INTO), and a restore never replaces a database that a
// process still has open, nor an existing one unless asked to, and keeps the one it replaces.
//
// PostgreSQL deployments use pg_dump/pg_restore and point-in-time recovery instead
// (docs/RUNBOOK.md); ErrPostgres says so.
package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrPostgres reports a backup or restore asked of a PostgreSQL deployment, whose database
// server owns its backups.
var ErrPostgres = errors.New("backup: the database is PostgreSQL: use pg_dump to back up and pg_restore to restore " +
	"(with WAL archiving for point-in-time recovery); see docs/RUNBOOK.md, \"Back up and restore PostgreSQL\"")

// ErrInUse reports a restore target that a running process still has open.
var ErrInUse = errors.New("backup: the database is in use")

// ErrExists reports a restore target (or backup file) that already exists.
var ErrExists = errors.New("backup: file exists")

// ErrNotOncefleet reports a file that is not an oncefleet SQLite database or is damaged.
var ErrNotOncefleet = errors.New("backup: not a sound oncefleet database")

// Summary describes a database file a backup wrote or a restore placed.
type Summary struct {
	Path string
	// Bytes is the file size.
	Bytes int64
	// SchemaVersion is the newest migration applied in the file.
	SchemaVersion int64
	// Rows counts the rows of the tables an operator checks first (sims, users, api_keys,
	// audit_log): enough to see at a glance that the copy holds the fleet.
	Rows map[string]int64
	// Replaced is where a restore kept the database it replaced ("" when there was none).
	Replaced string
}

// open opens a SQLite file for the checks and copies here. The busy timeout lets a backup wait
// out a server's write transaction; immediate write locks are not needed (nothing here writes
// rows).
func open(path string, busy time.Duration) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("backup: open %s: %w", path, err)
	}
	// One connection: the in-use check below must run on the connection that holds the file.
	db.SetMaxOpenConns(1)
	return db, nil
}

// Backup writes a consistent copy of the SQLite database at dbPath to the new file to, while
// other processes may be reading and writing it. The copy is written next to to under a
// temporary name, checked, synced and then renamed, so to is either absent or complete.
func Backup(ctx context.Context, dbPath, to string) (Summary, error) {
	if _, err := os.Stat(dbPath); err != nil {
		return Summary{}, fmt.Errorf("backup: no database at %s: %w", dbPath, errors.Unwrap(err))
	}
	if _, err := os.Lstat(to); err == nil {
		return Summary{}, fmt.Errorf("%w: %s: choose a new file name", ErrExists, to)
	}
	tmp, err := tempPath(to)
	if err != nil {
		return Summary{}, err
	}
	defer os.Remove(tmp) // a no-op once renamed

	db, err := open(dbPath, 30*time.Second)
	if err != nil {
		return Summary{}, err
	}
	defer db.Close()
	// VACUUM INTO reads one snapshot (a read transaction) and writes a compacted copy: readers
	// and the writer of a running server are not blocked for its duration in WAL mode.
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return Summary{}, fmt.Errorf("backup: copy %s: %w", dbPath, err)
	}
	sum, err := inspect(ctx, tmp)
	if err != nil {
		return Summary{}, err
	}
	if err := syncFile(tmp); err != nil {
		return Summary{}, err
	}
	if err := os.Rename(tmp, to); err != nil {
		return Summary{}, fmt.Errorf("backup: %w", err)
	}
	syncDir(filepath.Dir(to))
	sum.Path = to
	return sum, nil
}

// Restore places a copy of the backup file from as the SQLite database at dbPath. It checks
// the backup first (integrity, an oncefleet schema not newer than latestVersion, the newest
// migration this binary knows). An existing database at dbPath is refused unless force is set,
// and always refused while any process has it open; when replaced, it is kept beside as
// dbPath.before-restore-<time>.
func Restore(ctx context.Context, from, dbPath string, latestVersion int64, force bool) (Summary, error) {
	src, err := inspect(ctx, from)
	if err != nil {
		return Summary{}, err
	}
	if src.SchemaVersion > latestVersion {
		return Summary{}, fmt.Errorf("backup: %s has schema version %d, newer than this oncefleet's %d: restore it with the release that wrote it", from, src.SchemaVersion, latestVersion)
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		return Summary{}, fmt.Errorf("backup: data dir: %w", err)
	}
	exists := false
	if _, err := os.Stat(dbPath); err == nil {
		if !force {
			return Summary{}, fmt.Errorf("%w: a database already exists at %s: pass --force to replace it (it is kept as %s.before-restore-…)", ErrExists, dbPath, filepath.Base(dbPath))
		}
		if err := quiesce(ctx, dbPath); err != nil {
			return Summary{}, err
		}
		exists = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Summary{}, fmt.Errorf("backup: %w", err)
	}

	tmp, err := tempPath(dbPath)
	if err != nil {
		return Summary{}, err
	}
	defer os.Remove(tmp)
	// Copy through SQLite rather than byte for byte: the result is a clean single file (no
	// journal to carry along) whatever state the backup file was left in.
	db, err := open(from, 5*time.Second)
	if err != nil {
		return Summary{}, err
	}
	_, err = db.ExecContext(ctx, "VACUUM INTO ?", tmp)
	db.Close()
	if err != nil {
		return Summary{}, fmt.Errorf("backup: copy %s: %w", from, err)
	}
	if err := syncFile(tmp); err != nil {
		return Summary{}, err
	}
	replaced := ""
	if exists {
		replaced = fmt.Sprintf("%s.before-restore-%s", dbPath, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(dbPath, replaced); err != nil {
			return Summary{}, fmt.Errorf("backup: keep the replaced database: %w", err)
		}
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return Summary{}, fmt.Errorf("backup: place the restored database: %w", err)
	}
	syncDir(filepath.Dir(dbPath))
	src.Path, src.Replaced = dbPath, replaced
	if fi, err := os.Stat(dbPath); err == nil {
		src.Bytes = fi.Size()
	}
	return src, nil
}

// quiesce proves that no process has the database at path open, and leaves it as one
// self-contained file (its write-ahead log folded in and removed), so it can be renamed
// aside without losing committed data or leaving a log that would be applied to the restored
// file. Leaving WAL mode needs exclusive use of the database: SQLite refuses while any other
// connection, in any process, has it open.
func quiesce(ctx context.Context, path string) error {
	db, err := open(path, 0)
	if err != nil {
		return err
	}
	defer db.Close()
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode=DELETE").Scan(&mode); err != nil {
		var se *sqlite.Error
		if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY {
			return fmt.Errorf("%w: %s is open in another process: stop every oncefleet serve, worker and admin command using this data dir first", ErrInUse, path)
		}
		return fmt.Errorf("backup: check %s: %w", path, err)
	}
	if mode != "delete" {
		return fmt.Errorf("%w: %s stayed in journal mode %q: another process has it open", ErrInUse, path, mode)
	}
	return nil
}

// inspect checks that path is a sound oncefleet SQLite database and summarises it.
func inspect(ctx context.Context, path string) (Summary, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Summary{}, fmt.Errorf("backup: %w", err)
	}
	db, err := open(path, 5*time.Second)
	if err != nil {
		return Summary{}, err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check(1)").Scan(&result); err != nil {
		return Summary{}, fmt.Errorf("%w: %s: %w", ErrNotOncefleet, path, err)
	}
	if result != "ok" {
		return Summary{}, fmt.Errorf("%w: %s fails the integrity check: %s", ErrNotOncefleet, path, result)
	}
	sum := Summary{Path: path, Bytes: fi.Size(), Rows: map[string]int64{}}
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&sum.SchemaVersion); err != nil {
		return Summary{}, fmt.Errorf("%w: %s has no oncefleet schema: %w", ErrNotOncefleet, path, err)
	}
	// Counting every table would read the usage history, which can be large; these answer
	// "is my fleet in there?".
	for _, t := range []string{"sims", "users", "api_keys", "audit_log"} {
		var n int64
		// t is one of the names above, never input.
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err != nil {
			return Summary{}, fmt.Errorf("%w: %s lacks table %s: %w", ErrNotOncefleet, path, t, err)
		}
		sum.Rows[t] = n
	}
	return sum, nil
}

// tempPath returns an unused file name beside path for a copy that is renamed over it when
// complete (same directory, so the rename is atomic).
func tempPath(path string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	name := f.Name()
	f.Close()
	// VACUUM INTO refuses to write into an existing non-empty file; an empty one is accepted,
	// but removing it keeps that detail out of the way.
	if err := os.Remove(name); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	return name, nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup: sync %s: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable where the platform can sync a directory (Windows
// cannot); elsewhere the rename is as durable as the file system makes it, so a failure here
// is not an error.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	defer d.Close()
	_ = d.Sync()
}
