package oncesim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder collects published activities.
type recorder struct {
	mu   sync.Mutex
	acts []Activity
}

func (r *recorder) add(a Activity) {
	r.mu.Lock()
	r.acts = append(r.acts, a)
	r.mu.Unlock()
}

func (r *recorder) events(iccid, typ string) []Activity {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Activity
	for _, a := range r.acts {
		if a.Kind == ActivityEvent && a.ICCID == iccid && a.EventType == typ {
			out = append(out, a)
		}
	}
	return out
}

func (r *recorder) usage(iccid, traffic string) (n int, bytes int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.acts {
		if a.Kind == ActivityUsage && a.ICCID == iccid && a.Traffic == traffic {
			n++
			bytes += a.RxBytes + a.TxBytes
		}
	}
	return n, bytes
}

// findSIM returns the first SIM index satisfying ok, looking at the raw state.
func findSIM(t *testing.T, s *Simulator, ok func(idx int, st *sim) bool) int {
	t.Helper()
	for idx := range s.fleet.size() {
		sh, off := s.fleet.locate(idx)
		sh.mu.RLock()
		st := sh.sims[off]
		sh.mu.RUnlock()
		if ok(idx, &st) {
			return idx
		}
	}
	t.Fatal("no SIM in the fleet fits")
	return -1
}

func enabledWith(p profile) func(int, *sim) bool {
	return func(_ int, st *sim) bool {
		return st.profile == p && st.flags&flagDisabled == 0 && st.data.remaining > 100 && st.sms.remaining > 50
	}
}

func TestTopUpRaisesQuota(t *testing.T) {
	h := newHarness(t, Options{Seed: 1})
	h.login()
	ic := iccidOf(findSIM(t, h.sim, enabledWith(profileIdle)))
	before, _ := h.sim.SIM(ic)
	var q struct {
		Volume float64 `json:"volume"`
		Total  float64 `json:"total_volume"`
	}
	h.do("POST", "/v1/sims/"+ic+"/topup", nil).want(t, 201, "topup")
	h.do("GET", "/v1/sims/"+ic+"/quota/data", nil).want(t, 200, "quota").decode(t, &q)
	if want := before.Data.Remaining + topUpDataMB; math.Abs(q.Volume-want) > 1e-6 {
		t.Errorf("data volume after top-up = %v, want %v", q.Volume, want)
	}
	if want := before.Data.Total + topUpDataMB; math.Abs(q.Total-want) > 1e-6 {
		t.Errorf("total volume after top-up = %v, want %v", q.Total, want)
	}
	after, _ := h.sim.SIM(ic)
	if after.SMS.Remaining != before.SMS.Remaining+topUpSMS {
		t.Errorf("SMS after top-up = %v, want %v", after.SMS.Remaining, before.SMS.Remaining+topUpSMS)
	}
	var orders []map[string]any
	h.do("GET", "/v1/orders?pageSize=10&page=1", nil).want(t, 200, "orders").decode(t, &orders)
	last := orders[len(orders)-1]
	if last["order_type"] != "TOPUP" {
		t.Errorf("last order type = %v, want TOPUP", last["order_type"])
	}
}

func TestDisableChangesStatusAndEmitsEvent(t *testing.T) {
	h := newHarness(t, Options{Seed: 2})
	rec := &recorder{}
	h.sim.Subscribe(rec.add)
	h.login()
	ic := iccidOf(findSIM(t, h.sim, enabledWith(profileSteady)))
	h.do("PUT", "/v1/sims/"+ic, map[string]any{"iccid": ic, "status": "Disabled"}).want(t, 200, "disable")
	var card struct {
		Status string `json:"status"`
	}
	h.do("GET", "/v2/sims/"+ic, nil).want(t, 200, "get").decode(t, &card)
	if card.Status != "Disabled" {
		t.Errorf("status = %q, want Disabled", card.Status)
	}
	evs := rec.events(ic, "SIM state change")
	if len(evs) != 1 || !strings.Contains(evs[0].Description, "'Enabled' to 'Disabled'") {
		t.Fatalf("state change activities = %+v, want one Enabled→Disabled", evs)
	}
	var coll struct {
		Events []struct {
			EventType string `json:"event_type"`
		} `json:"events"`
	}
	h.do("GET", "/v1/sims/"+ic+"/events?pageSize=100&sort=-timestamp,-id", nil).want(t, 200, "events").decode(t, &coll)
	if len(coll.Events) < 2 || !strings.Contains(coll.Events[0].EventType, "to 'Disabled'") {
		t.Errorf("newest v1 event = %+v, want the state change", coll.Events)
	}
	var status struct {
		Status struct{ Description string } `json:"status"`
	}
	h.do("GET", "/v2/sims/"+ic+"/status", nil).want(t, 200, "status").decode(t, &status)
	if status.Status.Description != "BLOCKED" {
		t.Errorf("v2 connectivity of a disabled SIM = %q, want BLOCKED", status.Status.Description)
	}
	// A disabled SIM uses nothing.
	before, _ := h.sim.SIM(ic)
	h.sim.Advance(5 * 24 * time.Hour)
	after, _ := h.sim.SIM(ic)
	if after.Data.Remaining != before.Data.Remaining {
		t.Errorf("disabled SIM used data: %v → %v", before.Data.Remaining, after.Data.Remaining)
	}
}

// TestUsageAccruesWithManualClock checks the even daily flow of usage with daily network
// activity off (TestNetworkActivity covers sessions).
func TestUsageAccruesWithManualClock(t *testing.T) {
	h := newHarness(t, Options{Seed: 3, NetworkActivity: -1})
	rec := &recorder{}
	h.sim.Subscribe(rec.add)
	idx := findSIM(t, h.sim, enabledWith(profileSteady))
	ic := iccidOf(idx)
	before, _ := h.sim.SIM(ic)
	h.sim.Advance(48 * time.Hour)
	after, _ := h.sim.SIM(ic)
	used := before.Data.Remaining - after.Data.Remaining
	// Two days of a steady device: between 0.8× and 1.2× its base rate per day.
	base := h.sim.fleet.dayBytes(idx, profileSteady, t0.Unix()/daySeconds) / 1.2 / bytesPerMB
	if used <= 0 || used < base*2*0.8/1.2*0.99 || used > base*2*1.2/0.8*1.01 {
		t.Errorf("used %v MB in 2 days, base ≈ %v MB/day", used, base)
	}
	n, bytes := rec.usage(ic, "Data")
	if n < 2 {
		t.Errorf("%d data usage activities, want one per day segment (≥2)", n)
	}
	if got := float64(bytes) / bytesPerMB; math.Abs(got-used) > 0.01 {
		t.Errorf("usage activities sum to %v MB, quota drained %v MB", got, used)
	}
	// The usage endpoint reports the same days.
	h.login()
	var u struct {
		Stats []struct {
			Date string
			Data struct{ Volume string }
		}
	}
	h.do("GET", "/v1/sims/"+ic+"/usage?start_dt=2026-03-01&end_dt=2026-03-03", nil).want(t, 200, "usage").decode(t, &u)
	total := 0.0
	for _, d := range u.Stats {
		var v float64
		fmt.Sscan(d.Data.Volume, &v)
		total += v
	}
	if len(u.Stats) != 3 || math.Abs(total-used) > 0.01 {
		t.Errorf("usage endpoint: %d days summing to %v MB, want 3 days and %v MB", len(u.Stats), total, used)
	}
}

// TestMeteringIsSplitInvariant checks that metering in many small steps gives what one big
// step gives: looking at SIMs must not change their future.
func TestMeteringIsSplitInvariant(t *testing.T) {
	mk := func() *Simulator {
		s, err := New(Options{Sims: 200, Seed: 11, Clock: NewManualClock(t0), ClientID: "a", ClientSecret: "b"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	a, b := mk(), mk()
	a.Advance(20 * 24 * time.Hour)
	for range 20 * 6 {
		b.Advance(4 * time.Hour)
	}
	for _, ic := range a.ICCIDs() {
		x, _ := a.SIM(ic)
		y, _ := b.SIM(ic)
		for _, p := range [][2]QuotaState{{x.Data, y.Data}, {x.SMS, y.SMS}} {
			if math.Abs(p[0].Remaining-p[1].Remaining) > 1e-6 || p[0].Status != p[1].Status ||
				p[0].Exhausted.Sub(p[1].Exhausted).Abs() > 2*time.Second ||
				p[0].ThresholdReached.Sub(p[1].ThresholdReached).Abs() > 2*time.Second {
				t.Fatalf("SIM %s: one step %+v, many steps %+v", ic, p[0], p[1])
			}
		}
	}
}

func TestQuotaExhaustsThenTopUpRestores(t *testing.T) {
	// Usage flowing every day makes the day of exhaustion predictable from the profile.
	h := newHarness(t, Options{Sims: 200, Seed: 4, NetworkActivity: -1})
	rec := &recorder{}
	h.sim.Subscribe(rec.add)
	now := t0.Unix()
	// The steady SIM that runs dry soonest, well before its lifetime ends.
	best, bestDays := -1, math.MaxFloat64
	for idx := range h.sim.fleet.size() {
		sh, off := h.sim.fleet.locate(idx)
		st := sh.sims[off]
		if st.profile != profileSteady || st.flags&flagDisabled != 0 || st.data.remaining <= thresholdShare*st.data.total {
			continue
		}
		days := st.data.remaining * bytesPerMB / (h.sim.fleet.dayBytes(idx, profileSteady, now/daySeconds) / 1.2 * 0.8)
		if float64(st.data.expiry-now)/daySeconds > days*1.1 && days < bestDays {
			best, bestDays = idx, days
		}
	}
	if best < 0 {
		t.Fatal("no steady SIM can run dry before it expires")
	}
	ic := iccidOf(best)
	h.sim.Advance(time.Duration(bestDays*1.05*24) * time.Hour)
	st, _ := h.sim.SIM(ic)
	if st.Data.Status != "EXHAUSTED" || st.Data.Remaining != 0 || st.Data.Exhausted.IsZero() {
		t.Fatalf("after %.0f days: data %+v, want EXHAUSTED", bestDays*1.05, st.Data)
	}
	if len(rec.events(ic, "Quota exhausted")) == 0 {
		t.Error("no Quota exhausted event published")
	}
	if st.Data.ThresholdReached.IsZero() || len(rec.events(ic, "Threshold reached")) == 0 {
		t.Error("the 20% threshold was never reported")
	}
	h.login()
	var card struct {
		Quota       float64 `json:"current_quota"`
		QuotaStatus struct {
			ID       int    `json:"id"`
			Exceeded string `json:"quota_exceeded_date"`
		} `json:"quota_status"`
	}
	h.do("GET", "/v1/sims/"+ic, nil).want(t, 200, "get").decode(t, &card)
	if card.Quota != 0 || card.QuotaStatus.ID != 2 || card.QuotaStatus.Exceeded == "" {
		t.Errorf("v1 card of an exhausted SIM: %+v", card)
	}
	// No usage while exhausted.
	h.sim.Advance(24 * time.Hour)
	if st2, _ := h.sim.SIM(ic); st2.Data.Remaining != 0 {
		t.Errorf("an exhausted SIM used data: %v left", st2.Data.Remaining)
	}
	h.login()
	h.do("POST", "/v2/sims/"+ic+"/topup", nil).want(t, 201, "topup")
	var q struct {
		Status struct {
			Description string `json:"description"`
		} `json:"status"`
		Volume float64 `json:"volume"`
	}
	h.do("GET", "/v2/sims/"+ic+"/quota/data", nil).want(t, 200, "quota").decode(t, &q)
	if q.Status.Description != "ACTIVE" || q.Volume != topUpDataMB {
		t.Errorf("after top-up: %+v, want ACTIVE with %v MB", q, topUpDataMB)
	}
}

func TestAutoTopUpRefillsOnExhaustion(t *testing.T) {
	h := newHarness(t, Options{Sims: 200, Seed: 5})
	idx := findSIM(t, h.sim, func(_ int, st *sim) bool {
		return st.profile == profileSteady && st.flags&flagDisabled == 0 && st.data.remaining > 0 && st.data.remaining < 30
	})
	ic := iccidOf(idx)
	h.login()
	h.do("POST", "/v1/sims/autoTopup", map[string]any{"enabled": true, "iccids": []string{ic}}).want(t, 201, "auto topup")
	h.sim.Advance(60 * 24 * time.Hour)
	st, _ := h.sim.SIM(ic)
	if !st.AutoTopUp || st.Data.Status != "ACTIVE" || st.Data.Total < initialDataMB+topUpDataMB {
		t.Fatalf("auto top-up SIM after 60 days: %+v", st)
	}
	h.login()
	var orders []map[string]any
	h.do("GET", "/v1/orders?pageSize=10&sort=-order_number", nil).want(t, 200, "orders").decode(t, &orders)
	if orders[0]["order_type"] != "TOPUP" {
		t.Errorf("newest order = %v, want the automatic TOPUP", orders[0])
	}
}

func TestSMSDeliveryProgresses(t *testing.T) {
	h := newHarness(t, Options{Seed: 6})
	h.login()
	online := iccidOf(findSIM(t, h.sim, enabledWith(profileSteady)))
	var created struct {
		ID string `json:"id"`
	}
	h.do("POST", "/v2/sims/"+online+"/sms", map[string]any{"payload": "ping"}).want(t, 201, "send").decode(t, &created)
	type smsView struct {
		Status struct {
			ID          int    `json:"id"`
			Description string `json:"description"`
		} `json:"status"`
		DeliveryDate string `json:"delivery_date"`
	}
	get := func(ic, id string) smsView {
		var v smsView
		h.do("GET", "/v2/sims/"+ic+"/sms/"+id, nil).want(t, 200, "get sms").decode(t, &v)
		return v
	}
	if v := get(online, created.ID); v.Status.Description != "PENDING" || v.DeliveryDate != "" {
		t.Fatalf("fresh SMS: %+v, want PENDING", v)
	}
	h.clock.Advance(15 * time.Second)
	if v := get(online, created.ID); v.Status.Description != "DELIVERED" || v.Status.ID != 4 || v.DeliveryDate == "" {
		t.Fatalf("SMS after 15 s: %+v, want DELIVERED", v)
	}
	// An unreachable device never gets it: the SMS expires.
	off := iccidOf(findSIM(t, h.sim, enabledWith(profileBursty)))
	h.do("PUT", "/v2/sims/"+off, map[string]any{"status": "Disabled"}).want(t, 200, "disable")
	h.do("POST", "/v2/sims/"+off+"/sms", map[string]any{"payload": "ping"}).want(t, 201, "send").decode(t, &created)
	h.clock.Advance(2 * time.Hour)
	h.login()
	if v := get(off, created.ID); v.Status.Description != "PENDING" {
		t.Fatalf("SMS to a blocked SIM after 2 h: %+v, want PENDING", v)
	}
	h.clock.Advance(23 * time.Hour)
	h.login()
	if v := get(off, created.ID); v.Status.Description != "EXPIRED" {
		t.Fatalf("SMS to a blocked SIM after 25 h: %+v, want EXPIRED", v)
	}
	// A pending SMS can be cancelled; it ends FAILED.
	h.do("POST", "/v2/sims/"+off+"/sms", map[string]any{"payload": "ping"}).want(t, 201, "send").decode(t, &created)
	h.do("DELETE", "/v2/sims/"+off+"/sms/"+created.ID, nil).want(t, 200, "cancel")
	if v := get(off, created.ID); v.Status.Description != "FAILED" {
		t.Fatalf("cancelled SMS: %+v, want FAILED", v)
	}
}

func TestDevicesSendMOSMS(t *testing.T) {
	h := newHarness(t, Options{Seed: 8})
	ic := iccidOf(findSIM(t, h.sim, enabledWith(profileSteady)))
	before, _ := h.sim.SIM(ic)
	h.sim.Advance(10 * 24 * time.Hour)
	after, _ := h.sim.SIM(ic)
	mo := int(before.SMS.Remaining - after.SMS.Remaining)
	if mo == 0 || after.SMSCount != mo {
		t.Fatalf("10 days of a steady device: %d SMS charged, %d stored; want the same, non-zero", mo, after.SMSCount)
	}
	h.login()
	var list []map[string]any
	h.do("GET", "/v1/sims/"+ic+"/sms?pageSize=100", nil).want(t, 200, "list").decode(t, &list)
	for _, m := range list {
		if typ := m["sms_type"].(map[string]any); typ["description"] != "MO" {
			t.Errorf("unexpected SMS %v", m)
		}
	}
}

func TestOrderCreatesSIMs(t *testing.T) {
	h := newHarness(t, Options{Sims: 20})
	h.login()
	h.do("POST", "/v1/orders", map[string]any{"products": []map[string]any{{"productId": 1002, "quantity": 2}, {"productId": 1001, "quantity": 1}}}).
		want(t, 200, "order")
	res := h.do("GET", "/v1/sims?pageSize=100", nil).want(t, 200, "list")
	if got := res.header.Get("X-Total-Count"); got != "41" {
		t.Fatalf("X-Total-Count after ordering 21 SIMs = %s, want 41", got)
	}
	var card struct {
		ICCID  string  `json:"iccid"`
		Status string  `json:"status"`
		Quota  float64 `json:"current_quota"`
	}
	h.do("GET", "/v1/sims/"+iccidOf(40), nil).want(t, 200, "new SIM").decode(t, &card)
	if card.Status != "Enabled" || card.Quota != initialDataMB {
		t.Errorf("new SIM %+v, want Enabled with a full quota", card)
	}
	var orders []struct {
		Type string `json:"order_type"`
		SIMs []struct {
			ICCID string `json:"iccid"`
		} `json:"sims"`
	}
	h.do("GET", "/v1/orders?sort=-order_number", nil).want(t, 200, "orders").decode(t, &orders)
	if orders[0].Type != "ADDITIONAL_ORDER" || len(orders[0].SIMs) != 21 || orders[0].SIMs[20].ICCID != iccidOf(40) {
		t.Errorf("newest order %+v, want the 21 new SIMs", orders[0])
	}
	// Unknown products and bad quantities are refused without creating anything.
	h.do("POST", "/v1/orders", map[string]any{"products": []map[string]any{{"productId": 4242, "quantity": 1}}}).want(t, 404, "unknown product")
	if n := h.sim.fleet.size(); n != 41 {
		t.Errorf("fleet has %d SIMs after a refused order, want 41", n)
	}
}

func TestExpiredSIMOnlyExtends(t *testing.T) {
	h := newHarness(t, Options{Sims: 300, Seed: 9})
	idx := findSIM(t, h.sim, func(_ int, st *sim) bool { return st.data.expiry-t0.Unix() < 60*daySeconds })
	ic := iccidOf(idx)
	h.sim.Advance(61 * 24 * time.Hour)
	h.login()
	h.do("PUT", "/v1/sims/"+ic, map[string]any{"iccid": ic, "status": "Enabled"}).want(t, 422, "update expired v1")
	h.do("PUT", "/v2/sims/"+ic, map[string]any{"label": "x"}).want(t, 409, "update expired v2")
	h.do("POST", "/v2/sims/"+ic+"/reset", nil).want(t, 409, "reset expired v2")
	h.do("POST", "/v1/sims/"+ic+"/sms", map[string]any{"source_address": "1234", "payload": "hi"}).want(t, 422, "SMS to expired v1")
	// A bulk change naming an expired SIM changes none of the SIMs it names.
	live := iccidOf(findSIM(t, h.sim, func(_ int, st *sim) bool { return st.data.expiry-t0.Unix() > 120*daySeconds }))
	h.do("POST", "/v1/sims", []map[string]any{{"iccid": live, "status": "Enabled", "label": "bulk"}, {"iccid": ic, "status": "Enabled"}}).
		want(t, 422, "bulk update naming an expired SIM")
	if st, _ := h.sim.SIM(live); st.Label == "bulk" {
		t.Error("a refused bulk update relabelled a live SIM")
	}
	h.do("POST", "/v1/sims/topup", []string{live, ic}).want(t, 422, "bulk top-up naming an expired SIM")
	h.do("POST", "/v1/sims/extension", map[string]any{"iccids": []string{ic}, "productId": 1101}).want(t, 201, "extend")
	st, _ := h.sim.SIM(ic)
	if st.Data.Status != "ACTIVE" || !st.Data.Expiry.After(t0.AddDate(9, 0, 0)) {
		t.Fatalf("after extension: %+v", st.Data)
	}
	h.do("PUT", "/v1/sims/"+ic, map[string]any{"iccid": ic, "status": "Enabled", "label": "extended"}).want(t, 200, "update extended")
}

func TestDeterministicFleet(t *testing.T) {
	page := func(seed int64) string {
		h := newHarness(t, Options{Sims: 40, Seed: seed})
		h.sim.Advance(36 * time.Hour)
		h.login()
		return string(h.do("GET", "/v1/sims?pageSize=40", nil).want(t, 200, "list").body)
	}
	a, b, c := page(42), page(42), page(43)
	if a != b {
		t.Error("the same seed gave different fleets")
	}
	if a == c {
		t.Error("different seeds gave the same fleet")
	}
	var cards []map[string]any
	if err := json.Unmarshal([]byte(a), &cards); err != nil || len(cards) != 40 {
		t.Fatalf("page: %v, %d cards", err, len(cards))
	}
	for i, card := range cards {
		ic := card["iccid"].(string)
		if ic != iccidOf(i) || card["iccid_with_luhn"] != ic+string(luhn(ic)) {
			t.Errorf("card %d: iccid %v / %v", i, ic, card["iccid_with_luhn"])
		}
	}
}

func TestListFilterAndSort(t *testing.T) {
	h := newHarness(t, Options{Sims: 120})
	h.login()
	var cards []struct {
		ICCID string `json:"iccid"`
		IMEI  string `json:"imei"`
		IP    string `json:"ip_address"`
	}
	imei := str(appendIMEI, 77)
	h.do("GET", "/v1/sims?q=imei:"+imei, nil).want(t, 200, "imei filter").decode(t, &cards)
	if len(cards) != 1 || cards[0].ICCID != iccidOf(77) {
		t.Errorf("imei filter: %+v", cards)
	}
	h.do("GET", "/v2/sims?q=ip_address:"+str(appendIP, 5)+",imei:"+imei, nil).want(t, 200, "conflicting filter").decode(t, &cards)
	if len(cards) != 0 {
		t.Errorf("conflicting filters matched %+v", cards)
	}
	h.do("GET", "/v1/sims?sort=-ip_address&pageSize=1", nil).want(t, 200, "ip desc").decode(t, &cards)
	if cards[0].ICCID != iccidOf(119) {
		t.Errorf("first by -ip_address = %s, want the last SIM", cards[0].ICCID)
	}
	h.do("GET", "/v1/sims?sort=imei&pageSize=100", nil).want(t, 200, "imei asc").decode(t, &cards)
	for i := 1; i < len(cards); i++ {
		if cards[i-1].IMEI >= cards[i].IMEI {
			t.Fatalf("not sorted by imei at %d: %s ≥ %s", i, cards[i-1].IMEI, cards[i].IMEI)
		}
	}
}

func TestLabelIsEscaped(t *testing.T) {
	h := newHarness(t, Options{})
	h.login()
	label := "quote\" back\\ nl\n tab\t ünï \u2028 ctl\x01"
	ic := iccidOf(1)
	h.do("PUT", "/v2/sims/"+ic, map[string]any{"label": label}).want(t, 200, "label")
	var cards []struct {
		Label string `json:"label"`
	}
	h.do("GET", "/v1/sims?pageSize=2", nil).want(t, 200, "list").decode(t, &cards)
	if cards[1].Label != label {
		t.Errorf("label round trip: %q, want %q", cards[1].Label, label)
	}
}

// Platform 2.0 events and SMS name their endpoint by the SIM's label, as streamed records do.
func TestV2EndpointNameIsLabel(t *testing.T) {
	h := newHarness(t, Options{})
	h.login()
	ic := iccidOf(1)
	h.do("PUT", "/v2/sims/"+ic, map[string]any{"label": "pump-9"}).want(t, 200, "label")
	h.do("POST", "/v2/sims/"+ic+"/sms", map[string]any{"payload": "ping"}).want(t, 201, "send")
	var recs []struct {
		Endpoint struct {
			Name string `json:"name"`
		} `json:"endpoint"`
	}
	h.do("GET", "/v2/sims/"+ic+"/events", nil).want(t, 200, "events").decode(t, &recs)
	if len(recs) == 0 || recs[len(recs)-1].Endpoint.Name != "pump-9" {
		t.Errorf("v2 events %+v, want endpoint name pump-9", recs)
	}
	recs = nil
	h.do("GET", "/v2/sims/"+ic+"/sms", nil).want(t, 200, "sms").decode(t, &recs)
	if len(recs) != 1 || recs[0].Endpoint.Name != "pump-9" {
		t.Errorf("v2 SMS %+v, want endpoint name pump-9", recs)
	}
}

func TestBadInputIs4xx(t *testing.T) {
	h := newHarness(t, Options{})
	h.login()
	ic := iccidOf(1)
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"POST", "/v1/sims/" + ic + "/topup?payment_method=cash", nil, 400},
		{"PUT", "/v1/sims/" + ic, map[string]any{"iccid": ic}, 400},
		{"PUT", "/v1/sims/" + ic, map[string]any{"iccid": iccidOf(2), "status": "Enabled"}, 400},
		{"PUT", "/v2/sims/" + ic, map[string]any{"status": "Paused"}, 400},
		{"PUT", "/v2/sims/" + ic, "not an object", 400},
		{"POST", "/v1/sims", []map[string]any{{"iccid": "8988280666999999999", "status": "Enabled"}}, 404},
		{"POST", "/v1/sims/simTransfer", map[string]any{"target_organisation": -1, "iccids": []string{ic}}, 400},
		{"POST", "/v1/sims/simTransfer", map[string]any{"target_organisation": 5, "iccid_ranges": []map[string]string{{"from": iccidOf(5), "to": iccidOf(2)}}}, 400},
		{"POST", "/v1/sims/limits", map[string]any{"dataLimitId": 99}, 404},
		{"GET", "/v1/sims/voice/limits", nil, 404},
		{"GET", "/v1/sims/" + ic + "/usage?start_dt=yesterday", nil, 400},
		{"GET", "/v1/sims/" + ic + "/usage?start_dt=2026-03-02&end_dt=2026-03-01", nil, 400},
		{"GET", "/v1/sims/" + ic + "/connectivity_info?ussd=maybe", nil, 400},
		{"POST", "/v2/sims/" + ic + "/sms", map[string]any{"payload": ""}, 400},
		{"POST", "/v2/sims/" + ic + "/sms", map[string]any{"payload": "x", "udh": "zz"}, 400},
		{"POST", "/v1/sims/" + ic + "/sms", map[string]any{"payload": "x", "dcs": 3}, 400},
		{"GET", "/v1/sims/" + ic + "/sms/abc", nil, 404},
		{"DELETE", "/v1/sims/" + ic + "/sms/12345", nil, 403},
		{"GET", "/v1/orders?pageSize=11", nil, 400},
		{"POST", "/v1/orders", map[string]any{"products": []map[string]any{{"productId": 1001, "quantity": 0}}}, 400},
		{"POST", "/v1/support", map[string]any{"subject": "only"}, 400},
		{"GET", "/v1/sims/events", nil, 404},
		{"PATCH", "/v1/sims/" + ic, nil, 403},
		{"GET", "/v3/sims", nil, 403},
	} {
		res := h.do(tc.method, tc.path, tc.body)
		if res.status != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, res.status, res.body, tc.status)
		}
		if !json.Valid(res.body) && len(res.body) > 0 {
			t.Errorf("%s %s: body is not JSON: %s", tc.method, tc.path, res.body)
		}
	}
	if res := h.do("GET", "/v1/sims/"+ic, nil, func(r *http.Request) { r.Header.Del("Authorization") }); res.status != 401 {
		t.Errorf("no token: %d", res.status)
	}
}

// TestSubscribersMayCallBack checks that a subscriber can call into the simulator (here a
// snapshot that itself meters) without deadlock, and sees ids strictly increasing.
func TestSubscribersMayCallBack(t *testing.T) {
	h := newHarness(t, Options{Sims: 100, Seed: 12})
	var last int64
	n := 0
	h.sim.Subscribe(func(a Activity) {
		if a.ID <= last {
			t.Errorf("activity id %d after %d", a.ID, last)
		}
		last = a.ID
		n++
		if _, ok := h.sim.SIM(a.ICCID); !ok {
			t.Errorf("SIM %s of an activity does not exist", a.ICCID)
		}
	})
	h.sim.Advance(3 * 24 * time.Hour)
	h.login()
	h.do("PUT", "/v2/sims/"+iccidOf(0), nil).want(t, 200, "v2 update without a body")
	h.do("PUT", "/v2/sims/"+iccidOf(0), map[string]any{"imei_lock": true}).want(t, 200, "lock")
	if n == 0 {
		t.Fatal("no activity published")
	}
}

// TestConcurrentUse drives reads, writes, orders and clock moves at once (run it with -race).
func TestConcurrentUse(t *testing.T) {
	h := newHarness(t, Options{Sims: 9000, Seed: 13, TokenTTL: 24 * time.Hour})
	rec := &recorder{}
	h.sim.Subscribe(rec.add)
	h.login()
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				ic := iccidOf((g*977 + i*131) % 9000)
				switch i % 5 {
				case 0:
					h.do("GET", fmt.Sprintf("/v1/sims?page=%d&pageSize=100", i%90+1), nil).want(t, 200, "list")
				case 1:
					h.do("PUT", "/v2/sims/"+ic, map[string]any{"label": fmt.Sprintf("g%d-%d", g, i)}).want(t, 200, "label")
				case 2:
					h.do("POST", "/v2/sims/"+ic+"/sms", map[string]any{"payload": "x"}).want(t, 201, "sms")
				case 3:
					h.do("GET", "/v2/sims/"+ic+"/events", nil).want(t, 200, "events")
				case 4:
					if g == 0 {
						h.do("POST", "/v1/orders", map[string]any{"products": []map[string]any{{"productId": 1001, "quantity": 3}}}).want(t, 200, "order")
					} else {
						h.do("POST", "/v1/sims/"+ic+"/topup", nil).want(t, 201, "topup")
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			h.sim.Advance(10 * time.Minute)
		}
	}()
	wg.Wait()
	if n := h.sim.fleet.size(); n != 9000+8*3 {
		t.Errorf("fleet has %d SIMs, want %d", n, 9000+8*3)
	}
}

func TestSMSQuotasCountWholeMessages(t *testing.T) {
	s, err := New(Options{Sims: 300, Seed: 7, ClientID: "id", ClientSecret: "secret", Clock: NewManualClock(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, ic := range s.ICCIDs() {
		st, _ := s.SIM(ic)
		if r := st.SMS.Remaining; r != math.Trunc(r) || r < 0 {
			t.Fatalf("SIM %s: %v SMS left, want a whole number of messages", ic, r)
		}
	}
}
