package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// Jobs are the settings of the background jobs (SPEC §7). Each job's interval takes "off" to
// switch it off; durations take Go's units (s, m, h) and also days ("30d").
type Jobs struct {
	SyncSIMs     string `name:"job-sync-sims" env:"ONCEFLEET_JOB_SYNC_SIMS" default:"15m" help:"Interval of the full SIM sync from 1NCE, or off."`
	SyncUsage    string `name:"job-sync-usage" env:"ONCEFLEET_JOB_SYNC_USAGE" default:"1h" help:"Interval of the daily-usage gap-fill from 1NCE (API v1), or off."`
	CheckQuotas  string `name:"job-check-quotas" env:"ONCEFLEET_JOB_CHECK_QUOTAS" default:"30m" help:"Interval of the quota check, or off."`
	Connectivity string `name:"job-connectivity" env:"ONCEFLEET_JOB_CONNECTIVITY" default:"6h" help:"Interval of the connectivity snapshots, or off."`
	Retention    string `name:"job-retention" env:"ONCEFLEET_JOB_RETENTION" default:"24h" help:"Interval of the retention cleanup, or off."`
	AutoTopUp    string `name:"job-auto-topup" env:"ONCEFLEET_JOB_AUTO_TOPUP" default:"1h" help:"Interval of the auto top-up sweep over SIMs below a policy's threshold, or off (quota crossings and streamed usage still trigger checks)."`
	TrackSMS     string `name:"job-track-sms" env:"ONCEFLEET_JOB_TRACK_SMS" default:"1m" help:"Interval of the SMS delivery tracking (polls SMS sent through oncefleet until final), or off."`
	FleetReport  string `name:"job-fleet-report" env:"ONCEFLEET_JOB_FLEET_REPORT" default:"24h" help:"Interval of the fleet report (CSV and JSON at /api/v1/reports), or off."`

	AutoTopUpFleetCap int `name:"auto-topup-fleet-cap" env:"ONCEFLEET_AUTO_TOPUP_FLEET_CAP" default:"0" help:"At most this many automatic top-ups for the whole fleet per calendar month (0: no fleet cap; each policy still caps per SIM)."`

	SyncConcurrency   int    `name:"sync-concurrency" env:"ONCEFLEET_SYNC_CONCURRENCY" default:"4" help:"SIM list pages the sync fetches ahead in parallel (1–32)."`
	UsageLookback     string `name:"usage-lookback" env:"ONCEFLEET_USAGE_LOOKBACK" default:"30d" help:"How far back the usage gap-fill reads a SIM's days (at most 180d: 1NCE keeps 6 months)."`
	UsageSettle       string `name:"usage-settle" env:"ONCEFLEET_USAGE_SETTLE" default:"48h" help:"How long after a day ended its usage counts as final."`
	UsageMaxCalls     int    `name:"usage-max-calls" env:"ONCEFLEET_USAGE_MAX_CALLS" default:"1000" help:"1NCE calls the usage gap-fill may spend per run."`
	QuotaThresholds   string `name:"quota-thresholds" env:"ONCEFLEET_QUOTA_THRESHOLDS" default:"20,0" help:"Fleet-default quota thresholds in percent left (comma-separated); crossings go on the event bus."`
	QuotaMaxSIMs      int    `name:"quota-max-sims" env:"ONCEFLEET_QUOTA_MAX_SIMS" default:"500" help:"SIMs the quota check reads per run (two calls each), at-risk SIMs first."`
	ConnectivityLabel string `name:"connectivity-label" env:"ONCEFLEET_CONNECTIVITY_LABEL" help:"Connectivity snapshots only of SIMs whose label contains this (empty: all)."`
	ConnectivityMax   string `name:"connectivity-max-sims" env:"ONCEFLEET_CONNECTIVITY_MAX_SIMS" default:"1000" help:"SIMs the connectivity snapshots read per run, or all."`

	RetentionUsage        string `name:"retention-usage" env:"ONCEFLEET_RETENTION_USAGE" default:"400d" help:"Keep daily and hourly usage this long (0: forever)."`
	RetentionEvents       string `name:"retention-events" env:"ONCEFLEET_RETENTION_EVENTS" default:"90d" help:"Keep SIM events this long (0: forever)."`
	RetentionConnectivity string `name:"retention-connectivity" env:"ONCEFLEET_RETENTION_CONNECTIVITY" default:"30d" help:"Keep connectivity snapshots this long; each SIM's latest is always kept (0: forever)."`
	RetentionAudit        string `name:"retention-audit" env:"ONCEFLEET_RETENTION_AUDIT" default:"400d" help:"Keep audit log entries this long (0: forever)."`
	RetentionAlerts       string `name:"retention-alerts" env:"ONCEFLEET_RETENTION_ALERTS" default:"90d" help:"Keep resolved alerts and sent alert deliveries this long (0: forever; dead letters stay until re-sent)."`
	RetentionJobRuns      string `name:"retention-job-runs" env:"ONCEFLEET_RETENTION_JOB_RUNS" default:"30d" help:"Keep job run records this long (0: forever)."`
	RetentionIdempotency  string `name:"retention-idempotency" env:"ONCEFLEET_RETENTION_IDEMPOTENCY" default:"48h" help:"Keep Idempotency-Key answers this long (at least 1h; 0: forever)."`
	RetentionReports      string `name:"retention-reports" env:"ONCEFLEET_RETENTION_REPORTS" default:"400d" help:"Keep fleet reports this long (0: forever)."`
}

// JobSettings are the validated job settings. A zero interval means the job is off.
type JobSettings struct {
	SyncSIMsEvery, SyncUsageEvery, CheckQuotasEvery, ConnectivityEvery, RetentionEvery time.Duration
	AutoTopUpEvery, TrackSMSEvery, FleetReportEvery                                    time.Duration
	AutoTopUpFleetCap                                                                  int

	SyncConcurrency   int
	UsageLookback     time.Duration
	UsageSettle       time.Duration
	UsageMaxCalls     int
	QuotaThresholds   []int
	QuotaMaxSIMs      int
	ConnectivityLabel string
	// ConnectivityMax is the SIMs read per run; 0 reads all.
	ConnectivityMax int

	RetentionUsage, RetentionEvents, RetentionConnectivity, RetentionAudit    time.Duration
	RetentionAlerts, RetentionJobRuns, RetentionIdempotency, RetentionReports time.Duration
}

// parseDuration reads a Go duration or a whole number of days ("30d").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("bad day count %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// withDefaults fills zero fields with their documented defaults (see fillDefaults).
func (j Jobs) withDefaults() Jobs {
	fillDefaults(&j)
	return j
}

// fillDefaults sets each zero string or int field of the struct *p to its default tag, so a
// Config built in code rather than parsed behaves as the command line would.
func fillDefaults(p any) {
	v := reflect.ValueOf(p).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f, def := v.Field(i), t.Field(i).Tag.Get("default")
		if def == "" || !f.IsZero() {
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(def)
		case reflect.Int:
			n, _ := strconv.Atoi(def)
			f.SetInt(int64(n))
		}
	}
}

// resolve validates the job settings, reporting each bad one through bad.
func (j Jobs) resolve(bad func(env, flag, format string, args ...any)) JobSettings {
	var r JobSettings
	j = j.withDefaults()
	interval := func(v, env, flag string, dst *time.Duration) {
		if strings.EqualFold(strings.TrimSpace(v), "off") {
			return
		}
		d, err := parseDuration(v)
		if err != nil || d < time.Second {
			bad(env, flag, "want an interval of at least 1s (like 15m) or off, got %q", v)
			return
		}
		*dst = d
	}
	interval(j.SyncSIMs, "ONCEFLEET_JOB_SYNC_SIMS", "job-sync-sims", &r.SyncSIMsEvery)
	interval(j.SyncUsage, "ONCEFLEET_JOB_SYNC_USAGE", "job-sync-usage", &r.SyncUsageEvery)
	interval(j.CheckQuotas, "ONCEFLEET_JOB_CHECK_QUOTAS", "job-check-quotas", &r.CheckQuotasEvery)
	interval(j.Connectivity, "ONCEFLEET_JOB_CONNECTIVITY", "job-connectivity", &r.ConnectivityEvery)
	interval(j.Retention, "ONCEFLEET_JOB_RETENTION", "job-retention", &r.RetentionEvery)
	interval(j.AutoTopUp, "ONCEFLEET_JOB_AUTO_TOPUP", "job-auto-topup", &r.AutoTopUpEvery)
	interval(j.TrackSMS, "ONCEFLEET_JOB_TRACK_SMS", "job-track-sms", &r.TrackSMSEvery)
	interval(j.FleetReport, "ONCEFLEET_JOB_FLEET_REPORT", "job-fleet-report", &r.FleetReportEvery)
	if j.AutoTopUpFleetCap < 0 {
		bad("ONCEFLEET_AUTO_TOPUP_FLEET_CAP", "auto-topup-fleet-cap", "want 0 (no cap) or more, got %d", j.AutoTopUpFleetCap)
	}
	r.AutoTopUpFleetCap = j.AutoTopUpFleetCap

	if j.SyncConcurrency < 1 || j.SyncConcurrency > 32 {
		bad("ONCEFLEET_SYNC_CONCURRENCY", "sync-concurrency", "want 1 to 32, got %d", j.SyncConcurrency)
	}
	r.SyncConcurrency = j.SyncConcurrency
	if d, err := parseDuration(j.UsageLookback); err != nil || d < 24*time.Hour || d > 180*24*time.Hour {
		bad("ONCEFLEET_USAGE_LOOKBACK", "usage-lookback", "want 1d to 180d (1NCE keeps 6 months), got %q", j.UsageLookback)
	} else {
		r.UsageLookback = d
	}
	if d, err := parseDuration(j.UsageSettle); err != nil || d < 0 || d > 30*24*time.Hour {
		bad("ONCEFLEET_USAGE_SETTLE", "usage-settle", "want 0 to 30d, got %q", j.UsageSettle)
	} else {
		r.UsageSettle = d
	}
	if j.UsageMaxCalls < 1 {
		bad("ONCEFLEET_USAGE_MAX_CALLS", "usage-max-calls", "want at least 1, got %d", j.UsageMaxCalls)
	}
	r.UsageMaxCalls = j.UsageMaxCalls
	if ts, err := fleet.ParseThresholds(j.QuotaThresholds); err != nil {
		bad("ONCEFLEET_QUOTA_THRESHOLDS", "quota-thresholds", "want percentages 0–100 separated by commas, got %q", j.QuotaThresholds)
	} else {
		r.QuotaThresholds = ts
	}
	if j.QuotaMaxSIMs < 1 {
		bad("ONCEFLEET_QUOTA_MAX_SIMS", "quota-max-sims", "want at least 1, got %d", j.QuotaMaxSIMs)
	}
	r.QuotaMaxSIMs = j.QuotaMaxSIMs
	if len(j.ConnectivityLabel) > fleet.MaxTextLen {
		bad("ONCEFLEET_CONNECTIVITY_LABEL", "connectivity-label", "longer than %d bytes", fleet.MaxTextLen)
	}
	r.ConnectivityLabel = j.ConnectivityLabel
	if v := strings.TrimSpace(j.ConnectivityMax); !strings.EqualFold(v, "all") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			bad("ONCEFLEET_CONNECTIVITY_MAX_SIMS", "connectivity-max-sims", "want a number of SIMs or all, got %q", j.ConnectivityMax)
		}
		r.ConnectivityMax = n
	}

	keep := func(v, env, flag string, minimum time.Duration, dst *time.Duration) {
		d, err := parseDuration(v)
		if err != nil || d < 0 || (d > 0 && d < minimum) {
			bad(env, flag, "want 0 (forever) or a duration of at least %s like 90d, got %q", minimum, v)
			return
		}
		*dst = d
	}
	keep(j.RetentionUsage, "ONCEFLEET_RETENTION_USAGE", "retention-usage", 24*time.Hour, &r.RetentionUsage)
	keep(j.RetentionEvents, "ONCEFLEET_RETENTION_EVENTS", "retention-events", time.Hour, &r.RetentionEvents)
	keep(j.RetentionConnectivity, "ONCEFLEET_RETENTION_CONNECTIVITY", "retention-connectivity", time.Hour, &r.RetentionConnectivity)
	keep(j.RetentionAudit, "ONCEFLEET_RETENTION_AUDIT", "retention-audit", 24*time.Hour, &r.RetentionAudit)
	keep(j.RetentionAlerts, "ONCEFLEET_RETENTION_ALERTS", "retention-alerts", time.Hour, &r.RetentionAlerts)
	keep(j.RetentionJobRuns, "ONCEFLEET_RETENTION_JOB_RUNS", "retention-job-runs", time.Hour, &r.RetentionJobRuns)
	keep(j.RetentionIdempotency, "ONCEFLEET_RETENTION_IDEMPOTENCY", "retention-idempotency", time.Hour, &r.RetentionIdempotency)
	keep(j.RetentionReports, "ONCEFLEET_RETENTION_REPORTS", "retention-reports", 24*time.Hour, &r.RetentionReports)
	return r
}
