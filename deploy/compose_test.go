package deploy

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads deploy/compose.yaml the way `docker compose` does (schema validation,
// interpolation, profiles), with env as the environment and no .env file.
func loadCompose(t *testing.T, env map[string]string, profiles ...string) (*types.Project, error) {
	t.Helper()
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{"compose.yaml"},
		cli.WithWorkingDirectory("."),
		cli.WithEnv(list),
		cli.WithProfiles(profiles),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	return cli.ProjectFromOptions(context.Background(), opts)
}

// exampleEnv reads deploy/.env.example, the file users copy to deploy/.env.
func exampleEnv(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{}
	for line := range strings.Lines(string(readFile(t, "deploy/.env.example"))) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf(".env.example: %q is not NAME=value", line)
		}
		env[k] = v
	}
	return env
}

func TestComposeLoadsAndValidates(t *testing.T) {
	env := exampleEnv(t)
	profiles := strings.Split(env["COMPOSE_PROFILES"], ",")
	p, err := loadCompose(t, env, profiles...)
	if err != nil {
		t.Fatalf("compose.yaml with .env.example: %v", err)
	}
	want := []string{"grafana", "migrate", "prometheus", "redis", "serve", "simulator", "timescaledb", "worker"}
	if got := slices.Sorted(maps.Keys(p.Services)); !slices.Equal(got, want) {
		t.Errorf("services = %v, want %v", got, want)
	}

	for _, name := range []string{"serve", "worker", "migrate", "simulator"} {
		s := p.Services[name]
		if s.Build == nil || s.Build.Dockerfile != "deploy/Dockerfile" {
			t.Errorf("%s does not build deploy/Dockerfile: %+v", name, s.Build)
		}
		if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") {
			t.Errorf("%s: want a read-only root file system and every capability dropped", name)
		}
		var names []string
		for k := range s.Environment {
			names = append(names, k)
		}
		checkVariables(t, "compose service "+name, variablesIn([]byte(strings.Join(names, "\n"))))
	}
	for _, name := range []string{"serve", "worker"} {
		s := p.Services[name]
		if s.HealthCheck == nil || !slices.Equal(s.HealthCheck.Test, []string{"CMD", "/usr/local/bin/oncefleet", "health", "--ready"}) {
			t.Errorf("%s health check = %+v, want the binary probing /health/ready", name, s.HealthCheck)
		}
		if s.DependsOn["migrate"].Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s does not wait for the migrations", name)
		}
		if v := s.Environment["ONCEFLEET_MIGRATE_ON_START"]; v == nil || *v != "false" {
			t.Errorf("%s migrates on start beside the migrate service", name)
		}
	}
	if c := p.Services["serve"].Command; !slices.Equal(c, types.ShellCommand{"serve", "--no-jobs"}) {
		t.Errorf("serve runs %v: with a worker beside it, serve runs no jobs", c)
	}
	if c := p.Services["migrate"].Command; !slices.Equal(c, types.ShellCommand{"migrate", "up"}) {
		t.Errorf("migrate runs %v", c)
	}
	if db := p.Services["serve"].Environment["ONCEFLEET_DATABASE_URL"]; db == nil || !strings.Contains(*db, "@timescaledb:5432/") {
		t.Errorf("serve's database is not the TimescaleDB service: %v", db)
	}

	// Published ports are for this machine only.
	for name, s := range p.Services {
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes port %d on %q, want 127.0.0.1", name, port.Target, port.HostIP)
			}
		}
		// Every bind mount names a file of this repository.
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("%s mounts %s: %v", name, v.Source, err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "deploy", "Dockerfile")); err != nil {
		t.Error(err)
	}
}

func TestComposeSimulatorIsOptional(t *testing.T) {
	env := exampleEnv(t)
	p, err := loadCompose(t, env)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Services["simulator"]; ok {
		t.Error("the simulator runs without its profile")
	}
	// Without 1NCE credentials at all, the stack still loads: the server runs without 1NCE.
	for _, k := range []string{"ONCEFLEET_ONCE_BASE_URL", "ONCEFLEET_ONCE_CLIENT_ID", "ONCEFLEET_ONCE_CLIENT_SECRET", "COMPOSE_PROFILES"} {
		delete(env, k)
	}
	if _, err := loadCompose(t, env); err != nil {
		t.Errorf("compose.yaml without 1NCE credentials: %v", err)
	}
}

// TestComposeRequiresPasswords checks that the stack has no default passwords: without them
// compose refuses to load, naming the variable.
func TestComposeRequiresPasswords(t *testing.T) {
	for _, missing := range []string{"POSTGRES_PASSWORD", "REDIS_PASSWORD", "GRAFANA_ADMIN_PASSWORD", "ONCEFLEET_JWT_KEY"} {
		env := exampleEnv(t)
		delete(env, missing)
		_, err := loadCompose(t, env)
		if err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("without %s: %v, want a refusal naming it", missing, err)
		}
	}
}
