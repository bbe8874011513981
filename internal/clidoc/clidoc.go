// Package clidoc renders the configuration reference (docs/CONFIGURATION.md) from the kong
// command-line model, so the document is derived from the same struct tags that parse flags and
// ONCEFLEET_* variables and cannot drift from them. cmd/oncefleet's test compares the committed
// file with this output.
package clidoc

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/oncefleet/oncefleet/internal/config"
)

// Options are the parts of the document that the model does not hold.
type Options struct {
	// Regenerate is the command that rewrites the file, printed in its header.
	Regenerate string
}

// variable is one environment variable and everything that reads it.
type variable struct {
	name     string
	flag     string
	def      string
	help     string
	secret   bool
	commands []string
}

// Markdown renders the reference for app.
func Markdown(app *kong.Application, opts Options) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- Generated from the command-line definitions by `%s`. Do not edit. -->\n\n", opts.Regenerate)
	b.WriteString("# Configuration reference\n\n")
	b.WriteString("Every setting is an environment variable and a flag of the same name (`ONCEFLEET_LOG_LEVEL` is\n")
	b.WriteString("`--log-level`); a flag wins over the variable. Values are validated once at start: a bad one\n")
	b.WriteString("stops the process with one line naming the variable. Secrets never appear in logs or error\n")
	b.WriteString("messages, and each can be given as a file instead with `NAME_FILE` (a mounted Kubernetes,\n")
	fmt.Fprintf(&b, "Docker or ECS secret). This file is generated from the command definitions: regenerate it with\n`%s`.\n\n", opts.Regenerate)

	vars := variables(app.Node)
	b.WriteString("## Environment variables\n\n")
	b.WriteString("| variable | flag | default | read by | meaning |\n| --- | --- | --- | --- | --- |\n")
	files := config.FileVariants()
	for _, v := range vars {
		name := "`" + v.name + "`"
		if v.secret {
			name += " (secret)"
		}
		if slices.Contains(files, v.name) {
			name += "<br>or `" + v.name + "_FILE`"
		}
		fmt.Fprintf(&b, "| %s | `--%s` | %s | %s | %s |\n", name, v.flag, code(v.def), strings.Join(v.commands, ", "), cell(v.help))
	}

	b.WriteString("\n## Commands\n\n")
	b.WriteString("Flags that have an environment variable are listed above; each command's own flags are below.\n")
	for _, n := range commands(app.Node) {
		fmt.Fprintf(&b, "\n### `%s`\n\n%s\n", usage(n), sentence(n.Help))
		var own []*kong.Flag
		for _, f := range n.Flags {
			if !f.Hidden && len(f.Envs) == 0 {
				own = append(own, f)
			}
		}
		if len(own) == 0 {
			continue
		}
		b.WriteString("\n| flag | default | meaning |\n| --- | --- | --- |\n")
		for _, f := range own {
			name := "`--" + f.Name + "`"
			if f.Required {
				name += " (required)"
			}
			def := f.Default
			if def == "" && f.IsBool() {
				def = "false"
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", name, code(def), cell(withEnum(f)))
		}
	}
	return []byte(b.String())
}

// commands lists the runnable commands depth first, in declaration order.
func commands(n *kong.Node) []*kong.Node {
	var out []*kong.Node
	for _, c := range n.Children {
		if c.Hidden {
			continue
		}
		if c.Leaf() {
			out = append(out, c)
		}
		out = append(out, commands(c)...)
	}
	return out
}

// inherited returns the flags a command accepts: its own and those its parent commands declare
// (migrate and admin declare the server settings once for all their subcommands).
func inherited(n *kong.Node) []*kong.Flag {
	var out []*kong.Flag
	for ; n != nil; n = n.Parent {
		out = append(out, n.Flags...)
	}
	return out
}

// usage is the command path with its positional arguments, e.g. "oncefleet admin revoke-api-key <id>".
func usage(n *kong.Node) string {
	path := n.Path()
	for _, p := range n.Positional {
		path += " <" + p.Name + ">"
	}
	return "oncefleet " + path
}

// variables collects every environment variable of the tree, once, in order of first
// declaration, with the commands that read it.
func variables(root *kong.Node) []*variable {
	var out []*variable
	byName := map[string]*variable{}
	for _, n := range commands(root) {
		for _, f := range inherited(n) {
			if f.Hidden {
				continue
			}
			for _, env := range f.Envs {
				v := byName[env]
				if v == nil {
					v = &variable{name: env, flag: f.Name, def: f.Default, help: withEnum(f),
						secret: f.Target.IsValid() && f.Target.Type() == reflect.TypeFor[config.Secret]()}
					byName[env] = v
					out = append(out, v)
				}
				if cmd := n.Path(); !slices.Contains(v.commands, cmd) {
					v.commands = append(v.commands, cmd)
				}
			}
		}
	}
	// Group the commands that read a variable by their top-level command: "admin" stands for
	// every admin subcommand that reads it.
	for _, v := range out {
		var tops []string
		for _, c := range v.commands {
			top, _, _ := strings.Cut(c, " ")
			if !slices.Contains(tops, top) {
				tops = append(tops, top)
			}
		}
		v.commands = tops
	}
	return out
}

func withEnum(f *kong.Flag) string {
	h := sentence(f.Help)
	if f.Enum != "" && !strings.Contains(f.Help, strings.Split(f.Enum, ",")[0]) {
		h += " One of: " + strings.ReplaceAll(f.Enum, ",", ", ") + "."
	}
	return h
}

func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func code(s string) string {
	if s == "" {
		return "empty"
	}
	return "`" + s + "`"
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
