package fleet

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAlertRuleValidate(t *testing.T) {
	cases := []struct {
		name string
		rule AlertRule
		ok   bool
	}{
		{"minimal", AlertRule{Name: "r", Kind: AlertQuotaBelow}, true},
		{"full", AlertRule{Name: "r", Kind: AlertUsageSpike, Params: json.RawMessage(`{"factor":3}`), Channels: json.RawMessage(`[{"type":"slack"}]`)}, true},
		{"every kind", AlertRule{Name: "r", Kind: AlertStreamSilent}, true},
		{"unknown kind", AlertRule{Name: "r", Kind: "x"}, false},
		{"blank name", AlertRule{Name: " ", Kind: AlertQuotaBelow}, false},
		{"negative cooldown", AlertRule{Name: "r", Kind: AlertQuotaBelow, Cooldown: -time.Second}, false},
		{"params array", AlertRule{Name: "r", Kind: AlertQuotaBelow, Params: json.RawMessage(`[]`)}, false},
		{"params broken", AlertRule{Name: "r", Kind: AlertQuotaBelow, Params: json.RawMessage(`{`)}, false},
		{"channels object", AlertRule{Name: "r", Kind: AlertQuotaBelow, Channels: json.RawMessage(`{}`)}, false},
	}
	for _, tc := range cases {
		err := tc.rule.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	for _, k := range AlertKinds {
		if !k.Valid() {
			t.Errorf("%s not valid", k)
		}
	}
}

func TestAlertAcknowledgeKeepsFirst(t *testing.T) {
	var a Alert
	t1 := time.Unix(100, 0)
	a.Acknowledge("alice", t1)
	a.Acknowledge("bob", t1.Add(time.Hour))
	if a.AcknowledgedBy != "alice" || !a.AcknowledgedAt.Equal(t1) {
		t.Fatalf("%+v", a)
	}
}

func TestAlertDedupKey(t *testing.T) {
	if AlertDedupKey("r1", "8988") != "r1/8988" || AlertDedupKey("r1", "") != "r1/*" {
		t.Fatal("dedup key format changed: existing alerts would no longer deduplicate")
	}
}
