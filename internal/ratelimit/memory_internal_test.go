package ratelimit

import (
	"testing"
	"time"
)

// Idle keys are dropped once their bucket is full again, and only then: dropping a key with
// spent budget would hand it a fresh burst.
func TestMemorySweepsOnlyRefilledKeys(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemory(MemoryOptions{SweepEvery: time.Minute})
	m.now = func() time.Time { return now }
	m.lastSweep = now
	lim := PerMinute(60) // one token a second
	for _, k := range []string{"idle", "busy"} {
		if res, _ := m.Allow(t.Context(), k, lim); !res.Allowed {
			t.Fatal("first request denied")
		}
	}
	now = now.Add(59 * time.Second)
	for range 60 {
		_, _ = m.Allow(t.Context(), "busy", lim)
	}
	now = now.Add(2 * time.Second) // past SweepEvery: the next call sweeps
	if _, err := m.Allow(t.Context(), "other", lim); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.buckets["idle"]; ok {
		t.Fatal("a refilled idle key was kept")
	}
	if _, ok := m.buckets["busy"]; !ok {
		t.Fatal("a key with spent budget was dropped")
	}
	if m.Len() != 2 {
		t.Fatalf("Len = %d, want busy and other", m.Len())
	}
}

func TestMemoryLimitChangeKeepsSpending(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemory(MemoryOptions{})
	m.now = func() time.Time { return now }
	small := Limit{Rate: 2, Period: time.Hour, Burst: 2}
	for range 2 {
		_, _ = m.Allow(t.Context(), "k", small)
	}
	big := Limit{Rate: 4, Period: time.Hour, Burst: 4}
	res, _ := m.Allow(t.Context(), "k", big)
	if res.Allowed || res.Limit != big {
		t.Fatalf("raising the limit handed out a fresh burst: %+v", res)
	}
}
