package control

import (
	"strings"
	"testing"
	"unicode/utf16"
)

func FuzzSMSPayload(f *testing.F) {
	for _, s := range []string{"reboot", strings.Repeat("a", 161), strings.Repeat("€", 80), "ж" + strings.Repeat("x", 69), "😀" + strings.Repeat("y", 68), "{}[]~|^\\", "\x00", "\xff\xfe"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, payload string, concatenate bool) {
		enc, parts, err := ValidateSMSPayload("payload", payload, concatenate)
		if err != nil {
			return
		}
		if parts < 1 || parts > MaxSMSParts || (!concatenate && parts != 1) {
			t.Fatalf("%q: %d parts (concatenate %v)", payload, parts, concatenate)
		}
		if parts == 1 {
			return
		}
		chunks := splitSMS(payload, enc)
		if len(chunks) != parts || strings.Join(chunks, "") != payload {
			t.Fatalf("%q split into %d parts (want %d): %q", payload, len(chunks), parts, chunks)
		}
		for _, c := range chunks {
			_, units, _ := SMSLength(c)
			limit := gsm7Part
			if enc == UCS2 {
				limit = ucs2Part
				units = len(utf16.Encode([]rune(c)))
			}
			if units > limit {
				t.Fatalf("part %q has %d units, limit %d", c, units, limit)
			}
		}
	})
}

func FuzzCanonicalICCID(f *testing.F) {
	for _, s := range []string{"8988280666000000001", "89882806660000000010", "89882806660000000011", "", "12", "8988280666000000001x", "٨٩٨٨٢٨٠٦٦٦٠٠٠٠٠٠٠٠١"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := CanonicalICCID("iccid", s)
		if err != nil {
			return
		}
		if len(c) != 19 || !allDigits(c) || !strings.HasPrefix(s, c) {
			t.Fatalf("CanonicalICCID(%q) = %q", s, c)
		}
		if again, err := CanonicalICCID("iccid", c); err != nil || again != c {
			t.Fatalf("canonical %q is not stable: %q %v", c, again, err)
		}
	})
}
