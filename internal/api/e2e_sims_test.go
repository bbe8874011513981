package api_test

import (
	"fmt"
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

type simBody struct {
	ICCID           string    `json:"iccid"`
	Status          string    `json:"status"`
	Label           string    `json:"label"`
	IMSI            string    `json:"imsi"`
	DataQuotaStatus string    `json:"data_quota_status"`
	LastSyncedAt    time.Time `json:"last_synced_at"`
}

type readEnvelope[T any] struct {
	Data     T          `json:"data"`
	SyncedAt *time.Time `json:"synced_at"`
	Stale    bool       `json:"stale"`
}

type pageEnvelope[T any] struct {
	Data     []T   `json:"data"`
	Page     int   `json:"page"`
	PageSize int   `json:"page_size"`
	Total    int64 `json:"total"`
}

func TestSIMs(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend})
		// A SIM the mirror lacks is read from 1NCE and stored.
		var one readEnvelope[simBody]
		res := want(t, e.Do(get("/sims/"+simICCID(3), fleet.RoleViewer)), 200)
		res.JSON(t, &one)
		if one.Data.ICCID != simICCID(3) || one.Data.Status != "Enabled" || one.Data.IMSI == "" || one.SyncedAt == nil || one.Stale {
			t.Fatalf("get sim = %s", res.Body)
		}
		if res.Header.Get("Age") == "" {
			t.Fatal("no Age header")
		}
		// The second read is the mirror's: no new 1NCE call.
		before := e.Counter.Count(http.MethodGet, "/sims/"+simICCID(3))
		want(t, e.Do(get("/sims/"+simICCID(3), fleet.RoleViewer)), 200)
		if after := e.Counter.Count(http.MethodGet, "/sims/"+simICCID(3)); after != before {
			t.Fatalf("mirror read called 1NCE (%d → %d)", before, after)
		}
		// fresh=true (or Cache-Control: no-cache) reads 1NCE again.
		want(t, e.Do(get("/sims/"+simICCID(3)+"?fresh=true", fleet.RoleViewer)), 200)
		r := get("/sims/"+simICCID(3), fleet.RoleViewer)
		r.Header = map[string]string{"Cache-Control": "no-cache"}
		want(t, e.Do(r), 200)
		if after := e.Counter.Count(http.MethodGet, "/sims/"+simICCID(3)); after != before+2 {
			t.Fatalf("fresh reads: 1NCE called %d times, want 2", after-before)
		}

		// Unknown SIM: 404 from 1NCE; malformed ICCIDs are refused before anything is asked.
		wantProblem(t, e.Do(get("/sims/"+unknownICCID, fleet.RoleViewer)), 404, "not_found")
		wantProblem(t, e.Do(get("/sims/123", fleet.RoleViewer)), 422, "invalid")
		wantProblem(t, e.Do(get("/sims/89882806660000000011", fleet.RoleViewer)), 422, "invalid") // bad Luhn digit
		want(t, e.Do(get("/sims/89882806660000000010", fleet.RoleViewer)), 200)                   // with Luhn: 20 digits

		// Change a SIM: 1NCE first, then the mirror.
		var upd struct {
			Data simBody `json:"data"`
		}
		want(t, e.Do(put("/sims/"+simICCID(4), fleet.RoleOperator, map[string]any{"status": "disabled", "label": "pump-7", "metadata": map[string]any{"site": "north"}})), 200).JSON(t, &upd)
		if upd.Data.Status != "Disabled" || upd.Data.Label != "pump-7" {
			t.Fatalf("update = %+v", upd.Data)
		}
		if st, _ := e.Sim.SIM(simICCID(4)); st.Status != "Disabled" || st.Label != "pump-7" {
			t.Fatalf("simulator after update: %+v", st)
		}
		wantProblem(t, e.Do(put("/sims/"+simICCID(4), fleet.RoleOperator, map[string]any{})), 422, "invalid")
		wantProblem(t, e.Do(put("/sims/"+simICCID(4), fleet.RoleOperator, map[string]any{"label": strings.Repeat("x", 300)})), 422, "invalid")
		wantProblem(t, e.Do(put("/sims/"+unknownICCID, fleet.RoleOperator, map[string]any{"label": "x"})), 404, "not_found")

		// The list is the mirror's, with filters and paging.
		for i := range 6 {
			want(t, e.Do(get("/sims/"+simICCID(10+i), fleet.RoleViewer)), 200)
		}
		var page pageEnvelope[simBody]
		want(t, e.Do(get("/sims?page_size=3&sort=-iccid", fleet.RoleViewer)), 200).JSON(t, &page)
		if page.Total < 8 || len(page.Data) != 3 || page.PageSize != 3 || page.Data[0].ICCID < page.Data[1].ICCID {
			t.Fatalf("page = %+v", page)
		}
		want(t, e.Do(get("/sims?status=Disabled", fleet.RoleViewer)), 200).JSON(t, &page)
		found := false
		for _, s := range page.Data {
			found = found || s.ICCID == simICCID(4)
			if s.Status != "Disabled" {
				t.Fatalf("status filter let %+v through", s)
			}
		}
		if !found {
			t.Fatalf("status filter = %+v", page)
		}
		want(t, e.Do(get("/sims?label=PUMP", fleet.RoleViewer)), 200).JSON(t, &page)
		if page.Total != 1 {
			t.Fatalf("label filter = %+v", page)
		}
		want(t, e.Do(get("/sims?iccid="+simICCID(1)[:17], fleet.RoleViewer)), 200).JSON(t, &page)
		if page.Total < 8 {
			t.Fatalf("prefix filter = %+v", page)
		}
		for _, bad := range []string{"page_size=5000", "page=0", "sort=password", "online=maybe", "quota_status=LOW", "updated_since=yesterday"} {
			wantProblem(t, e.Do(get("/sims?"+bad, fleet.RoleViewer)), 422, "invalid")
		}

		// Status, connectivity, usage, events and reset reach 1NCE.
		var st readEnvelope[struct {
			Status string `json:"status"`
		}]
		want(t, e.Do(get("/sims/"+simICCID(1)+"/status", fleet.RoleViewer)), 200).JSON(t, &st)
		if st.Data.Status == "" {
			t.Fatal("status without status")
		}
		want(t, e.Do(get("/sims/"+simICCID(1)+"/status?fresh=true", fleet.RoleViewer)), 200)
		var conn struct {
			Data struct {
				SubscriberOK bool `json:"subscriber_ok"`
			} `json:"data"`
		}
		want(t, e.Do(get("/sims/"+simICCID(1)+"/connectivity?subscriber=true&ussd=false", fleet.RoleViewer)), 200).JSON(t, &conn)
		wantProblem(t, e.Do(get("/sims/"+simICCID(1)+"/connectivity?ussd=perhaps", fleet.RoleViewer)), 422, "invalid")

		e.Sim.Advance(0)
		today := time.Now().UTC().Format(time.DateOnly)
		from := time.Now().UTC().AddDate(0, 0, -5).Format(time.DateOnly)
		var usage readEnvelope[struct {
			Days    []map[string]any `json:"days"`
			Summary struct {
				VolumeTotal int64 `json:"volume_total"`
			} `json:"summary"`
		}]
		want(t, e.Do(get("/sims/"+simICCID(1)+"/usage?fresh=true&from="+from+"&to="+today, fleet.RoleViewer)), 200).JSON(t, &usage)
		if usage.SyncedAt == nil {
			t.Fatalf("fresh usage not synced: %+v", usage)
		}
		wantProblem(t, e.Do(get("/sims/"+simICCID(1)+"/usage?from="+today+"&to="+from, fleet.RoleViewer)), 422, "invalid")
		wantProblem(t, e.Do(get("/sims/"+simICCID(1)+"/usage?from=2020-01-01&to=2026-01-01", fleet.RoleViewer)), 422, "invalid")

		want(t, e.Do(post("/sims/"+simICCID(1)+"/reset", fleet.RoleOperator, nil)), 202)
		var evs pageEnvelope[map[string]any]
		want(t, e.Do(get("/sims/"+simICCID(1)+"/events?fresh=true&page_size=5", fleet.RoleViewer)), 200).JSON(t, &evs)
		if evs.Total == 0 || len(evs.Data) == 0 {
			t.Fatalf("events after a reset: %+v", evs)
		}
		wantProblem(t, e.Do(get("/sims/"+simICCID(1)+"/events?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", fleet.RoleViewer)), 422, "invalid")
		wantProblem(t, e.Do(post("/sims/"+unknownICCID+"/reset", fleet.RoleOperator, nil)), 404, "not_found")

		// Every change is in the audit log with who, what and the result.
		var audit []struct {
			Actor, Action, Target, Result, Role, RequestID string
		}
		dataOf(t, want(t, e.Do(get("/audit?target="+simICCID(4), fleet.RoleAdmin)), 200), &audit)
		if len(audit) < 2 || audit[len(audit)-1].Action != "sim.update" || audit[len(audit)-1].Result != "ok" {
			t.Fatalf("audit of %s: %+v", simICCID(4), audit)
		}
		if audit[0].Role != "operator" || !strings.HasPrefix(audit[0].Actor, "key:") {
			t.Fatalf("audit row: %+v", audit[0])
		}
	})
}

func TestQuotasAndTopUps(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend})
		iccid := simICCID(2)
		var q readEnvelope[struct {
			Kind        string `json:"kind"`
			Volume      int64  `json:"volume"`
			TotalVolume int64  `json:"total_volume"`
		}]
		want(t, e.Do(get("/sims/"+iccid+"/quota/data", fleet.RoleViewer)), 200).JSON(t, &q)
		if q.Data.Kind != "data" || q.Data.TotalVolume <= 0 {
			t.Fatalf("data quota = %+v", q)
		}
		before := q.Data.TotalVolume
		want(t, e.Do(get("/sims/"+iccid+"/quota/sms?fresh=true", fleet.RoleViewer)), 200)

		// An idempotent top-up: the same key twice reaches 1NCE once and replays the answer.
		topup := post("/sims/"+iccid+"/topup", fleet.RoleOperator, map[string]any{"payment_method": "creditcard"})
		topup.Header = map[string]string{"Idempotency-Key": "topup-1"}
		first := want(t, e.Do(topup), 201)
		second := want(t, e.Do(topup), 201)
		if string(first.Body) != string(second.Body) || second.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %s vs %s (%v)", first.Body, second.Body, second.Header)
		}
		if n := e.Counter.Count(http.MethodPost, "/topup"); n != 1 {
			t.Fatalf("1NCE saw %d top-ups, want 1", n)
		}
		var tu struct {
			Data struct {
				State       string `json:"state"`
				OrderNumber int64  `json:"order_number"`
			} `json:"data"`
		}
		first.JSON(t, &tu)
		if tu.Data.State != "sent" || tu.Data.OrderNumber == 0 {
			t.Fatalf("top-up = %s", first.Body)
		}
		// The quota shows the top-up at once (its cache was invalidated).
		want(t, e.Do(get("/sims/"+iccid+"/quota/data", fleet.RoleViewer)), 200).JSON(t, &q)
		if q.Data.TotalVolume <= before && q.Data.Volume <= 0 {
			t.Fatalf("quota after top-up: %+v (before %d)", q.Data, before)
		}
		// The same key with another body is refused; another caller's key is its own.
		other := topup
		other.Body = map[string]any{"payment_method": "banktransfer"}
		wantProblem(t, e.Do(other), 422, "idempotency_key_reused")
		admin := topup
		admin.Role = fleet.RoleAdmin
		want(t, e.Do(admin), 201)
		if n := e.Counter.Count(http.MethodPost, "/topup"); n != 2 {
			t.Fatalf("1NCE saw %d top-ups, want 2", n)
		}
		wantProblem(t, e.Do(post("/sims/"+iccid+"/topup", fleet.RoleOperator, map[string]any{"payment_method": "gold"})), 422, "invalid")
		bad := post("/sims/"+iccid+"/topup", fleet.RoleOperator, map[string]any{})
		bad.Header = map[string]string{"Idempotency-Key": "has space"}
		wantProblem(t, e.Do(bad), 422, "invalid")
		wantProblem(t, e.Do(post("/sims/"+unknownICCID+"/topup", fleet.RoleOperator, map[string]any{})), 404, "not_found")

		// Automatic top-up: 1NCE's switch plus oncefleet's own policy.
		var pol []struct {
			ICCID        string `json:"iccid"`
			Enabled      bool   `json:"enabled"`
			ThresholdPct int    `json:"threshold_pct"`
		}
		dataOf(t, want(t, e.Do(post("/sims/auto-topup", fleet.RoleOperator, map[string]any{"enabled": true, "iccids": []string{iccid}, "threshold_pct": 15})), 200), &pol)
		if len(pol) != 1 || !pol[0].Enabled || pol[0].ThresholdPct != 15 {
			t.Fatalf("policy = %+v", pol)
		}
		if st, _ := e.Sim.SIM(iccid); !st.AutoTopUp {
			t.Fatal("1NCE's auto top-up not switched on")
		}
		dataOf(t, want(t, e.Do(post("/sims/auto-topup", fleet.RoleOperator, map[string]any{"enabled": true, "fleet_default": true})), 200), &pol)
		if pol[0].ICCID != "*" {
			t.Fatalf("fleet default = %+v", pol)
		}
		wantProblem(t, e.Do(post("/sims/auto-topup", fleet.RoleOperator, map[string]any{"enabled": true})), 422, "invalid")
	})
}

func TestSMS(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend})
		iccid := simICCID(5)
		var sent struct {
			Data struct {
				IDs      []int64 `json:"ids"`
				Parts    int     `json:"parts"`
				Encoding string  `json:"encoding"`
			} `json:"data"`
		}
		want(t, e.Do(post("/sims/"+iccid+"/sms", fleet.RoleOperator, map[string]any{"payload": "reboot now"})), 201).JSON(t, &sent)
		if len(sent.Data.IDs) != 1 || sent.Data.IDs[0] <= 0 || sent.Data.Encoding != "GSM-7" {
			t.Fatalf("sent = %+v", sent)
		}
		id := sent.Data.IDs[0]
		var one readEnvelope[struct {
			ID      int64  `json:"id"`
			Status  string `json:"status"`
			Payload string `json:"payload"`
			SentBy  string `json:"sent_by"`
		}]
		want(t, e.Do(get("/sims/"+iccid+"/sms/"+strconv.FormatInt(id, 10)+"?fresh=true", fleet.RoleViewer)), 200).JSON(t, &one)
		if one.Data.ID != id || one.Data.Payload != "reboot now" || one.Data.Status == "" || !strings.HasPrefix(one.Data.SentBy, "key:") {
			t.Fatalf("sms = %+v", one.Data)
		}
		var list pageEnvelope[map[string]any]
		want(t, e.Do(get("/sims/"+iccid+"/sms", fleet.RoleViewer)), 200).JSON(t, &list)
		if list.Total < 1 {
			t.Fatalf("sms list = %+v", list)
		}

		// Too long for one SMS: refused, unless concatenation is asked for.
		long := strings.Repeat("a", 200)
		p := wantProblem(t, e.Do(post("/sims/"+iccid+"/sms", fleet.RoleOperator, map[string]any{"payload": long})), 422, "invalid")
		if !strings.Contains(p.Detail, "concatenate") {
			t.Fatalf("detail = %q", p.Detail)
		}
		uni := strings.Repeat("ж", 71) // UCS-2: 70 per SMS
		wantProblem(t, e.Do(post("/sims/"+iccid+"/sms", fleet.RoleOperator, map[string]any{"payload": uni})), 422, "invalid")
		beforeSends := e.Counter.Count(http.MethodPost, "/sms")
		want(t, e.Do(post("/sims/"+iccid+"/sms", fleet.RoleOperator, map[string]any{"payload": long, "concatenate": true})), 201).JSON(t, &sent)
		if sent.Data.Parts != 2 || len(sent.Data.IDs) != 2 || e.Counter.Count(http.MethodPost, "/sms")-beforeSends != 2 {
			t.Fatalf("concatenated = %+v", sent)
		}
		wantProblem(t, e.Do(post("/sims/"+iccid+"/sms", fleet.RoleOperator, map[string]any{"payload": strings.Repeat("b", 1600), "concatenate": true})), 422, "invalid")
		wantProblem(t, e.Do(post("/sims/"+iccid+"/sms", fleet.RoleOperator, map[string]any{"payload": "x", "source_address": "not-a-number"})), 422, "invalid")

		// Cancel the pending one (the simulator keeps MT SMS pending for seconds).
		res := e.Do(del("/sims/"+iccid+"/sms/"+strconv.FormatInt(sent.Data.IDs[1], 10), fleet.RoleOperator))
		if res.Status != 204 {
			// Delivered already: 1NCE refuses cancelling it.
			wantProblem(t, res, res.Status, res.Problem(t).Code)
		}
		wantProblem(t, e.Do(get("/sims/"+iccid+"/sms/999999999", fleet.RoleViewer)), 404, "not_found")
		wantProblem(t, e.Do(get("/sims/"+iccid+"/sms/0", fleet.RoleViewer)), 422, "invalid")
	})
}

func TestV1OnlyOperationsOnAV2OnlyAccount(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend, Sim: oncesim.Options{Mode: oncesim.ModeV2Only}})
		iccid := simICCID(1)
		for _, r := range []req{
			get("/sims/limits", fleet.RoleViewer),
			get("/sims/data/limits", fleet.RoleViewer),
			post("/sims/limits", fleet.RoleAdmin, map[string]any{"data_limit_id": 1}),
			get("/sims/"+iccid+"/connectivity", fleet.RoleViewer),
			get("/sims/"+iccid+"/usage?fresh=true", fleet.RoleViewer),
			post("/sims/extension", fleet.RoleOperator, map[string]any{"iccids": []string{iccid}}),
			post("/sims/transfer", fleet.RoleAdmin, map[string]any{"iccids": []string{iccid}, "target_organisation": 7}),
			post("/sims/auto-topup", fleet.RoleOperator, map[string]any{"enabled": true, "iccids": []string{iccid}}),
		} {
			t.Run(r.Method+" "+r.Path, func(t *testing.T) {
				wantProblem(t, e.Do(r), 501, "upstream_unsupported")
			})
		}
		// What v2 has keeps working, and a local-only auto top-up policy is allowed.
		want(t, e.Do(get("/sims/"+iccid, fleet.RoleViewer)), 200)
		want(t, e.Do(post("/sims/"+iccid+"/topup", fleet.RoleOperator, map[string]any{})), 201)
		want(t, e.Do(post("/sims/auto-topup", fleet.RoleOperator, map[string]any{"enabled": true, "iccids": []string{iccid}, "local_only": true})), 200)
	})
}

func TestLimitsExtensionTransfer(t *testing.T) {
	e := apptest.Start(t, apptest.Options{Backend: apptest.SQLite})
	var sel readEnvelope[struct {
		Data *struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}]
	want(t, e.Do(get("/sims/data/limits", fleet.RoleViewer)), 200).JSON(t, &sel)
	if sel.Data.Data == nil || sel.Data.Data.ID == 0 {
		t.Fatalf("selectable = %+v", sel)
	}
	want(t, e.Do(get("/sims/smsMO/limits", fleet.RoleViewer)), 200)
	wantProblem(t, e.Do(get("/sims/voice/limits", fleet.RoleViewer)), 422, "invalid")
	want(t, e.Do(post("/sims/limits", fleet.RoleAdmin, map[string]any{"data_limit_id": sel.Data.Data.ID})), 204)
	var lim readEnvelope[struct {
		Data *struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}]
	want(t, e.Do(get("/sims/limits", fleet.RoleViewer)), 200).JSON(t, &lim)
	if lim.Data.Data == nil || lim.Data.Data.ID != sel.Data.Data.ID {
		t.Fatalf("limits after set = %+v", lim)
	}
	wantProblem(t, e.Do(post("/sims/limits", fleet.RoleAdmin, map[string]any{})), 422, "invalid")

	ext := post("/sims/extension", fleet.RoleOperator, map[string]any{"iccids": []string{simICCID(1)}})
	ext.Header = map[string]string{"Idempotency-Key": "ext-1"}
	want(t, e.Do(ext), 202)
	want(t, e.Do(ext), 202)
	if n := e.Counter.Count(http.MethodPost, "/sims/extension"); n != 1 {
		t.Fatalf("extensions at 1NCE = %d", n)
	}
	wantProblem(t, e.Do(post("/sims/extension", fleet.RoleOperator, map[string]any{"iccids": []string{}})), 422, "invalid")

	want(t, e.Do(post("/sims/transfer", fleet.RoleAdmin, map[string]any{"iccids": []string{simICCID(7)}, "target_organisation": 42})), 202)
	if st, _ := e.Sim.SIM(simICCID(7)); st.Organisation != 42 {
		t.Fatalf("transfer not applied: %+v", st)
	}
	wantProblem(t, e.Do(post("/sims/transfer", fleet.RoleAdmin, map[string]any{"iccid_ranges": []map[string]string{{"from": simICCID(9), "to": simICCID(8)}}})), 422, "invalid")
	wantProblem(t, e.Do(post("/sims/transfer", fleet.RoleAdmin, map[string]any{})), 422, "invalid")
}

func fmtICCIDs(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, simICCID(i))
	}
	return out
}

var _ = fmt.Sprint

// TestV1ModeLabelChange: v1's API needs the status with every SIM change and the SDK no longer
// reads it behind the caller's back, so with ONCEFLEET_ONCE_API=v1 the server reads it itself;
// a label-only change still works and leaves the status as it was.
func TestV1ModeLabelChange(t *testing.T) {
	e := apptest.Start(t, apptest.Options{Backend: apptest.SQLite, Configure: func(c *config.Config) { c.OnceAPI = "v1" }})
	iccid := simICCID(2)
	before, ok := e.Sim.SIM(iccid)
	if !ok {
		t.Fatalf("no SIM %s in the simulator", iccid)
	}
	want(t, e.Do(put("/sims/"+iccid, fleet.RoleOperator, map[string]any{"label": "v1-label"})), 200)
	after, _ := e.Sim.SIM(iccid)
	if after.Label != "v1-label" || after.Status != before.Status {
		t.Errorf("simulator has label %q status %q, want v1-label and %q", after.Label, after.Status, before.Status)
	}
}
