package oncesim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNetworkActivity checks the daily network model over three simulated days: the share of
// active SIMs, sessions that open before they close, data only inside them, and the events in
// both API generations.
func TestNetworkActivity(t *testing.T) {
	const n = 400
	h := newHarness(t, Options{Sims: n, Seed: 21})
	rec := &recorder{}
	h.sim.Subscribe(rec.add)
	h.sim.Advance(3 * 24 * time.Hour)

	active := map[string]map[int64]bool{} // ICCID → days with an attach
	type session struct{ open, close time.Time }
	sessions := map[string]*session{}
	for _, a := range rec.acts {
		switch {
		case a.Kind == ActivityEvent && a.EventType == "Update location":
			if a.Operator == "" || a.Country == "" || a.MCC == "" {
				t.Errorf("location update without its network: %+v", a)
			}
			if active[a.ICCID] == nil {
				active[a.ICCID] = map[int64]bool{}
			}
			active[a.ICCID][a.At.Unix()/daySeconds] = true
		case a.Kind == ActivityEvent && a.EventType == "Create PDP Context":
			if a.Session == "" || sessions[a.Session] != nil {
				t.Fatalf("session opened twice or unnamed: %+v", a)
			}
			sessions[a.Session] = &session{open: a.At}
		case a.Kind == ActivityEvent && a.EventType == "Delete PDP Context":
			s := sessions[a.Session]
			if s == nil || !s.close.IsZero() || a.At.Before(s.open) {
				t.Fatalf("session %q closed without being open: %+v", a.Session, a)
			}
			s.close = a.At
		case a.Kind == ActivityUsage && a.Traffic == "Data":
			s := sessions[a.Session]
			if s == nil || a.Start.Before(s.open) || (!s.close.IsZero() && a.At.After(s.close)) {
				t.Fatalf("data outside a session: %+v (session %+v)", a, s)
			}
		}
	}
	days := 0
	for _, d := range active {
		days += len(d)
	}
	// 30 % of SIM-days, less the disabled SIMs; the draw is deterministic, the bound loose.
	if share := float64(days) / (3 * n); share < 0.2 || share > 0.4 {
		t.Errorf("%d active SIM-days of %d: share %.2f, want about %.2f", days, 3*n, share, DefaultNetworkActivity)
	}
	if len(sessions) < days {
		t.Errorf("%d sessions on %d active SIM-days, want at least one each", len(sessions), days)
	}

	// The events of an active SIM are listed by both generations.
	var ic string
	for k := range active {
		ic = k
		break
	}
	h.login()
	var v1 struct {
		Events []struct {
			EventType string `json:"event_type"`
			Country   string `json:"country"`
		} `json:"events"`
	}
	h.do("GET", "/v1/sims/"+ic+"/events?pageSize=1000", nil).want(t, 200, "v1 events").decode(t, &v1)
	var v2 []struct {
		ID        int64 `json:"id"`
		EventType struct {
			Description string `json:"description"`
		} `json:"event_type"`
		Source struct {
			Description string `json:"description"`
		} `json:"event_source"`
	}
	h.do("GET", "/v2/sims/"+ic+"/events?pageSize=1000", nil).want(t, 200, "v2 events").decode(t, &v2)
	seen1, seen2 := 0, 0
	for _, e := range v1.Events {
		if strings.HasPrefix(e.EventType, "New location received") && e.Country != "" {
			seen1++
		}
	}
	for _, e := range v2 {
		if e.EventType.Description == "Update location" && e.Source.Description == "Network" && e.ID > 0 {
			seen2++
		}
	}
	if want := len(active[ic]); seen1 != want || seen2 != want {
		t.Errorf("SIM %s: %d/%d location updates listed in v1/v2, want %d", ic, seen1, seen2, want)
	}
}

// TestSessionConnectivity follows one device through a planned session: ONLINE with a PDP
// context while it is open, not ONLINE after.
func TestSessionConnectivity(t *testing.T) {
	h := newHarness(t, Options{Sims: 200, Seed: 22})
	day := t0.Unix()/daySeconds + 1
	idx, pl := -1, netPlan{}
	for i := range h.sim.fleet.size() {
		sh, off := h.sim.fleet.locate(i)
		st := sh.sims[off]
		if st.flags&flagDisabled != 0 || st.profile != profileSteady || st.data.remaining < 50 {
			continue
		}
		if p, ok := h.sim.fleet.plan(i, st.profile, day); ok {
			idx, pl = i, p
			break
		}
	}
	if idx < 0 {
		t.Fatal("no steady SIM is active tomorrow")
	}
	ic := iccidOf(idx)
	status := func() (v1, v2 string, pdp bool) {
		h.login()
		var s1 struct {
			Status string         `json:"status"`
			PDP    map[string]any `json:"pdp_context"`
		}
		h.do("GET", "/v1/sims/"+ic+"/status", nil).want(t, 200, "v1 status").decode(t, &s1)
		var s2 struct {
			Status struct{ Description string } `json:"status"`
		}
		h.do("GET", "/v2/sims/"+ic+"/status", nil).want(t, 200, "v2 status").decode(t, &s2)
		return s1.Status, s2.Status.Description, s1.PDP != nil
	}
	mid := (pl.start[0] + pl.end[0]) / 2
	h.sim.Advance(time.Duration(mid-t0.Unix()) * time.Second)
	if v1, v2, pdp := status(); v1 != "ONLINE" || v2 != "ONLINE" || !pdp {
		t.Fatalf("inside the session: v1 %s, v2 %s, pdp context %v; want ONLINE with a PDP context", v1, v2, pdp)
	}
	before, _ := h.sim.SIM(ic)
	h.sim.Advance(time.Duration(pl.end[0]+1-mid) * time.Second)
	after, _ := h.sim.SIM(ic)
	if after.Data.Remaining >= before.Data.Remaining {
		t.Errorf("no data flowed in the session's second half: %v → %v MB", before.Data.Remaining, after.Data.Remaining)
	}
	if pl.n == 1 {
		if v1, v2, _ := status(); v1 != "ATTACHED" || v2 != "ATTACHED" {
			t.Errorf("after the session: v1 %s, v2 %s; want ATTACHED", v1, v2)
		}
	}
}

// TestNetworkActivityOff checks that a negative NetworkActivity makes no network events.
func TestNetworkActivityOff(t *testing.T) {
	h := newHarness(t, Options{Sims: 100, Seed: 23, NetworkActivity: -1})
	rec := &recorder{}
	h.sim.Subscribe(rec.add)
	h.sim.Advance(3 * 24 * time.Hour)
	for _, a := range rec.acts {
		if a.Kind == ActivityEvent && eventSourceIsNetwork(a.EventType) {
			t.Fatalf("network event with daily network activity off: %+v", a)
		}
	}
	if _, err := New(Options{ClientID: "a", ClientSecret: "b", NetworkActivity: 1.5}); err == nil {
		t.Error("NetworkActivity 1.5 accepted")
	}
}

func eventSourceIsNetwork(typ string) bool {
	for _, info := range eventInfos {
		if info.name == typ {
			return info.source == "Network"
		}
	}
	return false
}

// adminSIM sends a request to the admin endpoint of h's simulator.
func (h *harness) admin(method, path, body string) result {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return result{status: res.StatusCode, header: res.Header, body: b}
}

// TestAdminSIMChanges makes every portal and device change over HTTP and checks what 1NCE's
// API shows afterwards, contract-validated.
func TestAdminSIMChanges(t *testing.T) {
	h := newHarness(t, Options{Sims: 100, Seed: 24})
	rec := &recorder{}
	h.sim.Subscribe(rec.add)
	h.login()
	idx := findSIM(t, h.sim, enabledWith(profileSteady))
	ic := iccidOf(idx)
	var st SIMState

	// Status and label, as a colleague would change them in the portal.
	h.admin("PATCH", "/_sim/sims/"+ic, `{"status":"Disabled","label":"pump-3"}`).want(t, 200, "patch").decode(t, &st)
	if st.Status != "Disabled" || st.Label != "pump-3" || st.Connectivity != "BLOCKED" {
		t.Fatalf("after PATCH: %+v", st)
	}
	var card struct {
		Status, Label, IMEI string
	}
	h.do("GET", "/v2/sims/"+ic, nil).want(t, 200, "get").decode(t, &card)
	if card.Status != "Disabled" || card.Label != "pump-3" {
		t.Errorf("v2 card after PATCH: %+v", card)
	}
	if len(rec.events(ic, "SIM state change")) != 1 || len(rec.events(ic, "SIM label change")) != 1 {
		t.Error("PATCH did not publish one state and one label change")
	}
	h.admin("PATCH", "/_sim/sims/"+ic, `{"status":"Enabled"}`).want(t, 200, "enable")

	// A device swap: the new IMEI shows on the card, in the filter, and in an event.
	const imei = "356938035643809"
	h.admin("PATCH", "/_sim/sims/"+ic, `{"imei":"`+imei+`"}`).want(t, 200, "imei").decode(t, &st)
	var cards []struct{ ICCID, IMEI string }
	h.do("GET", "/v1/sims?q=imei:"+imei, nil).want(t, 200, "filter new").decode(t, &cards)
	if len(cards) != 1 || cards[0].ICCID != ic || cards[0].IMEI != imei {
		t.Errorf("imei filter after the swap: %+v", cards)
	}
	h.do("GET", "/v2/sims?q=imei:"+str(appendIMEI, idx), nil).want(t, 200, "filter old").decode(t, &cards)
	if len(cards) != 0 {
		t.Errorf("the old IMEI still finds %+v", cards)
	}
	h.do("GET", "/v1/sims?sort=imei&pageSize=100", nil).want(t, 200, "sort by imei").decode(t, &cards)
	for i := 1; i < len(cards); i++ {
		if cards[i-1].IMEI >= cards[i].IMEI {
			t.Fatalf("not sorted by imei at %d: %s ≥ %s", i, cards[i-1].IMEI, cards[i].IMEI)
		}
	}
	if evs := rec.events(ic, "IMEI change"); len(evs) != 1 || evs[0].IMEI != imei {
		t.Errorf("IMEI change events %+v", evs)
	}
	other := iccidOf((idx + 1) % 100)
	h.admin("PATCH", "/_sim/sims/"+other, `{"imei":"`+imei+`"}`).want(t, 409, "IMEI of another SIM")

	// Connectivity lost and restored.
	h.admin("POST", "/_sim/sims/"+ic+"/online", "").want(t, 200, "online").decode(t, &st)
	if st.Connectivity != "ONLINE" {
		t.Fatalf("after online: %s", st.Connectivity)
	}
	h.admin("POST", "/_sim/sims/"+ic+"/offline", "").want(t, 200, "offline").decode(t, &st)
	var s2 struct {
		Status struct{ Description string } `json:"status"`
	}
	h.do("GET", "/v2/sims/"+ic+"/status", nil).want(t, 200, "status").decode(t, &s2)
	if st.Connectivity != "OFFLINE" || !st.Offline || s2.Status.Description != "OFFLINE" {
		t.Fatalf("after offline: %s / v2 %s", st.Connectivity, s2.Status.Description)
	}
	if len(rec.events(ic, "Delete PDP Context")) == 0 || len(rec.events(ic, "Purge location")) != 1 {
		t.Error("going offline did not end the session and purge the location")
	}
	before := st.Data.Remaining
	h.sim.Advance(3 * 24 * time.Hour)
	if st, _ = h.sim.SIM(ic); st.Data.Remaining != before || st.Connectivity != "OFFLINE" {
		t.Errorf("an offline device used data or came back: %+v", st)
	}
	h.admin("POST", "/_sim/sims/"+ic+"/usage", `{"bytes":1000}`).want(t, 409, "usage offline")
	h.admin("POST", "/_sim/sims/"+ic+"/online", "").want(t, 200, "back online")

	// Roaming to France.
	h.admin("POST", "/_sim/sims/"+ic+"/move", `{"country":"fr"}`).want(t, 200, "move").decode(t, &st)
	if st.Network.Country != "France" {
		t.Fatalf("after the move: %+v", st.Network)
	}
	h.login()
	var v1 struct {
		Events []struct {
			EventType string `json:"event_type"`
			Country   string `json:"country"`
			Operator  string `json:"operator"`
		} `json:"events"`
	}
	h.do("GET", "/v1/sims/"+ic+"/events?pageSize=1000&sort=-timestamp,-id", nil).want(t, 200, "events").decode(t, &v1)
	if e := v1.Events[0]; e.Country != "France" || !strings.Contains(e.EventType, "Orange") {
		t.Errorf("newest v1 event after the move: %+v", e)
	}

	// Drain the data quota: v1 and v2 quota endpoints agree, and the events were published.
	h.admin("POST", "/_sim/sims/"+ic+"/usage", `{"all_data":true,"sms":2}`).want(t, 200, "drain").decode(t, &st)
	var q1 struct {
		Volume float64 `json:"volume"`
	}
	h.do("GET", "/v1/sims/"+ic+"/quota/data", nil).want(t, 200, "v1 quota").decode(t, &q1)
	var q2 struct {
		Status struct{ Description string } `json:"status"`
		Volume float64                      `json:"volume"`
	}
	h.do("GET", "/v2/sims/"+ic+"/quota/data", nil).want(t, 200, "v2 quota").decode(t, &q2)
	if st.Data.Status != "EXHAUSTED" || q1.Volume != 0 || q2.Volume != 0 || q2.Status.Description != "EXHAUSTED" {
		t.Errorf("after draining: state %+v, v1 %v MB, v2 %+v", st.Data, q1.Volume, q2)
	}
	if len(rec.events(ic, "Quota exhausted")) != 1 {
		t.Error("draining published no Quota exhausted event")
	}

	// Bad input is a 400 problem, an unknown SIM 404, and neither changes anything.
	for _, c := range []struct{ method, path, body string }{
		{"PATCH", "/_sim/sims/" + ic, `{"status":"Paused"}`},
		{"PATCH", "/_sim/sims/" + ic, `{}`},
		{"PATCH", "/_sim/sims/" + ic, `{"imei":"12"}`},
		{"PATCH", "/_sim/sims/" + ic, `{"colour":"red"}`},
		{"POST", "/_sim/sims/" + ic + "/move", `{"mcc":"999","mnc":"99"}`},
		{"POST", "/_sim/sims/" + ic + "/move", `{"mcc":"208","mnc":"01","country":"fr"}`},
		{"POST", "/_sim/sims/" + ic + "/usage", `{"bytes":-1}`},
		{"POST", "/_sim/sims/" + ic + "/usage", `{"bytes":5,"all_data":true}`},
		{"POST", "/_sim/sims/" + ic + "/usage", `{}`},
		{"POST", "/_sim/sims/" + ic + "/usage", `{"bytes":"lots"}`},
	} {
		res := h.admin(c.method, c.path, c.body)
		if res.status != 400 || res.header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(res.body), `"code":"invalid"`) {
			t.Errorf("%s %s %s: %d %s, want a 400 problem", c.method, c.path, c.body, res.status, res.body)
		}
	}
	for _, p := range []string{"/_sim/sims/8988280666999999999", "/_sim/sims/nope"} {
		if res := h.admin("GET", p, ""); res.status != 404 || !strings.Contains(string(res.body), `"code":"not_found"`) {
			t.Errorf("GET %s: %d %s, want a 404 problem", p, res.status, res.body)
		}
	}
	var nets []Network
	h.admin("GET", "/_sim/networks", "").want(t, 200, "networks").decode(t, &nets)
	if len(nets) != len(operators) {
		t.Errorf("%d networks listed, want %d", len(nets), len(operators))
	}
}

// TestChangeSIMGo checks the Go methods' errors, as an in-process test would meet them.
func TestChangeSIMGo(t *testing.T) {
	h := newHarness(t, Options{Sims: 300, Seed: 9})
	expired := iccidOf(findSIM(t, h.sim, func(_ int, st *sim) bool { return st.data.expiry-t0.Unix() < 60*daySeconds }))
	h.sim.Advance(61 * 24 * time.Hour)
	label := "x"
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"unknown", errOf(h.sim.ChangeSIM("8988280666999999999", SIMChange{Status: "Enabled"})), ErrUnknownSIM},
		{"bad status", errOf(h.sim.ChangeSIM(iccidOf(0), SIMChange{Status: "enabled"})), ErrInvalidChange},
		{"expired", errOf(h.sim.ChangeSIM(expired, SIMChange{Label: &label})), ErrRefused},
		{"usage expired", errOf(h.sim.AddUsage(expired, Usage{SMS: 1})), ErrRefused},
		{"unknown network", errOf(h.sim.MoveSIM(iccidOf(0), Network{Country: "Atlantis"})), ErrInvalidChange},
		{"online unknown", errOf(h.sim.SetOnline("1", true)), ErrUnknownSIM},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
}

func errOf(_ SIMState, err error) error { return err }

// TestMTSMSFollowsTheDevice drives MT SMS to DELIVERED and to EXPIRED with the manual clock by
// taking the device off the network and bringing it back.
func TestMTSMSFollowsTheDevice(t *testing.T) {
	h := newHarness(t, Options{Sims: 100, Seed: 25})
	ic := iccidOf(findSIM(t, h.sim, enabledWith(profileSteady)))
	if _, err := h.sim.SetOnline(ic, false); err != nil {
		t.Fatal(err)
	}
	h.login()
	send := func() string {
		var created struct {
			ID string `json:"id"`
		}
		h.do("POST", "/v2/sims/"+ic+"/sms", map[string]any{"payload": "wake up"}).want(t, 201, "send").decode(t, &created)
		return created.ID
	}
	state := func(id string) (v1, v2 string) {
		h.login()
		var m struct {
			Status struct{ Description string } `json:"status"`
		}
		h.do("GET", "/v1/sims/"+ic+"/sms/"+id, nil).want(t, 200, "get v1").decode(t, &m)
		v1 = m.Status.Description
		h.do("GET", "/v2/sims/"+ic+"/sms/"+id, nil).want(t, 200, "get v2").decode(t, &m)
		return v1, m.Status.Description
	}
	first := send()
	h.sim.Advance(time.Hour)
	if v1, v2 := state(first); v1 != "PENDING" || v2 != "PENDING" {
		t.Fatalf("SMS to an offline device after 1 h: %s/%s, want PENDING", v1, v2)
	}
	before, _ := h.sim.SIM(ic)
	if _, err := h.sim.SetOnline(ic, true); err != nil {
		t.Fatal(err)
	}
	h.sim.Advance(15 * time.Minute) // the SMSC's next retry
	if v1, v2 := state(first); v1 != "DELIVERED" || v2 != "DELIVERED" {
		t.Fatalf("SMS after the device came back: %s/%s, want DELIVERED", v1, v2)
	}
	if after, _ := h.sim.SIM(ic); after.SMS.Remaining > before.SMS.Remaining-1 {
		t.Errorf("delivery took no SMS from the quota: %v → %v", before.SMS.Remaining, after.SMS.Remaining)
	}

	h.sim.SetOnline(ic, false)
	second := send()
	h.sim.Advance(25 * time.Hour)
	if v1, v2 := state(second); v1 != "EXPIRED" || v2 != "EXPIRED" {
		t.Fatalf("SMS to a device offline for 25 h: %s/%s, want EXPIRED", v1, v2)
	}
	// Coming back later changes nothing for an expired SMS.
	h.sim.SetOnline(ic, true)
	if v1, v2 := state(second); v1 != "EXPIRED" || v2 != "EXPIRED" {
		t.Fatalf("expired SMS after the device came back: %s/%s", v1, v2)
	}
}

// TestThresholdThroughTheStreamer drains a quota past its threshold and checks what the Data
// Streamer delivers in both generations' shapes: the threshold event, and the usage record
// in the session its PDP events name.
func TestThresholdThroughTheStreamer(t *testing.T) {
	for _, format := range []StreamFormat{StreamV1, StreamV2} {
		t.Run(string(format), func(t *testing.T) {
			var mu sync.Mutex
			var records []map[string]any
			got := make(chan struct{}, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var batch []map[string]any
				if err := json.NewDecoder(r.Body).Decode(&batch); err != nil {
					t.Errorf("receiver: %v", err)
				}
				mu.Lock()
				records = append(records, batch...)
				mu.Unlock()
				select {
				case got <- struct{}{}:
				default:
				}
			}))
			defer srv.Close()
			eo := &EmitterOptions{Format: format, FlushInterval: 10 * time.Millisecond}
			if format == StreamV1 {
				eo.URL = srv.URL
			} else {
				eo.UsageURL, eo.EventsURL = srv.URL+"/usage", srv.URL+"/events"
			}
			h := newHarness(t, Options{Sims: 50, Seed: 26, Streamer: eo})
			idx := findSIM(t, h.sim, enabledWith(profileIdle))
			ic := iccidOf(idx)
			st, _ := h.sim.SIM(ic)
			// Leave 10 % of the quota: below the 20 % threshold, not exhausted.
			use := int64((st.Data.Remaining - 0.1*st.Data.Total) * bytesPerMB)
			if _, err := h.sim.AddUsage(ic, Usage{Bytes: use}); err != nil {
				t.Fatal(err)
			}
			find := func() (threshold, usage map[string]any, sessions map[string]int) {
				mu.Lock()
				defer mu.Unlock()
				sessions = map[string]int{}
				for _, r := range records {
					if !strings.Contains(string(mustJSON(r)), ic) {
						continue
					}
					if et, ok := r["event_type"].(map[string]any); ok {
						if et["description"] == "Threshold reached" {
							threshold = r
						}
						if id := pdpSession(r); id != "" {
							sessions[id]++
						}
					}
					if _, ok := r["traffic_type"]; ok {
						usage = r
					}
				}
				return
			}
			for {
				if th, u, ss := find(); th != nil && u != nil && len(ss) > 0 {
					if format == StreamV2 {
						id, _ := u["ipcan_session_id"].(string)
						if ss[id] != 2 {
							t.Errorf("usage in session %q; PDP events name %v", id, ss)
						}
						vol := u["volume"].(map[string]any)
						if kb := vol["total_kb"].(float64); int64(kb) != (use+1023)/1024 {
							t.Errorf("usage record of %v kB, want %d", kb, (use+1023)/1024)
						}
					}
					break
				}
				select {
				case <-got:
				case <-time.After(30 * time.Second):
					t.Fatalf("the streamer delivered no threshold event and usage record for %s", ic)
				}
			}
		})
	}
}

func pdpSession(r map[string]any) string {
	d, _ := r["detail"].(map[string]any)
	if s, ok := d["ipcan_session"].(map[string]any); ok {
		id, _ := s["ipcan_session_id"].(string)
		return id
	}
	if _, ok := d["pdp_context"]; ok {
		return "v1"
	}
	return ""
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
