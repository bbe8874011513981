package app

import (
	"context"
	"fmt"
	"net/http"

	"github.com/oncefleet/oncefleet/internal/api"
	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/ratelimit"
	"github.com/oncefleet/oncefleet/internal/web"
)

// buildControl assembles the control plane every action goes through, and starts the bulk job
// runner with the background work.
func (a *App) buildControl() error {
	opts := control.Options{Store: a.store, Cache: a.cache, Bus: a.bus, Logger: a.log, Registerer: a.registry}
	if a.once != nil {
		// Assigned only when set: a nil *once.Client in the interface would not be nil.
		opts.Upstream = a.once
	}
	svc, err := control.New(opts)
	if err != nil {
		return fmt.Errorf("control plane: %w", err)
	}
	a.control = svc
	a.startAlerts()
	fm, err := newFleetMetrics(a.registry)
	if err != nil {
		return fmt.Errorf("fleet metrics: %w", err)
	}
	a.background = append(a.background, func(ctx context.Context) error { return fm.run(ctx, a.store, a.log) })
	unsubscribe := a.bus.Subscribe(svc.OnEvent)
	a.closers = append(a.closers, func() error { unsubscribe(); return nil })
	a.background = append(a.background, func(ctx context.Context) error {
		return svc.RunBulkJobs(ctx, control.BulkRunnerOptions{})
	}, svc.RunMirrorWriter)
	return nil
}

// mountAPI serves the REST API on mux and returns the gate that must wrap the mux.
func (a *App) mountAPI(mux *http.ServeMux) (func(http.Handler) http.Handler, error) {
	var limiter ratelimit.Limiter
	if a.redis != nil {
		limiter = ratelimit.NewRedis(a.redis, ratelimit.RedisOptions{Prefix: a.cfg.RedisPrefix + "rl:"})
	} else {
		limiter = ratelimit.NewMemory(ratelimit.MemoryOptions{})
	}
	key, generated, err := auth.LoadOrCreateKey(a.cfg.JWTKey.Reveal(), a.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if generated && a.cfg.Postgres {
		a.log.Warn("generated a JWT signing key in the data dir; replicas that do not share it must be given one key with ONCEFLEET_JWT_KEY")
	}
	signer, err := auth.NewSigner(key, a.cfg.AccessTokenTTL, nil)
	if err != nil {
		return nil, err
	}
	authn := auth.NewAuthenticator(a.store, signer, 0, a.log)
	sessions, err := auth.NewSessions(auth.SessionOptions{Store: a.store, Signer: signer, Limiter: limiter})
	if err != nil {
		return nil, err
	}
	accounts := control.NewAccounts(a.control, a.store, authn)
	srv, err := api.New(mux, api.Config{
		Control:     a.control,
		Accounts:    accounts,
		Sessions:    sessions,
		Authn:       authn,
		Limiter:     limiter,
		Idempotency: a.store,
		Audit:       a.store,
		Jobs:        a.jobs.Control(),
		Reports:     a.store,
		Alerts:      a.alerts,
		AlertStore:  a.store,
		KeyLimit:    ratelimit.PerMinute(a.cfg.APIRateLimit),
		Version:     a.opts.Version,
		Logger:      a.log,
	})
	if err != nil {
		return nil, err
	}
	a.api = srv
	// The dashboard: its pages on the same mux, its session renewal around the API gate (so
	// page fetches to /api/v1 with an expired access cookie are renewed first).
	dash, err := web.New(web.Config{Control: a.control, Accounts: accounts, Sessions: sessions, Authn: authn,
		Store: a.store, Jobs: a.jobs.Control(), Bus: a.bus, SecureCookies: a.cfg.SecureCookies, Logger: a.log})
	if err != nil {
		return nil, err
	}
	dash.Register(mux)
	a.web = dash
	a.closers = append(a.closers, dash.Close)
	a.background = append(a.background, dash.Run)
	return func(h http.Handler) http.Handler { return dash.Session(srv.Wrap(mux)) }, nil
}

// bulkBodyLimit admits bulk requests of 100,000 ICCIDs; everything else keeps the 1 MiB limit.
const bulkBodyLimit = 8 << 20

// isBulkPath reports whether a request may carry a bulk body.
func isBulkPath(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	switch r.URL.Path {
	case api.Prefix + "/sims", api.Prefix + "/sims/topup", api.Prefix + "/sims/bulk":
		return true
	}
	return false
}
