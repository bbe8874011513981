package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestAdminBackupRestore drives the commands end to end on SQLite: a user created through the
// CLI is in the backup, and a restore into a new data dir brings it back.
func TestAdminBackupRestore(t *testing.T) {
	src := map[string]string{"ONCEFLEET_DATA_DIR": t.TempDir()}
	if _, _, err := runCmd(t, src, "admin", "create-user", "--email", "ops@example.com", "--role", "admin"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "backup.db")
	out, _, err := runCmd(t, src, "admin", "backup", "--to", file)
	if err != nil || !strings.Contains(out, "1 users") {
		t.Fatalf("backup: %q %v", out, err)
	}
	if _, _, err := runCmd(t, src, "admin", "backup", "--to", file); err == nil {
		t.Error("backup overwrote an existing file")
	}

	dst := map[string]string{"ONCEFLEET_DATA_DIR": t.TempDir(), "ONCEFLEET_MIGRATE_ON_START": "false"}
	out, _, err = runCmd(t, dst, "admin", "restore", "--from", file)
	if err != nil || !strings.Contains(out, "1 users") {
		t.Fatalf("restore: %q %v", out, err)
	}
	if _, _, err := runCmd(t, dst, "admin", "restore", "--from", file); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore over an existing database: %v, want a refusal naming --force", err)
	}
	out, _, err = runCmd(t, dst, "admin", "restore", "--from", file, "--force")
	if err != nil || !strings.Contains(out, "before-restore") {
		t.Errorf("restore --force: %q %v", out, err)
	}
	// The restored database is complete: the e-mail is taken there too.
	if _, _, err := runCmd(t, dst, "admin", "create-user", "--email", "ops@example.com", "--role", "viewer"); err == nil {
		t.Error("the restored database lacks the user")
	}
}

// TestAdminBackupPostgres checks that PostgreSQL deployments are pointed at pg_dump with a
// failing exit, never a silent no-op.
func TestAdminBackupPostgres(t *testing.T) {
	env := map[string]string{"ONCEFLEET_DATABASE_URL": "postgres://oncefleet@127.0.0.1:5432/none", "ONCEFLEET_DATA_DIR": t.TempDir()}
	for _, args := range [][]string{{"admin", "backup", "--to", "x.db"}, {"admin", "restore", "--from", "x.db"}} {
		if _, _, err := runCmd(t, env, args...); err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("%v on PostgreSQL: %v, want an error naming pg_dump", args, err)
		}
	}
}

func TestHealthCommand(t *testing.T) {
	var status atomic.Int32 // the handler runs on the server's goroutines
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health/ready" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	if out, _, err := runCmd(t, map[string]string{"ONCEFLEET_ADDR": addr}, "health", "--ready"); err != nil || strings.TrimSpace(out) != "ok" {
		t.Errorf("health --ready on a ready server: %q %v", out, err)
	}
	if _, _, err := runCmd(t, nil, "health", "--url", srv.URL+"/health/live"); err == nil {
		t.Error("health passed on a 404")
	}
	status.Store(http.StatusServiceUnavailable)
	if _, _, err := runCmd(t, nil, "health", "--url", srv.URL+"/health/ready"); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("health on a 503: %v", err)
	}
}
