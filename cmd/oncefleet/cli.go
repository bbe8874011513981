package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kong"
	"github.com/pressly/goose/v3"

	"github.com/oncefleet/oncefleet/internal/app"
	"github.com/oncefleet/oncefleet/internal/config"
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

// cli is the command-line grammar. Server settings are shared by every command through the
// embedded config.Config (flags and ONCEFLEET_* variables).
type cli struct {
	config.Config

	Serve struct {
		Demo bool `help:"Start the 1NCE simulator in-process with a seeded fleet and print a login."`
	} `cmd:"" help:"Run the API, dashboard and background jobs."`
	Worker  struct{} `cmd:"" help:"Run background jobs only (for scaled deployments)."`
	Migrate struct {
		Up     struct{} `cmd:"" help:"Apply every pending migration."`
		Down   struct{} `cmd:"" help:"Roll back the most recent migration."`
		Status struct{} `cmd:"" help:"List migrations and whether each is applied."`
	} `cmd:"" help:"Manage the database schema."`
	Admin   adminCmd `cmd:"" help:"Administrative tasks: users, API keys, secrets."`
	Version struct{} `cmd:"" help:"Print the version."`
}

type adminCmd struct{}

func parse(args []string, stdout, stderr io.Writer) (*cli, *kong.Context, error) {
	var c cli
	exited := false
	parser, err := kong.New(&c,
		kong.Name("oncefleet"),
		kong.Description("Self-hosted control plane for fleets of 1NCE IoT SIMs."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(int) { exited = true }),
		kong.UsageOnError(),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("command line: %w", err)
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

func (c *cli) resolve(getenv func(string) string) (*config.Resolved, error) {
	return c.Config.Resolve(getenv)
}

func (c *cli) dispatch(ctx context.Context, command string, getenv func(string) string, stdout, stderr io.Writer) error {
	if command == "version" {
		fmt.Fprintln(stdout, buildVersion())
		return nil
	}
	cfg, err := c.resolve(getenv)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr)
	switch command {
	case "serve":
		return serve(ctx, cfg, log, c.Serve.Demo, stdout)
	case "worker":
		return errors.New("worker: no background jobs are defined yet; run serve")
	case "migrate up", "migrate down", "migrate status":
		return migrate(ctx, cfg, strings.TrimPrefix(command, "migrate "), stdout)
	case "admin":
		return errors.New("admin: no admin commands yet")
	}
	return fmt.Errorf("unknown command %q", command)
}

func serve(ctx context.Context, cfg *config.Resolved, log *slog.Logger, demo bool, stdout io.Writer) error {
	a, err := app.New(ctx, cfg, log, app.Options{Demo: demo, Version: buildVersion(), Out: stdout})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

func migrate(ctx context.Context, cfg *config.Resolved, action string, stdout io.Writer) error {
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	m, ok := st.(interface {
		Migrate(context.Context) error
		MigrateDown(context.Context) error
	})
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
		return migrationStatus(ctx, st, stdout)
	}
	return nil
}

func migrationStatus(ctx context.Context, st app.Store, stdout io.Writer) error {
	ms, ok := st.(interface {
		MigrationStatus(context.Context) ([]*goose.MigrationStatus, error)
	})
	if !ok {
		return errors.New("migrate: this storage backend has no migrations")
	}
	list, err := ms.MigrationStatus(ctx)
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
