package deploy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
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
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
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

// exposition is what /metrics exposes: for every series name (histogram and summary families
// with their _bucket, _sum and _count series) its label names and the values each takes.
type exposition map[string]map[string]map[string]bool

// families scrapes /metrics.
func (s *server) families(t *testing.T) exposition {
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
	out := exposition{}
	add := func(name string, m *dto.Metric, extra ...string) {
		if out[name] == nil {
			out[name] = map[string]map[string]bool{}
		}
		for _, lp := range m.GetLabel() {
			if out[name][lp.GetName()] == nil {
				out[name][lp.GetName()] = map[string]bool{}
			}
			out[name][lp.GetName()][lp.GetValue()] = true
		}
		for _, l := range extra {
			if out[name][l] == nil {
				out[name][l] = map[string]bool{}
			}
		}
	}
	for name, mf := range mfs {
		out[name] = map[string]map[string]bool{}
		for _, m := range mf.GetMetric() {
			add(name, m)
			switch mf.GetType() {
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				add(name+"_bucket", m, "le")
				add(name+"_sum", m)
				add(name+"_count", m)
			case dto.MetricType_SUMMARY:
				add(name, m, "quantile")
				add(name+"_sum", m)
				add(name+"_count", m)
			}
		}
	}
	return out
}

// targetLabels are labels Prometheus attaches to every series of a target (the scrape job and
// instance, the compose file's static labels, the prometheus-operator's target labels).
var targetLabels = []string{"job", "instance", "component", "namespace", "pod", "service", "endpoint", "container"}

// matcher is one label matcher of a selector in a rule or dashboard.
type matcher struct {
	where, metric string
	m             *labels.Matcher
}

// matchers returns the label matchers of q's selectors, the metric name matcher excluded.
func matchers(q query) ([]matcher, error) {
	expr, err := promqlParser().ParseExpr(q.expr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q.where, err)
	}
	var out []matcher
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name != model.MetricNameLabel {
				out = append(out, matcher{where: q.where, metric: vs.Name, m: m})
			}
		}
		return nil
	})
	return out, nil
}

// check reports what is wrong with m against a live exposition, or "" when nothing is. A label
// must be one the server exposes on the metric or a target label; exported_job and
// exported_instance stand for the server's own job and instance labels, which Prometheus renames
// on scrape because the target's labels take those names. An exact value must be one the server
// exposes (label values known up front are exposed at zero for this). A metric whose series carry
// their own job label must be selected by exported_job, never job, with one of its values.
func (m matcher) check(have exposition) string {
	series, ok := have[m.metric]
	if !ok {
		return "" // reported as a missing name
	}
	name := m.m.Name
	if own, ok := strings.CutPrefix(name, "exported_"); ok && (own == "job" || own == "instance") {
		name = own
	} else if slices.Contains(targetLabels, name) {
		if values, own := series[name]; own && m.m.Type == labels.MatchEqual && values[m.m.Value] {
			return fmt.Sprintf("%s selects %s=%q: after the scrape that label is exported_%s", m.metric, name, m.m.Value, name)
		}
		return ""
	}
	values, ok := series[name]
	if !ok {
		known := slices.Sorted(maps.Keys(series))
		return fmt.Sprintf("%s has no label %s (it has %s)", m.metric, m.m.Name, strings.Join(known, ", "))
	}
	if m.m.Type == labels.MatchEqual && m.m.Value != "" && !values[m.m.Value] {
		return fmt.Sprintf("%s{%s=%q}: the server exposes no such series (values: %s)", m.metric, m.m.Name, m.m.Value,
			strings.Join(slices.Sorted(maps.Keys(values)), ", "))
	}
	return ""
}

// usageBatch is one Data Streamer usage record in 1NCE's v1 shape.
const usageBatch = `[{"id": 700000001, "traffic_type": {"id": 5, "description": "Data"},
  "start_timestamp": "2026-11-20T10:00:00Z", "end_timestamp": "2026-11-20T10:15:00Z",
  "sim": {"id": 1, "iccid": "8988280666000000017", "msisdn": "882285100000017"},
  "imsi": "901405100000017", "cost": 0.001, "currency": {"id": 1, "code": "EUR", "symbol": "€"},
  "volume": {"rx": 0.12, "tx": 0.03, "total": 0.15}}]`

// TestMetricNamesExist matches every metric name of the alerting rules and dashboards against
// what a real server exports, and every label matcher against the labels (and, for exact
// matches, the values) of its series. It starts the server, sends it a little traffic
// (requests, one Data Streamer batch) so that labelled series exist, and waits until each name
// appears; a name that never does is reported with the panel or rule that uses it.
func TestMetricNamesExist(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	used := map[string][]string{} // metric name → where it is used
	var ms []matcher
	for _, q := range queries(t) {
		names, err := metricNames(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			used[n] = append(used[n], q.where)
		}
		qm, err := matchers(q)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, qm...)
	}
	s := startServer(t)
	for _, path := range []string{"/health", "/health/live", "/health/ready", "/metrics", "/no-such-page"} {
		s.do(t, http.MethodGet, path, "")
	}
	if code := s.do(t, http.MethodPost, "/api/v1/streamer/usage", usageBatch); code != http.StatusOK {
		t.Fatalf("Data Streamer batch answered %d", code)
	}

	// Two minutes: the fleet gauges are refreshed every minute, and the first refresh can come
	// before the demo fleet's first sync.
	var missing, wrong []string
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(250 * time.Millisecond) {
		have := s.families(t)
		missing, wrong = missing[:0], wrong[:0]
		for name := range used {
			if _, ok := have[name]; !ok && !slices.Contains(fromPrometheus, name) {
				missing = append(missing, name)
			}
		}
		for _, m := range ms {
			if msg := m.check(have); msg != "" {
				wrong = append(wrong, fmt.Sprintf("%s: %s", m.where, msg))
			}
		}
		if len(missing)+len(wrong) == 0 || time.Now().After(deadline) {
			break
		}
	}
	slices.Sort(missing)
	for _, name := range missing {
		t.Errorf("%s is not exported by the server (used by %s)", name, strings.Join(used[name], "; "))
	}
	slices.Sort(wrong)
	for _, w := range slices.Compact(wrong) {
		t.Error(w)
	}
	t.Logf("%d metric names and %d label matchers checked against a live /metrics", len(used), len(ms))
}

// TestMatcherCheck shows what the label check catches, on a made-up exposition.
func TestMatcherCheck(t *testing.T) {
	have := exposition{
		"job_runs_total": {"job_name": {"sync_sims": true}, "result": {"ok": true, "failed": true}},
		"build_info":     {"job": {"x": true}},
		"topups_total":   {"reason": {"auto": true}, "state": {"unknown": true}},
	}
	for _, c := range []struct {
		expr string
		bad  bool
	}{
		{`job_runs_total{job_name="sync_sims",result="failed"}`, false},
		{`job_runs_total{job=~".*",instance="x",component="worker"}`, false},
		{`job_runs_total{job_name="sync_sim"}`, true},   // no such value
		{`build_info{job="x"}`, true},                   // the series' own job label is exported_job after a scrape
		{`job_runs_total{result="failure"}`, true},      // no such value
		{`job_runs_total{result=~"ok|skipped"}`, false}, // regular expressions are not checked
		{`topups_total{outcome="unknown"}`, true},       // no such label
		{`topups_total{state="unknown"}`, false},
		{`no_such_metric{x="y"}`, false}, // reported as a missing name instead
	} {
		ms, err := matchers(query{where: c.expr, expr: c.expr})
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, m := range ms {
			if msg := m.check(have); msg != "" {
				msgs = append(msgs, msg)
			}
		}
		if (len(msgs) > 0) != c.bad {
			t.Errorf("%s: problems %q, want bad=%v", c.expr, msgs, c.bad)
		}
	}
}
