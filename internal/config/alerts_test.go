package config

import (
	"strings"
	"testing"
	"time"
)

func TestAlertSettings(t *testing.T) {
	noenv := func(string) string { return "" }
	r, err := valid().Resolve(noenv)
	if err != nil {
		t.Fatal(err)
	}
	a := r.AlertSettings
	if a.EvaluateEvery != 5*time.Minute || a.GroupWindow != 2*time.Second || a.GroupMax != 30*time.Second || a.Attempts != 5 ||
		a.RetryBackoff != 2*time.Second || a.RetryMaxBackoff != 5*time.Minute || a.SendTimeout != 15*time.Second {
		t.Fatalf("defaults = %+v", a)
	}
	c := valid()
	c.Alerts.EvaluateEvery = "off"
	if r, err = c.Resolve(noenv); err != nil || r.AlertSettings.EvaluateEvery != 0 {
		t.Fatalf("off: %+v %v", r, err)
	}
	for _, tc := range []struct {
		mod  func(*Alerts)
		want string
	}{
		{func(a *Alerts) { a.EvaluateEvery = "1s" }, "ONCEFLEET_ALERT_EVALUATE_EVERY"},
		{func(a *Alerts) { a.GroupWindow = "soon" }, "ONCEFLEET_ALERT_GROUP_WINDOW"},
		{func(a *Alerts) { a.GroupWindow, a.GroupMax = "1m", "10s" }, "ONCEFLEET_ALERT_GROUP_MAX"},
		{func(a *Alerts) { a.Attempts = 50 }, "ONCEFLEET_ALERT_DELIVERY_ATTEMPTS"},
		{func(a *Alerts) { a.RetryBackoff = "-1s" }, "ONCEFLEET_ALERT_RETRY_BACKOFF"},
		{func(a *Alerts) { a.SendTimeout = "1h" }, "ONCEFLEET_ALERT_SEND_TIMEOUT"},
	} {
		c := valid()
		tc.mod(&c.Alerts)
		if _, err := c.Resolve(noenv); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want mention of %s", err, tc.want)
		}
	}
}
