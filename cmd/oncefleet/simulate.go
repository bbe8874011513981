package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/oncefleet/oncefleet/oncesim"
)

// simulateCmd runs oncesim standalone. Its flags are a fixed contract (SPEC §1): other tools
// start it as `oncefleet simulate --sims N --addr HOST:PORT --client-id ID --client-secret S`.
type simulateCmd struct {
	Sims         int           `default:"500" help:"Size of the seeded fleet."`
	Addr         string        `default:"127.0.0.1:8090" help:"Listen address."`
	ClientID     string        `name:"client-id" env:"ONCESIM_CLIENT_ID" help:"API client id the simulator accepts (generated and printed when empty)."`
	ClientSecret string        `name:"client-secret" env:"ONCESIM_CLIENT_SECRET" help:"API client secret (generated and printed when empty)."`
	Seed         int64         `default:"1" help:"Seed of the fleet, its usage and injected faults: the same seed replays exactly."`
	Mode         string        `default:"v1+v2" enum:"v1+v2,v2-only" help:"Account mode: v1+v2 (today) or v2-only (after the v1 retirement)."`
	RateLimit    float64       `name:"rate-limit" default:"10" help:"Account-wide requests/s (429 beyond); 0 disables."`
	TokenTTL     time.Duration `name:"token-ttl" default:"1h" help:"Lifetime of issued tokens."`
	Faults       string        `help:"Faults to inject, e.g. latency=5ms..50ms,500=0.1,429burst=0.01x20@2s,reset=0.01 (see oncesim.ParseFaults)."`

	StreamURL      string `name:"stream-url" help:"Data Streamer: push usage and events to this URL (one combined stream)."`
	StreamUsername string `name:"stream-username" env:"ONCESIM_STREAM_USERNAME" help:"Data Streamer Basic-auth user."`
	StreamPassword string `name:"stream-password" env:"ONCESIM_STREAM_PASSWORD" help:"Data Streamer Basic-auth password."`
	StreamFormat   string `name:"stream-format" default:"v1" enum:"v1,v2" help:"Record shape: v1 records or Platform 2.0 events."`
}

func (c *simulateCmd) run(ctx context.Context, e env) error {
	if c.Sims <= 0 || c.Sims > 10_000_000 {
		return fmt.Errorf("simulate: --sims must be between 1 and 10000000, got %d", c.Sims)
	}
	faults, err := oncesim.ParseFaults(c.Faults)
	if err != nil {
		return fmt.Errorf("simulate: --faults: %w", err)
	}
	if (c.ClientID == "") != (c.ClientSecret == "") {
		return errors.New("simulate: give both --client-id and --client-secret, or neither")
	}
	generated := c.ClientID == ""
	if generated {
		c.ClientID, c.ClientSecret = "sim-"+rand.Text()[:10], rand.Text()
	}
	rate := c.RateLimit
	if rate == 0 {
		rate = -1 // oncesim: negative disables; the flag documents 0 as "off"
	}
	opts := oncesim.Options{
		Sims: c.Sims, Seed: c.Seed, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		TokenTTL: c.TokenTTL, Mode: oncesim.Mode(c.Mode), RateLimit: rate, Faults: faults,
		Logger: slog.New(slog.NewJSONHandler(e.stderr, nil)),
	}
	if c.StreamURL != "" {
		eo := &oncesim.EmitterOptions{Username: c.StreamUsername, Password: c.StreamPassword, Format: oncesim.StreamFormat(c.StreamFormat)}
		if eo.Format == oncesim.StreamV2 {
			// Platform 2.0 has no combined stream: point both at the receiver's typed endpoints.
			eo.UsageURL, eo.EventsURL = c.StreamURL+"/usage", c.StreamURL+"/events"
		} else {
			eo.URL = c.StreamURL
		}
		opts.Streamer = eo
	}
	started := time.Now()
	sim, err := oncesim.New(opts)
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	defer sim.Close()
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("simulate: listen on %s: %w", c.Addr, err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(e.stdout, "1NCE simulator: %d SIMs, mode %s, ready in %s\n", c.Sims, c.Mode, time.Since(started).Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "base URL:      http://%s\n", ln.Addr())
	if generated {
		// Printed once, on the terminal that started it: these are throwaway test credentials.
		fmt.Fprintf(e.stdout, "client id:     %s\nclient secret: %s\n", c.ClientID, c.ClientSecret)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("simulate: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
