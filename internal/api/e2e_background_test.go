package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/oncesim"
)

type runView struct {
	ID     int64            `json:"id"`
	Items  int              `json:"items"`
	Result string           `json:"result"`
	Counts map[string]int64 `json:"counts"`
	Detail string           `json:"detail"`
}

// runJob starts a background job now and waits for a run newer than the last one to end.
func runJob(t *testing.T, e *apptest.Env, name string) runView {
	t.Helper()
	last := int64(0)
	if r, ok := latestRun(t, e, name); ok {
		last = r.ID
	}
	deadline := time.Now().Add(60 * time.Second)
	// A run that just ended is still "running" for River for a moment: ask until a new job is
	// queued rather than the one that ended.
	for {
		var tr struct {
			AlreadyPending bool `json:"already_pending"`
		}
		dataOf(t, want(t, e.Do(post("/jobs/"+name+"/run", fleet.RoleAdmin, nil)), 202), &tr)
		if !tr.AlreadyPending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s stays pending", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for {
		if r, ok := latestRun(t, e, name); ok && r.ID > last && r.Result != "running" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s did not run; runs: %s", name, e.Do(get("/jobs?runs=10", fleet.RoleAdmin)).Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func latestRun(t *testing.T, e *apptest.Env, name string) (runView, bool) {
	t.Helper()
	var list []struct {
		Name string    `json:"name"`
		Runs []runView `json:"runs"`
	}
	dataOf(t, want(t, e.Do(get("/jobs?runs=1", fleet.RoleAdmin)), 200), &list)
	for _, j := range list {
		if j.Name == name && len(j.Runs) > 0 {
			return j.Runs[0], true
		}
	}
	return runView{}, false
}

func TestAutoTopUpOncePerCrossingWithinTheCap(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend})
		iccid, other := simICCID(3), simICCID(4)
		want(t, e.Do(post("/sims/auto-topup", fleet.RoleOperator, map[string]any{"enabled": true, "iccids": []string{iccid}, "threshold_pct": 50, "max_per_month": 1, "local_only": true})), 200)
		drain := func(sim string) {
			t.Helper()
			if _, err := e.Sim.AddUsage(sim, oncesim.Usage{AllData: true}); err != nil {
				t.Fatal(err)
			}
			// The quota check's reading, which the sweep starts from.
			want(t, e.Do(get("/sims/"+sim+"/quota/data?fresh=true", fleet.RoleViewer)), 200)
		}
		topups := func() int { return e.Counter.Count(http.MethodPost, "/"+iccid+"/topup") }

		drain(iccid)
		drain(other) // no policy covers it
		r := runJob(t, e, "auto_topup")
		if r.Result != "ok" || r.Counts["topped_up"] != 1 || r.Counts["no_policy"] != 1 {
			t.Fatalf("first sweep: %+v", r)
		}
		if topups() != 1 {
			t.Fatalf("1NCE saw %d top-ups", topups())
		}
		// The crossing is answered: a second sweep finds the quota topped up.
		want(t, e.Do(get("/sims/"+iccid+"/quota/data?fresh=true", fleet.RoleViewer)), 200)
		if r = runJob(t, e, "auto_topup"); r.Counts["topped_up"] != 0 || topups() != 1 {
			t.Fatalf("second sweep: %+v (%d top-ups)", r, topups())
		}
		// A new crossing in the same month meets the cap of one, also after a restart.
		drain(iccid)
		if r = runJob(t, e, "auto_topup"); r.Counts["sim_capped"] != 1 || topups() != 1 {
			t.Fatalf("capped sweep: %+v (%d top-ups)", r, topups())
		}
		e.Restart()
		if r = runJob(t, e, "auto_topup"); r.Counts["sim_capped"] != 1 || topups() != 1 {
			t.Fatalf("sweep after restart: %+v (%d top-ups)", r, topups())
		}
		// The top-up is audited as done by the policy.
		var audit []struct{ Actor, Result string }
		dataOf(t, want(t, e.Do(get("/audit?action=sim.topup&target="+iccid, fleet.RoleAdmin)), 200), &audit)
		if len(audit) != 1 || audit[0].Actor != "policy:"+iccid || audit[0].Result != "ok" {
			t.Fatalf("audit = %+v", audit)
		}
	})
}

func TestAutoTopUpFleetCapAndLabelPolicy(t *testing.T) {
	e := apptest.Start(t, apptest.Options{Configure: func(c *config.Config) { c.Jobs.AutoTopUpFleetCap = 1 }})
	a, b := simICCID(5), simICCID(6)
	for _, sim := range []string{a, b} {
		want(t, e.Do(put("/sims/"+sim, fleet.RoleOperator, map[string]any{"label": "meter-" + sim[len(sim)-2:]})), 200)
	}
	want(t, e.Do(post("/sims/auto-topup", fleet.RoleOperator, map[string]any{"enabled": true, "label_pattern": "METER-*", "threshold_pct": 30, "max_per_month": 5})), 200)
	wantProblem(t, e.Do(post("/sims/auto-topup", fleet.RoleOperator, map[string]any{"enabled": true, "label_pattern": "[", "threshold_pct": 30})), 422, "invalid")
	for _, sim := range []string{a, b} {
		if _, err := e.Sim.AddUsage(sim, oncesim.Usage{AllData: true}); err != nil {
			t.Fatal(err)
		}
		want(t, e.Do(get("/sims/"+sim+"/quota/data?fresh=true", fleet.RoleViewer)), 200)
	}
	r := runJob(t, e, "auto_topup")
	if r.Counts["topped_up"] != 1 || r.Counts["fleet_capped"] != 1 {
		t.Fatalf("sweep = %+v", r)
	}
	if n := e.Counter.Count(http.MethodPost, "/topup"); n != 1 {
		t.Fatalf("1NCE saw %d top-ups under a fleet cap of 1", n)
	}
}

func TestSMSDeliveryTracked(t *testing.T) {
	clock := oncesim.NewManualClock(time.Now())
	e := apptest.Start(t, apptest.Options{Sim: oncesim.Options{Clock: clock}})
	iccid := simICCID(8)
	if _, err := e.Sim.SetOnline(iccid, true); err != nil {
		t.Fatal(err)
	}
	var sent struct {
		Data struct {
			IDs []int64 `json:"ids"`
		} `json:"data"`
	}
	want(t, e.Do(post("/sims/"+iccid+"/sms", fleet.RoleOperator, map[string]any{"payload": "ping"})), 201).JSON(t, &sent)
	if r := runJob(t, e, "track_sms"); r.Items != 0 && r.Counts["delivered"] != 0 {
		t.Fatalf("delivered before the device could get it: %+v", r)
	}
	e.Sim.Advance(30 * time.Second)
	r := runJob(t, e, "track_sms")
	if r.Counts["delivered"] != 1 {
		t.Fatalf("tracking run = %+v", r)
	}
	// Final SMS are not polled again.
	if r = runJob(t, e, "track_sms"); r.Items != 0 {
		t.Fatalf("final SMS polled again: %+v", r)
	}
	var one readEnvelope[struct {
		Status string `json:"status"`
	}]
	want(t, e.Do(get("/sims/"+iccid+"/sms/"+strconv.FormatInt(sent.Data.IDs[0], 10), fleet.RoleViewer)), 200).JSON(t, &one)
	if one.Data.Status != "DELIVERED" {
		t.Fatalf("sms = %+v", one)
	}
}

func TestFleetReport(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend, MirrorSIMs: 30})
		want(t, e.Do(post("/sims/"+simICCID(1)+"/topup", fleet.RoleOperator, map[string]any{})), 201)
		if r := runJob(t, e, "fleet_report"); r.Result != "ok" {
			t.Fatalf("report run = %+v", r)
		}
		var list pageEnvelope[struct {
			ID      string `json:"id"`
			Kind    string `json:"kind"`
			JSONURL string `json:"json_url"`
			CSVURL  string `json:"csv_url"`
		}]
		want(t, e.Do(get("/reports", fleet.RoleViewer)), 200).JSON(t, &list)
		if list.Total != 1 || list.Data[0].Kind != "daily" {
			t.Fatalf("reports = %+v", list)
		}
		var rep struct {
			SIMs struct {
				Total int64 `json:"total"`
			} `json:"sims"`
			TopUps struct {
				Count int `json:"count"`
			} `json:"topups"`
			QuotaRisks []any `json:"quota_risks"`
		}
		want(t, e.Do(req{Method: http.MethodGet, Path: list.Data[0].JSONURL, Role: fleet.RoleViewer}), 200).JSON(t, &rep)
		if rep.SIMs.Total < 30 || rep.TopUps.Count != 1 || rep.QuotaRisks == nil {
			t.Fatalf("report = %+v", rep)
		}
		res := want(t, e.Do(req{Method: http.MethodGet, Path: list.Data[0].CSVURL, Role: fleet.RoleViewer}), 200)
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.Contains(string(res.Body), "sims,total,") ||
			!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("csv: %v %s", res.Header, res.Body)
		}
		wantProblem(t, e.Do(get("/reports/missing", fleet.RoleViewer)), 404, "not_found")
		wantProblem(t, e.Do(get("/reports/missing/csv", fleet.RoleViewer)), 404, "not_found")
	})
}

func TestFleetMetrics(t *testing.T) {
	e := apptest.Start(t, apptest.Options{MirrorSIMs: 30})
	want(t, e.Do(post("/sims/"+simICCID(1)+"/topup", fleet.RoleOperator, map[string]any{})), 201)
	want(t, e.Do(post("/sims/"+simICCID(1)+"/sms", fleet.RoleOperator, map[string]any{"payload": strings.Repeat("a", 200), "concatenate": true})), 201)
	deadline := time.Now().Add(30 * time.Second)
	for {
		body := string(want(t, e.Do(req{Method: http.MethodGet, Path: "/metrics"}), 200).Body)
		ok := strings.Contains(body, "active_sims_count 30") && strings.Contains(body, `sims_count{status="Enabled"} 30`) &&
			strings.Contains(body, "daily_data_usage_bytes ") && strings.Contains(body, "sms_sent_total 2") &&
			strings.Contains(body, `topups_total{reason="manual",state="sent"} 1`)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fleet metrics missing:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
