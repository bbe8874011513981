package fleet

import (
	"strings"
	"testing"
	"time"
)

func TestRoleAllows(t *testing.T) {
	roles := []Role{RoleViewer, RoleOperator, RoleAdmin, "root", ""}
	// want[i][j]: does roles[i] allow what needs roles[j]?
	want := [][]bool{
		{true, false, false, false, false},
		{true, true, false, false, false},
		{true, true, true, false, false},
		{false, false, false, false, false},
		{false, false, false, false, false},
	}
	for i, have := range roles {
		for j, need := range roles {
			if got := have.Allows(need); got != want[i][j] {
				t.Errorf("%q.Allows(%q) = %v, want %v", have, need, got, want[i][j])
			}
		}
	}
}

func TestParseRole(t *testing.T) {
	cases := []struct {
		in   string
		want Role
		ok   bool
	}{
		{"viewer", RoleViewer, true},
		{" Operator ", RoleOperator, true},
		{"ADMIN", RoleAdmin, true},
		{"", "", false},
		{"administrator", "", false},
		{"admin\x00", "", false},
	}
	for _, tc := range cases {
		got, err := ParseRole(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && ErrorCode(err) != CodeInvalid {
			t.Errorf("ParseRole(%q): code %s, want invalid", tc.in, ErrorCode(err))
		}
	}
}

func FuzzParseRole(f *testing.F) {
	for _, s := range []string{"viewer", "Operator", " admin ", "", "root"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRole(s)
		if err != nil {
			if r != "" || ErrorCode(err) != CodeInvalid {
				t.Fatalf("ParseRole(%q) = %q, %v", s, r, err)
			}
			return
		}
		if !r.Valid() || !r.Allows(RoleViewer) {
			t.Fatalf("ParseRole(%q) accepted %q", s, r)
		}
		if again, err := ParseRole(string(r)); err != nil || again != r {
			t.Fatalf("ParseRole not idempotent on %q", r)
		}
	})
}

func TestUserValidate(t *testing.T) {
	ok := User{Email: "a@b.c", Role: RoleViewer, PasswordHash: "h"}
	cases := []struct {
		name  string
		edit  func(u *User)
		field string
	}{
		{"ok", func(*User) {}, ""},
		{"no email", func(u *User) { u.Email = "" }, "email"},
		{"no at", func(u *User) { u.Email = "ab.c" }, "email"},
		{"too long", func(u *User) { u.Email = strings.Repeat("a", 320) + "@b.c" }, "email"},
		{"no password", func(u *User) { u.PasswordHash = "" }, "password"},
		{"bad role", func(u *User) { u.Role = "boss" }, "role"},
	}
	for _, tc := range cases {
		u := ok
		tc.edit(&u)
		err := u.Validate()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var fe *Error
		if err == nil || !asError(err, &fe) || fe.Field != tc.field || fe.Code != CodeInvalid {
			t.Errorf("%s: got %v, want invalid %s", tc.name, err, tc.field)
		}
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}

func TestUserCan(t *testing.T) {
	u := User{Role: RoleOperator}
	if !u.Can(RoleOperator) || u.Can(RoleAdmin) {
		t.Fatal("operator permissions wrong")
	}
	u.Disabled = true
	if u.Can(RoleViewer) {
		t.Fatal("disabled user allowed")
	}
}

func TestAPIKeyActiveAndScopes(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Second)
	cases := []struct {
		name string
		key  APIKey
		want bool
	}{
		{"no expiry", APIKey{}, true},
		{"future expiry", APIKey{ExpiresAt: &future}, true},
		{"expired", APIKey{ExpiresAt: &past}, false},
		{"expires exactly now", APIKey{ExpiresAt: &now}, false},
		{"revoked", APIKey{RevokedAt: &past}, false},
	}
	for _, tc := range cases {
		if got := tc.key.Active(now); got != tc.want {
			t.Errorf("%s: Active = %v", tc.name, got)
		}
	}
	k := APIKey{}
	if !k.HasScope("anything") {
		t.Error("a key without scopes is limited by role only")
	}
	k.Scopes = []string{"sims:read"}
	if !k.HasScope("sims:read") || k.HasScope("sims:write") {
		t.Error("scoped key")
	}
}

func TestNewRecordID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewRecordID()
		if len(id) != 26 || strings.ToLower(id) != id || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}
