package deploy

import (
	_ "github.com/compose-spec/compose-go/v2/loader"
	_ "github.com/hashicorp/hcl/v2/hclparse"
	_ "github.com/prometheus/prometheus/promql/parser"
	_ "github.com/rhysd/actionlint"
	_ "helm.sh/helm/v3/pkg/chart/loader"
	_ "helm.sh/helm/v3/pkg/engine"
	_ "k8s.io/api/apps/v1"
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
)
