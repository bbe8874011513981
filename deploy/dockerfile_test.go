package deploy

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dockerInstructions returns the Dockerfile's instructions with continuation lines joined and
// comments dropped. There is no Docker engine here; these checks read the file.
func dockerInstructions(t *testing.T) []string {
	t.Helper()
	var out []string
	cur := ""
	for line := range strings.Lines(string(readFile(t, "deploy/Dockerfile"))) {
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cur += s + " "
			continue
		}
		cur += line
		if strings.TrimSpace(cur) != "" {
			out = append(out, strings.TrimSpace(cur))
		}
		cur = ""
	}
	return out
}

func TestDockerfile(t *testing.T) {
	ins := dockerInstructions(t)
	var froms []string
	var final []string // instructions of the last stage
	for _, in := range ins {
		if strings.HasPrefix(in, "FROM ") {
			froms = append(froms, in)
			final = nil
		}
		final = append(final, in)
	}
	if len(froms) < 2 {
		t.Errorf("want a multi-stage build, have %d stages", len(froms))
	}
	if !strings.Contains(froms[len(froms)-1], "distroless/static") {
		t.Errorf("final stage %q is not distroless static", froms[len(froms)-1])
	}
	build := ""
	for _, in := range ins {
		if strings.HasPrefix(in, "RUN ") && strings.Contains(in, "go build") {
			build = in
		}
	}
	for _, flag := range []string{"CGO_ENABLED=0", "-trimpath", "-buildvcs=false", "-buildid=", "-X main.version="} {
		if !strings.Contains(build, flag) {
			t.Errorf("the go build step lacks %s: %s", flag, build)
		}
	}
	user, health := "", ""
	for _, in := range final {
		if u, ok := strings.CutPrefix(in, "USER "); ok {
			user = u
		}
		if strings.HasPrefix(in, "HEALTHCHECK ") {
			health = in
		}
	}
	if user == "" || user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("the image runs as %q, want a non-root user", user)
	}
	if !regexp.MustCompile(`CMD \["/usr/local/bin/oncefleet", "health"`).MatchString(health) {
		t.Errorf("HEALTHCHECK %q does not run the binary's health probe", health)
	}
}

// TestDockerIgnoreKeepsSources checks that the build context filter lets through every
// directory the binary is built from (go list of the parent module).
func TestDockerIgnoreKeepsSources(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./cmd/oncefleet")
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	ignore := string(readFile(t, "deploy/Dockerfile.dockerignore"))
	var dirs []string
	for _, pkg := range strings.Fields(string(out)) {
		rest, ok := strings.CutPrefix(pkg, "github.com/oncefleet/oncefleet/")
		if !ok {
			continue
		}
		top, _, _ := strings.Cut(rest, "/")
		if !slices.Contains(dirs, top) {
			dirs = append(dirs, top)
		}
	}
	for _, d := range dirs {
		if !strings.Contains(ignore, "!"+d+"/") {
			t.Errorf("deploy/Dockerfile.dockerignore leaves out %s/, which the binary is built from", d)
		}
	}
	for _, f := range []string{"!go.mod", "!go.sum"} {
		if !strings.Contains(ignore, f) {
			t.Errorf("deploy/Dockerfile.dockerignore leaves out %s", f[1:])
		}
	}
}
