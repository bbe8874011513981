// Package app assembles the oncefleet server from its parts: storage, cache, the 1NCE client,
// the HTTP API and the background work. cmd/oncefleet parses the command line and calls it;
// end-to-end tests start it on 127.0.0.1:0 with a temp data dir.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/health"
	"github.com/oncefleet/oncefleet/internal/store/postgres"
	"github.com/oncefleet/oncefleet/internal/store/sqlite"
)

// Options are the start-up choices that are not configuration values.
type Options struct {
	// Demo starts the 1NCE simulator in-process with a seeded fleet and prints a login.
	Demo bool
	// Version is reported by /health and the version command.
	Version string
	worker  bool // health and background work only, no API
	// Out receives what a person starting the server must read (the demo login); logs go to
	// the logger.
	Out io.Writer
}

// Store is what the app needs of either storage backend to run and to be health-checked.
type Store interface {
	Ping(ctx context.Context) error
	Migrate(ctx context.Context) error
	Close() error
}

// App is a running oncefleet server.
type App struct {
	cfg      *config.Resolved
	log      *slog.Logger
	opts     Options
	registry *prometheus.Registry
	store    Store
	mux      *http.ServeMux
	ln       net.Listener
	srv      *http.Server
	closers  []func() error
}

// OpenStore opens the configured backend: PostgreSQL when a database URL is set, otherwise
// SQLite in the data dir (created with owner-only permissions).
func OpenStore(ctx context.Context, cfg *config.Resolved) (Store, error) {
	if cfg.Postgres {
		s, err := postgres.Open(ctx, cfg.DatabaseURL.Reveal())
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", cfg.DataDir, errors.Unwrap(err))
	}
	s, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "oncefleet.db"))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// New builds the server graph and binds the listen address; Run serves.
func New(ctx context.Context, cfg *config.Resolved, log *slog.Logger, opts Options) (_ *App, err error) {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	a := &App{cfg: cfg, log: log, opts: opts, registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a.store = store
	a.closers = append(a.closers, store.Close)
	if cfg.MigrateOnStart || opts.Demo {
		if err := store.Migrate(ctx); err != nil {
			return nil, err
		}
	}

	mux := http.NewServeMux()
	a.mux = mux
	health.New(opts.Version, 2*time.Second, map[string]health.Pinger{"database": store}).Register(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{Registry: a.registry}))

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	a.ln = ln
	a.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return a, nil
}

// Addr is the address the server listens on (useful with port 0).
func (a *App) Addr() string { return a.ln.Addr().String() }

// Run serves until ctx is cancelled, then drains in-flight requests for up to the configured
// shutdown timeout and releases every resource.
func (a *App) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- a.srv.Serve(a.ln) }()
	a.log.Info("oncefleet listening", "addr", a.Addr(), "version", a.opts.Version, "demo", a.opts.Demo)
	select {
	case err := <-errc:
		a.Close()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "drain_timeout", a.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	err := a.srv.Shutdown(sctx)
	a.Close()
	if err != nil {
		return fmt.Errorf("drain in-flight requests: %w", err)
	}
	return nil
}

// Close releases every resource in reverse order of acquisition. Safe to call more than once.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	a.closers = nil
	if a.ln != nil && a.srv == nil {
		a.ln.Close()
	}
	return errors.Join(errs...)
}

// RunWorker runs the background work without the public API: the database is migrated and
// health endpoints are served on the configured address so an orchestrator can probe it.
func RunWorker(ctx context.Context, cfg *config.Resolved, log *slog.Logger, version string) error {
	a, err := New(ctx, cfg, log, Options{Version: version, worker: true})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}
