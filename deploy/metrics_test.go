package deploy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// fromPrometheus are series Prometheus makes itself for every target, not the server.
var fromPrometheus = []string{"up", "scrape_duration_seconds", "scrape_samples_scraped"}

// buildServer compiles the oncefleet binary from the parent module, once per test process.
var buildServer = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "oncefleet-deploy-check-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "oncefleet")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/oncefleet")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/oncefleet: %w\n%s", err, out)
	}
	return bin, nil
})

// server is a running oncefleet process.
type server struct {
	base string
	user string
	pass string
}

// startServer runs `oncefleet serve --demo` on a free loopback port with its own data dir
// until the test ends, and returns its address.
func startServer(t *testing.T) *server {
	t.Helper()
	bin, err := buildServer()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{user: "deploy-check", pass: "deploy-check-password"}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "--demo", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(),
		"ONCEFLEET_DATA_DIR="+t.TempDir(),
		"ONCEFLEET_LOG_LEVEL=warn",
		"ONCEFLEET_DATABASE_URL=", "ONCEFLEET_REDIS_URL=",
		"ONCEFLEET_STREAMER_USERNAME="+s.user, "ONCEFLEET_STREAMER_PASSWORD="+s.pass,
		// The monitor checks stream health every tenth of this: the silence gauges appear soon.
		"ONCEFLEET_STREAMER_SILENT_AFTER=1m",
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// SIGTERM first: the server drains and closes its database.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`server:\s+(http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatalf("oncefleet serve --demo exited before printing its address: %s", stderr.String())
		}
		s.base = a
	case <-time.After(60 * time.Second):
		t.Fatalf("oncefleet serve --demo printed no address within a minute: %s", stderr.String())
	}
	return s
}

func (s *server) do(t *testing.T, method, path, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(s.user, s.pass)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// families scrapes /metrics and returns every series name it exposes (histogram and summary
// families with their _bucket, _sum and _count series).
func (s *server) families(t *testing.T) map[string]bool {
	t.Helper()
	res, err := http.Get(s.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	names := map[string]bool{}
	for name, mf := range mfs {
		names[name] = true
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[name+"_sum"], names[name+"_count"] = true, true
		}
	}
	return names
}

// usageBatch is one Data Streamer usage record in 1NCE's v1 shape.
const usageBatch = `[{"id": 700000001, "traffic_type": {"id": 5, "description": "Data"},
  "start_timestamp": "2026-11-20T10:00:00Z", "end_timestamp": "2026-11-20T10:15:00Z",
  "sim": {"id": 1, "iccid": "8988280666000000017", "msisdn": "882285100000017"},
  "imsi": "901405100000017", "cost": 0.001, "currency": {"id": 1, "code": "EUR", "symbol": "€"},
  "volume": {"rx": 0.12, "tx": 0.03, "total": 0.15}}]`

// TestMetricNamesExist matches every metric name of the alerting rules and dashboards against
// what a real server exports. It starts the server, sends it a little traffic (requests, one
// Data Streamer batch) so that labelled series exist, and waits until each name appears; a name
// that never does is reported with the panel or rule that uses it.
func TestMetricNamesExist(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	used := map[string][]string{} // metric name → where it is used
	for _, q := range queries(t) {
		names, err := metricNames(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			used[n] = append(used[n], q.where)
		}
	}
	s := startServer(t)
	for _, path := range []string{"/health", "/health/live", "/health/ready", "/metrics", "/no-such-page"} {
		s.do(t, http.MethodGet, path, "")
	}
	if code := s.do(t, http.MethodPost, "/api/v1/streamer/usage", usageBatch); code != http.StatusOK {
		t.Fatalf("Data Streamer batch answered %d", code)
	}

	var missing []string
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		have := s.families(t)
		missing = missing[:0]
		for name := range used {
			if !have[name] && !slices.Contains(fromPrometheus, name) {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	slices.Sort(missing)
	for _, name := range missing {
		t.Errorf("%s is not exported by the server (used by %s)", name, strings.Join(used[name], "; "))
	}
	t.Logf("%d metric names checked against a live /metrics", len(used))
}
