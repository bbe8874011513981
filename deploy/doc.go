// Package deploy holds the checks of oncefleet's delivery files (deploy/, .github/workflows),
// run with `go test ./...` in this directory. They need no Docker engine and no network: the
// compose file is loaded and validated with the compose-spec library, the Helm chart rendered
// with Helm's packages and every object strictly decoded into the Kubernetes API types, the
// Terraform parsed with HCL, the workflows linted with actionlint, and every PromQL expression
// of the alerting rules and dashboards parsed and matched against the /metrics of a real
// oncefleet server built from the parent module and started on loopback.
//
// This is its own Go module so that these libraries stay out of the server's go.mod.
package deploy
