package fleet

import (
	"math/big"
	"testing"
)

func TestDecimal(t *testing.T) {
	cases := []struct {
		in, norm string
		ok       bool
	}{
		{"", "", true},
		{"12", "12", true},
		{"12.50", "12.5", true},
		{"3.00", "3", true},
		{"-0.10", "-0.1", true},
		{"100", "100", true},
		{"0.0", "0", true},
		{".5", ".5", true},
		{"-.0", "0", true},
		{".000", "0", true},
		{"1e3", "", false},
		{"1.2.3", "", false},
		{"-", "", false},
		{"1-", "", false},
		{"ten", "", false},
		{" 1", "", false},
	}
	for _, tc := range cases {
		err := validDecimal("x", tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("validDecimal(%q) = %v", tc.in, err)
		}
		if tc.ok && NormalizeDecimal(tc.in) != tc.norm {
			t.Errorf("NormalizeDecimal(%q) = %q, want %q", tc.in, NormalizeDecimal(tc.in), tc.norm)
		}
	}
}

// FuzzDecimal checks that every amount the stores accept keeps its value through
// normalisation, which is what lets PostgreSQL's "12.5000" and SQLite's "12.5" compare equal.
func FuzzDecimal(f *testing.F) {
	for _, s := range []string{"12.50", "0", "-3.000", "1.2.3", "", "9999999999999999.9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if validDecimal("x", s) != nil || s == "" {
			return
		}
		n := NormalizeDecimal(s)
		if validDecimal("x", n) != nil {
			t.Fatalf("normalised %q to invalid %q", s, n)
		}
		if NormalizeDecimal(n) != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, NormalizeDecimal(n))
		}
		a, ok1 := new(big.Rat).SetString(s)
		b, ok2 := new(big.Rat).SetString(n)
		if ok1 && ok2 && a.Cmp(b) != 0 {
			t.Fatalf("value changed: %q → %q", s, n)
		}
	})
}
