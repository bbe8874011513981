// Package examples holds programs that use the public modules (once, oncesim) the way another
// team's code does, and the test that fetches them like a user: through a module proxy, into
// a module of its own, with nothing of the oncefleet server in its module graph.
package examples

import (
	"archive/zip"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// version is what the test proxy serves each module as (the tag a release would carry:
// once/v0.1.0, oncesim/v0.1.0, once/onceredis/v0.1.0).
const version = "v0.1.0"

// modules are the public modules of the repository: path and directory (from here).
var modules = map[string]string{
	"github.com/oncefleet/oncefleet/once":           "../once",
	"github.com/oncefleet/oncefleet/oncesim":        "../oncesim",
	"github.com/oncefleet/oncefleet/once/onceredis": "../once/onceredis",
}

// serverModules are what a user of the SDK must not get in their module graph: the server's
// own module and its heavy dependencies.
var serverModules = []string{
	"github.com/oncefleet/oncefleet ", // the root module (a trailing blank: exact path)
	"github.com/jackc/pgx",
	"github.com/redis/go-redis",
	"github.com/prometheus/",
	"modernc.org/sqlite",
	"github.com/alecthomas/kong",
	"github.com/getkin/kin-openapi",
	"github.com/riverqueue/river",
}

// TestGoGetTour fetches once and oncesim through a file:// module proxy built from this
// repository (no network: their own dependencies come from the local module cache), builds the
// tour program in a fresh module, runs it (every operation against the simulator over real
// HTTP) and checks the module graph.
func TestGoGetTour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module from scratch")
	}
	proxy := buildProxy(t)
	dir := userModule(t, "example.com/tour", map[string]string{"main.go": readFile(t, "tour/main.go")})
	env := userEnv(t, proxy)

	run(t, dir, env, "go", "get", "github.com/oncefleet/oncefleet/once@"+version, "github.com/oncefleet/oncefleet/oncesim@"+version)
	run(t, dir, env, "go", "mod", "tidy")
	run(t, dir, env, "go", "vet", "./...")
	out := run(t, dir, env, "go", "run", ".")
	if !strings.Contains(out, "43 of 43 operations reached") {
		t.Errorf("tour output:\n%s", out)
	}
	graph := run(t, dir, env, "go", "list", "-m", "all")
	checkGraph(t, graph, "github.com/oncefleet/oncefleet/once "+version, "github.com/oncefleet/oncefleet/oncesim "+version)
}

// TestGoGetRedisStores does the same for the Redis token and budget stores: go-redis comes
// with them (that is why they are a module of their own), the server does not.
func TestGoGetRedisStores(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module from scratch")
	}
	proxy := buildProxy(t)
	dir := userModule(t, "example.com/stores", map[string]string{"main.go": `package main

import (
	"github.com/oncefleet/oncefleet/once"
	"github.com/oncefleet/oncefleet/once/onceredis"
	"github.com/redis/go-redis/v9"
)

func main() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	_, _ = once.New("id", "secret",
		once.WithTokenStore(onceredis.NewTokenStore(rdb, "example:once:")),
		once.WithBudget(onceredis.NewBudgetStore(rdb, "example:once:")))
}
`})
	env := userEnv(t, proxy)
	run(t, dir, env, "go", "get", "github.com/oncefleet/oncefleet/once/onceredis@"+version)
	run(t, dir, env, "go", "mod", "tidy")
	run(t, dir, env, "go", "build", "./...")
	// go mod graph rather than go list -m all: it needs only go.mod files, and go-redis's test
	// dependencies have nothing else in the local cache.
	var graph string
	for _, edge := range strings.Split(run(t, dir, env, "go", "mod", "graph"), "\n") {
		if _, to, ok := strings.Cut(edge, " "); ok {
			graph += strings.Replace(to, "@", " ", 1) + "\n"
		}
	}
	var allowed []string
	for _, m := range serverModules {
		if m != "github.com/redis/go-redis" {
			allowed = append(allowed, m)
		}
	}
	checkGraphWithout(t, graph, allowed, "github.com/oncefleet/oncefleet/once/onceredis "+version, "github.com/redis/go-redis/v9 ")
}

func checkGraph(t *testing.T, graph string, want ...string) {
	t.Helper()
	checkGraphWithout(t, graph, serverModules, want...)
}

func checkGraphWithout(t *testing.T, graph string, forbidden []string, want ...string) {
	t.Helper()
	for _, line := range strings.Split(graph, "\n") {
		for _, f := range forbidden {
			if strings.HasPrefix(line+" ", f) {
				t.Errorf("module graph holds %q (from the server)", line)
			}
		}
	}
	for _, w := range want {
		if !strings.Contains(graph, w) {
			t.Errorf("module graph lacks %q:\n%s", w, graph)
		}
	}
}

// buildProxy writes a module proxy (the GOPROXY protocol's file layout) serving each public
// module at version, after making sure their own dependencies are in the local module cache.
func buildProxy(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for path, dir := range modules {
		run(t, dir, nil, "go", "mod", "download")
		at := filepath.Join(root, filepath.FromSlash(path), "@v")
		if err := os.MkdirAll(at, 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(at, "list"), version+"\n")
		write(t, filepath.Join(at, version+".info"), `{"Version":"`+version+`","Time":"2026-11-01T00:00:00Z"}`)
		write(t, filepath.Join(at, version+".mod"), readFile(t, filepath.Join(dir, "go.mod")))
		zipModule(t, path, dir, filepath.Join(at, version+".zip"))
	}
	return root
}

// zipModule writes the module zip of dir: every file under module@version/, without nested
// modules.
func zipModule(t *testing.T, path, dir, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir // a module of its own
				}
			}
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		w, err := zw.Create(path + "@" + version + "/" + filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// userModule creates a module outside this repository holding files.
func userModule(t *testing.T, path string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module "+path+"\n\ngo 1.23.0\n")
	for name, src := range files {
		write(t, filepath.Join(dir, name), src)
	}
	return dir
}

// userEnv is a go command environment that finds modules only through proxy and the local
// module cache's download directory: no network, no workspace, a module cache of its own (so a
// module changed here is never served stale from an earlier run).
func userEnv(t *testing.T, proxy string) []string {
	t.Helper()
	cache := strings.TrimSpace(run(t, ".", nil, "go", "env", "GOMODCACHE"))
	env := []string{
		"GOPROXY=" + fileURL(proxy) + "," + fileURL(filepath.Join(cache, "cache", "download")),
		"GOSUMDB=off", "GONOSUMDB=", "GOPRIVATE=", "GONOPROXY=", "GOWORK=off", "GOTOOLCHAIN=local",
		"GOFLAGS=-modcacherw -buildvcs=false", "GOMODCACHE=" + filepath.Join(t.TempDir(), "modcache"),
	}
	return env
}

func fileURL(p string) string { return "file://" + filepath.ToSlash(p) }

// run runs a command in dir with env added, failing the test on error; it returns stdout.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s in %s: %v\n%s%s", name, strings.Join(args, " "), dir, err, out, stderr.String())
	}
	return string(out)
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
