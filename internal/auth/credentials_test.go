package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestAPIKey(t *testing.T) {
	key, hash, display := NewAPIKey()
	if !strings.HasPrefix(key, KeyPrefix) || len(key) != len(KeyPrefix)+43 {
		t.Fatalf("key %q: want %s + 43 base64url characters (256 bits)", key, KeyPrefix)
	}
	if HashAPIKey(key) != hash || len(hash) != 64 {
		t.Fatalf("hash %q does not match the key", hash)
	}
	if !strings.HasPrefix(key, display) || strings.Contains(hash, key) {
		t.Fatalf("display prefix %q", display)
	}
	key2, hash2, _ := NewAPIKey()
	if key2 == key || hash2 == hash {
		t.Fatal("two keys are equal")
	}
}

func TestPassword(t *testing.T) {
	if _, err := HashPassword("short"); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("weak password: %v", err)
	}
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q", h)
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		ok, err := VerifyPassword(h, pw)
		if err != nil || ok != want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=999999,t=1,p=1$AA$AA", "$argon2id$v=19$m=64,t=1,p=1$!!$AA", strings.Replace(h, "v=19", "v=16", 1)} {
		if _, err := VerifyPassword(bad, "x"); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("VerifyPassword(%q) err = %v, want ErrMalformedHash", bad, err)
		}
	}
}

func FuzzVerifyPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", "pw")
	f.Add("$argon2id$v=19$m=0,t=0,p=0$$", "")
	f.Fuzz(func(t *testing.T, encoded, pw string) {
		_, _ = VerifyPassword(encoded, pw) // must never panic
	})
}
