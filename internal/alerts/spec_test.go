package alerts

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		kind   fleet.AlertKind
		params string
		ok     bool
	}{
		{fleet.AlertQuotaBelow, `{"threshold_pct": 12.5}`, true},
		{fleet.AlertQuotaBelow, `{"threshold_pct": 12.5, "quota": "sms", "scope": {"label": "meter-*"}, "actions": [{"type": "topup"}]}`, true},
		{fleet.AlertQuotaBelow, `{}`, false},
		{fleet.AlertQuotaBelow, `{"threshold_pct": -1}`, false},
		{fleet.AlertQuotaBelow, `{"threshold_pct": 10, "quota": "voice"}`, false},
		{fleet.AlertQuotaBelow, `{"threshold_pct": 10, "typo": 1}`, false},
		{fleet.AlertQuotaBelow, `{"threshold_pct": 10} {}`, false},
		{fleet.AlertQuotaForecast, `{"within_days": 3}`, true},
		{fleet.AlertQuotaForecast, `{"within_days": 3, "days": 0.5}`, false},
		{fleet.AlertNoSession, `{"hours": 6}`, true},
		{fleet.AlertNoSession, `{"hours": 6, "threshold_pct": 3}`, false},
		{fleet.AlertSIMFieldChanged, `{"field": "operator"}`, true},
		{fleet.AlertSIMFieldChanged, `{}`, false},
		{fleet.AlertStatusChanged, `{"to": "Disabled"}`, true},
		{fleet.AlertUsageSpike, `{}`, true},
		{fleet.AlertUsageSpike, `{"baseline_days": 2}`, false},
		{fleet.AlertSyncFailing, `{"job": "sync_sims", "failures": 3}`, true},
		{fleet.AlertSyncFailing, `{"actions": [{"type": "disable"}]}`, false},
		{fleet.AlertStreamSilent, `{"stream": "usage"}`, true},
		{fleet.AlertStreamSilent, `{"stream": "video"}`, false},
		{fleet.AlertUpstreamErrors, `{"error_pct": 20}`, true},
		{fleet.AlertUpstreamErrors, `{}`, false},
		{fleet.AlertConnectivityLost, `{"scope": {"iccids": ["8988280666000000001"]}, "actions": [{"type": "sms", "text": "hello"}]}`, true},
		{fleet.AlertConnectivityLost, `{"actions": [{"type": "sms"}]}`, false},
		{fleet.AlertConnectivityLost, `{"scope": {"label": "["}}`, false},
		{fleet.AlertConnectivityLost, `[]`, false},
		{"bogus", `{}`, false},
	} {
		_, err := ParseSpec(tc.kind, json.RawMessage(tc.params))
		if (err == nil) != tc.ok {
			t.Errorf("%s %s: err = %v, want ok=%v", tc.kind, tc.params, err, tc.ok)
		}
		if err != nil && !errors.Is(err, fleet.ErrInvalid) {
			t.Errorf("%s %s: %v is not invalid", tc.kind, tc.params, err)
		}
	}
}

// FuzzParseSpec: go test -fuzz FuzzParseSpec ./internal/alerts/ — any params either parse to
// a spec that re-parses the same, or fail as invalid; never panic.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{`{"threshold_pct": 20}`, `{"within_days": 3, "days": 7}`, `{"hours": 1.5}`,
		`{"scope": {"label": "a*", "iccids": ["1"]}, "actions": [{"type": "disable"}]}`, `{"factor": 1e308}`, `null`, `{"threshold_pct": NaN}`} {
		f.Add(string(fleet.AlertQuotaBelow), s)
	}
	f.Fuzz(func(t *testing.T, kind, params string) {
		s, err := ParseSpec(fleet.AlertKind(kind), json.RawMessage(params))
		if err != nil {
			if !errors.Is(err, fleet.ErrInvalid) {
				t.Fatalf("%q %q: %v is not invalid", kind, params, err)
			}
			return
		}
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshal %+v: %v", s, err)
		}
		if _, err := ParseSpec(s.Kind, raw); err != nil {
			t.Fatalf("%q re-parsed from %s: %v", params, raw, err)
		}
	})
}

func TestSignatureRoundTripAndReplay(t *testing.T) {
	secret, body := []byte("0123456789abcdef"), []byte(`{"event":"fired"}`)
	at := time.Unix(1_800_000_000, 0)
	h := Sign(secret, at, body)
	if err := VerifySignature(secret, h, body, at.Add(time.Minute), DefaultReplayWindow); err != nil {
		t.Fatal(err)
	}
	if err := VerifySignature(secret, h, []byte(`{"event":"resolved"}`), at, DefaultReplayWindow); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered body: %v", err)
	}
	if err := VerifySignature([]byte("another-secret-00"), h, body, at, DefaultReplayWindow); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other secret: %v", err)
	}
	if err := VerifySignature(secret, h, body, at.Add(time.Hour), DefaultReplayWindow); !errors.Is(err, ErrStale) {
		t.Fatalf("replayed an hour later: %v", err)
	}
	for _, bad := range []string{"", "t=abc,v1=00", "v1=" + h, "t=1800000000"} {
		if err := VerifySignature(secret, bad, body, at, DefaultReplayWindow); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}

func TestMedianMAD(t *testing.T) {
	// One outlier day barely moves a robust baseline.
	med, mad := MedianMAD([]float64{10, 12, 11, 9, 10, 1000})
	if med != 10.5 || mad != 1 {
		t.Fatalf("median %v, MAD %v", med, mad)
	}
	if m, d := MedianMAD(nil); m != 0 || d != 0 {
		t.Fatal("empty")
	}
}

func TestScope(t *testing.T) {
	s := Scope{Label: "meter-*"}
	if !s.Matches("1", "meter-7") || s.Matches("1", "pump-1") {
		t.Fatal("label glob")
	}
	s = Scope{ICCIDs: []string{"1", "2"}}
	if !s.Matches("2", "") || s.Matches("3", "") {
		t.Fatal("ICCID list")
	}
	if !(Scope{}).Matches("9", "") {
		t.Fatal("all")
	}
}

func TestMessageOfListsAtMostFifty(t *testing.T) {
	p := Payload{Event: "fired", Rule: &RuleRef{ID: "r", Name: "offline", Kind: fleet.AlertConnectivityLost}}
	for i := range 60 {
		p.Alerts = append(p.Alerts, AlertRef{ICCID: fmt.Sprintf("89%017d", i), Message: "data session lost"})
	}
	m := messageOf(p)
	if m.Subject != "[oncefleet] FIRING: offline (60)" || !strings.Contains(m.Text, "… and 10 more") || strings.Count(m.Text, "•") != 50 {
		t.Fatalf("subject %q, text:\n%s", m.Subject, m.Text)
	}
}
