package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kong"
	"github.com/pressly/goose/v3"

	"github.com/oncefleet/oncefleet/internal/app"
	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/health"
	"github.com/oncefleet/oncefleet/internal/logbuf"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise it comes from the
// module build info.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// cli is the command-line grammar. The server commands embed config.Config (flags and
// ONCEFLEET_* variables); simulate has its own flags, fixed by SPEC §1.
type cli struct {
	Serve    serveCmd    `cmd:"" help:"Run the API, dashboard and background jobs."`
	Worker   workerCmd   `cmd:"" help:"Run background jobs only (for scaled deployments)."`
	Migrate  migrateCmd  `cmd:"" help:"Manage the database schema."`
	Simulate simulateCmd `cmd:"" help:"Run the 1NCE simulator standalone."`
	Admin    adminCmd    `cmd:"" help:"Administrative tasks: users, API keys, backup and restore, offline against the database."`
	Health   healthCmd   `cmd:"" help:"Probe a running server's health endpoint; exit 0 when it answers 200 (container health checks)."`
	Version  struct{}    `cmd:"" help:"Print the version."`
}

// healthCmd probes a server from the same host: the container image has no curl.
type healthCmd struct {
	URL     string        `name:"url" help:"URL to probe (default: /health/live, or /health/ready with --ready, on the loopback address of --addr)."`
	Addr    string        `name:"addr" env:"ONCEFLEET_ADDR" default:"127.0.0.1:8080" help:"Listen address of the server to probe."`
	Ready   bool          `help:"Probe /health/ready (every dependency answers) instead of /health/live."`
	Timeout time.Duration `default:"5s" help:"Give up after this long."`
}

func (c *healthCmd) run(ctx context.Context, e env) error {
	url := c.URL
	if url == "" {
		path := "/health/live"
		if c.Ready {
			path = "/health/ready"
		}
		var err error
		if url, err = health.LocalURL(c.Addr, path); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	if err := health.Probe(ctx, &http.Client{}, url); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "ok")
	return nil
}

type serveCmd struct {
	config.Config `embed:""`
	Demo          bool `help:"Start the 1NCE simulator in-process with a seeded fleet and print a login."`
	NoJobs        bool `name:"no-jobs" help:"Run no background jobs here (a worker runs them); the API can still list and start them."`
}

type workerCmd struct {
	config.Config `embed:""`
}

type migrateCmd struct {
	config.Config `embed:""`
	Up            struct{} `cmd:"" help:"Apply every pending migration."`
	Down          struct{} `cmd:"" help:"Roll back the most recent migration."`
	Status        struct{} `cmd:"" help:"List migrations and whether each is applied."`
}

// env is what a command needs from the process: its environment and its output streams.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

// newParser builds the command-line parser of c; docs/CONFIGURATION.md is rendered from its
// model.
func newParser(c *cli, stdout, stderr io.Writer, exit func(int)) (*kong.Kong, error) {
	parser, err := kong.New(c,
		kong.Name("oncefleet"),
		kong.Description("Self-hosted control plane for fleets of 1NCE IoT SIMs."),
		kong.Writers(stdout, stderr),
		kong.Exit(exit),
		kong.UsageOnError(),
	)
	if err != nil {
		return nil, fmt.Errorf("command line: %w", err)
	}
	return parser, nil
}

func parse(args []string, stdout, stderr io.Writer) (*cli, *kong.Context, error) {
	var c cli
	exited := false
	parser, err := newParser(&c, stdout, stderr, func(int) { exited = true })
	if err != nil {
		return nil, nil, err
	}
	kctx, err := parser.Parse(args)
	if exited { // --help printed
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &c, kctx, nil
}

func (c *cli) dispatch(ctx context.Context, command string, e env) error {
	switch command {
	case "version":
		fmt.Fprintln(e.stdout, buildVersion())
		return nil
	case "simulate":
		return c.Simulate.run(ctx, e)
	case "serve":
		out := logbuf.New(e.stderr, 0)
		defer out.Close()
		e.stderr = out
		cfg, log, err := resolve(c.Serve.Config, e)
		if err != nil {
			return err
		}
		a, err := app.New(ctx, cfg, log, app.Options{Demo: c.Serve.Demo, NoJobs: c.Serve.NoJobs, Version: buildVersion(), Out: e.stdout})
		if err != nil {
			return err
		}
		return a.Run(ctx)
	case "worker":
		out := logbuf.New(e.stderr, 0)
		defer out.Close()
		e.stderr = out
		cfg, log, err := resolve(c.Worker.Config, e)
		if err != nil {
			return err
		}
		return app.RunWorker(ctx, cfg, log, buildVersion())
	case "migrate up", "migrate down", "migrate status":
		cfg, _, err := resolve(c.Migrate.Config, e)
		if err != nil {
			return err
		}
		return migrate(ctx, cfg, command[len("migrate "):], e.stdout)
	case "admin create-user", "admin create-api-key", "admin revoke-api-key <id>", "admin list-api-keys":
		return c.Admin.run(ctx, command, e)
	case "admin backup", "admin restore":
		return c.Admin.runBackup(ctx, command, e)
	case "health":
		return c.Health.run(ctx, e)
	}
	return fmt.Errorf("unknown command %q", command)
}

func resolve(c config.Config, e env) (*config.Resolved, *slog.Logger, error) {
	cfg, err := c.Resolve(e.getenv)
	if err != nil {
		return nil, nil, err
	}
	return cfg, cfg.Logger(e.stderr), nil
}

// migrator is what migrate needs of a storage backend.
type migrator interface {
	Migrate(context.Context) error
	MigrateDown(context.Context) error
	MigrationStatus(context.Context) ([]*goose.MigrationStatus, error)
}

func migrate(ctx context.Context, cfg *config.Resolved, action string, stdout io.Writer) error {
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	m, ok := st.(migrator)
	if !ok {
		return errors.New("migrate: this storage backend has no migrations")
	}
	switch action {
	case "up":
		if err := m.Migrate(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "migrations applied")
	case "down":
		if err := m.MigrateDown(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "rolled back one migration")
	case "status":
		list, err := m.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "VERSION\tSTATE\tAPPLIED AT\tFILE")
		for _, m := range list {
			applied := "-"
			if !m.AppliedAt.IsZero() {
				applied = m.AppliedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", m.Source.Version, m.State, applied, m.Source.Path)
		}
		return w.Flush()
	}
	return nil
}
