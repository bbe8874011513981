package deploy

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

const terraformDir = "terraform"

// terraformModule is what the checks read of the example: its blocks by kind, and every
// reference an expression makes.
type terraformModule struct {
	variables map[string]*hclsyntax.Block
	outputs   map[string]*hclsyntax.Block
	locals    map[string]bool
	resources map[string]bool // type.name
	data      map[string]bool // type.name
	refs      []reference
	text      []byte
}

type reference struct {
	where string
	parts []string // root and attribute names, e.g. var, region
}

// parseTerraform parses every .tf file with HCL's native syntax parser.
func parseTerraform(t *testing.T) *terraformModule {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(terraformDir, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .tf files in deploy/%s (%v)", terraformDir, err)
	}
	m := &terraformModule{variables: map[string]*hclsyntax.Block{}, outputs: map[string]*hclsyntax.Block{},
		locals: map[string]bool{}, resources: map[string]bool{}, data: map[string]bool{}}
	p := hclparse.NewParser()
	for _, f := range files {
		file, diags := p.ParseHCLFile(f)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", f, diags)
		}
		m.text = append(m.text, file.Bytes...)
		body := file.Body.(*hclsyntax.Body)
		for _, b := range body.Blocks {
			key := strings.Join(b.Labels, ".")
			switch b.Type {
			case "variable":
				m.variables[key] = b
			case "output":
				m.outputs[key] = b
			case "resource":
				m.resources[key] = true
			case "data":
				m.data[key] = true
			case "locals":
				for name := range b.Body.Attributes {
					m.locals[name] = true
				}
			}
		}
		_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
			if e, ok := n.(*hclsyntax.ScopeTraversalExpr); ok {
				var parts []string
				for _, step := range e.Traversal {
					switch s := step.(type) {
					case hcl.TraverseRoot:
						parts = append(parts, s.Name)
					case hcl.TraverseAttr:
						parts = append(parts, s.Name)
					}
				}
				m.refs = append(m.refs, reference{where: fmt.Sprintf("%s:%d", filepath.Base(f), e.SrcRange.Start.Line), parts: parts})
			}
			return nil
		})
	}
	return m
}

// TestTerraformReferences checks that the example would plan as far as HCL can tell without the
// providers: every var, local, resource and data source it refers to is declared, and every
// variable is used.
func TestTerraformReferences(t *testing.T) {
	m := parseTerraform(t)
	used := map[string]bool{}
	// Names that are scopes of their own, not declarations of this module.
	builtin := []string{"each", "count", "path", "terraform", "self"}
	for _, r := range m.refs {
		root := r.parts[0]
		switch {
		case slices.Contains(builtin, root):
		case root == "var":
			used[r.parts[1]] = true
			if m.variables[r.parts[1]] == nil {
				t.Errorf("%s: var.%s is not declared", r.where, r.parts[1])
			}
		case root == "local":
			if !m.locals[r.parts[1]] {
				t.Errorf("%s: local.%s is not declared", r.where, r.parts[1])
			}
		case root == "data":
			if len(r.parts) < 3 || !m.data[r.parts[1]+"."+r.parts[2]] {
				t.Errorf("%s: data.%s is not declared", r.where, strings.Join(r.parts[1:], "."))
			}
		case strings.HasPrefix(root, "aws_") || strings.HasPrefix(root, "random_"):
			if len(r.parts) < 2 || !m.resources[root+"."+r.parts[1]] {
				t.Errorf("%s: resource %s is not declared", r.where, strings.Join(r.parts, "."))
			}
		default:
			// A for expression's own variables (k, v, s) and the like.
		}
	}
	for name := range m.variables {
		if !used[name] {
			t.Errorf("variable %s is declared but never used", name)
		}
	}
	checkVariables(t, "the Terraform example", variablesIn(m.text))
}

// TestTerraformDocumented checks that every variable has a type and a description and every
// output a description, and that the README lists them all.
func TestTerraformDocumented(t *testing.T) {
	m := parseTerraform(t)
	readme := readFile(t, "deploy/terraform/README.md")
	for kind, blocks := range map[string]map[string]*hclsyntax.Block{"variable": m.variables, "output": m.outputs} {
		if len(blocks) == 0 {
			t.Errorf("no %s blocks", kind)
		}
		for name, b := range blocks {
			desc, ok := b.Body.Attributes["description"]
			if !ok {
				t.Errorf("%s %s has no description", kind, name)
			} else if v, diags := desc.Expr.Value(nil); diags.HasErrors() || strings.TrimSpace(v.AsString()) == "" {
				t.Errorf("%s %s: description is not a plain non-empty string", kind, name)
			}
			if _, ok := b.Body.Attributes["type"]; kind == "variable" && !ok {
				t.Errorf("variable %s has no type", name)
			}
			if !bytes.Contains(readme, []byte("`"+name+"`")) {
				t.Errorf("%s %s is not in deploy/terraform/README.md", kind, name)
			}
		}
	}
	for _, sensitive := range []string{"once_client_secret"} {
		if _, ok := m.variables[sensitive].Body.Attributes["sensitive"]; !ok {
			t.Errorf("variable %s holds a secret but is not sensitive", sensitive)
		}
	}
}

// TestTerraformExampleValues checks that terraform.tfvars.example sets every required variable
// (one without a default) and nothing undeclared.
func TestTerraformExampleValues(t *testing.T) {
	m := parseTerraform(t)
	file, diags := hclparse.NewParser().ParseHCLFile(filepath.Join(terraformDir, "terraform.tfvars.example"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	attrs := file.Body.(*hclsyntax.Body).Attributes
	for name := range attrs {
		if m.variables[name] == nil {
			t.Errorf("terraform.tfvars.example sets %s, which is not a variable", name)
		}
	}
	for name, b := range m.variables {
		if _, hasDefault := b.Body.Attributes["default"]; !hasDefault && attrs[name] == nil {
			t.Errorf("terraform.tfvars.example lacks the required variable %s", name)
		}
	}
}
