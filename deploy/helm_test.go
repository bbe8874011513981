package deploy

import (
	"bytes"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	sigsyaml "sigs.k8s.io/yaml"
)

const chartDir = "helm/oncefleet"

// kinds maps each apiVersion/kind the chart may render to its Go type; anything else is an
// error (a typo in apiVersion would otherwise go unnoticed until install).
var kinds = map[string]func() any{
	"v1/ConfigMap":                            func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                               func() any { return &corev1.Secret{} },
	"v1/Service":                              func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                       func() any { return &corev1.ServiceAccount{} },
	"v1/PersistentVolumeClaim":                func() any { return &corev1.PersistentVolumeClaim{} },
	"apps/v1/Deployment":                      func() any { return &appsv1.Deployment{} },
	"batch/v1/Job":                            func() any { return &batchv1.Job{} },
	"autoscaling/v2/HorizontalPodAutoscaler":  func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":           func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/NetworkPolicy":      func() any { return &networkingv1.NetworkPolicy{} },
	"networking.k8s.io/v1/Ingress":            func() any { return &networkingv1.Ingress{} },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return &monitoringv1.ServiceMonitor{} },
	"monitoring.coreos.com/v1/PrometheusRule": func() any { return &monitoringv1.PrometheusRule{} },
}

// rendered is the chart's output, every object decoded into its API type.
type rendered struct {
	objects []any
	names   map[string]bool // kind/name of every object
	// existingSecret is the Secret the values say exists outside the chart ("" for none).
	existingSecret string
}

func (r *rendered) all(kind string) []any {
	var out []any
	for _, o := range r.objects {
		if fmt.Sprintf("%T", o) == kind {
			out = append(out, o)
		}
	}
	return out
}

// render renders the chart with the values file (relative to the chart, "" for the defaults)
// and overrides, as `helm template` does, and strictly decodes every object.
func render(t *testing.T, valuesFile string, overrides map[string]any) (*rendered, error) {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	vals := map[string]any{}
	if valuesFile != "" {
		if vals, err = chartutil.ReadValuesFile(filepath.Join(chartDir, valuesFile)); err != nil {
			t.Fatal(err)
		}
	}
	vals = chartutil.CoalesceTables(overrides, vals)
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: "fleet", Namespace: "oncefleet", IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	out, err := engine.Render(ch, rv)
	if err != nil {
		return nil, err
	}
	r := &rendered{names: map[string]bool{}}
	if sec, ok := rv["Values"].(chartutil.Values)["secrets"].(map[string]any); ok {
		r.existingSecret, _ = sec["existingSecret"].(string)
	}
	for _, name := range slices.Sorted(maps.Keys(out)) {
		if !strings.HasSuffix(name, ".yaml") {
			continue
		}
		for i, doc := range strings.Split(out[name], "\n---") {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			var meta struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if err := sigsyaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Fatalf("%s document %d: %v\n%s", name, i, err, doc)
			}
			newObj, ok := kinds[meta.APIVersion+"/"+meta.Kind]
			if !ok {
				t.Fatalf("%s renders %s/%s, which the checks do not know", name, meta.APIVersion, meta.Kind)
			}
			obj := newObj()
			if err := sigsyaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				t.Fatalf("%s: %s %s does not decode strictly into %T: %v\n%s", name, meta.Kind, meta.Metadata.Name, obj, err, doc)
			}
			key := meta.Kind + "/" + meta.Metadata.Name
			if r.names[key] {
				t.Errorf("%s rendered twice", key)
			}
			r.names[key] = true
			r.objects = append(r.objects, obj)
		}
	}
	return r, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for line := range strings.Lines(doc) {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// checkObjects applies the checks every rendering must pass.
func checkObjects(t *testing.T, r *rendered) {
	t.Helper()
	configMaps, secrets := map[string]*corev1.ConfigMap{}, map[string]bool{r.existingSecret: r.existingSecret != ""}
	for _, o := range r.objects {
		switch o := o.(type) {
		case *corev1.ConfigMap:
			configMaps[o.Name] = o
		case *corev1.Secret:
			secrets[o.Name] = true
			for k := range o.Data {
				if !slices.Contains([]string{"database-url", "redis-url", "once-client-secret", "streamer-username", "streamer-password", "jwt-key"}, k) {
					t.Errorf("Secret %s has key %s, which no pod reads", o.Name, k)
				}
			}
		}
	}
	var vars []string
	podLabels := map[string]labels.Set{}
	for _, o := range r.all("*v1.Deployment") {
		d := o.(*appsv1.Deployment)
		podLabels[d.Name] = d.Spec.Template.Labels
		sel := labels.SelectorFromSet(d.Spec.Selector.MatchLabels)
		if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("Deployment %s: selector does not match its pod labels", d.Name)
		}
		checkPod(t, "Deployment "+d.Name, &d.Spec.Template.Spec, true)
		for _, c := range d.Spec.Template.Spec.Containers {
			for _, e := range c.Env {
				vars = append(vars, e.Name)
				if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil && !secrets[ref.SecretKeyRef.Name] {
					t.Errorf("Deployment %s reads Secret %s, which is neither rendered nor secrets.existingSecret", d.Name, ref.SecretKeyRef.Name)
				}
			}
			for _, ef := range c.EnvFrom {
				cm, ok := configMaps[ef.ConfigMapRef.Name]
				if !ok {
					t.Errorf("Deployment %s reads ConfigMap %s, which the chart does not render", d.Name, ef.ConfigMapRef.Name)
					continue
				}
				vars = append(vars, slices.Collect(maps.Keys(cm.Data))...)
			}
		}
	}
	checkVariables(t, "the Helm chart", vars)
	for _, o := range r.all("*v1.Job") {
		j := o.(*batchv1.Job)
		checkPod(t, "Job "+j.Name, &j.Spec.Template.Spec, false)
		if h := j.Annotations["helm.sh/hook"]; h != "pre-install,pre-upgrade" {
			t.Errorf("Job %s hook = %q, want pre-install,pre-upgrade", j.Name, h)
		}
		if args := j.Spec.Template.Spec.Containers[0].Args; !slices.Equal(args, []string{"migrate", "up"}) {
			t.Errorf("Job %s runs %v", j.Name, args)
		}
	}
	for _, o := range r.all("*v1.PodDisruptionBudget") {
		p := o.(*policyv1.PodDisruptionBudget)
		if !selectsDeployment(p.Spec.Selector.MatchLabels, podLabels) {
			t.Errorf("PodDisruptionBudget %s selects no Deployment's pods", p.Name)
		}
	}
	for _, o := range r.all("*v1.NetworkPolicy") {
		n := o.(*networkingv1.NetworkPolicy)
		if !selectsDeployment(n.Spec.PodSelector.MatchLabels, podLabels) {
			t.Errorf("NetworkPolicy %s selects no Deployment's pods", n.Name)
		}
	}
	for _, o := range r.all("*v2.HorizontalPodAutoscaler") {
		h := o.(*autoscalingv2.HorizontalPodAutoscaler)
		if _, ok := podLabels[h.Spec.ScaleTargetRef.Name]; !ok || h.Spec.ScaleTargetRef.Kind != "Deployment" {
			t.Errorf("HorizontalPodAutoscaler %s scales %s %s, not a rendered Deployment", h.Name, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)
		}
	}
	for _, o := range r.all("*v1.Service") {
		s := o.(*corev1.Service)
		if !selectsDeployment(s.Spec.Selector, podLabels) {
			t.Errorf("Service %s selects no Deployment's pods", s.Name)
		}
	}
}

func selectsDeployment(sel map[string]string, pods map[string]labels.Set) bool {
	for _, l := range pods {
		if labels.SelectorFromSet(sel).Matches(l) {
			return true
		}
	}
	return false
}

// checkPod checks what every oncefleet pod needs: non-root, read-only root, resources, and for
// long-running ones the probes on the health endpoints.
func checkPod(t *testing.T, what string, spec *corev1.PodSpec, probes bool) {
	t.Helper()
	if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("%s: pod may run as root", what)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", what, len(spec.Containers))
	}
	c := spec.Containers[0]
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: container wants a read-only root and no privilege escalation", what)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("%s: CPU and memory requests and a memory limit are required", what)
	}
	if !probes {
		return
	}
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
		want := "/health/live"
		if name == "readiness" {
			want = "/health/ready"
		}
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want || p.HTTPGet.Port.String() != "http" {
			t.Errorf("%s: %s probe %+v, want GET %s on port http", what, name, p, want)
		}
	}
}

func TestHelmDefaultValues(t *testing.T) {
	r, err := render(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, r)
	for _, want := range []string{"Deployment/fleet-oncefleet", "Service/fleet-oncefleet", "ConfigMap/fleet-oncefleet",
		"Secret/fleet-oncefleet", "PersistentVolumeClaim/fleet-oncefleet", "NetworkPolicy/fleet-oncefleet", "ServiceAccount/fleet-oncefleet"} {
		if !r.names[want] {
			t.Errorf("default values do not render %s (have %v)", want, slices.Sorted(maps.Keys(r.names)))
		}
	}
	for name := range r.names {
		if strings.HasPrefix(name, "Job/") || strings.HasPrefix(name, "HorizontalPodAutoscaler/") || strings.HasSuffix(name, "-worker") {
			t.Errorf("the sqlite default renders %s", name)
		}
	}
	d := r.all("*v1.Deployment")[0].(*appsv1.Deployment)
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType || d.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim == nil {
		t.Errorf("the sqlite default must recreate its one pod on its volume: %+v", d.Spec.Strategy)
	}
}

func TestHelmProductionValues(t *testing.T) {
	r, err := render(t, "values-production.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, r)
	for _, want := range []string{
		"Deployment/fleet-oncefleet", "Deployment/fleet-oncefleet-worker",
		"HorizontalPodAutoscaler/fleet-oncefleet",
		"PodDisruptionBudget/fleet-oncefleet", "PodDisruptionBudget/fleet-oncefleet-worker",
		"NetworkPolicy/fleet-oncefleet", "NetworkPolicy/fleet-oncefleet-worker",
		"Job/fleet-oncefleet-migrate", "Ingress/fleet-oncefleet",
		"Service/fleet-oncefleet", "Service/fleet-oncefleet-worker",
		"ServiceMonitor/fleet-oncefleet", "PrometheusRule/fleet-oncefleet", "ConfigMap/fleet-oncefleet-dashboards",
	} {
		if !r.names[want] {
			t.Errorf("production values do not render %s (have %v)", want, slices.Sorted(maps.Keys(r.names)))
		}
	}
	for name := range r.names {
		if strings.HasPrefix(name, "Secret/") || strings.HasPrefix(name, "PersistentVolumeClaim/") {
			t.Errorf("production values (existing Secret, PostgreSQL) render %s", name)
		}
	}
	for _, o := range r.all("*v1.Deployment") {
		d := o.(*appsv1.Deployment)
		want := map[string][]string{"fleet-oncefleet": {"serve", "--no-jobs"}, "fleet-oncefleet-worker": {"worker"}}[d.Name]
		if args := d.Spec.Template.Spec.Containers[0].Args; !slices.Equal(args, want) {
			t.Errorf("Deployment %s runs %v, want %v (the worker runs the jobs)", d.Name, args, want)
		}
	}
	for _, o := range r.all("*v1.ConfigMap") {
		if cm := o.(*corev1.ConfigMap); cm.Name == "fleet-oncefleet" && cm.Data["ONCEFLEET_MIGRATE_ON_START"] != "false" {
			t.Error("pods migrate on start beside the migration Job")
		}
	}
	// The PrometheusRule carries exactly the rules compose loads.
	pr := r.all("*v1.PrometheusRule")[0].(*monitoringv1.PrometheusRule)
	var inChart []string
	for _, g := range pr.Spec.Groups {
		for _, rule := range g.Rules {
			inChart = append(inChart, rule.Alert)
		}
	}
	var inFile []string
	for _, rule := range alertRules(t) {
		inFile = append(inFile, rule.Alert)
	}
	if !slices.Equal(inChart, inFile) {
		t.Errorf("PrometheusRule alerts %v, want those of %s: %v", inChart, alertsFile, inFile)
	}
	dash := r.all("*v1.ConfigMap")
	found := 0
	for _, o := range dash {
		if cm := o.(*corev1.ConfigMap); cm.Name == "fleet-oncefleet-dashboards" {
			found = len(cm.Data)
		}
	}
	if want := len(dashboards(t)); found != want {
		t.Errorf("dashboards ConfigMap holds %d dashboards, want %d", found, want)
	}
}

// TestHelmChartCreatesSecretAndMigrationSecret renders PostgreSQL with chart-made secrets: the
// migration Job must read a hook-time Secret (the chart's own does not exist before install).
func TestHelmChartCreatesSecretAndMigrationSecret(t *testing.T) {
	r, err := render(t, "", map[string]any{
		"database": map[string]any{"engine": "postgres"},
		"secrets": map[string]any{"databaseURL": "postgres://u:change-me@db:5432/x", "redisURL": "redis://redis:6379/0",
			"jwtKey": "change-me-change-me-change-me-change-me"},
		"serve": map[string]any{"replicas": 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, r)
	if !r.names["Secret/fleet-oncefleet-migrate"] || !r.names["Secret/fleet-oncefleet"] {
		t.Errorf("want the chart's Secret and the migration hook's: %v", slices.Sorted(maps.Keys(r.names)))
	}
	for _, o := range r.all("*v1.Secret") {
		s := o.(*corev1.Secret)
		if s.Name == "fleet-oncefleet-migrate" && s.Annotations["helm.sh/hook-weight"] != "-10" {
			t.Error("the migration Secret is not created before the Job")
		}
	}
	j := r.all("*v1.Job")[0].(*batchv1.Job)
	if ref := j.Spec.Template.Spec.Containers[0].Env[0].ValueFrom.SecretKeyRef; ref.Name != "fleet-oncefleet-migrate" {
		t.Errorf("the Job reads the database URL from %s", ref.Name)
	}
}

// TestHelmRefusesBrokenShapes checks the chart's own validation: value combinations that would
// deploy something broken fail to render, naming what to change.
func TestHelmRefusesBrokenShapes(t *testing.T) {
	for name, tc := range map[string]struct {
		values map[string]any
		want   string
	}{
		"sqlite with a worker":      {map[string]any{"worker": map[string]any{"enabled": true}}, "database.engine=postgres"},
		"sqlite with replicas":      {map[string]any{"serve": map[string]any{"replicas": 3}}, "database.engine=postgres"},
		"postgres without database": {map[string]any{"database": map[string]any{"engine": "postgres"}}, "secrets.databaseURL"},
		"replicas without redis": {map[string]any{"database": map[string]any{"engine": "postgres"},
			"secrets": map[string]any{"databaseURL": "postgres://db/x"}, "worker": map[string]any{"enabled": true}}, "secrets.redisURL"},
		"unknown engine": {map[string]any{"database": map[string]any{"engine": "mysql"}}, "sqlite or postgres"},
		"replicas without a signing key": {map[string]any{"database": map[string]any{"engine": "postgres"},
			"secrets": map[string]any{"databaseURL": "postgres://db/x", "redisURL": "redis://r/0"},
			"serve":   map[string]any{"autoscaling": map[string]any{"enabled": true}}}, "secrets.jwtKey"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := render(t, "", tc.values)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want a refusal mentioning %q", err, tc.want)
			}
		})
	}
}

// TestHelmValuesDocumented checks that every key of values.yaml appears in the chart README's
// values table.
func TestHelmValuesDocumented(t *testing.T) {
	vals, err := chartutil.ReadValuesFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	readme := readFile(t, "deploy/helm/oncefleet/README.md")
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			key := prefix + k
			if sub, ok := v.(map[string]any); ok && len(sub) > 0 && !bytes.Contains(readme, []byte("`"+key+"`")) {
				walk(key+".", sub)
				continue
			}
			if !bytes.Contains(readme, []byte("`"+key+"`")) {
				t.Errorf("values key %s is not documented in deploy/helm/oncefleet/README.md", key)
			}
		}
	}
	walk("", vals)
}
