package cache

import (
	"slices"
	"strings"
	"testing"
)

// under must mean "the prefix's segments lead the key's segments", which is what the Redis
// generation markers implement; the Memory cache uses under directly.
func FuzzUnder(f *testing.F) {
	for _, s := range [][2]string{{"sims:list:a", "sims"}, {"simsx:1", "sims"}, {"sims", "sims"}, {"a::b", "a:"}, {"a", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, prefix string) {
		p, err := normPrefix(prefix)
		if err != nil || checkKey(key) != nil {
			return
		}
		ks := strings.Split(key, ":")
		want := p == ""
		if !want {
			ps := strings.Split(p, ":")
			want = len(ps) <= len(ks) && slices.Equal(ks[:len(ps)], ps)
		}
		if got := under(key, p); got != want {
			t.Fatalf("under(%q, %q) = %v, want %v", key, p, got, want)
		}
	})
}

// No ICCID, however odd, lands its entries under another SIM's node.
func FuzzSIMKeys(f *testing.F) {
	for _, s := range [][2]string{{"8988", "89880"}, {"a:b", "a"}, {"a%3Ab", "a:b"}, {"", ":"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, iccid, other string) {
		k := SIMDetailKey(iccid)
		if checkKey(k) != nil {
			return
		}
		if under(k, SIMPrefix(other)) != (iccid == other) {
			t.Fatalf("SIMDetailKey(%q) = %q is under SIMPrefix(%q) = %q: %v", iccid, k, other, SIMPrefix(other), iccid != other)
		}
	})
}
