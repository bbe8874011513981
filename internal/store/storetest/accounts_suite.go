package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// RunAccounts runs the conformance suite for AccountStore. newStore must return a store on a
// fresh, migrated database for each call (each subtest gets its own).
func RunAccounts(t *testing.T, newStore func(t *testing.T) AccountStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s AccountStore)
	}{
		{"Users", testUsers},
		{"UserErrors", testUserErrors},
		{"RefreshTokens", testRefreshTokens},
		{"RefreshTokenConcurrentRotation", testRefreshTokenConcurrentRotation},
		{"APIKeys", testAPIKeys},
		{"Audit", testAudit},
		{"AlertRules", testAlertRules},
		{"Alerts", testAlerts},
		{"AlertDedupConcurrent", testAlertDedupConcurrent},
		{"TopUpPolicies", testTopUpPolicies},
		{"TopUps", testTopUps},
		{"TopUpStateMachine", testTopUpStateMachine},
		{"ReserveTopUpConcurrent", testReserveTopUpConcurrent},
		{"BulkOperations", testBulkOperations},
		{"BulkConcurrentWorkers", testBulkConcurrentWorkers},
		{"Idempotency", testIdempotency},
		{"IdempotencyConcurrent", testIdempotencyConcurrent},
		{"JobRuns", testJobRuns},
		{"Commerce", testCommerce},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// sameTime compares times at the precision every backend keeps (microseconds).
func sameTime(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

func wantCode(t *testing.T, err error, want fleet.Code, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got nil error, want %s", what, want)
	}
	if got := fleet.ErrorCode(err); got != want {
		t.Fatalf("%s: got code %s (%v), want %s", what, got, err, want)
	}
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func newUser(email string, role fleet.Role) *fleet.User {
	return &fleet.User{Email: email, Name: "N " + email, Role: role, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA"}
}

func testUsers(t *testing.T, s AccountStore) {
	ctx := context.Background()
	alice := newUser("Alice@Example.com", fleet.RoleAdmin)
	must(t, s.CreateUser(ctx, alice), "create alice")
	if alice.ID == "" || alice.CreatedAt.IsZero() {
		t.Fatalf("create did not set id/created_at: %+v", alice)
	}
	if alice.Email != "alice@example.com" {
		t.Fatalf("email not normalised: %q", alice.Email)
	}
	bob := newUser("bob@example.com", fleet.RoleViewer)
	bob.ID = "bob-id"
	must(t, s.CreateUser(ctx, bob), "create bob")

	for _, email := range []string{"alice@example.com", "ALICE@example.COM", " alice@example.com "} {
		got, err := s.UserByEmail(ctx, email)
		must(t, err, "by email "+email)
		if got.ID != alice.ID || got.Role != fleet.RoleAdmin || got.PasswordHash != alice.PasswordHash || got.Name != alice.Name {
			t.Fatalf("by email %q: got %+v want %+v", email, got, alice)
		}
		if got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
			t.Fatalf("times not in UTC: %v", got.CreatedAt)
		}
		if !sameTime(got.CreatedAt, alice.CreatedAt) || got.LastLoginAt != nil {
			t.Fatalf("by email: times %v/%v, last login %v", got.CreatedAt, alice.CreatedAt, got.LastLoginAt)
		}
	}
	got, err := s.UserByID(ctx, "bob-id")
	must(t, err, "by id")
	if got.Email != "bob@example.com" || got.Role != fleet.RoleViewer {
		t.Fatalf("by id: %+v", got)
	}

	list, err := s.ListUsers(ctx)
	must(t, err, "list")
	if len(list) != 2 || list[0].Email != "alice@example.com" || list[1].Email != "bob@example.com" {
		t.Fatalf("list: %+v", list)
	}

	bob.Role, bob.Name, bob.Disabled = fleet.RoleOperator, "Robert", true
	must(t, s.UpdateUser(ctx, bob), "update")
	got, err = s.UserByID(ctx, bob.ID)
	must(t, err, "by id after update")
	if got.Role != fleet.RoleOperator || got.Name != "Robert" || !got.Disabled {
		t.Fatalf("after update: %+v", got)
	}
	if got.Can(fleet.RoleViewer) {
		t.Fatal("a disabled user must not be allowed anything")
	}

	login := time.Now().Add(-time.Minute).UTC()
	must(t, s.SetLastLogin(ctx, alice.ID, login), "set last login")
	got, err = s.UserByID(ctx, alice.ID)
	must(t, err, "by id after login")
	if got.LastLoginAt == nil || !sameTime(*got.LastLoginAt, login) {
		t.Fatalf("last login: got %v want %v", got.LastLoginAt, login)
	}

	must(t, s.DeleteUser(ctx, bob.ID), "delete")
	_, err = s.UserByID(ctx, bob.ID)
	wantCode(t, err, fleet.CodeNotFound, "by id after delete")
}

func testUserErrors(t *testing.T, s AccountStore) {
	ctx := context.Background()
	base := newUser("carol@example.com", fleet.RoleOperator)
	must(t, s.CreateUser(ctx, base), "create carol")
	other := newUser("dave@example.com", fleet.RoleViewer)
	must(t, s.CreateUser(ctx, other), "create dave")

	cases := []struct {
		name string
		op   func() error
		want fleet.Code
	}{
		{"duplicate email", func() error { return s.CreateUser(ctx, newUser("carol@example.com", fleet.RoleViewer)) }, fleet.CodeConflict},
		{"duplicate email other case", func() error { return s.CreateUser(ctx, newUser("CAROL@example.com", fleet.RoleViewer)) }, fleet.CodeConflict},
		{"duplicate id", func() error {
			u := newUser("erin@example.com", fleet.RoleViewer)
			u.ID = base.ID
			return s.CreateUser(ctx, u)
		}, fleet.CodeConflict},
		{"unknown role", func() error { return s.CreateUser(ctx, newUser("frank@example.com", fleet.Role("root"))) }, fleet.CodeInvalid},
		{"empty role", func() error { return s.CreateUser(ctx, newUser("frank@example.com", "")) }, fleet.CodeInvalid},
		{"bad email", func() error { return s.CreateUser(ctx, newUser("not-an-email", fleet.RoleViewer)) }, fleet.CodeInvalid},
		{"no password", func() error {
			u := newUser("gina@example.com", fleet.RoleViewer)
			u.PasswordHash = ""
			return s.CreateUser(ctx, u)
		}, fleet.CodeInvalid},
		{"update to taken email", func() error {
			u := *other
			u.Email = "Carol@example.com"
			return s.UpdateUser(ctx, &u)
		}, fleet.CodeConflict},
		{"update to unknown role", func() error {
			u := *other
			u.Role = "superuser"
			return s.UpdateUser(ctx, &u)
		}, fleet.CodeInvalid},
		{"update unknown user", func() error {
			u := *other
			u.ID = "missing"
			u.Email = "missing@example.com"
			return s.UpdateUser(ctx, &u)
		}, fleet.CodeNotFound},
		{"get unknown id", func() error { _, err := s.UserByID(ctx, "missing"); return err }, fleet.CodeNotFound},
		{"get unknown email", func() error { _, err := s.UserByEmail(ctx, "missing@example.com"); return err }, fleet.CodeNotFound},
		{"delete unknown", func() error { return s.DeleteUser(ctx, "missing") }, fleet.CodeNotFound},
		{"last login unknown", func() error { return s.SetLastLogin(ctx, "missing", time.Now()) }, fleet.CodeNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.op()
			wantCode(t, err, tc.want, tc.name)
			if tc.want == fleet.CodeConflict && !errors.Is(err, fleet.ErrConflict) {
				t.Fatalf("errors.Is(ErrConflict) false for %v", err)
			}
		})
	}
	// Nothing above may have changed the stored users.
	list, err := s.ListUsers(ctx)
	must(t, err, "list")
	if len(list) != 2 || list[1].Email != "dave@example.com" || list[1].Role != fleet.RoleViewer {
		t.Fatalf("failed writes changed users: %+v", list)
	}
}

func testRefreshTokens(t *testing.T, s AccountStore) {
	ctx := context.Background()
	u := newUser("rt@example.com", fleet.RoleViewer)
	must(t, s.CreateUser(ctx, u), "create user")
	now := time.Now().UTC()
	must(t, s.CreateRefreshToken(ctx, &fleet.RefreshToken{Hash: "h1", UserID: u.ID, ExpiresAt: now.Add(time.Hour)}), "create h1")
	wantCode(t, s.CreateRefreshToken(ctx, &fleet.RefreshToken{Hash: "h1", UserID: u.ID, ExpiresAt: now.Add(time.Hour)}), fleet.CodeConflict, "duplicate hash")
	wantCode(t, s.CreateRefreshToken(ctx, &fleet.RefreshToken{Hash: "hx", UserID: "nobody", ExpiresAt: now.Add(time.Hour)}), fleet.CodeInvalid, "unknown user")

	// h1 → h2 → h3 is the legitimate chain.
	next := &fleet.RefreshToken{Hash: "h2", ExpiresAt: now.Add(2 * time.Hour)}
	must(t, s.RotateRefreshToken(ctx, "h1", next, now), "rotate h1")
	if next.UserID != u.ID {
		t.Fatalf("rotate did not carry the user: %+v", next)
	}
	must(t, s.RotateRefreshToken(ctx, "h2", &fleet.RefreshToken{Hash: "h3", ExpiresAt: now.Add(2 * time.Hour)}, now), "rotate h2")

	// Presenting h1 again is reuse: it fails and revokes h3 too.
	err := s.RotateRefreshToken(ctx, "h1", &fleet.RefreshToken{Hash: "h4", ExpiresAt: now.Add(time.Hour)}, now)
	wantCode(t, err, fleet.CodeUnauthorized, "reuse h1")
	if !errors.Is(err, fleet.ErrRefreshTokenReused) || fleet.ErrorMessage(err) != fleet.ErrRefreshTokenReused.Message {
		t.Fatalf("reuse: got %v", err)
	}
	err = s.RotateRefreshToken(ctx, "h3", &fleet.RefreshToken{Hash: "h5", ExpiresAt: now.Add(time.Hour)}, now)
	if fleet.ErrorMessage(err) != fleet.ErrRefreshTokenReused.Message {
		t.Fatalf("h3 after reuse must be revoked, got %v", err)
	}
	// h4 was never stored.
	err = s.RotateRefreshToken(ctx, "h4", &fleet.RefreshToken{Hash: "h6", ExpiresAt: now.Add(time.Hour)}, now)
	if fleet.ErrorMessage(err) != fleet.ErrRefreshTokenInvalid.Message {
		t.Fatalf("h4: got %v", err)
	}

	// Expiry, sign-out, sign-out everywhere.
	must(t, s.CreateRefreshToken(ctx, &fleet.RefreshToken{Hash: "old", UserID: u.ID, ExpiresAt: now.Add(-time.Second)}), "create expired")
	err = s.RotateRefreshToken(ctx, "old", &fleet.RefreshToken{Hash: "old2", ExpiresAt: now.Add(time.Hour)}, now)
	if fleet.ErrorMessage(err) != fleet.ErrRefreshTokenInvalid.Message {
		t.Fatalf("expired: got %v", err)
	}
	must(t, s.CreateRefreshToken(ctx, &fleet.RefreshToken{Hash: "a", UserID: u.ID, ExpiresAt: now.Add(time.Hour)}), "create a")
	must(t, s.CreateRefreshToken(ctx, &fleet.RefreshToken{Hash: "b", UserID: u.ID, ExpiresAt: now.Add(time.Hour)}), "create b")
	must(t, s.CreateRefreshToken(ctx, &fleet.RefreshToken{Hash: "c", UserID: u.ID, ExpiresAt: now.Add(time.Hour)}), "create c")
	must(t, s.RevokeRefreshToken(ctx, "a", now), "revoke a")
	wantCode(t, s.RevokeRefreshToken(ctx, "nope", now), fleet.CodeNotFound, "revoke unknown")
	n, err := s.RevokeUserRefreshTokens(ctx, u.ID, now)
	must(t, err, "revoke all")
	if n != 3 { // b, c and the expired "old"
		t.Fatalf("revoke all: revoked %d, want 3", n)
	}
	for _, h := range []string{"a", "b", "c"} {
		if err := s.RotateRefreshToken(ctx, h, &fleet.RefreshToken{Hash: h + "'", ExpiresAt: now.Add(time.Hour)}, now); fleet.ErrorCode(err) != fleet.CodeUnauthorized {
			t.Fatalf("revoked %s still rotates: %v", h, err)
		}
	}
	wantCode(t, s.RotateRefreshToken(ctx, "x", &fleet.RefreshToken{Hash: "x"}, now), fleet.CodeInvalid, "same hash")

	n, err = s.DeleteExpiredRefreshTokens(ctx, now)
	must(t, err, "delete expired")
	if n != 1 {
		t.Fatalf("delete expired: %d, want 1", n)
	}
	// Deleting the user removes the rest.
	must(t, s.DeleteUser(ctx, u.ID), "delete user")
	wantCode(t, s.RevokeRefreshToken(ctx, "b", now), fleet.CodeNotFound, "token of deleted user")
}

func testRefreshTokenConcurrentRotation(t *testing.T, s AccountStore) {
	ctx := context.Background()
	u := newUser("race@example.com", fleet.RoleViewer)
	must(t, s.CreateUser(ctx, u), "create user")
	now := time.Now().UTC()
	must(t, s.CreateRefreshToken(ctx, &fleet.RefreshToken{Hash: "root", UserID: u.ID, ExpiresAt: now.Add(time.Hour)}), "create")
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.RotateRefreshToken(ctx, "root", &fleet.RefreshToken{Hash: fmt.Sprintf("child-%d", i), ExpiresAt: now.Add(time.Hour)}, now)
		})
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case fleet.ErrorMessage(err) != fleet.ErrRefreshTokenReused.Message:
			t.Fatalf("rotation %d: unexpected %v", i, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d rotations of one token succeeded, want exactly 1", ok)
	}
	// The losers' reuse revoked the winner's child as well: a stolen token ends every session.
	for i := range n {
		err := s.RotateRefreshToken(ctx, fmt.Sprintf("child-%d", i), &fleet.RefreshToken{Hash: fmt.Sprintf("gc-%d", i), ExpiresAt: now.Add(time.Hour)}, now)
		if fleet.ErrorCode(err) != fleet.CodeUnauthorized {
			t.Fatalf("child-%d after reuse: %v", i, err)
		}
	}
}

func testAPIKeys(t *testing.T, s AccountStore) {
	ctx := context.Background()
	exp := time.Now().Add(24 * time.Hour).UTC()
	k := &fleet.APIKey{Name: "ci", Hash: "hash-ci", Prefix: "of_abc", Role: fleet.RoleOperator, Scopes: []string{"sims:read", "sims:topup"}, CreatedBy: "user:1", ExpiresAt: &exp}
	must(t, s.CreateAPIKey(ctx, k), "create")
	got, err := s.APIKeyByHash(ctx, "hash-ci")
	must(t, err, "by hash")
	if got.ID != k.ID || got.Name != "ci" || got.Prefix != "of_abc" || got.Role != fleet.RoleOperator || got.CreatedBy != "user:1" ||
		!slices.Equal(got.Scopes, k.Scopes) || got.ExpiresAt == nil || !sameTime(*got.ExpiresAt, exp) || got.LastUsedAt != nil {
		t.Fatalf("by hash: %+v", got)
	}
	if !got.HasScope("sims:topup") || got.HasScope("users:write") {
		t.Fatal("scopes not honoured")
	}

	cases := []struct {
		name string
		key  fleet.APIKey
		want fleet.Code
	}{
		{"duplicate hash", fleet.APIKey{Name: "x", Hash: "hash-ci", Prefix: "p", Role: fleet.RoleViewer}, fleet.CodeConflict},
		{"duplicate id", fleet.APIKey{ID: k.ID, Name: "x", Hash: "other", Prefix: "p", Role: fleet.RoleViewer}, fleet.CodeConflict},
		{"unknown role", fleet.APIKey{Name: "x", Hash: "h2", Prefix: "p", Role: "god"}, fleet.CodeInvalid},
		{"no name", fleet.APIKey{Hash: "h3", Prefix: "p", Role: fleet.RoleViewer}, fleet.CodeInvalid},
		{"no hash", fleet.APIKey{Name: "x", Prefix: "p", Role: fleet.RoleViewer}, fleet.CodeInvalid},
	}
	for _, tc := range cases {
		key := tc.key
		wantCode(t, s.CreateAPIKey(ctx, &key), tc.want, tc.name)
	}

	// Expired and revoked keys do not authenticate.
	past := time.Now().Add(-time.Minute)
	must(t, s.CreateAPIKey(ctx, &fleet.APIKey{Name: "old", Hash: "hash-old", Prefix: "of_old", Role: fleet.RoleViewer, ExpiresAt: &past}), "create expired")
	_, err = s.APIKeyByHash(ctx, "hash-old")
	wantCode(t, err, fleet.CodeNotFound, "expired key")
	_, err = s.APIKeyByHash(ctx, "no-such-hash")
	wantCode(t, err, fleet.CodeNotFound, "unknown key")

	// last_used_at: the first touch writes, a touch within the interval does not, a later one does.
	t0 := time.Now().UTC().Truncate(time.Second)
	must(t, s.TouchAPIKey(ctx, k.ID, t0), "touch 1")
	must(t, s.TouchAPIKey(ctx, k.ID, t0.Add(fleet.APIKeyTouchInterval/2)), "touch 2")
	got, err = s.APIKeyByHash(ctx, "hash-ci")
	must(t, err, "by hash after touch")
	if got.LastUsedAt == nil || !sameTime(*got.LastUsedAt, t0) {
		t.Fatalf("throttled touch: last used %v, want %v", got.LastUsedAt, t0)
	}
	t2 := t0.Add(2 * fleet.APIKeyTouchInterval)
	must(t, s.TouchAPIKey(ctx, k.ID, t2), "touch 3")
	got, err = s.APIKeyByHash(ctx, "hash-ci")
	must(t, err, "by hash after touch 3")
	if got.LastUsedAt == nil || !sameTime(*got.LastUsedAt, t2) {
		t.Fatalf("touch after interval: last used %v, want %v", got.LastUsedAt, t2)
	}

	revokedAt := time.Now().UTC()
	must(t, s.RevokeAPIKey(ctx, k.ID, revokedAt), "revoke")
	must(t, s.RevokeAPIKey(ctx, k.ID, revokedAt.Add(time.Hour)), "revoke again")
	_, err = s.APIKeyByHash(ctx, "hash-ci")
	wantCode(t, err, fleet.CodeNotFound, "revoked key")
	wantCode(t, s.RevokeAPIKey(ctx, "missing", revokedAt), fleet.CodeNotFound, "revoke unknown")

	list, err := s.ListAPIKeys(ctx)
	must(t, err, "list")
	if len(list) != 2 {
		t.Fatalf("list: %d keys, want 2", len(list))
	}
	for _, l := range list {
		if l.ID == k.ID && (l.RevokedAt == nil || !sameTime(*l.RevokedAt, revokedAt)) {
			t.Fatalf("revocation time not kept: %v want %v", l.RevokedAt, revokedAt)
		}
	}
}

func testAudit(t *testing.T, s AccountStore) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	entries := []fleet.AuditEntry{
		{At: base, Actor: "user:a", Action: "sim.update", Target: "8988001", Result: "ok", Detail: json.RawMessage(`{"label":"x"}`)},
		{At: base.Add(time.Minute), Actor: "user:a", Action: "sim.topup", Target: "8988001", Result: "ok"},
		{At: base.Add(2 * time.Minute), Actor: "key:k", Action: "sim.topup", Target: "8988002", Result: "upstream_error", RequestID: "r-3"},
		{At: base.Add(3 * time.Minute), Actor: "system", Action: "user.create", Target: "u:1", Result: "ok"},
		{At: base.Add(4 * time.Minute), Actor: "user:a", Action: "sim.topup", Target: "8988003", Result: "ok"},
	}
	for i := range entries {
		must(t, s.AppendAudit(ctx, &entries[i]), "append")
		if entries[i].ID == 0 {
			t.Fatal("append did not set the id")
		}
	}
	wantCode(t, s.AppendAudit(ctx, &fleet.AuditEntry{Action: "x", Result: "ok"}), fleet.CodeInvalid, "no actor")
	wantCode(t, s.AppendAudit(ctx, &fleet.AuditEntry{Actor: "a", Action: "x", Result: "ok", Detail: json.RawMessage(`{`)}), fleet.CodeInvalid, "bad detail")

	ids := func(es []fleet.AuditEntry) []int64 {
		var out []int64
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	id := func(i int) int64 { return entries[i].ID }
	cases := []struct {
		name      string
		f         fleet.AuditFilter
		wantIDs   []int64
		wantTotal int
	}{
		{"all newest first", fleet.AuditFilter{}, []int64{id(4), id(3), id(2), id(1), id(0)}, 5},
		{"by actor", fleet.AuditFilter{Actor: "user:a"}, []int64{id(4), id(1), id(0)}, 3},
		{"by action", fleet.AuditFilter{Action: "sim.topup"}, []int64{id(4), id(2), id(1)}, 3},
		{"by target", fleet.AuditFilter{Target: "8988001"}, []int64{id(1), id(0)}, 2},
		{"since/until", fleet.AuditFilter{Since: base.Add(time.Minute), Until: base.Add(3 * time.Minute)}, []int64{id(2), id(1)}, 2},
		{"page 2", fleet.AuditFilter{Limit: 2, Offset: 2}, []int64{id(2), id(1)}, 5},
		{"past the end", fleet.AuditFilter{Limit: 2, Offset: 10}, nil, 5},
		{"combined", fleet.AuditFilter{Actor: "user:a", Action: "sim.topup", Limit: 1}, []int64{id(4)}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := s.ListAudit(ctx, tc.f)
			must(t, err, "list")
			if !slices.Equal(ids(got), tc.wantIDs) || total != tc.wantTotal {
				t.Fatalf("got ids %v total %d, want %v total %d", ids(got), total, tc.wantIDs, tc.wantTotal)
			}
		})
	}
	got, _, err := s.ListAudit(ctx, fleet.AuditFilter{Target: "8988002"})
	must(t, err, "list one")
	if len(got) != 1 || got[0].RequestID != "r-3" || got[0].Result != "upstream_error" || got[0].Actor != "key:k" || !sameTime(got[0].At, base.Add(2*time.Minute)) {
		t.Fatalf("fields not kept: %+v", got)
	}
	got, _, err = s.ListAudit(ctx, fleet.AuditFilter{Action: "sim.update"})
	must(t, err, "list detail")
	if len(got) != 1 || !jsonEqual(got[0].Detail, `{"label":"x"}`) {
		t.Fatalf("detail not kept: %+v", got)
	}

	n, err := s.DeleteAuditBefore(ctx, base.Add(2*time.Minute))
	must(t, err, "retention")
	_, total, err := s.ListAudit(ctx, fleet.AuditFilter{})
	must(t, err, "list after retention")
	if n != 2 || total != 3 {
		t.Fatalf("retention deleted %d, %d left; want 2 and 3", n, total)
	}
}

// jsonEqual compares documents, not text: PostgreSQL's jsonb normalises whitespace and order.
func jsonEqual(got json.RawMessage, want string) bool {
	var a, b any
	if json.Unmarshal(got, &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func testAlertRules(t *testing.T, s AccountStore) {
	ctx := context.Background()
	r := &fleet.AlertRule{Name: "low data", Kind: fleet.AlertQuotaBelow, Params: json.RawMessage(`{"threshold_pct": 20}`),
		Channels: json.RawMessage(`[{"type":"webhook","url":"http://127.0.0.1:9/hook"}]`), Cooldown: 2 * time.Hour, Enabled: true}
	must(t, s.CreateAlertRule(ctx, r), "create")
	off := &fleet.AlertRule{Name: "a silent stream", Kind: fleet.AlertStreamSilent, Cooldown: time.Hour}
	must(t, s.CreateAlertRule(ctx, off), "create disabled")

	got, err := s.AlertRuleByID(ctx, r.ID)
	must(t, err, "get")
	if got.Name != r.Name || got.Kind != r.Kind || got.Cooldown != 2*time.Hour || !got.Enabled ||
		!jsonEqual(got.Params, `{"threshold_pct":20}`) || !jsonEqual(got.Channels, `[{"type":"webhook","url":"http://127.0.0.1:9/hook"}]`) {
		t.Fatalf("get: %+v", got)
	}
	all, err := s.ListAlertRules(ctx, false)
	must(t, err, "list all")
	enabled, err := s.ListAlertRules(ctx, true)
	must(t, err, "list enabled")
	if len(all) != 2 || all[0].ID != off.ID || len(enabled) != 1 || enabled[0].ID != r.ID {
		t.Fatalf("list: all %+v enabled %+v", all, enabled)
	}
	if !jsonEqual(all[0].Params, `{}`) || !jsonEqual(all[0].Channels, `[]`) {
		t.Fatalf("defaults: %s %s", all[0].Params, all[0].Channels)
	}

	r.Kind, r.Cooldown, r.Enabled = fleet.AlertUsageSpike, 5*time.Minute, false
	must(t, s.UpdateAlertRule(ctx, r), "update")
	got, err = s.AlertRuleByID(ctx, r.ID)
	must(t, err, "get after update")
	if got.Kind != fleet.AlertUsageSpike || got.Cooldown != 5*time.Minute || got.Enabled {
		t.Fatalf("after update: %+v", got)
	}

	cases := []struct {
		name string
		op   func() error
		want fleet.Code
	}{
		{"unknown kind", func() error { return s.CreateAlertRule(ctx, &fleet.AlertRule{Name: "x", Kind: "moon_phase"}) }, fleet.CodeInvalid},
		{"no name", func() error { return s.CreateAlertRule(ctx, &fleet.AlertRule{Kind: fleet.AlertSyncFailing}) }, fleet.CodeInvalid},
		{"params not object", func() error {
			return s.CreateAlertRule(ctx, &fleet.AlertRule{Name: "x", Kind: fleet.AlertSyncFailing, Params: json.RawMessage(`[1]`)})
		}, fleet.CodeInvalid},
		{"channels not array", func() error {
			return s.CreateAlertRule(ctx, &fleet.AlertRule{Name: "x", Kind: fleet.AlertSyncFailing, Channels: json.RawMessage(`{}`)})
		}, fleet.CodeInvalid},
		{"duplicate id", func() error {
			return s.CreateAlertRule(ctx, &fleet.AlertRule{ID: r.ID, Name: "x", Kind: fleet.AlertSyncFailing})
		}, fleet.CodeConflict},
		{"get unknown", func() error { _, err := s.AlertRuleByID(ctx, "missing"); return err }, fleet.CodeNotFound},
		{"update unknown", func() error {
			return s.UpdateAlertRule(ctx, &fleet.AlertRule{ID: "missing", Name: "x", Kind: fleet.AlertSyncFailing})
		}, fleet.CodeNotFound},
		{"delete unknown", func() error { return s.DeleteAlertRule(ctx, "missing") }, fleet.CodeNotFound},
	}
	for _, tc := range cases {
		wantCode(t, tc.op(), tc.want, tc.name)
	}

	// Deleting a rule keeps its alerts as history, without the rule.
	a := &fleet.Alert{RuleID: r.ID, Kind: fleet.AlertUsageSpike, ICCID: "8988", DedupKey: fleet.AlertDedupKey(r.ID, "8988")}
	ins, err := s.InsertAlert(ctx, a, time.Hour)
	must(t, err, "insert alert")
	if !ins {
		t.Fatal("first alert not inserted")
	}
	must(t, s.DeleteAlertRule(ctx, r.ID), "delete")
	_, err = s.AlertRuleByID(ctx, r.ID)
	wantCode(t, err, fleet.CodeNotFound, "get after delete")
	ga, err := s.AlertByID(ctx, a.ID)
	must(t, err, "alert after rule delete")
	if ga.RuleID != "" || ga.DedupKey != a.DedupKey {
		t.Fatalf("alert after rule delete: %+v", ga)
	}
}

func testAlerts(t *testing.T, s AccountStore) {
	ctx := context.Background()
	rule := &fleet.AlertRule{Name: "offline", Kind: fleet.AlertConnectivityLost, Cooldown: time.Hour, Enabled: true}
	must(t, s.CreateAlertRule(ctx, rule), "rule")
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	key := fleet.AlertDedupKey(rule.ID, "8988A")
	mk := func(iccid string, at time.Time) *fleet.Alert {
		return &fleet.Alert{RuleID: rule.ID, Kind: fleet.AlertConnectivityLost, ICCID: iccid, DedupKey: fleet.AlertDedupKey(rule.ID, iccid),
			Severity: fleet.SeverityCritical, Message: iccid + " offline", Detail: json.RawMessage(`{"minutes":30}`), FiredAt: at}
	}
	steps := []struct {
		name  string
		alert *fleet.Alert
		want  bool
	}{
		{"first", mk("8988A", t0), true},
		{"within cooldown", mk("8988A", t0.Add(59*time.Minute)), false},
		{"other SIM", mk("8988B", t0.Add(10*time.Minute)), true},
		{"after cooldown", mk("8988A", t0.Add(61*time.Minute)), true},
		{"within new cooldown", mk("8988A", t0.Add(90*time.Minute)), false},
	}
	var firstID int64
	for _, st := range steps {
		got, err := s.InsertAlert(ctx, st.alert, time.Hour)
		must(t, err, st.name)
		if got != st.want {
			t.Fatalf("%s: inserted=%v want %v", st.name, got, st.want)
		}
		if got && st.alert.ID == 0 {
			t.Fatalf("%s: no id", st.name)
		}
		if firstID == 0 {
			firstID = st.alert.ID
		}
	}
	_, err := s.InsertAlert(ctx, &fleet.Alert{Kind: "bogus", DedupKey: "k"}, time.Hour)
	wantCode(t, err, fleet.CodeInvalid, "bad kind")
	_, err = s.InsertAlert(ctx, &fleet.Alert{Kind: fleet.AlertSyncFailing}, time.Hour)
	wantCode(t, err, fleet.CodeInvalid, "no dedup key")

	got, err := s.AlertByID(ctx, firstID)
	must(t, err, "get")
	if got.ICCID != "8988A" || got.Severity != fleet.SeverityCritical || got.Message != "8988A offline" || !sameTime(got.FiredAt, t0) ||
		!jsonEqual(got.Detail, `{"minutes":30}`) || got.RuleID != rule.ID || got.Kind != fleet.AlertConnectivityLost {
		t.Fatalf("get: %+v", got)
	}
	_, err = s.AlertByID(ctx, 987654)
	wantCode(t, err, fleet.CodeNotFound, "get unknown")

	ackAt := t0.Add(2 * time.Hour)
	must(t, s.AcknowledgeAlert(ctx, firstID, "user:ops", ackAt), "ack")
	must(t, s.AcknowledgeAlert(ctx, firstID, "user:late", ackAt.Add(time.Hour)), "ack again")
	wantCode(t, s.AcknowledgeAlert(ctx, 987654, "u", ackAt), fleet.CodeNotFound, "ack unknown")
	got, err = s.AlertByID(ctx, firstID)
	must(t, err, "get after ack")
	if got.AcknowledgedBy != "user:ops" || got.AcknowledgedAt == nil || !sameTime(*got.AcknowledgedAt, ackAt) {
		t.Fatalf("ack: %+v", got)
	}
	must(t, s.ResolveAlert(ctx, firstID, ackAt), "resolve")
	wantCode(t, s.ResolveAlert(ctx, 987654, ackAt), fleet.CodeNotFound, "resolve unknown")
	n, err := s.ResolveAlertsByDedupKey(ctx, key, ackAt)
	must(t, err, "resolve by key")
	if n != 1 { // the 61-minute one; the first was resolved already
		t.Fatalf("resolve by key: %d, want 1", n)
	}

	count := func(f fleet.AlertFilter) int {
		t.Helper()
		_, total, err := s.ListAlerts(ctx, f)
		must(t, err, "list")
		return total
	}
	cases := []struct {
		name string
		f    fleet.AlertFilter
		want int
	}{
		{"all", fleet.AlertFilter{}, 3},
		{"by iccid", fleet.AlertFilter{ICCID: "8988A"}, 2},
		{"open", fleet.AlertFilter{OpenOnly: true}, 1},
		{"unacknowledged", fleet.AlertFilter{Unacknowledged: true}, 2},
		{"by rule", fleet.AlertFilter{RuleID: rule.ID}, 3},
		{"by kind", fleet.AlertFilter{Kind: fleet.AlertQuotaBelow}, 0},
		{"time window", fleet.AlertFilter{Since: t0.Add(5 * time.Minute), Until: t0.Add(time.Hour)}, 1},
	}
	for _, tc := range cases {
		if got := count(tc.f); got != tc.want {
			t.Errorf("%s: %d alerts, want %d", tc.name, got, tc.want)
		}
	}
	page, total, err := s.ListAlerts(ctx, fleet.AlertFilter{Limit: 2})
	must(t, err, "page")
	if total != 3 || len(page) != 2 || !page[0].FiredAt.After(page[1].FiredAt) || !sameTime(page[0].FiredAt, t0.Add(61*time.Minute)) {
		t.Fatalf("page: total %d %+v", total, page)
	}
	// Retention removes resolved history only: the open 8988B alert stays however old.
	n, err = s.DeleteResolvedAlertsBefore(ctx, t0.Add(24*time.Hour))
	must(t, err, "retention")
	left, total, err := s.ListAlerts(ctx, fleet.AlertFilter{})
	must(t, err, "list after retention")
	if n != 2 || total != 1 || left[0].ICCID != "8988B" {
		t.Fatalf("retention deleted %d, left %+v", n, left)
	}
}

func testAlertDedupConcurrent(t *testing.T, s AccountStore) {
	ctx := context.Background()
	const n = 10
	at := time.Now().UTC()
	var wg sync.WaitGroup
	inserted := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			a := &fleet.Alert{Kind: fleet.AlertSyncFailing, DedupKey: "builtin/sync", FiredAt: at.Add(time.Duration(i) * time.Millisecond)}
			inserted[i], errs[i] = s.InsertAlert(ctx, a, time.Hour)
		})
	}
	wg.Wait()
	got := 0
	for i := range n {
		must(t, errs[i], "insert")
		if inserted[i] {
			got++
		}
	}
	_, total, err := s.ListAlerts(ctx, fleet.AlertFilter{})
	must(t, err, "list")
	if got != 1 || total != 1 {
		t.Fatalf("%d evaluators raised an alert (%d stored), want exactly 1", got, total)
	}
}

func testTopUpPolicies(t *testing.T, s AccountStore) {
	ctx := context.Background()
	_, err := s.EffectiveTopUpPolicy(ctx, "8988X")
	wantCode(t, err, fleet.CodeNotFound, "no policy at all")
	def := &fleet.TopUpPolicy{ICCID: fleet.FleetDefault, Enabled: true, ThresholdPct: 10, MaxPerMonth: 2}
	must(t, s.PutTopUpPolicy(ctx, def), "put default")
	own := &fleet.TopUpPolicy{ICCID: "8988X", Enabled: false, ThresholdPct: 25, MaxPerMonth: 5}
	must(t, s.PutTopUpPolicy(ctx, own), "put own")

	got, err := s.EffectiveTopUpPolicy(ctx, "8988X")
	must(t, err, "effective own")
	if got.ICCID != "8988X" || got.Enabled || got.ThresholdPct != 25 || got.MaxPerMonth != 5 {
		t.Fatalf("effective own: %+v", got)
	}
	got, err = s.EffectiveTopUpPolicy(ctx, "8988Y")
	must(t, err, "effective default")
	if got.ICCID != fleet.FleetDefault || got.ThresholdPct != 10 {
		t.Fatalf("effective default: %+v", got)
	}
	_, err = s.TopUpPolicyByICCID(ctx, "8988Y")
	wantCode(t, err, fleet.CodeNotFound, "exact lookup has no fallback")

	created := own.CreatedAt
	own.ThresholdPct, own.Enabled = 30, true
	must(t, s.PutTopUpPolicy(ctx, own), "replace own")
	got, err = s.TopUpPolicyByICCID(ctx, "8988X")
	must(t, err, "get own")
	if got.ThresholdPct != 30 || !got.Enabled || !sameTime(got.CreatedAt, created) {
		t.Fatalf("replace: %+v (created %v)", got, created)
	}
	for _, bad := range []fleet.TopUpPolicy{
		{ICCID: "a", ThresholdPct: 101},
		{ICCID: "a", ThresholdPct: -1},
		{ICCID: "a", MaxPerMonth: -1},
		{ICCID: "", ThresholdPct: 5},
	} {
		wantCode(t, s.PutTopUpPolicy(ctx, &bad), fleet.CodeInvalid, fmt.Sprintf("%+v", bad))
	}
	list, err := s.ListTopUpPolicies(ctx)
	must(t, err, "list")
	if len(list) != 2 || list[0].ICCID != fleet.FleetDefault {
		t.Fatalf("list: %+v", list)
	}
	must(t, s.DeleteTopUpPolicy(ctx, "8988X"), "delete")
	wantCode(t, s.DeleteTopUpPolicy(ctx, "8988X"), fleet.CodeNotFound, "delete again")
	got, err = s.EffectiveTopUpPolicy(ctx, "8988X")
	must(t, err, "effective after delete")
	if got.ICCID != fleet.FleetDefault {
		t.Fatalf("after delete: %+v", got)
	}
}

func testTopUps(t *testing.T, s AccountStore) {
	ctx := context.Background()
	tu := &fleet.TopUp{ICCID: "8988T", IdempotencyKey: "k1", Reason: fleet.TopUpManual, RequestedBy: "user:a"}
	reserved, err := s.ReserveTopUp(ctx, tu)
	must(t, err, "reserve")
	if !reserved || tu.ID == 0 || tu.State != fleet.TopUpPending {
		t.Fatalf("reserve: %v %+v", reserved, tu)
	}
	again := &fleet.TopUp{ICCID: "8988T", IdempotencyKey: "k1", Reason: fleet.TopUpManual, RequestedBy: "user:b"}
	reserved, err = s.ReserveTopUp(ctx, again)
	must(t, err, "reserve again")
	if reserved || again.ID != tu.ID || again.RequestedBy != "user:a" {
		t.Fatalf("reserve again must return the first record: %v %+v", reserved, again)
	}
	_, err = s.ReserveTopUp(ctx, &fleet.TopUp{ICCID: "8988OTHER", IdempotencyKey: "k1", Reason: fleet.TopUpManual})
	wantCode(t, err, fleet.CodeConflict, "key reused for another SIM")
	for _, bad := range []fleet.TopUp{
		{ICCID: "", IdempotencyKey: "k", Reason: fleet.TopUpAuto},
		{ICCID: "1", IdempotencyKey: "", Reason: fleet.TopUpAuto},
		{ICCID: "1", IdempotencyKey: "k", Reason: "gift"},
	} {
		_, err := s.ReserveTopUp(ctx, &bad)
		wantCode(t, err, fleet.CodeInvalid, fmt.Sprintf("%+v", bad))
	}

	// Monthly count for the auto top-up cap: failed ones did not cost money.
	for i, st := range []fleet.TopUpState{fleet.TopUpSent, fleet.TopUpFailed, fleet.TopUpUnknown, ""} {
		x := &fleet.TopUp{ICCID: "8988T", IdempotencyKey: fmt.Sprintf("auto-%d", i), Reason: fleet.TopUpAuto, JobID: "job-1"}
		_, err := s.ReserveTopUp(ctx, x)
		must(t, err, "reserve auto")
		if st != "" {
			_, err = s.MarkTopUp(ctx, x.IdempotencyKey, st, "")
			must(t, err, "mark auto")
		}
	}
	now := time.Now()
	cases := []struct {
		name   string
		iccid  string
		month  time.Time
		reason fleet.TopUpReason
		want   int
	}{
		{"all reasons this month", "8988T", now, "", 4},
		{"auto this month", "8988T", now, fleet.TopUpAuto, 3},
		{"manual this month", "8988T", now, fleet.TopUpManual, 1},
		{"last month", "8988T", now.AddDate(0, -1, 0), "", 0},
		{"next month", "8988T", now.AddDate(0, 1, 0), "", 0},
		{"other SIM", "8988Z", now, "", 0},
	}
	for _, tc := range cases {
		n, err := s.CountTopUps(ctx, tc.iccid, tc.month, tc.reason)
		must(t, err, tc.name)
		if n != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, n, tc.want)
		}
	}
	list, total, err := s.ListTopUps(ctx, fleet.TopUpFilter{JobID: "job-1"})
	must(t, err, "list by job")
	if total != 4 || len(list) != 4 || list[0].JobID != "job-1" {
		t.Fatalf("list by job: %d %+v", total, list)
	}
	list, total, err = s.ListTopUps(ctx, fleet.TopUpFilter{ICCID: "8988T", State: fleet.TopUpPending, Limit: 1})
	must(t, err, "list pending")
	if total != 2 || len(list) != 1 || list[0].State != fleet.TopUpPending {
		t.Fatalf("list pending: %d %+v", total, list)
	}
	got, err := s.TopUpByKey(ctx, "auto-0")
	must(t, err, "by key")
	if got.State != fleet.TopUpSent || got.Reason != fleet.TopUpAuto {
		t.Fatalf("by key: %+v", got)
	}
	_, err = s.TopUpByKey(ctx, "missing")
	wantCode(t, err, fleet.CodeNotFound, "by unknown key")
}

func testTopUpStateMachine(t *testing.T, s AccountStore) {
	ctx := context.Background()
	steps := []struct {
		from  []fleet.TopUpState // path that brings the top-up to its starting state
		to    fleet.TopUpState
		want  fleet.Code // "" for success
		final fleet.TopUpState
	}{
		{nil, fleet.TopUpSent, "", fleet.TopUpSent},
		{nil, fleet.TopUpFailed, "", fleet.TopUpFailed},
		{nil, fleet.TopUpUnknown, "", fleet.TopUpUnknown},
		{[]fleet.TopUpState{fleet.TopUpUnknown}, fleet.TopUpSent, "", fleet.TopUpSent},
		{[]fleet.TopUpState{fleet.TopUpUnknown}, fleet.TopUpFailed, "", fleet.TopUpFailed},
		{[]fleet.TopUpState{fleet.TopUpSent}, fleet.TopUpFailed, fleet.CodeConflict, fleet.TopUpSent},
		{[]fleet.TopUpState{fleet.TopUpSent}, fleet.TopUpUnknown, fleet.CodeConflict, fleet.TopUpSent},
		{[]fleet.TopUpState{fleet.TopUpFailed}, fleet.TopUpSent, fleet.CodeConflict, fleet.TopUpFailed},
		{[]fleet.TopUpState{fleet.TopUpSent}, fleet.TopUpSent, "", fleet.TopUpSent}, // retried step: no-op
		{nil, fleet.TopUpPending, fleet.CodeInvalid, fleet.TopUpPending},
		{nil, "lost", fleet.CodeInvalid, fleet.TopUpPending},
	}
	for i, st := range steps {
		t.Run(fmt.Sprintf("%v→%s", st.from, st.to), func(t *testing.T) {
			key := fmt.Sprintf("sm-%d", i)
			_, err := s.ReserveTopUp(ctx, &fleet.TopUp{ICCID: "8988S", IdempotencyKey: key, Reason: fleet.TopUpBulk})
			must(t, err, "reserve")
			for _, f := range st.from {
				_, err := s.MarkTopUp(ctx, key, f, "")
				must(t, err, "prepare")
			}
			got, err := s.MarkTopUp(ctx, key, st.to, "boom")
			if st.want == "" {
				must(t, err, "mark")
				if got.State != st.to {
					t.Fatalf("returned %s", got.State)
				}
			} else {
				wantCode(t, err, st.want, "mark")
			}
			cur, err := s.TopUpByKey(ctx, key)
			must(t, err, "get")
			if cur.State != st.final {
				t.Fatalf("state %s, want %s", cur.State, st.final)
			}
		})
	}
	_, err := s.MarkTopUp(ctx, "missing", fleet.TopUpSent, "")
	wantCode(t, err, fleet.CodeNotFound, "mark unknown")
	x, err := s.TopUpByKey(ctx, "sm-1")
	must(t, err, "failed one")
	if x.Error != "boom" {
		t.Fatalf("error text not kept: %+v", x)
	}
}

func testReserveTopUpConcurrent(t *testing.T, s AccountStore) {
	ctx := context.Background()
	const n = 10
	var wg sync.WaitGroup
	reserved := make([]bool, n)
	ids := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			tu := &fleet.TopUp{ICCID: "8988C", IdempotencyKey: "double-click", Reason: fleet.TopUpManual, RequestedBy: fmt.Sprint(i)}
			reserved[i], errs[i] = s.ReserveTopUp(ctx, tu)
			ids[i] = tu.ID
		})
	}
	wg.Wait()
	count := 0
	for i := range n {
		must(t, errs[i], "reserve")
		if reserved[i] {
			count++
		}
		if ids[i] == 0 || ids[i] != ids[0] {
			t.Fatalf("caller %d saw top-up %d, caller 0 saw %d", i, ids[i], ids[0])
		}
	}
	if count != 1 {
		t.Fatalf("%d callers reserved the key, want exactly 1", count)
	}
	_, total, err := s.ListTopUps(ctx, fleet.TopUpFilter{ICCID: "8988C"})
	must(t, err, "list")
	if total != 1 {
		t.Fatalf("%d top-ups stored, want 1", total)
	}
}

func testBulkOperations(t *testing.T, s AccountStore) {
	ctx := context.Background()
	wantCode(t, s.CreateBulkOperation(ctx, &fleet.BulkOperation{Kind: "topup"}, nil), fleet.CodeInvalid, "no items")
	wantCode(t, s.CreateBulkOperation(ctx, &fleet.BulkOperation{Kind: ""}, []string{"1"}), fleet.CodeInvalid, "no kind")
	wantCode(t, s.CreateBulkOperation(ctx, &fleet.BulkOperation{Kind: "topup"}, []string{"1", ""}), fleet.CodeInvalid, "empty iccid")

	op := &fleet.BulkOperation{Kind: "topup", Params: json.RawMessage(`{"amount":1}`), CreatedBy: "user:a"}
	iccids := []string{"05", "01", "03", "02", "04", "03"} // a duplicate counts once
	must(t, s.CreateBulkOperation(ctx, op, iccids), "create")
	if op.ID == "" || op.Total != 5 || op.State != fleet.BulkQueued || op.Pending() != 5 {
		t.Fatalf("create: %+v", op)
	}
	wantCode(t, s.CreateBulkOperation(ctx, &fleet.BulkOperation{ID: op.ID, Kind: "topup"}, []string{"9"}), fleet.CodeConflict, "duplicate id")

	items, total, err := s.ListBulkItems(ctx, op.ID, fleet.BulkItemFilter{Limit: 2, Offset: 1})
	must(t, err, "items page")
	if total != 5 || len(items) != 2 || items[0].ICCID != "02" || items[1].ICCID != "03" || items[0].State != fleet.BulkItemPending {
		t.Fatalf("items page: %d %+v", total, items)
	}
	_, _, err = s.ListBulkItems(ctx, "missing", fleet.BulkItemFilter{})
	wantCode(t, err, fleet.CodeNotFound, "items of unknown op")

	claimed, err := s.ClaimBulkItems(ctx, op.ID, 2, time.Hour)
	must(t, err, "claim")
	if len(claimed) != 2 || claimed[0].ICCID != "01" || claimed[1].ICCID != "02" || claimed[0].State != fleet.BulkItemRunning {
		t.Fatalf("claim: %+v", claimed)
	}
	got, err := s.BulkOperationByID(ctx, op.ID)
	must(t, err, "get")
	if got.State != fleet.BulkRunning || got.StartedAt == nil || !jsonEqual(got.Params, `{"amount":1}`) || got.CreatedBy != "user:a" {
		t.Fatalf("after claim: %+v", got)
	}
	// Fresh claims are not taken over; a negative stale limit treats every claim as abandoned.
	more, err := s.ClaimBulkItems(ctx, op.ID, 10, time.Hour)
	must(t, err, "claim rest")
	if len(more) != 3 || more[0].ICCID != "03" {
		t.Fatalf("claim rest: %+v", more)
	}
	none, err := s.ClaimBulkItems(ctx, op.ID, 10, time.Hour)
	must(t, err, "claim none")
	if len(none) != 0 {
		t.Fatalf("claimed %d already-running items", len(none))
	}
	taken, err := s.ClaimBulkItems(ctx, op.ID, 10, -time.Hour)
	must(t, err, "take over")
	if len(taken) != 5 {
		t.Fatalf("took over %d stale items, want 5", len(taken))
	}

	steps := []struct {
		iccid            string
		ok               bool
		succeeded, faild int
		state            fleet.BulkState
	}{
		{"01", true, 1, 0, fleet.BulkRunning},
		{"02", false, 1, 1, fleet.BulkRunning},
		{"02", true, 1, 1, fleet.BulkRunning}, // finishing twice counts once
		{"03", true, 2, 1, fleet.BulkRunning},
		{"04", true, 3, 1, fleet.BulkRunning},
		{"05", false, 3, 2, fleet.BulkDone},
	}
	for _, st := range steps {
		got, err := s.FinishBulkItem(ctx, op.ID, st.iccid, st.ok, "quota service down")
		must(t, err, "finish "+st.iccid)
		if got.Succeeded != st.succeeded || got.Failed != st.faild || got.State != st.state {
			t.Fatalf("finish %s: %+v", st.iccid, got)
		}
	}
	got, err = s.BulkOperationByID(ctx, op.ID)
	must(t, err, "get done")
	if got.FinishedAt == nil || got.Pending() != 0 {
		t.Fatalf("done: %+v", got)
	}
	failed, total, err := s.ListBulkItems(ctx, op.ID, fleet.BulkItemFilter{State: fleet.BulkItemFailed})
	must(t, err, "failed items")
	if total != 2 || failed[0].ICCID != "02" || failed[0].Error != "quota service down" || failed[1].ICCID != "05" {
		t.Fatalf("failed items: %+v", failed)
	}
	_, err = s.FinishBulkItem(ctx, op.ID, "99", true, "")
	wantCode(t, err, fleet.CodeNotFound, "finish unknown item")
	after, err := s.ClaimBulkItems(ctx, op.ID, 10, -time.Hour)
	must(t, err, "claim after done")
	if len(after) != 0 {
		t.Fatalf("claimed %d items of a finished operation", len(after))
	}
	_, err = s.CancelBulkOperation(ctx, op.ID)
	wantCode(t, err, fleet.CodeConflict, "cancel finished")

	// Cancelling stops claims.
	op2 := &fleet.BulkOperation{Kind: "update"}
	must(t, s.CreateBulkOperation(ctx, op2, []string{"a", "b"}), "create 2")
	c, err := s.CancelBulkOperation(ctx, op2.ID)
	must(t, err, "cancel")
	if c.State != fleet.BulkCancelled || c.FinishedAt == nil {
		t.Fatalf("cancel: %+v", c)
	}
	after, err = s.ClaimBulkItems(ctx, op2.ID, 10, time.Hour)
	must(t, err, "claim cancelled")
	if len(after) != 0 {
		t.Fatalf("claimed %d items of a cancelled operation", len(after))
	}
	_, err = s.CancelBulkOperation(ctx, "missing")
	wantCode(t, err, fleet.CodeNotFound, "cancel unknown")
	_, err = s.ClaimBulkItems(ctx, "missing", 1, time.Hour)
	wantCode(t, err, fleet.CodeNotFound, "claim unknown")

	ops, total, err := s.ListBulkOperations(ctx, 10, 0)
	must(t, err, "list ops")
	if total != 2 || len(ops) != 2 {
		t.Fatalf("list ops: %d %+v", total, ops)
	}

	// Only queued and running operations are active, oldest first.
	active, err := s.ActiveBulkOperations(ctx, 10)
	must(t, err, "active: none")
	if len(active) != 0 {
		t.Fatalf("active with every operation finished or cancelled: %+v", active)
	}
	q1 := &fleet.BulkOperation{Kind: "update"}
	must(t, s.CreateBulkOperation(ctx, q1, []string{"a"}), "create q1")
	q2 := &fleet.BulkOperation{Kind: "update"}
	must(t, s.CreateBulkOperation(ctx, q2, []string{"a", "b"}), "create q2")
	_, err = s.ClaimBulkItems(ctx, q2.ID, 1, time.Hour)
	must(t, err, "claim q2")
	active, err = s.ActiveBulkOperations(ctx, 10)
	must(t, err, "active")
	if len(active) != 2 || active[0].ID != q1.ID || active[1].ID != q2.ID || active[1].State != fleet.BulkRunning {
		t.Fatalf("active = %+v, want q1 (queued) then q2 (running)", active)
	}
	if one, err := s.ActiveBulkOperations(ctx, 1); err != nil || len(one) != 1 || one[0].ID != q1.ID {
		t.Fatalf("active limit 1 = %+v, %v", one, err)
	}
}

func testBulkConcurrentWorkers(t *testing.T, s AccountStore) {
	ctx := context.Background()
	var iccids []string
	for i := range 60 {
		iccids = append(iccids, fmt.Sprintf("8988%04d", i))
	}
	op := &fleet.BulkOperation{Kind: "topup"}
	must(t, s.CreateBulkOperation(ctx, op, iccids), "create")
	const workers = 4
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for {
				items, err := s.ClaimBulkItems(ctx, op.ID, 7, time.Hour)
				if err != nil {
					errs <- err
					return
				}
				if len(items) == 0 {
					return
				}
				for _, it := range items {
					mu.Lock()
					seen[it.ICCID]++
					mu.Unlock()
					// Every third SIM fails, so both counters move concurrently.
					if _, err := s.FinishBulkItem(ctx, op.ID, it.ICCID, (w+len(it.ICCID)+int(it.ICCID[len(it.ICCID)-1]))%3 != 0, "x"); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("worker: %v", err)
	}
	if len(seen) != len(iccids) {
		t.Fatalf("workers saw %d items, want %d", len(seen), len(iccids))
	}
	for iccid, n := range seen {
		if n != 1 {
			t.Fatalf("item %s claimed %d times", iccid, n)
		}
	}
	got, err := s.BulkOperationByID(ctx, op.ID)
	must(t, err, "get")
	_, okTotal, err := s.ListBulkItems(ctx, op.ID, fleet.BulkItemFilter{State: fleet.BulkItemOK})
	must(t, err, "ok items")
	_, failTotal, err := s.ListBulkItems(ctx, op.ID, fleet.BulkItemFilter{State: fleet.BulkItemFailed})
	must(t, err, "failed items")
	if got.State != fleet.BulkDone || got.Succeeded != okTotal || got.Failed != failTotal || okTotal+failTotal != 60 || failTotal == 0 {
		t.Fatalf("counters %+v disagree with items ok=%d failed=%d", got, okTotal, failTotal)
	}
}

func testIdempotency(t *testing.T, s AccountStore) {
	ctx := context.Background()
	rec, created, err := s.BeginIdempotency(ctx, "key:k/abc", "hash-1")
	must(t, err, "begin")
	if !created || rec.Completed() {
		t.Fatalf("begin: %v %+v", created, rec)
	}
	rec, created, err = s.BeginIdempotency(ctx, "key:k/abc", "hash-1")
	must(t, err, "begin in flight")
	if created || rec.Completed() || rec.RequestHash != "hash-1" {
		t.Fatalf("begin in flight: %v %+v", created, rec)
	}
	_, _, err = s.BeginIdempotency(ctx, "key:k/abc", "hash-2")
	wantCode(t, err, fleet.CodeConflict, "other request, same key")

	body := []byte(`{"id":42}`)
	must(t, s.CompleteIdempotency(ctx, "key:k/abc", 201, body), "complete")
	wantCode(t, s.CompleteIdempotency(ctx, "key:k/abc", 500, nil), fleet.CodeConflict, "complete twice")
	wantCode(t, s.CompleteIdempotency(ctx, "missing", 200, nil), fleet.CodeNotFound, "complete unknown")
	wantCode(t, s.CompleteIdempotency(ctx, "key:k/abc", 0, nil), fleet.CodeInvalid, "no status")
	rec, created, err = s.BeginIdempotency(ctx, "key:k/abc", "hash-1")
	must(t, err, "replay")
	if created || !rec.Completed() || rec.Status != 201 || string(rec.Response) != string(body) {
		t.Fatalf("replay: %v %+v", created, rec)
	}
	// Release forgets only uncompleted keys.
	must(t, s.ReleaseIdempotency(ctx, "key:k/abc"), "release completed")
	rec, _, err = s.BeginIdempotency(ctx, "key:k/abc", "hash-1")
	must(t, err, "after release of completed")
	if !rec.Completed() {
		t.Fatal("release removed a completed key")
	}
	_, _, err = s.BeginIdempotency(ctx, "key:k/def", "hash-3")
	must(t, err, "begin 2")
	must(t, s.ReleaseIdempotency(ctx, "key:k/def"), "release")
	_, created, err = s.BeginIdempotency(ctx, "key:k/def", "hash-4")
	must(t, err, "begin after release")
	if !created {
		t.Fatal("released key was not free again")
	}
	n, err := s.DeleteIdempotencyBefore(ctx, time.Now().Add(time.Hour))
	must(t, err, "delete old")
	if n != 2 {
		t.Fatalf("deleted %d, want 2", n)
	}
	_, _, err = s.BeginIdempotency(ctx, "", "h")
	wantCode(t, err, fleet.CodeInvalid, "empty key")
}

func testIdempotencyConcurrent(t *testing.T, s AccountStore) {
	ctx := context.Background()
	const n = 10
	var wg sync.WaitGroup
	created := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, created[i], errs[i] = s.BeginIdempotency(ctx, "user:u/once", "same") })
	}
	wg.Wait()
	count := 0
	for i := range n {
		must(t, errs[i], "begin")
		if created[i] {
			count++
		}
	}
	if count != 1 {
		t.Fatalf("%d requests owned the key, want exactly 1", count)
	}
}

func testJobRuns(t *testing.T, s AccountStore) {
	ctx := context.Background()
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var ids []int64
	for i := range 3 {
		id, err := s.StartJobRun(ctx, "sync_sims", base.Add(time.Duration(i)*15*time.Minute))
		must(t, err, "start")
		ids = append(ids, id)
	}
	other, err := s.StartJobRun(ctx, "sync_usage", base.Add(5*time.Minute))
	must(t, err, "start other")
	_, err = s.StartJobRun(ctx, "", base)
	wantCode(t, err, fleet.CodeInvalid, "no job name")

	ok, notOK := true, false
	end := base.Add(time.Minute)
	must(t, s.FinishJobRun(ctx, &fleet.JobRun{ID: ids[0], FinishedAt: &end, OK: &ok, Items: 1000, Detail: "synced"}), "finish 0")
	must(t, s.FinishJobRun(ctx, &fleet.JobRun{ID: ids[1], OK: &notOK, Errors: 3, Detail: "1NCE 503"}), "finish 1")
	wantCode(t, s.FinishJobRun(ctx, &fleet.JobRun{ID: 99999, OK: &ok}), fleet.CodeNotFound, "finish unknown")
	wantCode(t, s.FinishJobRun(ctx, &fleet.JobRun{ID: ids[2]}), fleet.CodeInvalid, "finish without outcome")

	runs, err := s.ListJobRuns(ctx, "sync_sims", 2)
	must(t, err, "list")
	if len(runs) != 2 || runs[0].ID != ids[2] || runs[1].ID != ids[1] {
		t.Fatalf("list: %+v", runs)
	}
	if runs[0].OK != nil || runs[0].FinishedAt != nil || runs[0].Duration() != 0 {
		t.Fatalf("running run: %+v", runs[0])
	}
	if runs[1].OK == nil || *runs[1].OK || runs[1].Errors != 3 || runs[1].Detail != "1NCE 503" || runs[1].FinishedAt == nil {
		t.Fatalf("failed run: %+v", runs[1])
	}
	all, err := s.ListJobRuns(ctx, "", 0)
	must(t, err, "list all")
	if len(all) != 4 || all[2].ID != other {
		t.Fatalf("list all: %+v", all)
	}
	first := all[3]
	if first.ID != ids[0] || first.OK == nil || !*first.OK || first.Items != 1000 || first.Duration() != time.Minute {
		t.Fatalf("finished run: %+v", first)
	}
	// Retention keeps runs still going (ids[2]) and recent ones.
	n, err := s.DeleteJobRunsBefore(ctx, base.Add(time.Hour))
	must(t, err, "retention")
	all, err = s.ListJobRuns(ctx, "", 0)
	must(t, err, "list after retention")
	if n != 2 || len(all) != 2 || all[0].ID != ids[2] || all[1].ID != other {
		t.Fatalf("retention deleted %d, left %+v", n, all)
	}
}

func testCommerce(t *testing.T, s AccountStore) {
	ctx := context.Background()
	d1 := time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC)
	d2 := d1.AddDate(0, 1, 0)
	orders := []fleet.Order{
		{Number: "ORD-1", Status: "COMPLETED", Type: "SIM", TotalAmount: "100.50", Currency: "EUR", OrderedAt: &d1, Raw: json.RawMessage(`{"a":1}`), CreatedBy: "user:a"},
		{Number: "ORD-2", Status: "PENDING", Type: "TOPUP", TotalAmount: "10", Currency: "EUR", OrderedAt: &d2},
		{Number: "ORD-3", Status: "PENDING"},
	}
	must(t, s.UpsertOrders(ctx, orders), "upsert orders")
	// A sync from 1NCE updates the status but does not know who placed the order.
	must(t, s.UpsertOrders(ctx, []fleet.Order{{Number: "ORD-1", Status: "SHIPPED", Type: "SIM", TotalAmount: "100.5000", Currency: "EUR", OrderedAt: &d1}}), "resync")
	got, err := s.OrderByNumber(ctx, "ORD-1")
	must(t, err, "get order")
	if got.Status != "SHIPPED" || got.TotalAmount != "100.5" || got.CreatedBy != "user:a" || got.OrderedAt == nil || !sameTime(*got.OrderedAt, d1) || !jsonEqual(got.Raw, `{}`) {
		t.Fatalf("order: %+v", got)
	}
	o3, err := s.OrderByNumber(ctx, "ORD-3")
	must(t, err, "get order 3")
	if o3.TotalAmount != "" || o3.OrderedAt != nil {
		t.Fatalf("order without amount: %+v", o3)
	}
	_, err = s.OrderByNumber(ctx, "ORD-9")
	wantCode(t, err, fleet.CodeNotFound, "unknown order")
	err = s.UpsertOrders(ctx, []fleet.Order{{Number: "ORD-4"}, {Number: "ORD-5", TotalAmount: "ten"}})
	wantCode(t, err, fleet.CodeInvalid, "bad amount")
	if _, err := s.OrderByNumber(ctx, "ORD-4"); fleet.ErrorCode(err) != fleet.CodeNotFound {
		t.Fatalf("a rejected batch stored part of itself: %v", err)
	}
	list, total, err := s.ListOrders(ctx, fleet.CommerceFilter{Status: "PENDING"})
	must(t, err, "list orders")
	if total != 2 || len(list) != 2 || list[0].Number != "ORD-2" || list[0].TotalAmount != "10" {
		t.Fatalf("list orders: %d %+v", total, list)
	}
	list, total, err = s.ListOrders(ctx, fleet.CommerceFilter{Limit: 1, Offset: 1})
	must(t, err, "page orders")
	if total != 3 || len(list) != 1 || list[0].Number != "ORD-1" {
		t.Fatalf("page orders: %d %+v", total, list)
	}

	must(t, s.UpsertProducts(ctx, []fleet.Product{
		{ID: "p2", Name: "Data 500MB", Price: "9.90", Currency: "EUR", Raw: json.RawMessage(`{"volume":500}`)},
		{ID: "p1", Name: "IoT Lifetime Flex", Price: "10.00", Currency: "EUR"},
	}), "upsert products")
	must(t, s.UpsertProducts(ctx, []fleet.Product{{ID: "p1", Name: "IoT Lifetime Flex", Price: "12", Currency: "EUR"}}), "reprice")
	prods, err := s.ListProducts(ctx)
	must(t, err, "list products")
	if len(prods) != 2 || prods[0].ID != "p1" || prods[0].Price != "12" || prods[1].Price != "9.9" || !jsonEqual(prods[1].Raw, `{"volume":500}`) {
		t.Fatalf("products: %+v", prods)
	}
	p, err := s.ProductByID(ctx, "p2")
	must(t, err, "get product")
	if p.Name != "Data 500MB" {
		t.Fatalf("product: %+v", p)
	}
	_, err = s.ProductByID(ctx, "p9")
	wantCode(t, err, fleet.CodeNotFound, "unknown product")
	wantCode(t, s.UpsertProducts(ctx, []fleet.Product{{ID: ""}}), fleet.CodeInvalid, "product without id")

	created := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	must(t, s.UpsertSupportRequests(ctx, []fleet.SupportRequest{
		{ID: "T-1", Subject: "SIM offline", Status: "OPEN", CreatedBy: "user:a", CreatedAt: created},
		{ID: "T-2", Subject: "Invoice", Status: "CLOSED"},
	}), "upsert tickets")
	must(t, s.UpsertSupportRequests(ctx, []fleet.SupportRequest{{ID: "T-1", Subject: "SIM offline", Status: "CLOSED", Raw: json.RawMessage(`{"x":true}`)}}), "resync tickets")
	tk, err := s.SupportRequestByID(ctx, "T-1")
	must(t, err, "get ticket")
	if tk.Status != "CLOSED" || tk.CreatedBy != "user:a" || !sameTime(tk.CreatedAt, created) || !jsonEqual(tk.Raw, `{"x":true}`) {
		t.Fatalf("ticket: %+v", tk)
	}
	_, err = s.SupportRequestByID(ctx, "T-9")
	wantCode(t, err, fleet.CodeNotFound, "unknown ticket")
	tks, total, err := s.ListSupportRequests(ctx, fleet.CommerceFilter{Status: "CLOSED"})
	must(t, err, "list tickets")
	if total != 2 || len(tks) != 2 || tks[0].ID != "T-2" {
		t.Fatalf("tickets: %d %+v", total, tks)
	}
}
