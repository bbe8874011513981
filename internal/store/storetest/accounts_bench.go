package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// BenchAccounts measures the account-store paths that sit on every request or that scale with
// the fleet. newStore returns a store on a fresh, migrated database.
func BenchAccounts(b *testing.B, newStore func(b *testing.B) AccountStore) {
	ctx := context.Background()
	b.Run("APIKeyByHash", func(b *testing.B) {
		s := newStore(b)
		for i := range 100 {
			k := &fleet.APIKey{Name: "k", Hash: fmt.Sprintf("hash-%03d", i), Prefix: "p", Role: fleet.RoleViewer}
			if err := s.CreateAPIKey(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			if _, err := s.APIKeyByHash(ctx, fmt.Sprintf("hash-%03d", i%100)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("TouchAPIKeyThrottled", func(b *testing.B) {
		s := newStore(b)
		k := &fleet.APIKey{Name: "k", Hash: "h", Prefix: "p", Role: fleet.RoleViewer}
		if err := s.CreateAPIKey(ctx, k); err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		if err := s.TouchAPIKey(ctx, k.ID, now); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := s.TouchAPIKey(ctx, k.ID, now.Add(time.Second)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendAudit", func(b *testing.B) {
		s := newStore(b)
		for b.Loop() {
			e := &fleet.AuditEntry{Actor: "key:k", Action: "sim.update", Target: "8988", Result: "ok"}
			if err := s.AppendAudit(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ReserveTopUp", func(b *testing.B) {
		s := newStore(b)
		for i := 0; b.Loop(); i++ {
			t := &fleet.TopUp{ICCID: "8988", IdempotencyKey: fmt.Sprintf("k-%d", i), Reason: fleet.TopUpAuto}
			if _, err := s.ReserveTopUp(ctx, t); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("InsertAlertDeduplicated", func(b *testing.B) {
		s := newStore(b)
		a := &fleet.Alert{Kind: fleet.AlertSyncFailing, DedupKey: "builtin/sync"}
		if _, err := s.InsertAlert(ctx, a, time.Hour); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			a := &fleet.Alert{Kind: fleet.AlertSyncFailing, DedupKey: "builtin/sync"}
			if ins, err := s.InsertAlert(ctx, a, time.Hour); err != nil || ins {
				b.Fatal(ins, err)
			}
		}
	})
	b.Run("CreateBulkOperation100k", func(b *testing.B) {
		s := newStore(b)
		iccids := make([]string, 100_000)
		for i := range iccids {
			iccids[i] = fmt.Sprintf("89882800000%09d", i)
		}
		for b.Loop() {
			if err := s.CreateBulkOperation(ctx, &fleet.BulkOperation{Kind: "topup"}, iccids); err != nil {
				b.Fatal(err)
			}
		}
	})
}
