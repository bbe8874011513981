package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/streamer"
	"github.com/oncefleet/oncefleet/oncesim"
)

// demoFleet is the in-process 1NCE simulator that `serve --demo` runs, reachable over real
// loopback HTTP like the real API, with its Data Streamer emitter pushing to this server.
type demoFleet struct {
	baseURL string
	sims    int
	// The admin login and API key created for the person running the demo.
	email, password, apiKey string
}

// demoAdmin is the demo's admin account.
const demoAdmin = "admin@demo.oncefleet.local"

// createLogin makes (or, on a reused data dir, resets) the demo admin with a fresh password
// and creates a fresh admin API key, both shown once by announce.
func (d *demoFleet) createLogin(ctx context.Context, a *App) error {
	d.email, d.password = demoAdmin, control.GeneratePassword()
	hash, err := auth.HashPassword(d.password)
	if err != nil {
		return err
	}
	u, err := a.store.UserByEmail(ctx, demoAdmin)
	switch {
	case errors.Is(err, fleet.ErrNotFound):
		if err := a.store.CreateUser(ctx, &fleet.User{Email: demoAdmin, Name: "Demo admin", Role: fleet.RoleAdmin, PasswordHash: hash}); err != nil {
			return fmt.Errorf("demo admin: %w", err)
		}
	case err != nil:
		return fmt.Errorf("demo admin: %w", err)
	default:
		u.PasswordHash, u.Role, u.Disabled = hash, fleet.RoleAdmin, false
		if err := a.store.UpdateUser(ctx, u); err != nil {
			return fmt.Errorf("demo admin: %w", err)
		}
	}
	key, keyHash, prefix := auth.NewAPIKey()
	if err := a.store.CreateAPIKey(ctx, &fleet.APIKey{Name: "demo", Hash: keyHash, Prefix: prefix, Role: fleet.RoleAdmin, CreatedBy: "system:demo"}); err != nil {
		return fmt.Errorf("demo api key: %w", err)
	}
	d.apiKey = key
	return nil
}

// startDemo starts the simulator, points the server's 1NCE settings at it and, unless a
// streamer credential is configured, generates one for the emitter. The generated
// credentials are throwaway: they live only as long as the process.
func startDemo(a *App, cred *streamer.Credential) (*demoFleet, error) {
	if cred.Username == "" {
		cred.Username, cred.Password = "demo-streamer", rand.Text()
	}
	clientID, clientSecret := "demo-"+rand.Text()[:8], rand.Text()
	n := a.opts.DemoSims
	if n <= 0 {
		n = oncesim.DefaultSims
	}
	sim, err := oncesim.New(oncesim.Options{
		Sims: n, Seed: 1, ClientID: clientID, ClientSecret: clientSecret, Logger: a.log,
		// Meter the fleet often enough that a person watching the demo sees usage arrive.
		SweepInterval: 15 * time.Second,
		Streamer: &oncesim.EmitterOptions{
			URL:      "http://" + a.Addr() + streamer.Prefix,
			Username: cred.Username, Password: cred.Password,
			FlushInterval: 2 * time.Second,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("demo simulator: %w", err)
	}
	a.closers = append(a.closers, sim.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo simulator: listen: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	a.background = append(a.background, func(ctx context.Context) error {
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		select {
		case err := <-errc:
			return fmt.Errorf("demo simulator: %w", err)
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("demo simulator: shutdown: %w", err)
			}
			return nil
		}
	})
	d := &demoFleet{baseURL: "http://" + ln.Addr().String(), sims: n}
	a.cfg.OnceBaseURL, a.cfg.OnceClientID, a.cfg.OnceClientSecret = d.baseURL, clientID, config.Secret(clientSecret)
	return d, nil
}

// announce tells the person who started the demo where everything is.
func (d *demoFleet) announce(w io.Writer, addr string) {
	fmt.Fprintf(w, "oncefleet demo is running\n")
	fmt.Fprintf(w, "  server:          http://%s  (health: /health, metrics: /metrics)\n", addr)
	if d.apiKey != "" {
		fmt.Fprintf(w, "  dashboard:       http://%s/  (sign in as %s, password %s)\n", addr, d.email, d.password)
		fmt.Fprintf(w, "  API docs:        http://%s/docs  (OpenAPI: /openapi.json)\n", addr)
		fmt.Fprintf(w, "  admin login:     %s  password: %s\n", d.email, d.password)
		fmt.Fprintf(w, "  admin API key:   %s\n", d.apiKey)
		fmt.Fprintf(w, "  try it:          curl -H 'X-API-Key: %s' 'http://%s/api/v1/sims?page_size=5'\n", d.apiKey, addr)
	}
	fmt.Fprintf(w, "  1NCE simulator:  %s  (%d seeded SIMs, generated credentials)\n", d.baseURL, d.sims)
	fmt.Fprintf(w, "  data streamer:   the simulator pushes usage and events to http://%s%s\n", addr, streamer.Prefix)
	fmt.Fprintf(w, "Stop with Ctrl-C.\n")
}
