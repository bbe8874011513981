// Package config holds oncefleet's configuration: ONCEFLEET_* environment variables and their
// matching flags (SPEC §1), validated once at start with messages that name the bad variable and
// never echo a secret.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Secret is a configuration value that must never be printed: its String and LogValue hide it.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// LogValue hides the value in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the secret itself, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// Config is every setting of the server. Field tags bind each to its flag and environment
// variable (kong); Load reads *_FILE variants and validates.
type Config struct {
	Addr        string `name:"addr" env:"ONCEFLEET_ADDR" default:"127.0.0.1:8080" help:"Listen address of the API and dashboard."`
	DataDir     string `name:"data-dir" env:"ONCEFLEET_DATA_DIR" default:"./oncefleet-data" help:"Local state: SQLite file, generated keys."`
	DatabaseURL Secret `name:"database-url" env:"ONCEFLEET_DATABASE_URL" help:"Empty: SQLite in the data dir; postgres://…: PostgreSQL (or ONCEFLEET_DATABASE_URL_FILE)."`
	RedisURL    Secret `name:"redis-url" env:"ONCEFLEET_REDIS_URL" help:"Empty: in-memory cache; redis://…: shared cache, locks and limits (or ONCEFLEET_REDIS_URL_FILE)."`
	RedisPrefix string `name:"redis-prefix" env:"ONCEFLEET_REDIS_PREFIX" default:"oncefleet:" help:"Prefix of every Redis key, so several deployments can share one Redis."`

	OnceBaseURL      string `name:"once-base-url" env:"ONCEFLEET_ONCE_BASE_URL" default:"https://api.1nce.com/management-api" help:"1NCE Management API base URL."`
	OnceClientID     string `name:"once-client-id" env:"ONCEFLEET_ONCE_CLIENT_ID" help:"1NCE API client id."`
	OnceClientSecret Secret `name:"once-client-secret" env:"ONCEFLEET_ONCE_CLIENT_SECRET" help:"1NCE API client secret (or ONCEFLEET_ONCE_CLIENT_SECRET_FILE)."`
	OnceAPI          string `name:"once-api" env:"ONCEFLEET_ONCE_API" default:"auto" help:"1NCE API generation: v2, v1 or auto (v2 first, v1 where v2 lacks an operation)."`
	OnceRate         string `name:"once-rate" env:"ONCEFLEET_ONCE_RATE" default:"10" help:"Account-wide 1NCE request budget in requests per second."`

	StreamerUsername Secret `name:"streamer-username" env:"ONCEFLEET_STREAMER_USERNAME" help:"Basic-auth user 1NCE's Data Streamer sends (endpoints answer 404 while unset; or ONCEFLEET_STREAMER_USERNAME_FILE)."`
	StreamerPassword Secret `name:"streamer-password" env:"ONCEFLEET_STREAMER_PASSWORD" help:"Basic-auth password of the Data Streamer (or ONCEFLEET_STREAMER_PASSWORD_FILE)."`

	StreamerSilentAfter string `name:"streamer-silent-after" env:"ONCEFLEET_STREAMER_SILENT_AFTER" default:"30m" help:"Raise a stream-silent event when a Data Streamer stream type delivers nothing for this long."`
	StreamerRetention   string `name:"streamer-retention" env:"ONCEFLEET_STREAMER_RETENTION" default:"192h" help:"Keep applied Data Streamer records this long for de-duplication (at least 192h: 1NCE re-delivers up to 7 days)."`

	JWTKey         Secret `name:"jwt-key" env:"ONCEFLEET_JWT_KEY" help:"Signing key of access tokens (base64, at least 32 bytes; or ONCEFLEET_JWT_KEY_FILE). Empty: generated into the data dir on first start; replicas that do not share a data dir must all be given the same key."`
	AccessTokenTTL string `name:"access-token-ttl" env:"ONCEFLEET_ACCESS_TOKEN_TTL" default:"15m" help:"Lifetime of access tokens from /api/v1/auth/login (1m to 24h)."`
	APIRateLimit   string `name:"api-rate-limit" env:"ONCEFLEET_API_RATE_LIMIT" default:"100" help:"Requests per minute each API key or user may make (shared by replicas through Redis)."`
	CORSOrigins    string `name:"cors-origins" env:"ONCEFLEET_CORS_ORIGINS" help:"Comma-separated origins allowed to call the API from a browser (e.g. https://ops.example.com); empty allows none."`
	SecureCookies  bool   `name:"secure-cookies" env:"ONCEFLEET_SECURE_COOKIES" negatable:"" help:"Mark the dashboard's session cookies Secure even on plain-HTTP requests: set it when TLS ends at a proxy or load balancer in front (requests that arrive over TLS always get Secure cookies)."`

	OTLPEndpoint     string `name:"otlp-endpoint" env:"ONCEFLEET_OTLP_ENDPOINT" help:"OpenTelemetry collector (OTLP/HTTP, e.g. http://otel-collector:4318): traces API requests, 1NCE calls and PostgreSQL queries. Empty: tracing off."`
	TraceSampleRatio string `name:"trace-sample-ratio" env:"ONCEFLEET_TRACE_SAMPLE_RATIO" default:"1" help:"Share of new traces recorded when tracing is on (0 < ratio <= 1); traces a caller started and sampled are always recorded."`

	LogLevel  string `name:"log-level" env:"ONCEFLEET_LOG_LEVEL" default:"info" help:"debug, info, warn or error."`
	LogFormat string `name:"log-format" env:"ONCEFLEET_LOG_FORMAT" default:"json" help:"json or text."`

	MigrateOnStart  bool   `name:"migrate-on-start" env:"ONCEFLEET_MIGRATE_ON_START" default:"true" negatable:"" help:"Apply pending migrations when serve starts."`
	ShutdownTimeout string `name:"shutdown-timeout" env:"ONCEFLEET_SHUTDOWN_TIMEOUT" default:"30s" help:"How long to drain in-flight requests on SIGINT/SIGTERM."`

	// Background jobs (jobs.go).
	Jobs Jobs `embed:""`
	// Alert engine (alerts.go).
	Alerts Alerts `embed:""`
}

// Resolved is a validated Config with parsed values.
type Resolved struct {
	Config
	Level           slog.Level
	OnceRateValue   float64
	ShutdownTimeout time.Duration
	// StreamerSilentAfter and StreamerRetention are the parsed streamer durations.
	StreamerSilentAfter time.Duration
	StreamerRetention   time.Duration
	// Postgres reports whether DatabaseURL names a PostgreSQL server (else SQLite in DataDir).
	Postgres bool
	// AccessTokenTTL, APIRateLimit and CORSOrigins are the parsed API settings.
	AccessTokenTTL time.Duration
	APIRateLimit   int
	CORSOrigins    []string
	// JobSettings are the parsed background-job settings.
	JobSettings JobSettings
	// AlertSettings are the parsed alert engine settings.
	AlertSettings AlertSettings
	// SampleRatio is the parsed trace sample ratio.
	SampleRatio float64
}

// secretFiles maps each secret to its *_FILE variable.
func (c *Config) secretFiles() map[string]*Secret {
	return map[string]*Secret{
		"ONCEFLEET_DATABASE_URL_FILE":       &c.DatabaseURL,
		"ONCEFLEET_REDIS_URL_FILE":          &c.RedisURL,
		"ONCEFLEET_ONCE_CLIENT_SECRET_FILE": &c.OnceClientSecret,
		"ONCEFLEET_STREAMER_USERNAME_FILE":  &c.StreamerUsername,
		"ONCEFLEET_STREAMER_PASSWORD_FILE":  &c.StreamerPassword,
		"ONCEFLEET_JWT_KEY_FILE":            &c.JWTKey,
	}
}

// FileVariants lists, sorted, the variables whose value Resolve also reads from the file named
// by NAME_FILE (every secret: Kubernetes, Docker and ECS mount secrets as files).
func FileVariants() []string {
	var names []string
	for env := range (&Config{}).secretFiles() {
		names = append(names, strings.TrimSuffix(env, "_FILE"))
	}
	sort.Strings(names)
	return names
}

// Resolve reads the *_FILE variants (through getenv, usually os.Getenv) and validates every
// value. Errors name the variable and flag, never a secret's value.
func (c Config) Resolve(getenv func(string) string) (*Resolved, error) {
	for env, dst := range c.secretFiles() {
		path := getenv(env)
		if path == "" {
			continue
		}
		if *dst != "" {
			return nil, fmt.Errorf("config: both %s and %s are set; use one", strings.TrimSuffix(env, "_FILE"), env)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %s: cannot read %s: %w", env, path, errors.Unwrap(err))
		}
		*dst = Secret(strings.TrimSpace(string(b)))
	}
	r := &Resolved{Config: c}
	var errs []string
	bad := func(env, flag, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s (--%s): %s", env, flag, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("ONCEFLEET_ADDR", "addr", "want host:port, got %q", c.Addr)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("ONCEFLEET_DATA_DIR", "data-dir", "must not be empty")
	}
	if db := c.DatabaseURL.Reveal(); db != "" {
		u, err := url.Parse(db)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			bad("ONCEFLEET_DATABASE_URL", "database-url", "want postgres://user@host:port/db (or empty for SQLite)")
		}
		r.Postgres = true
	}
	if rd := c.RedisURL.Reveal(); rd != "" {
		u, err := url.Parse(rd)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			bad("ONCEFLEET_REDIS_URL", "redis-url", "want redis://host:port/db (or empty for the in-memory cache)")
		}
	}
	if u, err := url.Parse(c.OnceBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("ONCEFLEET_ONCE_BASE_URL", "once-base-url", "want an http(s) URL, got %q", c.OnceBaseURL)
	}
	if c.RedisPrefix == "" || len(c.RedisPrefix) > 64 || strings.ContainsAny(c.RedisPrefix, " \t\r\n{}") {
		bad("ONCEFLEET_REDIS_PREFIX", "redis-prefix", "want 1 to 64 characters without spaces or braces, got %q", c.RedisPrefix)
	}
	if (c.OnceClientID == "") != (c.OnceClientSecret == "") {
		bad("ONCEFLEET_ONCE_CLIENT_ID", "once-client-id", "set both ONCEFLEET_ONCE_CLIENT_ID and ONCEFLEET_ONCE_CLIENT_SECRET, or neither")
	}
	switch c.OnceAPI {
	case "v1", "v2", "auto":
	default:
		bad("ONCEFLEET_ONCE_API", "once-api", "want v2, v1 or auto, got %q", c.OnceAPI)
	}
	rate, err := strconv.ParseFloat(c.OnceRate, 64)
	if err != nil || rate <= 0 || rate > 10000 {
		bad("ONCEFLEET_ONCE_RATE", "once-rate", "want requests per second in (0, 10000], got %q", c.OnceRate)
	}
	r.OnceRateValue = rate
	if (c.StreamerUsername == "") != (c.StreamerPassword == "") {
		bad("ONCEFLEET_STREAMER_USERNAME", "streamer-username", "set both ONCEFLEET_STREAMER_USERNAME and ONCEFLEET_STREAMER_PASSWORD, or neither")
	}
	if c.StreamerPassword != "" && len(c.StreamerPassword) < 12 {
		bad("ONCEFLEET_STREAMER_PASSWORD", "streamer-password", "must be at least 12 characters")
	}
	if err := r.Level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		bad("ONCEFLEET_LOG_LEVEL", "log-level", "want debug, info, warn or error, got %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		bad("ONCEFLEET_LOG_FORMAT", "log-format", "want json or text, got %q", c.LogFormat)
	}
	d, err := time.ParseDuration(c.ShutdownTimeout)
	if err != nil || d <= 0 {
		bad("ONCEFLEET_SHUTDOWN_TIMEOUT", "shutdown-timeout", "want a positive duration like 30s, got %q", c.ShutdownTimeout)
	}
	r.ShutdownTimeout = d
	if d, err = time.ParseDuration(c.StreamerSilentAfter); err != nil || d < time.Minute {
		bad("ONCEFLEET_STREAMER_SILENT_AFTER", "streamer-silent-after", "want a duration of at least 1m, got %q", c.StreamerSilentAfter)
	}
	r.StreamerSilentAfter = d
	// Records are the de-duplication memory: pruning one that 1NCE may still re-deliver (up to
	// 7 days old) would apply it twice.
	if d, err = time.ParseDuration(c.StreamerRetention); err != nil || d < 192*time.Hour {
		bad("ONCEFLEET_STREAMER_RETENTION", "streamer-retention", "want a duration of at least 192h, got %q", c.StreamerRetention)
	}
	r.StreamerRetention = d
	if d, err = time.ParseDuration(c.AccessTokenTTL); err != nil || d < time.Minute || d > 24*time.Hour {
		bad("ONCEFLEET_ACCESS_TOKEN_TTL", "access-token-ttl", "want a duration from 1m to 24h, got %q", c.AccessTokenTTL)
	}
	r.AccessTokenTTL = d
	if n, err := strconv.Atoi(c.APIRateLimit); err != nil || n < 1 || n > 10_000_000 {
		bad("ONCEFLEET_API_RATE_LIMIT", "api-rate-limit", "want requests per minute from 1 to 10000000, got %q", c.APIRateLimit)
	} else {
		r.APIRateLimit = n
	}
	if e := c.OTLPEndpoint; e != "" {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("ONCEFLEET_OTLP_ENDPOINT", "otlp-endpoint", "want an http(s) URL like http://otel-collector:4318, got %q", e)
		}
	}
	if f, err := strconv.ParseFloat(c.TraceSampleRatio, 64); err != nil || f <= 0 || f > 1 {
		bad("ONCEFLEET_TRACE_SAMPLE_RATIO", "trace-sample-ratio", "want a ratio in (0, 1], got %q", c.TraceSampleRatio)
	} else {
		r.SampleRatio = f
	}
	if k := c.JWTKey.Reveal(); k != "" && len(k) < 32 {
		bad("ONCEFLEET_JWT_KEY", "jwt-key", "must be at least 32 bytes (e.g. openssl rand -base64 32)")
	}
	for _, o := range strings.Split(c.CORSOrigins, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if u, err := url.Parse(strings.Replace(o, "*.", "x.", 1)); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || o == "*" {
			bad("ONCEFLEET_CORS_ORIGINS", "cors-origins", "want origins like https://ops.example.com, got %q", o)
			continue
		}
		r.CORSOrigins = append(r.CORSOrigins, o)
	}
	r.JobSettings = c.Jobs.resolve(bad)
	r.AlertSettings = c.Alerts.resolve(bad)
	if len(errs) > 0 {
		// One line: start-up errors are read in terminals and single-line log collectors.
		return nil, fmt.Errorf("config: %s", strings.Join(errs, "; "))
	}
	return r, nil
}

// Logger builds the process logger from the resolved level and format.
func (r *Resolved) Logger(w interface{ Write([]byte) (int, error) }) *slog.Logger {
	opts := &slog.HandlerOptions{Level: r.Level}
	if r.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Defaults returns the configuration with every setting at its documented default (the
// `default` tags kong applies on the command line). Tests and embedders start from it.
func Defaults() Config {
	var c Config
	v := reflect.ValueOf(&c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		def, ok := t.Field(i).Tag.Lookup("default")
		if !ok {
			continue
		}
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			f.SetString(def)
		case reflect.Bool:
			f.SetBool(def == "true")
		}
	}
	return c
}
