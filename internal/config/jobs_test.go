package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestJobSettings(t *testing.T) {
	noenv := func(string) string { return "" }
	r, err := valid().Resolve(noenv)
	if err != nil {
		t.Fatal(err)
	}
	j := r.JobSettings
	if j.SyncSIMsEvery != 15*time.Minute || j.SyncUsageEvery != time.Hour || j.CheckQuotasEvery != 30*time.Minute ||
		j.ConnectivityEvery != 6*time.Hour || j.RetentionEvery != 24*time.Hour || j.SyncConcurrency != 4 ||
		j.UsageLookback != 30*24*time.Hour || j.RetentionUsage != 400*24*time.Hour || j.RetentionIdempotency != 48*time.Hour ||
		!slices.Equal(j.QuotaThresholds, []int{0, 20}) || j.ConnectivityMax != 1000 {
		t.Fatalf("defaults = %+v", j)
	}
	c := valid()
	c.Jobs.SyncUsage, c.Jobs.ConnectivityMax, c.Jobs.RetentionAudit = "off", "all", "0"
	r, err = c.Resolve(noenv)
	if err != nil {
		t.Fatal(err)
	}
	if r.JobSettings.SyncUsageEvery != 0 || r.JobSettings.ConnectivityMax != 0 || r.JobSettings.RetentionAudit != 0 {
		t.Fatalf("off/all/forever = %+v", r.JobSettings)
	}
	for _, tc := range []struct {
		mod  func(*Jobs)
		want string
	}{
		{func(j *Jobs) { j.SyncSIMs = "soon" }, "ONCEFLEET_JOB_SYNC_SIMS"},
		{func(j *Jobs) { j.CheckQuotas = "10ms" }, "ONCEFLEET_JOB_CHECK_QUOTAS"},
		{func(j *Jobs) { j.SyncConcurrency = 64 }, "ONCEFLEET_SYNC_CONCURRENCY"},
		{func(j *Jobs) { j.UsageLookback = "200d" }, "ONCEFLEET_USAGE_LOOKBACK"},
		{func(j *Jobs) { j.QuotaThresholds = "20,150" }, "ONCEFLEET_QUOTA_THRESHOLDS"},
		{func(j *Jobs) { j.ConnectivityMax = "-3" }, "ONCEFLEET_CONNECTIVITY_MAX_SIMS"},
		{func(j *Jobs) { j.RetentionIdempotency = "5m" }, "ONCEFLEET_RETENTION_IDEMPOTENCY"},
		{func(j *Jobs) { j.RetentionEvents = "x" }, "ONCEFLEET_RETENTION_EVENTS"},
	} {
		c := valid()
		tc.mod(&c.Jobs)
		if _, err := c.Resolve(noenv); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want mention of %s", err, tc.want)
		}
	}
}
