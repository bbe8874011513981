package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/oncesim"
)

type job struct {
	ID        string  `json:"id"`
	Kind      string  `json:"kind"`
	State     string  `json:"state"`
	Total     int     `json:"total"`
	Succeeded int     `json:"succeeded"`
	Failed    int     `json:"failed"`
	Pending   int     `json:"pending"`
	Progress  float64 `json:"progress"`
}

// startJob posts a bulk request and returns the job it started.
func startJob(t *testing.T, e *apptest.Env, r req) job {
	t.Helper()
	res := want(t, e.Do(r), 202)
	var j job
	dataOf(t, res, &j)
	if res.Header.Get("Location") != "/api/v1/jobs/"+j.ID || j.Total == 0 {
		t.Fatalf("job answer: %v %s", res.Header, res.Body)
	}
	return j
}

// waitJob polls a job until it ends (or the test's patience does).
func waitJob(t *testing.T, e *apptest.Env, id string) job {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var j job
		dataOf(t, want(t, e.Do(get("/jobs/"+id, fleet.RoleViewer)), 200), &j)
		if j.State == "done" || j.State == "failed" || j.State == "cancelled" {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s did not end: %+v", id, j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBulkJobs(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend})
		// Disable four SIMs, one of which 1NCE does not know: three succeed, one fails.
		targets := []string{simICCID(1), simICCID(2), simICCID(3), unknownICCID}
		j := startJob(t, e, post("/sims/bulk", fleet.RoleOperator, map[string]any{"action": "disable", "iccids": targets}))
		j = waitJob(t, e, j.ID)
		if j.State != "done" || j.Succeeded != 3 || j.Failed != 1 || j.Pending != 0 || j.Progress != 1 {
			t.Fatalf("job = %+v", j)
		}
		for _, iccid := range targets[:3] {
			if st, _ := e.Sim.SIM(iccid); st.Status != "Disabled" {
				t.Fatalf("%s not disabled", iccid)
			}
		}
		var items []struct{ ICCID, State, Error string }
		dataOf(t, want(t, e.Do(get("/jobs/"+j.ID+"/items?state=failed", fleet.RoleViewer)), 200), &items)
		if len(items) != 1 || items[0].ICCID != unknownICCID || !strings.Contains(items[0].Error, "not_found") {
			t.Fatalf("failed items = %+v", items)
		}
		dataOf(t, want(t, e.Do(get("/jobs/"+j.ID+"/items", fleet.RoleViewer)), 200), &items)
		if len(items) != 4 {
			t.Fatalf("items = %+v", items)
		}
		wantProblem(t, e.Do(get("/jobs/"+j.ID+"/items?state=maybe", fleet.RoleViewer)), 422, "invalid")
		wantProblem(t, e.Do(post("/jobs/"+j.ID+"/cancel", fleet.RoleOperator, nil)), 409, "conflict")
		wantProblem(t, e.Do(get("/jobs/missing", fleet.RoleViewer)), 404, "not_found")

		// Label every SIM the mirror has whose label matches, by filter.
		j = startJob(t, e, post("/sims/bulk", fleet.RoleOperator, map[string]any{"action": "label", "label": "fleet-b", "filter": map[string]any{"status": []string{"Disabled"}}}))
		if j = waitJob(t, e, j.ID); j.Succeeded < 3 {
			t.Fatalf("label by filter = %+v", j)
		}
		if st, _ := e.Sim.SIM(simICCID(2)); st.Label != "fleet-b" {
			t.Fatalf("label not applied: %+v", st)
		}
		wantProblem(t, e.Do(post("/sims/bulk", fleet.RoleOperator, map[string]any{"action": "enable"})), 422, "invalid")
		wantProblem(t, e.Do(post("/sims/bulk", fleet.RoleOperator, map[string]any{"action": "enable", "filter": map[string]any{"label": "no-such-label"}})), 422, "invalid")
		wantProblem(t, e.Do(post("/sims/bulk", fleet.RoleOperator, map[string]any{"action": "enable", "iccids": []string{"12"}})), 422, "invalid")

		// Multiple configuration: a change per SIM.
		j = startJob(t, e, post("/sims", fleet.RoleOperator, map[string]any{"sims": []map[string]any{
			{"iccid": simICCID(5), "label": "five", "status": "Enabled"}, {"iccid": simICCID(6), "imei_lock": true},
		}}))
		if j = waitJob(t, e, j.ID); j.Succeeded != 2 {
			t.Fatalf("configure = %+v", j)
		}
		if st, _ := e.Sim.SIM(simICCID(5)); st.Label != "five" {
			t.Fatalf("configure not applied: %+v", st)
		}
		if st, _ := e.Sim.SIM(simICCID(6)); !st.IMEILock {
			t.Fatalf("imei lock not applied: %+v", st)
		}
		wantProblem(t, e.Do(post("/sims", fleet.RoleOperator, map[string]any{"sims": []map[string]any{{"iccid": simICCID(5)}}})), 422, "invalid")
		wantProblem(t, e.Do(post("/sims", fleet.RoleOperator, map[string]any{"sims": []map[string]any{{"iccid": simICCID(5), "label": "a"}, {"iccid": simICCID(5), "label": "b"}}})), 422, "invalid")

		// A bulk top-up on an account with v1 books the SIMs in one multiple top-up.
		before := e.Counter.Count(http.MethodPost, "/sims/topup")
		j = startJob(t, e, post("/sims/topup", fleet.RoleOperator, map[string]any{"iccids": []string{simICCID(7), simICCID(8), simICCID(9)}}))
		if j = waitJob(t, e, j.ID); j.Succeeded != 3 {
			t.Fatalf("bulk top-up = %+v", j)
		}
		if n := e.Counter.Count(http.MethodPost, "/sims/topup") - before; n != 1 {
			t.Fatalf("1NCE saw %d multiple top-ups, want 1", n)
		}
		var list struct {
			Data  []job `json:"data"`
			Total int   `json:"total"`
		}
		want(t, e.Do(get("/jobs/bulk?page_size=2", fleet.RoleViewer)), 200).JSON(t, &list)
		if list.Total != 4 || len(list.Data) != 2 || list.Data[0].Kind != "topup" {
			t.Fatalf("jobs = %+v", list)
		}
		// Each booked SIM is in the audit log, done on behalf of the job's creator.
		var audit []struct {
			Actor, Action, Result string
			RequestID             string `json:"request_id"`
		}
		dataOf(t, want(t, e.Do(get("/audit?action=sim.topup&target="+simICCID(8), fleet.RoleAdmin)), 200), &audit)
		if len(audit) != 1 || audit[0].RequestID != "job:"+j.ID || !strings.HasPrefix(audit[0].Actor, "key:") {
			t.Fatalf("bulk top-up audit = %+v", audit)
		}
	})
}

func TestBulkTopUpOnV2OnlyAccount(t *testing.T) {
	e := apptest.Start(t, apptest.Options{Sim: oncesim.Options{Mode: oncesim.ModeV2Only}})
	j := startJob(t, e, post("/sims/topup", fleet.RoleOperator, map[string]any{"iccids": []string{simICCID(1), simICCID(2), unknownICCID}}))
	j = waitJob(t, e, j.ID)
	if j.Succeeded != 2 || j.Failed != 1 {
		t.Fatalf("job = %+v", j)
	}
	// Single top-ups, one per SIM. The v1 multiple top-up was tried at most once: its refusal
	// (the account has no v1) booked nothing and taught the client to stop asking.
	multiple := e.Counter.Count(http.MethodPost, "/sims/topup")
	if singles := e.Counter.Count(http.MethodPost, "/topup") - multiple; singles != 3 || multiple > 1 {
		t.Fatalf("top-up requests: %d single, %d multiple", singles, multiple)
	}
}

func TestCancelJob(t *testing.T) {
	e := apptest.Start(t, apptest.Options{Sim: oncesim.Options{Faults: oncesim.Faults{Latency: oncesim.LatencyFault{Min: 300 * time.Millisecond, Max: 300 * time.Millisecond}}}})
	j := startJob(t, e, post("/sims/bulk", fleet.RoleOperator, map[string]any{"action": "label", "label": "x", "iccids": fmtICCIDs(0, 20)}))
	var c job
	dataOf(t, want(t, e.Do(post("/jobs/"+j.ID+"/cancel", fleet.RoleOperator, nil)), 200), &c)
	if c.State != "cancelled" {
		t.Fatalf("cancel = %+v", c)
	}
	end := waitJob(t, e, j.ID)
	if end.Pending == 0 {
		t.Fatalf("a cancelled job ran every SIM: %+v", end)
	}
}

func TestJobSurvivesRestart(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend, Sim: oncesim.Options{
			Faults: oncesim.Faults{Latency: oncesim.LatencyFault{Min: 100 * time.Millisecond, Max: 100 * time.Millisecond}}}})
		iccids := fmtICCIDs(0, 20)
		j := startJob(t, e, post("/sims/bulk", fleet.RoleOperator, map[string]any{"action": "label", "label": "after-restart", "iccids": iccids}))
		// Stop the server while the job runs; a new process picks it up from the database.
		for {
			var cur job
			dataOf(t, want(t, e.Do(get("/jobs/"+j.ID, fleet.RoleViewer)), 200), &cur)
			if cur.Succeeded > 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		e.Restart()
		end := waitJob(t, e, j.ID)
		if end.State != "done" || end.Succeeded != 20 || end.Failed != 0 {
			t.Fatalf("job after restart = %+v", end)
		}
		// Every SIM changed exactly once at 1NCE: nothing was redone after the restart.
		for _, iccid := range iccids {
			if n := e.Counter.Count(http.MethodPatch, "/sims/"+iccid) + e.Counter.Count(http.MethodPut, "/sims/"+iccid); n != 1 {
				t.Fatalf("%s changed %d times", iccid, n)
			}
			if st, _ := e.Sim.SIM(iccid); st.Label != "after-restart" {
				t.Fatalf("%s label %q", iccid, st.Label)
			}
		}
	})
}

func TestPeriodicJobs(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend})
		var list []struct {
			Name            string `json:"name"`
			IntervalSeconds int64  `json:"interval_seconds"`
			Runs            []struct {
				Result string `json:"result"`
			} `json:"runs"`
		}
		dataOf(t, want(t, e.Do(get("/jobs?runs=3", fleet.RoleAdmin)), 200), &list)
		names := map[string]int64{}
		for _, j := range list {
			names[j.Name] = j.IntervalSeconds
		}
		if names["retention"] != 86400 || names["fleet_report"] != 86400 {
			t.Fatalf("jobs = %+v", list)
		}
		var tr struct {
			JobID int64 `json:"job_id"`
		}
		dataOf(t, want(t, e.Do(post("/jobs/retention/run", fleet.RoleAdmin, nil)), 202), &tr)
		if tr.JobID == 0 {
			t.Fatalf("run now = %+v", tr)
		}
		// The run shows up in the job's runs once a worker took it.
		deadline := time.Now().Add(30 * time.Second)
		for {
			dataOf(t, want(t, e.Do(get("/jobs?runs=5", fleet.RoleAdmin)), 200), &list)
			done := false
			for _, j := range list {
				if j.Name == "retention" && len(j.Runs) > 0 && j.Runs[0].Result == "ok" {
					done = true
				}
			}
			if done {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("retention never ran: %+v", list)
			}
			time.Sleep(100 * time.Millisecond)
		}
		wantProblem(t, e.Do(post("/jobs/no_such_job/run", fleet.RoleAdmin, nil)), 404, "not_found")
		wantProblem(t, e.Do(get("/jobs", fleet.RoleOperator)), 403, "forbidden")
		var audit []struct{ Action, Target, Result string }
		dataOf(t, want(t, e.Do(get("/audit?action=job.run", fleet.RoleAdmin)), 200), &audit)
		if len(audit) != 2 {
			t.Fatalf("job.run audit = %+v", audit)
		}
	})
}
