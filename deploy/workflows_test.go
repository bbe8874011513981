package deploy

import (
	"bytes"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// TestWorkflowsLint lints .github/workflows with actionlint, as a library: syntax, expressions,
// contexts, action inputs, job dependencies, and the run: scripts with shellcheck when it is
// installed (.ci/run installs it).
func TestWorkflowsLint(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, ".github", "workflows", "*.yml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("want ci.yml and release.yml in .github/workflows, found %v (%v)", files, err)
	}
	opts := &actionlint.LinterOptions{LogWriter: io.Discard}
	if path, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = path
	} else {
		t.Log("shellcheck is not installed: run: scripts are not checked")
	}
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, opts)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintFiles(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("%s:%d:%d: %s [%s]", filepath.Base(e.Filepath), e.Line, e.Column, e.Message, e.Kind)
	}
}

// TestWorkflowsCoverTheBrief checks what CI and release must do, so a later edit cannot drop a
// step silently.
func TestWorkflowsCoverTheBrief(t *testing.T) {
	ci := string(readFile(t, ".github/workflows/ci.yml"))
	for _, want := range []string{"gofmt -l", "go vet ./...", "staticcheck ./...", "govulncheck ./...",
		"go test -race", "postgres:", "redis:", "deploy/Dockerfile", "trivy-action", "cd deploy && go vet", "working-directory: oncefleet/deploy"} {
		if !strings.Contains(ci, want) {
			t.Errorf("ci.yml lacks %q", want)
		}
	}
	// The race list of CI and of .ci/run differ only by what each adds; keep them in step.
	run := string(readFile(t, ".ci/run"))
	for _, pkg := range []string{"cache|ratelimit|streamer|bus|httpmw|health|app", "once once/onceredis oncesim"} {
		if !strings.Contains(ci, pkg) || !strings.Contains(run, pkg) {
			t.Errorf("the race detector's package list (%s) differs between ci.yml and .ci/run", pkg)
		}
	}
	rel := string(readFile(t, ".github/workflows/release.yml"))
	for _, os := range []string{"linux", "darwin", "windows"} {
		if !strings.Contains(rel, os) {
			t.Errorf("release.yml builds nothing for %s", os)
		}
	}
	if !strings.Contains(rel, "goarch: [amd64, arm64]") || !strings.Contains(rel, "sha256sum") || !strings.Contains(rel, "-trimpath") {
		t.Error("release.yml must build amd64 and arm64 with -trimpath and publish SHA-256 checksums")
	}
	if !slices.Contains(strings.Fields(rel), "CGO_ENABLED:") {
		t.Error("release.yml must build without cgo")
	}
}
