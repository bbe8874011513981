package clidoc

import (
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/oncefleet/oncefleet/internal/config"
)

type grammar struct {
	Run struct {
		config.Config `embed:""`
		Fast          bool `help:"Go fast | or not."`
	} `cmd:"" help:"Run it."`
	Tool struct {
		Level string `env:"ONCEFLEET_LOG_LEVEL" default:"info" help:"Level."`
		Sub   struct {
			Mode string `enum:"a,b" default:"a" help:"Pick."`
		} `cmd:"" help:"A subcommand."`
	} `cmd:"" help:"Tools."`
	Secret struct{} `cmd:"" hidden:"" help:"Not shown."`
}

func TestMarkdown(t *testing.T) {
	var g grammar
	k, err := kong.New(&g)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(Markdown(k.Model, Options{Regenerate: "make docs"}))
	for _, want := range []string{
		"by `make docs`",
		"| `ONCEFLEET_DATABASE_URL` (secret)<br>or `ONCEFLEET_DATABASE_URL_FILE` | `--database-url` | empty | run |",
		"| `ONCEFLEET_LOG_LEVEL` | `--log-level` | `info` | run, tool |", // a parent's flag counts for its subcommands
		"### `oncefleet tool sub`",
		"| `--fast` | `false` | Go fast \\| or not. |",
		"| `--mode` | `a` | Pick. One of: a, b. |",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("missing %q in:\n%s", want, doc)
		}
	}
	if strings.Contains(doc, "Not shown") {
		t.Error("a hidden command is documented")
	}
	if strings.Count(doc, "`ONCEFLEET_LOG_LEVEL` |") != 1 {
		t.Error("a variable read by two commands is listed twice")
	}
}
