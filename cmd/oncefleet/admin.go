package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oncefleet/oncefleet/internal/app"
	"github.com/oncefleet/oncefleet/internal/auth"
	"github.com/oncefleet/oncefleet/internal/backup"
	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/sqlite"
)

// adminCmd holds the offline administration commands. They work directly against the
// configured database, also while serve runs (SPEC §1).
type adminCmd struct {
	config.Config `embed:""`

	CreateUser struct {
		Email        string `required:"" help:"E-mail address (the login)."`
		Name         string `help:"Display name."`
		Role         string `required:"" enum:"viewer,operator,admin" help:"viewer, operator or admin."`
		PasswordFile string `name:"password-file" help:"Read the password from this file ('-' for stdin); without it a password is generated and printed."`
	} `cmd:"" name:"create-user" help:"Create a user."`

	CreateAPIKey struct {
		Name      string        `required:"" help:"What the key is for."`
		Role      string        `required:"" enum:"viewer,operator,admin" help:"viewer, operator or admin."`
		ExpiresIn time.Duration `name:"expires-in" help:"Lifetime (e.g. 720h); without it the key does not expire."`
	} `cmd:"" name:"create-api-key" help:"Create an API key; the key is printed once, alone on the last line."`

	RevokeAPIKey struct {
		ID string `arg:"" help:"Id of the key (see list-api-keys)."`
	} `cmd:"" name:"revoke-api-key" help:"Revoke an API key."`

	ListAPIKeys struct{} `cmd:"" name:"list-api-keys" help:"List API keys (never the keys themselves)."`

	Backup struct {
		To string `required:"" help:"File to write (must not exist yet)."`
	} `cmd:"" help:"Back up the SQLite database of the data dir while oncefleet runs (PostgreSQL: use pg_dump, see docs/RUNBOOK.md)."`

	Restore struct {
		From  string `required:"" help:"Backup file written by admin backup."`
		Force bool   `help:"Replace an existing database (kept beside it as oncefleet.db.before-restore-<time>); one still open by a process is never replaced."`
	} `cmd:"" help:"Restore the SQLite database of the data dir from a backup; stop every oncefleet process using the data dir first."`
}

// accountStore is what the admin commands need of a storage backend.
type accountStore interface {
	CreateUser(ctx context.Context, u *fleet.User) error
	CreateAPIKey(ctx context.Context, k *fleet.APIKey) error
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error
	ListAPIKeys(ctx context.Context) ([]fleet.APIKey, error)
}

func (c *adminCmd) run(ctx context.Context, command string, e env) error {
	cfg, _, err := resolve(c.Config, e)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if cfg.MigrateOnStart {
		if err := st.Migrate(ctx); err != nil {
			return err
		}
	}
	as, ok := st.(accountStore)
	if !ok {
		return errors.New("admin: this storage backend keeps no accounts")
	}
	switch command {
	case "admin create-user":
		return c.createUser(ctx, as, e)
	case "admin create-api-key":
		return c.createAPIKey(ctx, as, e)
	case "admin revoke-api-key <id>":
		if err := as.RevokeAPIKey(ctx, c.RevokeAPIKey.ID, time.Now()); err != nil {
			return fmt.Errorf("revoke api key: %w", err)
		}
		fmt.Fprintf(e.stdout, "revoked %s\n", c.RevokeAPIKey.ID)
		return nil
	case "admin list-api-keys":
		keys, err := as.ListAPIKeys(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tROLE\tPREFIX\tCREATED\tEXPIRES\tSTATE")
		for _, k := range keys {
			state := "active"
			if !k.Active(time.Now()) {
				state = "revoked/expired"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s…\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, k.Prefix, k.CreatedAt.UTC().Format(time.RFC3339), timeOrDash(k.ExpiresAt), state)
		}
		return w.Flush()
	}
	return fmt.Errorf("unknown admin command %q", command)
}

// runBackup runs admin backup and admin restore. Unlike the other admin commands it never opens
// the store: a restore must find the database closed, and neither may migrate it.
func (c *adminCmd) runBackup(ctx context.Context, command string, e env) error {
	cfg, _, err := resolve(c.Config, e)
	if err != nil {
		return err
	}
	if cfg.Postgres {
		return backup.ErrPostgres
	}
	var sum backup.Summary
	if command == "admin backup" {
		if sum, err = backup.Backup(ctx, app.SQLitePath(cfg), c.Backup.To); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "backed up %s to %s\n", app.SQLitePath(cfg), sum.Path)
	} else {
		latest, err := sqlite.LatestMigration()
		if err != nil {
			return err
		}
		if sum, err = backup.Restore(ctx, c.Restore.From, app.SQLitePath(cfg), latest, c.Restore.Force); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "restored %s from %s\n", sum.Path, c.Restore.From)
		if sum.Replaced != "" {
			fmt.Fprintf(e.stdout, "the database it replaced is kept as %s\n", sum.Replaced)
		}
	}
	fmt.Fprintf(e.stdout, "%d bytes, schema version %d, %d SIMs, %d users, %d API keys, %d audit entries\n",
		sum.Bytes, sum.SchemaVersion, sum.Rows["sims"], sum.Rows["users"], sum.Rows["api_keys"], sum.Rows["audit_log"])
	return nil
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func (c *adminCmd) createUser(ctx context.Context, as accountStore, e env) error {
	a := c.CreateUser
	password, generated := "", false
	switch a.PasswordFile {
	case "":
		password, generated = rand.Text(), true
	case "-":
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password from stdin: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	default:
		b, err := os.ReadFile(a.PasswordFile)
		if err != nil {
			return fmt.Errorf("read password file: %w", errors.Unwrap(err))
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	u := &fleet.User{ID: fleet.NewRecordID(), Email: a.Email, Name: a.Name, Role: fleet.Role(a.Role), PasswordHash: hash}
	if err := as.CreateUser(ctx, u); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	fmt.Fprintf(e.stdout, "created user %s (%s, %s)\n", u.Email, u.Role, u.ID)
	if generated {
		fmt.Fprintf(e.stdout, "password (shown once):\n%s\n", password)
	}
	return nil
}

func (c *adminCmd) createAPIKey(ctx context.Context, as accountStore, e env) error {
	a := c.CreateAPIKey
	if a.ExpiresIn < 0 {
		return errors.New("admin create-api-key: --expires-in must be positive")
	}
	key, hash, prefix := auth.NewAPIKey()
	k := &fleet.APIKey{ID: fleet.NewRecordID(), Name: a.Name, Hash: hash, Prefix: prefix, Role: fleet.Role(a.Role), CreatedBy: "cli"}
	if a.ExpiresIn > 0 {
		exp := time.Now().Add(a.ExpiresIn)
		k.ExpiresAt = &exp
	}
	if err := as.CreateAPIKey(ctx, k); err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	fmt.Fprintf(e.stdout, "created API key %s (%s, %s); it is shown once:\n", k.ID, k.Name, k.Role)
	// The contract (SPEC §1): the key alone on the last line of stdout, for scripts.
	fmt.Fprintln(e.stdout, key)
	return nil
}
