package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/oncefleet/oncefleet/internal/clidoc"
)

var update = flag.Bool("update", false, "rewrite docs/CONFIGURATION.md from the command-line definitions")

// regenerate is the command that rewrites docs/CONFIGURATION.md (the go:generate line in
// main.go runs the same test).
const regenerate = "go generate ./cmd/oncefleet"

// TestConfigurationDoc fails when docs/CONFIGURATION.md differs from what the command-line
// definitions produce, so the reference cannot drift from the flags and variables.
func TestConfigurationDoc(t *testing.T) {
	parser, err := newParser(&cli{}, io.Discard, io.Discard, func(int) {})
	if err != nil {
		t.Fatal(err)
	}
	got := clidoc.Markdown(parser.Model, clidoc.Options{Regenerate: regenerate})
	path := filepath.Join("..", "..", "docs", "CONFIGURATION.md")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: create it with `%s`", err, regenerate)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("docs/CONFIGURATION.md is out of date with the command-line definitions: regenerate it with `%s` (or `go test ./cmd/oncefleet -run TestConfigurationDoc -update`) and commit it", regenerate)
	}
}
