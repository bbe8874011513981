package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/store/dbtest"
)

func runCmd(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	for k, v := range env {
		t.Setenv(k, v) // kong reads ONCEFLEET_* from the process environment
	}
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return out.String(), errb.String(), err
}

func TestVersion(t *testing.T) {
	out, _, err := runCmd(t, nil, "version")
	if err != nil || strings.TrimSpace(out) == "" {
		t.Fatalf("version: %q %v", out, err)
	}
}

func TestBadConfigNamesVariable(t *testing.T) {
	_, _, err := runCmd(t, map[string]string{"ONCEFLEET_LOG_FORMAT": "xml", "ONCEFLEET_ONCE_CLIENT_SECRET": "topsecret-value"}, "serve")
	if err == nil || !strings.Contains(err.Error(), "ONCEFLEET_LOG_FORMAT") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "topsecret-value") {
		t.Fatal("error leaks a secret")
	}
}

func TestMigrateSQLite(t *testing.T) {
	env := map[string]string{"ONCEFLEET_DATA_DIR": t.TempDir()}
	if _, _, err := runCmd(t, env, "migrate", "up"); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, env, "migrate", "status")
	if err != nil || !strings.Contains(out, "applied") || !strings.Contains(out, "00001_init.sql") {
		t.Fatalf("status: %q %v", out, err)
	}
	if _, _, err := runCmd(t, env, "migrate", "down"); err != nil {
		t.Fatal(err)
	}
	out, _, _ = runCmd(t, env, "migrate", "status")
	if !strings.Contains(out, "pending") {
		t.Fatalf("after down: %q", out)
	}
}

func TestUnknownCommand(t *testing.T) {
	if _, _, err := runCmd(t, nil, "frobnicate"); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func TestOneLine(t *testing.T) {
	if got := oneLine("a:\n\tb\n\tc"); strings.Contains(got, "\n") {
		t.Errorf("oneLine = %q", got)
	}
}

func TestAdminCommands(t *testing.T) {
	backends := map[string]map[string]string{
		"sqlite":   {"ONCEFLEET_DATA_DIR": t.TempDir()},
		"postgres": {"ONCEFLEET_DATABASE_URL": dbtest.NewPostgresURL(t), "ONCEFLEET_DATA_DIR": t.TempDir()},
	}
	for name, env := range backends {
		t.Run(name, func(t *testing.T) {
			out, _, err := runCmd(t, env, "admin", "create-api-key", "--name", "ci", "--role", "operator")
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			key := lines[len(lines)-1]
			if !strings.HasPrefix(key, auth.KeyPrefix) || strings.ContainsAny(key, " \t") {
				t.Fatalf("last line %q is not the key alone", key)
			}
			out, _, err = runCmd(t, env, "admin", "list-api-keys")
			if err != nil || !strings.Contains(out, "ci") || !strings.Contains(out, "operator") || strings.Contains(out, key) {
				t.Fatalf("list: %q %v", out, err)
			}
			id := strings.Fields(strings.Split(strings.TrimSpace(out), "\n")[1])[0]
			if _, _, err := runCmd(t, env, "admin", "revoke-api-key", id); err != nil {
				t.Fatal(err)
			}
			if out, _, _ = runCmd(t, env, "admin", "list-api-keys"); !strings.Contains(out, "revoked") {
				t.Fatalf("after revoke: %q", out)
			}
			out, _, err = runCmd(t, env, "admin", "create-user", "--email", "Ops@Example.com", "--role", "admin")
			if err != nil || !strings.Contains(out, "password (shown once)") {
				t.Fatalf("create-user: %q %v", out, err)
			}
			if _, _, err := runCmd(t, env, "admin", "create-user", "--email", "ops@example.com", "--role", "viewer"); err == nil {
				t.Fatal("duplicate e-mail accepted")
			}
			if _, _, err := runCmd(t, env, "admin", "create-api-key", "--name", "x", "--role", "root"); err == nil {
				t.Fatal("unknown role accepted")
			}
		})
	}
}

// syncBuffer lets the test read what a running command has printed so far.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSimulateContract(t *testing.T) {
	tests := []struct {
		name string
		args []string
		id   string // "" when the command generates the credentials
	}{
		{"given credentials", []string{"--client-id", "cid", "--client-secret", "csecret-123"}, "cid"},
		{"generated credentials", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var out syncBuffer
			done := make(chan error, 1)
			args := append([]string{"simulate", "--sims", "25", "--addr", "127.0.0.1:0", "--rate-limit", "0"}, tt.args...)
			go func() { done <- run(ctx, args, func(string) string { return "" }, &out, io.Discard) }()
			var base string
			for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if m := regexp.MustCompile(`base URL:\s+(\S+)`).FindStringSubmatch(out.String()); m != nil {
					base = m[1]
				}
			}
			if base == "" {
				t.Fatalf("no base URL printed: %q", out.String())
			}
			id, secret := tt.id, "csecret-123"
			if id == "" {
				m := regexp.MustCompile(`client id:\s+(\S+)\nclient secret:\s+(\S+)`).FindStringSubmatch(out.String())
				if m == nil {
					t.Fatalf("generated credentials not printed: %q", out.String())
				}
				id, secret = m[1], m[2]
			}
			req, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
			req.Header.Set("Content-Type", "application/json")
			req.SetBasicAuth(id, secret)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("token with the printed credentials = %d", res.StatusCode)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("simulate stopped with %v", err)
			}
		})
	}
	if _, _, err := runCmd(t, nil, "simulate", "--faults", "bogus=1"); err == nil || !strings.Contains(err.Error(), "--faults") {
		t.Fatalf("bad --faults: %v", err)
	}
}
