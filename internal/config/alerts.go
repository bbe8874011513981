package config

import (
	"strings"
	"time"
)

// Alerts are the alert engine's settings (SPEC §8).
type Alerts struct {
	EvaluateEvery   string `name:"alert-evaluate-every" env:"ONCEFLEET_ALERT_EVALUATE_EVERY" default:"5m" help:"Interval of the periodic alert rules (quota forecast, no session, 1NCE error rate), or off."`
	GroupWindow     string `name:"alert-group-window" env:"ONCEFLEET_ALERT_GROUP_WINDOW" default:"2s" help:"A rule's alerts go out as one message once it has fired nothing new for this long."`
	GroupMax        string `name:"alert-group-max" env:"ONCEFLEET_ALERT_GROUP_MAX" default:"30s" help:"Longest a rule that keeps firing holds its grouped message back."`
	Attempts        int    `name:"alert-delivery-attempts" env:"ONCEFLEET_ALERT_DELIVERY_ATTEMPTS" default:"5" help:"Attempts per alert delivery before it goes to the dead-letter list (1–20)."`
	RetryBackoff    string `name:"alert-retry-backoff" env:"ONCEFLEET_ALERT_RETRY_BACKOFF" default:"2s" help:"First wait between delivery attempts; it doubles, with jitter."`
	RetryMaxBackoff string `name:"alert-retry-max-backoff" env:"ONCEFLEET_ALERT_RETRY_MAX_BACKOFF" default:"5m" help:"Longest wait between delivery attempts."`
	SendTimeout     string `name:"alert-send-timeout" env:"ONCEFLEET_ALERT_SEND_TIMEOUT" default:"15s" help:"Timeout of one webhook, Slack or SMTP delivery attempt."`
}

// AlertSettings are the validated alert settings.
type AlertSettings struct {
	// EvaluateEvery is 0 when the periodic rules are off.
	EvaluateEvery, GroupWindow, GroupMax time.Duration
	Attempts                             int
	RetryBackoff, RetryMaxBackoff        time.Duration
	SendTimeout                          time.Duration
}

func (a Alerts) withDefaults() Alerts {
	fillDefaults(&a)
	return a
}

func (a Alerts) resolve(bad func(env, flag, format string, args ...any)) AlertSettings {
	var r AlertSettings
	a = a.withDefaults()
	dur := func(v, env, flag string, lo, hi time.Duration, dst *time.Duration) {
		d, err := parseDuration(v)
		if err != nil || d < lo || d > hi {
			bad(env, flag, "want a duration from %s to %s, got %q", lo, hi, v)
			return
		}
		*dst = d
	}
	if !strings.EqualFold(strings.TrimSpace(a.EvaluateEvery), "off") {
		dur(a.EvaluateEvery, "ONCEFLEET_ALERT_EVALUATE_EVERY", "alert-evaluate-every", 10*time.Second, 24*time.Hour, &r.EvaluateEvery)
	}
	dur(a.GroupWindow, "ONCEFLEET_ALERT_GROUP_WINDOW", "alert-group-window", 10*time.Millisecond, 10*time.Minute, &r.GroupWindow)
	dur(a.GroupMax, "ONCEFLEET_ALERT_GROUP_MAX", "alert-group-max", 10*time.Millisecond, time.Hour, &r.GroupMax)
	if r.GroupMax < r.GroupWindow {
		bad("ONCEFLEET_ALERT_GROUP_MAX", "alert-group-max", "want at least the group window (%s), got %q", r.GroupWindow, a.GroupMax)
	}
	if a.Attempts < 1 || a.Attempts > 20 {
		bad("ONCEFLEET_ALERT_DELIVERY_ATTEMPTS", "alert-delivery-attempts", "want 1 to 20, got %d", a.Attempts)
	}
	r.Attempts = a.Attempts
	dur(a.RetryBackoff, "ONCEFLEET_ALERT_RETRY_BACKOFF", "alert-retry-backoff", time.Millisecond, time.Hour, &r.RetryBackoff)
	dur(a.RetryMaxBackoff, "ONCEFLEET_ALERT_RETRY_MAX_BACKOFF", "alert-retry-max-backoff", time.Millisecond, 24*time.Hour, &r.RetryMaxBackoff)
	dur(a.SendTimeout, "ONCEFLEET_ALERT_SEND_TIMEOUT", "alert-send-timeout", 100*time.Millisecond, 5*time.Minute, &r.SendTimeout)
	return r
}
