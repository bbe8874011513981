package fleet

import (
	"testing"
	"time"
)

func TestBulkOperationPending(t *testing.T) {
	o := BulkOperation{Total: 10, Succeeded: 3, Failed: 2}
	if o.Pending() != 5 {
		t.Fatal(o.Pending())
	}
	for s, want := range map[BulkState]bool{BulkQueued: false, BulkRunning: false, BulkDone: true, BulkFailed: true, BulkCancelled: true} {
		if s.Terminal() != want {
			t.Errorf("%s terminal = %v", s, !want)
		}
	}
}

func TestJobRunDuration(t *testing.T) {
	start := time.Unix(0, 0)
	r := JobRun{StartedAt: start}
	if r.Duration() != 0 {
		t.Fatal("running run has a duration")
	}
	end := start.Add(90 * time.Second)
	r.FinishedAt = &end
	if r.Duration() != 90*time.Second {
		t.Fatal(r.Duration())
	}
}

func TestClampLimit(t *testing.T) {
	for in, want := range map[int]int{-5: DefaultListLimit, 0: DefaultListLimit, 1: 1, 500: 500, MaxListLimit + 1: MaxListLimit} {
		if got := ClampLimit(in); got != want {
			t.Errorf("ClampLimit(%d) = %d, want %d", in, got, want)
		}
	}
}
