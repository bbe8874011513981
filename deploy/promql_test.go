package deploy

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// The one copy of the alerting rules and dashboards (compose mounts them from the chart).
const (
	alertsFile    = "deploy/helm/oncefleet/files/prometheus/alerts.yaml"
	dashboardsDir = "deploy/helm/oncefleet/files/grafana"
)

// query is one PromQL expression of the rules or dashboards and where it comes from.
type query struct {
	where string
	expr  string
}

func promqlParser() parser.Parser { return parser.NewParser(parser.Options{}) }

// alertRules parses the rules file as Prometheus does (strict fields, every expression and
// annotation template checked) and returns its alerting rules.
func alertRules(t *testing.T) []rulefmt.Rule {
	t.Helper()
	groups, errs := rulefmt.Parse(readFile(t, alertsFile), false, model.UTF8Validation, promqlParser(), slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Errorf("%s: %v", alertsFile, err)
	}
	if groups == nil {
		t.FailNow()
	}
	var rules []rulefmt.Rule
	for _, g := range groups.Groups {
		rules = append(rules, g.Rules...)
	}
	return rules
}

// grafanaVariables replaces the dashboard variables Grafana substitutes before a query reaches
// Prometheus, with values of the same syntactic kind.
var grafanaVariables = strings.NewReplacer(
	"$__rate_interval", "1m", "$__interval", "1m", "$__range", "1h",
	`"$job"`, `".*"`, "${job}", ".*", "$job", ".*",
	"${background_job}", ".*", "$background_job", ".*",
)

// dashboard is what the checks read of a Grafana dashboard.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title      string `json:"title"`
	Type       string `json:"type"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

func dashboards(t *testing.T) map[string]dashboard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, dashboardsDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in %s (%v)", dashboardsDir, err)
	}
	out := map[string]dashboard{}
	for _, f := range files {
		var d dashboard
		if err := json.Unmarshal(readFile(t, filepath.Join(dashboardsDir, filepath.Base(f))), &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = d
	}
	return out
}

// queries collects every PromQL expression of the alerting rules and the dashboards.
func queries(t *testing.T) []query {
	t.Helper()
	var qs []query
	for _, r := range alertRules(t) {
		qs = append(qs, query{where: "alert " + r.Alert, expr: r.Expr})
	}
	labelValues := regexp.MustCompile(`^label_values\(\s*([^,]+?)\s*,\s*\w+\s*\)$`)
	for file, d := range dashboards(t) {
		var walk func(ps []panel)
		walk = func(ps []panel) {
			for _, p := range ps {
				for _, tg := range p.Targets {
					qs = append(qs, query{where: fmt.Sprintf("%s panel %q %s", file, p.Title, tg.RefID), expr: grafanaVariables.Replace(tg.Expr)})
				}
				walk(p.Panels)
			}
		}
		walk(d.Panels)
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			q, _ := v.Query.(map[string]any)["query"].(string)
			m := labelValues.FindStringSubmatch(q)
			if m == nil {
				t.Errorf("%s variable %s: query %q is not label_values(selector, label)", file, v.Name, q)
				continue
			}
			qs = append(qs, query{where: fmt.Sprintf("%s variable %s", file, v.Name), expr: grafanaVariables.Replace(m[1])})
		}
	}
	return qs
}

// metricNames returns the metric names q selects, parsing it with Prometheus's parser.
func metricNames(q query) ([]string, error) {
	expr, err := promqlParser().ParseExpr(q.expr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q.where, err)
	}
	var names []string
	var bad error
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		if name == "" {
			bad = fmt.Errorf("%s: selector %s names no metric", q.where, vs)
			return nil
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		return nil
	})
	return names, bad
}

func TestPromQLParses(t *testing.T) {
	qs := queries(t)
	if len(qs) < 40 {
		t.Errorf("only %d expressions found in the rules and dashboards", len(qs))
	}
	for _, q := range qs {
		if _, err := metricNames(q); err != nil {
			t.Error(err)
		}
	}
}

// TestAlertRulesHaveRunbooks checks every alert's labels and annotations, and that its
// runbook_url points at a section of docs/RUNBOOK.md that exists.
func TestAlertRulesHaveRunbooks(t *testing.T) {
	anchors := markdownAnchors(string(readFile(t, "docs/RUNBOOK.md")))
	const base = "https://github.com/oncefleet/oncefleet/blob/main/docs/RUNBOOK.md#"
	rules := alertRules(t)
	if len(rules) == 0 {
		t.Fatal("no alerting rules")
	}
	for _, r := range rules {
		if r.Alert == "" {
			t.Errorf("recording rule %s: the rules file holds alerts only", r.Record)
			continue
		}
		if s := r.Labels["severity"]; s != "critical" && s != "warning" {
			t.Errorf("%s: severity %q, want critical or warning", r.Alert, s)
		}
		for _, a := range []string{"summary", "description", "runbook_url"} {
			if r.Annotations[a] == "" {
				t.Errorf("%s: no %s annotation", r.Alert, a)
			}
		}
		url := r.Annotations["runbook_url"]
		anchor, ok := strings.CutPrefix(url, base)
		if !ok || !anchors[anchor] {
			t.Errorf("%s: runbook_url %q is not a section of docs/RUNBOOK.md", r.Alert, url)
		}
		if anchor != strings.ToLower(r.Alert) {
			t.Errorf("%s: runbook anchor %q, want the section named after the alert (#%s)", r.Alert, anchor, strings.ToLower(r.Alert))
		}
	}
}

// markdownAnchors returns the anchors GitHub gives the headings of a Markdown document:
// lower case, punctuation dropped, spaces as hyphens.
func markdownAnchors(doc string) map[string]bool {
	anchors := map[string]bool{}
	drop := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	for line := range strings.Lines(doc) {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		anchors[strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(title), ""), " ", "-")] = true
	}
	return anchors
}

func TestDashboardsAreProvisionable(t *testing.T) {
	uids := map[string]string{}
	for file, d := range dashboards(t) {
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: uid %q title %q: both are needed for provisioning", file, d.UID, d.Title)
		}
		if other, dup := uids[d.UID]; dup {
			t.Errorf("%s and %s share uid %s", file, other, d.UID)
		}
		uids[d.UID] = file
		hasDS := false
		for _, v := range d.Templating.List {
			hasDS = hasDS || (v.Name == "datasource" && v.Type == "datasource")
		}
		if !hasDS {
			t.Errorf("%s: no datasource variable: the dashboard would be bound to one Grafana's data source", file)
		}
		for _, p := range d.Panels {
			if p.Type != "row" && (p.Datasource == nil || p.Datasource.UID != "${datasource}") {
				t.Errorf("%s panel %q: data source is not ${datasource}", file, p.Title)
			}
		}
	}
	if len(uids) < 5 {
		t.Errorf("%d dashboards, want HTTP API, 1NCE upstream, Data Streamer, background jobs and fleet", len(uids))
	}
}

// TestArchitectureDiagramInSync keeps the Mermaid block of docs/ARCHITECTURE.md equal to its
// source, docs/architecture.mmd.
func TestArchitectureDiagramInSync(t *testing.T) {
	src := string(readFile(t, "docs/architecture.mmd"))
	doc := string(readFile(t, "docs/ARCHITECTURE.md"))
	if !strings.Contains(doc, "```mermaid\n"+src+"```") {
		t.Error("the diagram in docs/ARCHITECTURE.md differs from docs/architecture.mmd: copy the source into the mermaid block")
	}
}
