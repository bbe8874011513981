package contract

import (
	"fmt"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/spectest"
	"github.com/oncefleet/oncefleet/oncesim"
)

// TestContractSimulatorStates validates the answers that only appear in later states of the
// account — network sessions and their events, exhausted quotas, SMS to an unreachable device,
// refused changes and v2's errors — which the every-operation test on a fresh account does not
// reach. The simulator's own tests check what these answers say; this checks their shape.
func TestContractSimulatorStates(t *testing.T) {
	c := spectest.Load(t)
	h := newHarness(t, oncesim.Options{Sims: 40, Seed: 11}, c, "")
	h.login()

	// A few simulated days of network activity: sessions, attaches, detaches, usage.
	h.sim.Advance(3 * 24 * time.Hour)
	h.login()
	for i := 0; i < 12; i++ {
		ic := h.iccid(i)
		h.do("GET", "/v1/sims/"+ic+"/events?page=1&pageSize=100", nil).want(t, 200, "v1 events after days")
		h.do("GET", "/v2/sims/"+ic+"/events?page=1&pageSize=100", nil).want(t, 200, "v2 events after days")
		h.do("GET", "/v1/sims/"+ic+"/status", nil).want(t, 200, "v1 status after days")
		h.do("GET", "/v2/sims/"+ic+"/status", nil).want(t, 200, "v2 status after days")
		h.do("GET", "/v1/sims/"+ic+"/usage", nil).want(t, 200, "usage after days")
	}

	// An exhausted data quota, read in both generations, then topped up.
	ex := h.iccid(13)
	if _, err := h.sim.AddUsage(ex, oncesim.Usage{AllData: true}); err != nil {
		t.Fatal(err)
	}
	h.do("GET", "/v1/sims/"+ex+"/quota/data", nil).want(t, 200, "v1 exhausted quota")
	h.do("GET", "/v2/sims/"+ex+"/quota/data", nil).want(t, 200, "v2 exhausted quota")
	h.do("GET", "/v2/sims/"+ex, nil).want(t, 200, "v2 SIM with exhausted quota")
	h.do("GET", "/v1/sims/"+ex+"/events", nil).want(t, 200, "v1 events with quota exhausted")
	h.do("POST", "/v2/sims/"+ex+"/topup", nil).want(t, 201, "top-up of an exhausted SIM")

	// SMS to a device that is offline: pending, then expired after a day.
	off := h.iccid(14)
	if _, err := h.sim.SetOnline(off, false); err != nil {
		t.Fatal(err)
	}
	h.do("POST", "/v2/sims/"+off+"/sms", map[string]any{"payload": "offline"}).want(t, 201, "SMS to an offline device")
	h.do("POST", "/v1/sims/"+off+"/sms", map[string]any{"source_address": "1234", "payload": "offline",
		"source_address_type": map[string]any{"id": 145}}).want(t, 201, "v1 SMS to an offline device")
	h.do("GET", "/v2/sims/"+off+"/sms", nil).want(t, 200, "pending SMS v2")
	h.sim.Advance(26 * time.Hour)
	h.login()
	var list []map[string]any
	h.do("GET", "/v1/sims/"+off+"/sms", nil).want(t, 200, "expired SMS v1").decode(t, &list)
	h.do("GET", "/v2/sims/"+off+"/sms", nil).want(t, 200, "expired SMS v2")
	if len(list) > 0 {
		h.do("GET", fmt.Sprintf("/v1/sims/%s/sms/%v", off, list[len(list)-1]["id"]), nil).want(t, 200, "one expired SMS")
	}

	// A disabled SIM, and v2's error answers.
	dis := h.iccid(15)
	h.do("PUT", "/v2/sims/"+dis, map[string]any{"status": "Disabled"}).want(t, 200, "disable v2")
	h.do("GET", "/v2/sims/"+dis+"/status", nil).want(t, 200, "status of a disabled SIM")
	h.do("GET", "/v2/sims/8988280666999999999", nil).want(t, 404, "v2 unknown SIM")
	h.do("GET", "/v2/sims/8988280666999999999/quota/data", nil).want(t, 404, "v2 unknown SIM quota")
	h.do("GET", "/v1/sims/8988280666999999999/quota/sms", nil).want(t, 404, "v1 unknown SIM quota")
}
