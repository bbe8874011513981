package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func valid() Config {
	c := Defaults()
	c.DataDir = "./d"
	return c
}

func TestResolve(t *testing.T) {
	noenv := func(string) string { return "" }
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string // substring; "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"bad addr", func(c *Config) { c.Addr = "8080" }, "ONCEFLEET_ADDR"},
		{"bad db url", func(c *Config) { c.DatabaseURL = "mysql://u:hunter2@h/db" }, "ONCEFLEET_DATABASE_URL"},
		{"bad redis", func(c *Config) { c.RedisURL = "http://x" }, "ONCEFLEET_REDIS_URL"},
		{"bad api", func(c *Config) { c.OnceAPI = "v3" }, "ONCEFLEET_ONCE_API"},
		{"bad rate", func(c *Config) { c.OnceRate = "0" }, "ONCEFLEET_ONCE_RATE"},
		{"half credentials", func(c *Config) { c.OnceClientID = "id" }, "ONCEFLEET_ONCE_CLIENT_ID"},
		{"half streamer", func(c *Config) { c.StreamerUsername = "u" }, "ONCEFLEET_STREAMER_USERNAME"},
		{"short streamer password", func(c *Config) { c.StreamerUsername, c.StreamerPassword = "u", "short" }, "ONCEFLEET_STREAMER_PASSWORD"},
		{"bad level", func(c *Config) { c.LogLevel = "loud" }, "ONCEFLEET_LOG_LEVEL"},
		{"bad format", func(c *Config) { c.LogFormat = "xml" }, "ONCEFLEET_LOG_FORMAT"},
		{"bad shutdown", func(c *Config) { c.ShutdownTimeout = "soon" }, "ONCEFLEET_SHUTDOWN_TIMEOUT"},
		{"short retention", func(c *Config) { c.StreamerRetention = "24h" }, "ONCEFLEET_STREAMER_RETENTION"},
		{"bad silence", func(c *Config) { c.StreamerSilentAfter = "5s" }, "ONCEFLEET_STREAMER_SILENT_AFTER"},
		{"postgres", func(c *Config) { c.DatabaseURL = "postgres://u@127.0.0.1:5432/db" }, ""},
		{"bad token ttl", func(c *Config) { c.AccessTokenTTL = "48h" }, "ONCEFLEET_ACCESS_TOKEN_TTL"},
		{"bad rate limit", func(c *Config) { c.APIRateLimit = "0" }, "ONCEFLEET_API_RATE_LIMIT"},
		{"short jwt key", func(c *Config) { c.JWTKey = "short" }, "ONCEFLEET_JWT_KEY"},
		{"bad cors", func(c *Config) { c.CORSOrigins = "https://ok.example.com, *" }, "ONCEFLEET_CORS_ORIGINS"},
		{"cors", func(c *Config) { c.CORSOrigins = "https://ops.example.com,http://localhost:5173,https://*.example.org" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.mod(&c)
			_, err := c.Resolve(noenv)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want mention of %s", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error leaks a secret or spans lines: %q", err)
			}
		})
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "secret")
	if err := os.WriteFile(p, []byte("s3cret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ONCEFLEET_ONCE_CLIENT_SECRET_FILE": p}
	c := valid()
	c.OnceClientID = "id"
	r, err := c.Resolve(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if r.OnceClientSecret.Reveal() != "s3cret-value" {
		t.Errorf("secret from file = %q", r.OnceClientSecret.Reveal())
	}
	if r.OnceClientSecret.String() != "[redacted]" {
		t.Error("secret prints itself")
	}
	c.OnceClientSecret = "inline"
	if _, err := c.Resolve(func(k string) string { return env[k] }); err == nil {
		t.Error("both inline and _FILE accepted")
	}
	env["ONCEFLEET_ONCE_CLIENT_SECRET_FILE"] = filepath.Join(dir, "missing")
	c.OnceClientSecret = ""
	if _, err := c.Resolve(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "ONCEFLEET_ONCE_CLIENT_SECRET_FILE") {
		t.Errorf("missing file: %v", err)
	}
}

// TestEverySecretHasAFileVariant keeps FileVariants (and the _FILE variables Resolve reads) in
// step with the Secret-typed fields: a new secret must be readable from a mounted file too.
func TestEverySecretHasAFileVariant(t *testing.T) {
	have := map[string]bool{}
	for _, name := range FileVariants() {
		have[name] = true
	}
	typ := reflect.TypeFor[Config]()
	secrets := 0
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Type != reflect.TypeFor[Secret]() {
			continue
		}
		secrets++
		if env := f.Tag.Get("env"); !have[env] {
			t.Errorf("secret %s (%s) has no %s_FILE variant", f.Name, env, env)
		}
	}
	if secrets != len(have) {
		t.Errorf("%d file variants for %d secrets", len(have), secrets)
	}
}

func TestDefaultsResolve(t *testing.T) {
	c := Defaults()
	if c.Addr != "127.0.0.1:8080" || !c.MigrateOnStart || c.APIRateLimit != "100" {
		t.Fatalf("defaults = %+v", c)
	}
	if _, err := c.Resolve(func(string) string { return "" }); err != nil {
		t.Fatalf("the defaults do not resolve: %v", err)
	}
}
