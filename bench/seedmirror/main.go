// Command seedmirror fills an oncefleet database with a mirrored fleet of N SIMs (the ICCIDs
// the simulator seeds, so fresh reads find them at 1NCE) and prints an admin API key on the
// last line, for the API load benchmark (bench/api.sh). It reads the same ONCEFLEET_* database
// settings as the server.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/oncefleet/oncefleet/internal/app"
	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/storetest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "seedmirror:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("sims", 100_000, "SIMs to mirror")
	flag.Parse()
	c := config.Defaults()
	if v := os.Getenv("ONCEFLEET_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	c.DatabaseURL = config.Secret(os.Getenv("ONCEFLEET_DATABASE_URL"))
	cfg, err := c.Resolve(os.Getenv)
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	sims := storetest.BenchSIMs(*n)
	for i := 0; i < len(sims); i += 10_000 {
		if err := st.UpsertSIMs(ctx, sims[i:min(i+10_000, len(sims))]); err != nil {
			return err
		}
	}
	key, hash, prefix := auth.NewAPIKey()
	if err := st.CreateAPIKey(ctx, &fleet.APIKey{Name: "bench", Hash: hash, Prefix: prefix, Role: fleet.RoleAdmin}); err != nil {
		return err
	}
	fmt.Printf("mirrored %d SIMs\n%s\n", *n, key)
	return nil
}
