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
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/oncefleet/oncefleet/internal/alerts"
	"github.com/oncefleet/oncefleet/internal/api"
	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/autotopup"
	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/cache"
	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/health"
	"github.com/oncefleet/oncefleet/internal/httpmw"
	"github.com/oncefleet/oncefleet/internal/jobs"
	"github.com/oncefleet/oncefleet/internal/store/postgres"
	"github.com/oncefleet/oncefleet/internal/store/sqlite"
	"github.com/oncefleet/oncefleet/internal/streamer"
	"github.com/oncefleet/oncefleet/internal/tracing"
	"github.com/oncefleet/oncefleet/internal/web"
	"github.com/oncefleet/oncefleet/once"
)

// Options are the start-up choices that are not configuration values.
type Options struct {
	// Demo starts the 1NCE simulator in-process with a seeded fleet, wires its Data Streamer
	// emitter to this server and prints how to reach both.
	Demo bool
	// DemoSims is the size of the demo fleet (default 500).
	DemoSims int
	// Version is reported by /health and the version command.
	Version string
	// Out receives what a person starting the server must read (the demo login); logs go to
	// the logger.
	Out io.Writer
	// NoJobs keeps serve from running background jobs (another process runs them: worker).
	NoJobs bool

	worker bool // health and background work only, no API
}

// Store is what the app needs of either storage backend.
type Store interface {
	Ping(ctx context.Context) error
	Migrate(ctx context.Context) error
	Close() error
	streamer.Saver
	streamer.ApplyStore
	streamer.HealthStore
	PruneStreamerRecords(ctx context.Context, before time.Time) (int64, error)
	control.Store
	control.AccountStore
	auth.SessionStore
	auth.AuthStore
	api.IdempotencyStore
	api.AuditLister
	api.ReportStore
	alerts.Store
	api.AlertStore
	fleetCounter
}

var (
	_ Store = (*postgres.Store)(nil)
	_ Store = (*sqlite.Store)(nil)
)

// App is a running oncefleet server.
type App struct {
	cfg      *config.Resolved
	log      *slog.Logger
	opts     Options
	registry *prometheus.Registry
	store    Store
	cache    cache.Cache
	redis    *redis.Client    // nil without ONCEFLEET_REDIS_URL
	locker   autotopup.Locker // Redis locks shared by replicas, or in-process ones
	once     *once.Client     // nil without 1NCE client credentials
	// upstreamHealth follows whether 1NCE answers, for /health.
	upstreamHealth upstreamHealth
	control        *control.Service
	tracing        *tracing.Tracing
	api            *api.Server // nil in worker mode
	web            *web.Server // the dashboard; nil in worker mode
	bus            *bus.Bus
	jobs           *jobs.Runner
	alerts         *alerts.Engine
	mux            *http.ServeMux
	ln             net.Listener
	srv            *http.Server
	// background runs until Run's context ends (streamer applier, monitor, demo simulator).
	background []func(ctx context.Context) error
	closeOnce  sync.Once
	closers    []func() error
}

// OpenStore opens the configured backend: PostgreSQL when a database URL is set, otherwise
// SQLite in the data dir (created with owner-only permissions).
func OpenStore(ctx context.Context, cfg *config.Resolved) (Store, error) {
	return openStore(ctx, cfg, nil)
}

// openStore is OpenStore with PostgreSQL queries traced by tracer (nil: not traced).
func openStore(ctx context.Context, cfg *config.Resolved, tracer pgx.QueryTracer) (Store, error) {
	if cfg.Postgres {
		var opts []postgres.Option
		if tracer != nil {
			opts = append(opts, postgres.WithTracer(tracer))
		}
		s, err := postgres.Open(ctx, cfg.DatabaseURL.Reveal(), opts...)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", cfg.DataDir, errors.Unwrap(err))
	}
	s, err := sqlite.Open(ctx, SQLitePath(cfg))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// SQLitePath is the embedded database file in the data dir (used when no database URL is set).
func SQLitePath(cfg *config.Resolved) string { return filepath.Join(cfg.DataDir, "oncefleet.db") }

// openCache returns the Redis cache when a Redis URL is configured (checked at start), else
// the in-process one.
func (a *App) openCache(ctx context.Context) error {
	if a.cfg.RedisURL == "" {
		m, err := cache.NewMemory(cache.MemoryOptions{Registerer: a.registry})
		if err != nil {
			return fmt.Errorf("cache: %w", err)
		}
		a.cache = m
		a.closers = append(a.closers, m.Close)
		a.locker = cache.NewMemoryLocker(cache.LockerOptions{})
		return nil
	}
	ropts, err := redis.ParseURL(a.cfg.RedisURL.Reveal())
	if err != nil {
		return errors.New("ONCEFLEET_REDIS_URL: not a valid redis:// URL")
	}
	client := redis.NewClient(ropts)
	a.redis = client
	a.closers = append(a.closers, client.Close)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		return fmt.Errorf("redis: connect to %s: %w", ropts.Addr, err)
	}
	rc, err := cache.NewRedis(client, cache.RedisOptions{Registerer: a.registry, Prefix: a.cfg.RedisPrefix + "cache:"})
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	a.cache = rc
	a.locker = cache.NewRedisLocker(client, cache.LockerOptions{Prefix: a.cfg.RedisPrefix + "lock:"})
	return nil
}

// New builds the server graph and binds the listen address; Run serves.
func New(ctx context.Context, cfg *config.Resolved, log *slog.Logger, opts Options) (_ *App, err error) {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	// Log lines written while serving a request carry its request id.
	log = slog.New(httpmw.LogHandler(log.Handler()))
	a := &App{cfg: cfg, log: log, opts: opts, registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	tr, err := tracing.New(ctx, tracing.Options{Endpoint: cfg.OTLPEndpoint, SampleRatio: cfg.SampleRatio, Service: "oncefleet", Version: opts.Version})
	if err != nil {
		return nil, err
	}
	a.tracing = tr
	a.closers = append(a.closers, func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return tr.Shutdown(sctx)
	})
	store, err := openStore(ctx, cfg, tr.QueryTracer())
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
	if err := a.openCache(ctx); err != nil {
		return nil, err
	}
	a.bus = bus.New(bus.Options{})
	// Delivery is at most once: a notification dropped for a slow subscriber must be visible.
	a.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "bus_events_dropped_total", Help: "In-process notifications dropped because a subscriber's queue stayed full.",
	}, func() float64 { return float64(a.bus.Dropped()) }))
	a.closers = append(a.closers, func() error { a.bus.Close(); return nil })

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	a.ln = ln
	a.closers = append(a.closers, func() error {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	})

	cred := streamer.Credential{Username: cfg.StreamerUsername.Reveal(), Password: cfg.StreamerPassword.Reveal()}
	var demo *demoFleet
	if opts.Demo {
		if demo, err = startDemo(a, &cred); err != nil {
			return nil, err
		}
	}
	if err := a.openAlerts(); err != nil {
		return nil, err
	}
	if err := a.openOnce(); err != nil {
		return nil, err
	}
	if err := a.buildControl(); err != nil {
		return nil, err
	}
	if err := a.openJobs(); err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	a.mux = mux
	hc := health.New(opts.Version, 2*time.Second, map[string]health.Pinger{"database": store, "cache": a.cache})
	if a.once != nil {
		hc.Advise("1nce", &a.upstreamHealth)
	}
	hc.Register(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{Registry: a.registry}))
	if err := a.mountStreamer(mux, cred); err != nil {
		return nil, err
	}
	var handler http.Handler = mux
	if !opts.worker {
		gate, err := a.mountAPI(mux)
		if err != nil {
			return nil, err
		}
		handler = gate(mux)
		if demo != nil {
			if err := demo.createLogin(ctx, a); err != nil {
				return nil, err
			}
		}
	}

	mw, err := a.middleware()
	if err != nil {
		return nil, err
	}
	a.srv = &http.Server{
		Handler:           tr.Handler(mw(tr.NameByRoute(handler))),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if a.web != nil {
		// Shutdown waits for handlers; the dashboard's event streams end on this signal.
		a.srv.RegisterOnShutdown(a.web.Shutdown)
	}
	if demo != nil {
		demo.announce(opts.Out, a.Addr())
	}
	return a, nil
}

func (a *App) middleware() (httpmw.Middleware, error) {
	metrics, err := httpmw.NewMetrics(a.registry)
	if err != nil {
		return nil, fmt.Errorf("http metrics: %w", err)
	}
	return httpmw.Stack(httpmw.Options{
		Logger:  a.log,
		Metrics: metrics,
		MaxBodyFor: func(r *http.Request) int64 {
			// Data Streamer batches hold up to 3,000 records; the receiver enforces its own cap.
			if strings.HasPrefix(r.URL.Path, streamer.Prefix) {
				return streamer.DefaultMaxBodyBytes
			}
			if isBulkPath(r) {
				return bulkBodyLimit
			}
			return 0
		},
		CORS: httpmw.CORSOptions{AllowedOrigins: a.cfg.CORSOrigins},
	})
}

// mountStreamer serves the Data Streamer receiver and starts its applier and health monitor.
// The endpoints answer 404 while no credential is configured (SPEC §9); the applier runs
// regardless, so records stored before a restart are still applied.
func (a *App) mountStreamer(mux *http.ServeMux, cred streamer.Credential) error {
	metrics, err := streamer.NewMetrics(a.registry)
	if err != nil {
		return fmt.Errorf("streamer metrics: %w", err)
	}
	applier := streamer.NewApplier(streamer.ApplierConfig{Store: a.store, Bus: a.bus, Metrics: metrics, Logger: a.log})
	monitor := streamer.NewMonitor(streamer.MonitorConfig{Store: a.store, Bus: a.bus, Metrics: metrics, Logger: a.log,
		SilentAfter: a.cfg.StreamerSilentAfter})
	a.background = append(a.background, applier.Run, monitor.Run, a.pruneStreamer)
	if a.opts.worker {
		return nil
	}
	h := streamer.NewHandler(streamer.HandlerConfig{Store: a.store, Credential: cred, Metrics: metrics, OnCommit: applier.Notify, Logger: a.log})
	mux.Handle(streamer.Prefix, h)
	mux.Handle(streamer.Prefix+"/", h)
	return nil
}

// pruneStreamer deletes applied Data Streamer records past retention, hourly. Every replica may
// run it: the delete is idempotent and touches only applied records.
func (a *App) pruneStreamer(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := a.store.PruneStreamerRecords(ctx, time.Now().Add(-a.cfg.StreamerRetention))
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("prune streamer records", "err", err)
		case n > 0:
			a.log.Info("pruned streamer records", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Addr is the address the server listens on (useful with port 0).
func (a *App) Addr() string { return a.ln.Addr().String() }

// Run serves until ctx is cancelled, then drains in-flight requests for up to the configured
// shutdown timeout, stops the background work and releases every resource.
func (a *App) Run(ctx context.Context) error {
	bctx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, run := range a.background {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(bctx); err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("background work stopped", "err", err)
			}
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- a.srv.Serve(a.ln) }()
	a.log.Info("oncefleet listening", "addr", a.Addr(), "version", a.opts.Version, "demo", a.opts.Demo, "worker", a.opts.worker)

	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
		a.log.Info("shutting down", "drain_timeout", a.cfg.ShutdownTimeout.String())
		sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
		if err := a.srv.Shutdown(sctx); err != nil {
			serveErr = fmt.Errorf("drain in-flight requests: %w", err)
		}
		cancel()
	}
	// Requests are drained before background work stops, so an acknowledged batch is never
	// left for a worker that is already gone (it would be applied at the next start anyway).
	stopBackground()
	wg.Wait()
	if err := a.Close(); err != nil && serveErr == nil {
		serveErr = err
	}
	return serveErr
}

// Close releases every resource in reverse order of acquisition. Safe to call more than once.
func (a *App) Close() error {
	var errs []error
	a.closeOnce.Do(func() {
		for i := len(a.closers) - 1; i >= 0; i-- {
			if err := a.closers[i](); err != nil {
				errs = append(errs, err)
			}
		}
	})
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
