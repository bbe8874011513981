package backup_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/oncefleet/oncefleet/internal/backup"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/sqlite"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

// demo is a migrated SQLite store with SIMs, users and audit rows written through the store,
// still open (a backup must work while the server runs).
type demo struct {
	path  string
	store *sqlite.Store
	sims  []fleet.SIM
	users []fleet.User
	audit []fleet.AuditEntry
}

func newDemo(t *testing.T) *demo {
	t.Helper()
	ctx := t.Context()
	d := &demo{path: filepath.Join(t.TempDir(), "oncefleet.db")}
	st, err := sqlite.Open(ctx, d.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	d.store = st
	d.sims = storetest.BenchSIMs(300)
	if err := st.UpsertSIMs(ctx, d.sims); err != nil {
		t.Fatal(err)
	}
	for i, role := range []fleet.Role{fleet.RoleAdmin, fleet.RoleOperator, fleet.RoleViewer} {
		u := fleet.User{Email: fmt.Sprintf("user%d@example.com", i), Name: fmt.Sprintf("User %d", i), Role: role, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA"}
		if err := st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		d.users = append(d.users, u)
	}
	for i := range 40 {
		e := fleet.AuditEntry{Actor: "user:" + d.users[i%3].ID, Action: "sim.update", Target: d.sims[i].ICCID,
			RequestID: fmt.Sprintf("req-%d", i), Result: "ok", Detail: json.RawMessage(fmt.Sprintf(`{"label":"pump-%d"}`, i))}
		if err := st.AppendAudit(ctx, &e); err != nil {
			t.Fatal(err)
		}
		d.audit = append(d.audit, e)
	}
	return d
}

// TestBackupRestoreKeepsEveryRow backs up a live demo database, restores it into a new data
// dir and finds every SIM, user and audit row there.
func TestBackupRestoreKeepsEveryRow(t *testing.T) {
	ctx := t.Context()
	d := newDemo(t)
	file := filepath.Join(t.TempDir(), "oncefleet-backup.db")
	sum, err := backup.Backup(ctx, d.path, file)
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	latest, err := sqlite.LatestMigration()
	if err != nil {
		t.Fatal(err)
	}
	if sum.SchemaVersion != latest || sum.Rows["sims"] != 300 || sum.Rows["users"] != 3 || sum.Rows["audit_log"] != 40 {
		t.Errorf("backup summary = %+v, want schema %d, 300 sims, 3 users, 40 audit rows", sum, latest)
	}

	target := filepath.Join(t.TempDir(), "new-data-dir", "oncefleet.db")
	res, err := backup.Restore(ctx, file, target, latest, false)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if res.Replaced != "" || res.Path != target {
		t.Errorf("restore summary = %+v", res)
	}
	st, err := sqlite.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, want := range d.sims {
		got, err := st.GetSIM(ctx, want.ICCID)
		if err != nil {
			t.Fatalf("SIM %s after restore: %v", want.ICCID, err)
		}
		if got.IMSI != want.IMSI || got.Label != want.Label || got.IPAddress != want.IPAddress || !got.ActivationDate.Equal(want.ActivationDate) {
			t.Errorf("SIM %s after restore = %+v, want %+v", want.ICCID, got, want)
		}
	}
	if p, err := st.ListSIMs(ctx, fleet.SIMFilter{}); err != nil || p.Total != int64(len(d.sims)) {
		t.Errorf("SIMs after restore: total %d, err %v; want %d", p.Total, err, len(d.sims))
	}
	for _, want := range d.users {
		got, err := st.UserByID(ctx, want.ID)
		if err != nil {
			t.Fatalf("user %s after restore: %v", want.Email, err)
		}
		if got.Email != want.Email || got.Role != want.Role || got.PasswordHash != want.PasswordHash {
			t.Errorf("user after restore = %+v, want %+v", got, want)
		}
	}
	entries, total, err := st.ListAudit(ctx, fleet.AuditFilter{Limit: fleet.MaxListLimit})
	if err != nil || total != len(d.audit) {
		t.Fatalf("audit after restore: %d rows, err %v; want %d", total, err, len(d.audit))
	}
	byID := map[int64]fleet.AuditEntry{}
	for _, e := range entries {
		byID[e.ID] = e
	}
	for _, want := range d.audit {
		got, ok := byID[want.ID]
		if !ok || got.Actor != want.Actor || got.Target != want.Target || got.RequestID != want.RequestID || string(got.Detail) != string(want.Detail) {
			t.Errorf("audit row %d after restore = %+v (found %v), want %+v", want.ID, got, ok, want)
		}
	}
	// The restored database takes the next migration run like any other.
	if err := st.Migrate(ctx); err != nil {
		t.Errorf("migrate restored database: %v", err)
	}
}

func TestBackupRefusesToOverwrite(t *testing.T) {
	d := newDemo(t)
	file := filepath.Join(t.TempDir(), "b.db")
	if err := os.WriteFile(file, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Backup(t.Context(), d.path, file); !errors.Is(err, backup.ErrExists) {
		t.Errorf("Backup over an existing file: %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "keep me" {
		t.Errorf("existing file changed to %q", b)
	}
	if _, err := backup.Backup(t.Context(), filepath.Join(t.TempDir(), "none.db"), filepath.Join(t.TempDir(), "x.db")); err == nil {
		t.Error("Backup of a missing database succeeded")
	}
}

func TestRestoreRefusals(t *testing.T) {
	ctx := t.Context()
	d := newDemo(t)
	file := filepath.Join(t.TempDir(), "b.db")
	if _, err := backup.Backup(ctx, d.path, file); err != nil {
		t.Fatal(err)
	}
	latest, err := sqlite.LatestMigration()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("existing database without force", func(t *testing.T) {
		if _, err := backup.Restore(ctx, file, d.path, latest, false); !errors.Is(err, backup.ErrExists) {
			t.Errorf("got %v, want ErrExists", err)
		}
	})
	t.Run("database in use, even with force", func(t *testing.T) {
		// d.store is still open: a server would be writing to this file.
		if _, err := backup.Restore(ctx, file, d.path, latest, true); !errors.Is(err, backup.ErrInUse) {
			t.Errorf("got %v, want ErrInUse", err)
		}
		if _, err := d.store.GetSIM(ctx, d.sims[0].ICCID); err != nil {
			t.Errorf("the open store lost its data: %v", err)
		}
	})
	t.Run("backup from a newer release", func(t *testing.T) {
		target := filepath.Join(t.TempDir(), "oncefleet.db")
		if _, err := backup.Restore(ctx, file, target, latest-1, false); err == nil {
			t.Error("restored a backup with a newer schema")
		}
		if _, err := os.Stat(target); err == nil {
			t.Error("a refused restore left a database behind")
		}
	})
	for name, content := range map[string][]byte{
		"not a database": []byte("hello, this is not SQLite"),
		"empty file":     nil,
	} {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad.db")
			if err := os.WriteFile(bad, content, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := backup.Restore(ctx, bad, filepath.Join(t.TempDir(), "oncefleet.db"), latest, false); !errors.Is(err, backup.ErrNotOncefleet) {
				t.Errorf("got %v, want ErrNotOncefleet", err)
			}
		})
	}
}

// TestRestoreForceKeepsReplacedDatabase replaces a stopped server's database and keeps the old
// one beside it.
func TestRestoreForceKeepsReplacedDatabase(t *testing.T) {
	ctx := context.Background()
	d := newDemo(t)
	file := filepath.Join(t.TempDir(), "b.db")
	if _, err := backup.Backup(ctx, d.path, file); err != nil {
		t.Fatal(err)
	}
	// The running server writes one more SIM after the backup, then stops.
	extra := storetest.BenchSIMs(301)[300]
	if err := d.store.UpsertSIMs(ctx, []fleet.SIM{extra}); err != nil {
		t.Fatal(err)
	}
	if err := d.store.Close(); err != nil {
		t.Fatal(err)
	}
	latest, err := sqlite.LatestMigration()
	if err != nil {
		t.Fatal(err)
	}
	res, err := backup.Restore(ctx, file, d.path, latest, true)
	if err != nil {
		t.Fatalf("Restore --force: %v", err)
	}
	if res.Replaced == "" {
		t.Fatal("no replaced database reported")
	}
	for path, wantExtra := range map[string]bool{d.path: false, res.Replaced: true} {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.GetSIM(ctx, extra.ICCID)
		st.Close()
		if (err == nil) != wantExtra {
			t.Errorf("%s: SIM written after the backup found=%v, want %v", filepath.Base(path), err == nil, wantExtra)
		}
	}
}
