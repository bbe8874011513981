package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = ".."

// readFile returns a file of the repository (path relative to the root) or fails tb.
func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// knownVariables returns the ONCEFLEET_* variables the server reads, with their _FILE variants,
// taken from docs/CONFIGURATION.md: the root module's TestConfigurationDoc keeps that file equal
// to what the command definitions produce.
func knownVariables(tb testing.TB) map[string]bool {
	tb.Helper()
	known := map[string]bool{}
	for _, m := range regexp.MustCompile("`((?:ONCEFLEET|ONCESIM)_[A-Z0-9_]+)`").FindAllSubmatch(readFile(tb, "docs/CONFIGURATION.md"), -1) {
		known[string(m[1])] = true
	}
	if len(known) < 10 {
		tb.Fatalf("docs/CONFIGURATION.md lists only %d variables", len(known))
	}
	return known
}

// checkVariables reports every ONCEFLEET_*/ONCESIM_* name in names that the server does not read.
func checkVariables(tb testing.TB, where string, names []string) {
	tb.Helper()
	known := knownVariables(tb)
	for _, n := range names {
		if !known[n] {
			tb.Errorf("%s sets %s, which oncefleet does not read (docs/CONFIGURATION.md)", where, n)
		}
	}
}

// variablesIn lists the ONCEFLEET_*/ONCESIM_* names that appear in text, sorted and unique;
// a prefix written as a pattern (ONCEFLEET_ONCE_*) is not a name.
func variablesIn(text []byte) []string {
	var out []string
	for _, loc := range regexp.MustCompile(`\b(?:ONCEFLEET|ONCESIM)_[A-Z0-9_]*[A-Z0-9]\b`).FindAllIndex(text, -1) {
		name := string(text[loc[0]:loc[1]])
		if rest := text[loc[1]:]; len(rest) > 0 && (rest[0] == '*' || (len(rest) > 1 && rest[0] == '_' && rest[1] == '*')) {
			continue
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
