package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/oncesim"
)

func TestOrdersProductsSupport(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend})
		var products readEnvelope[[]struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}]
		want(t, e.Do(get("/products", fleet.RoleViewer)), 200).JSON(t, &products)
		if len(products.Data) == 0 {
			t.Fatal("no products")
		}
		pid := products.Data[0].ID
		var one readEnvelope[struct {
			ID int64 `json:"id"`
		}]
		want(t, e.Do(get("/products/"+strconv.FormatInt(pid, 10), fleet.RoleViewer)), 200).JSON(t, &one)
		if one.Data.ID != pid {
			t.Fatalf("product = %+v", one)
		}
		wantProblem(t, e.Do(get("/products/999999", fleet.RoleViewer)), 404, "not_found")
		var pricing readEnvelope[[]struct {
			ProductID      int64 `json:"product_id"`
			OneTimeCharges []any `json:"one_time_charges"`
		}]
		want(t, e.Do(get("/products/pricing", fleet.RoleViewer)), 200).JSON(t, &pricing)
		if len(pricing.Data) != len(products.Data) {
			t.Fatalf("pricing = %+v", pricing)
		}
		// The catalogue is cached: a second read does not reach 1NCE.
		n := e.Counter.Count(http.MethodGet, "/products")
		want(t, e.Do(get("/products", fleet.RoleViewer)), 200)
		if e.Counter.Count(http.MethodGet, "/products") != n {
			t.Fatal("products read twice from 1NCE")
		}

		// Place an order (admin, idempotent), see it listed, read it.
		order := post("/orders", fleet.RoleAdmin, map[string]any{"products": []map[string]any{{"product_id": pid, "quantity": 2}}, "customer_reference": "po-17",
			"delivery_address": map[string]any{"company": "ACME", "city": "Berlin", "country": "DE"}})
		order.Header = map[string]string{"Idempotency-Key": "order-1"}
		want(t, e.Do(order), 201)
		want(t, e.Do(order), 201)
		if n := e.Counter.Count(http.MethodPost, "/v1/orders"); n != 1 {
			t.Fatalf("orders sent to 1NCE: %d", n)
		}
		var orders pageEnvelope[struct {
			Number int64  `json:"order_number"`
			Type   string `json:"order_type"`
		}]
		want(t, e.Do(get("/orders", fleet.RoleViewer)), 200).JSON(t, &orders)
		if orders.Total < 2 || len(orders.Data) == 0 {
			t.Fatalf("orders = %+v", orders)
		}
		num := strconv.FormatInt(orders.Data[0].Number, 10)
		var o readEnvelope[struct {
			Number int64 `json:"order_number"`
		}]
		want(t, e.Do(get("/orders/"+num, fleet.RoleViewer)), 200).JSON(t, &o)
		if o.Data.Number != orders.Data[0].Number {
			t.Fatalf("order = %+v", o)
		}
		wantProblem(t, e.Do(get("/orders/99999999", fleet.RoleViewer)), 404, "not_found")
		wantProblem(t, e.Do(get("/orders?page_size=50", fleet.RoleViewer)), 422, "invalid")
		wantProblem(t, e.Do(put("/orders/"+num, fleet.RoleAdmin, map[string]any{})), 405, "method_not_allowed")
		wantProblem(t, e.Do(post("/orders", fleet.RoleAdmin, map[string]any{"products": []map[string]any{}})), 422, "invalid")
		wantProblem(t, e.Do(post("/orders", fleet.RoleAdmin, map[string]any{"products": []map[string]any{{"product_id": pid, "quantity": 1}}, "delivery_address": map[string]any{"country": "Germany"}})), 422, "invalid")
		wantProblem(t, e.Do(post("/orders", fleet.RoleOperator, map[string]any{"products": []map[string]any{{"product_id": pid, "quantity": 1}}})), 403, "forbidden")

		// Support: open a request, list it, read it.
		want(t, e.Do(post("/support/tickets", fleet.RoleOperator, map[string]any{"subject": "SIM offline", "text": "Since Monday.", "reply_to_mail": "ops@example.com"})), 202)
		var tickets pageEnvelope[struct {
			ID      string `json:"id"`
			Subject string `json:"subject"`
		}]
		want(t, e.Do(get("/support/tickets", fleet.RoleViewer)), 200).JSON(t, &tickets)
		if tickets.Total != 1 || tickets.Data[0].Subject != "SIM offline" {
			t.Fatalf("tickets = %+v", tickets)
		}
		var ticket readEnvelope[struct {
			ID string `json:"id"`
		}]
		want(t, e.Do(get("/support/tickets/"+tickets.Data[0].ID, fleet.RoleViewer)), 200).JSON(t, &ticket)
		if ticket.Data.ID != tickets.Data[0].ID {
			t.Fatalf("ticket = %+v", ticket)
		}
		wantProblem(t, e.Do(get("/support/tickets/no-such-case", fleet.RoleViewer)), 404, "not_found")
		wantProblem(t, e.Do(put("/support/tickets/"+tickets.Data[0].ID, fleet.RoleOperator, map[string]any{})), 405, "method_not_allowed")
		wantProblem(t, e.Do(post("/support/tickets", fleet.RoleOperator, map[string]any{"subject": "", "text": "x"})), 422, "invalid")
	})
}

func TestUpstreamFailures(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		e := apptest.Start(t, apptest.Options{Backend: backend})
		iccid := simICCID(1)
		// Known answers first: the mirror now has the SIM and its quota.
		want(t, e.Do(get("/sims/"+iccid+"/quota/data", fleet.RoleViewer)), 200)
		want(t, e.Do(get("/sims/"+iccid, fleet.RoleViewer)), 200)

		// 1NCE fails every request with 503.
		if err := e.Sim.Faults().Set(oncesim.Faults{Errors: map[int]float64{503: 1}}); err != nil {
			t.Fatal(err)
		}
		// A read without a known answer fails with 502, keeping the upstream's word.
		p := wantProblem(t, e.Do(get("/sims/"+simICCID(9)+"/quota/sms", fleet.RoleViewer)), 502, "upstream_error")
		if !strings.Contains(p.Detail, "503") {
			t.Fatalf("detail = %q", p.Detail)
		}
		// A read with a known answer returns it, marked stale.
		res := want(t, e.Do(get("/sims/"+iccid+"/quota/data?fresh=true", fleet.RoleViewer)), 200)
		var q readEnvelope[map[string]any]
		res.JSON(t, &q)
		if !q.Stale || !strings.HasPrefix(res.Header.Get("Warning"), "110") {
			t.Fatalf("stale answer: %v %s", res.Header, res.Body)
		}
		res = want(t, e.Do(get("/sims/"+iccid+"?fresh=true", fleet.RoleViewer)), 200)
		var sim readEnvelope[simBody]
		res.JSON(t, &sim)
		if !sim.Stale || sim.Data.ICCID != iccid {
			t.Fatalf("stale sim: %s", res.Body)
		}
		// A change fails and changes nothing locally (by now the breaker may have opened: 503).
		if res := e.Do(put("/sims/"+iccid, fleet.RoleOperator, map[string]any{"label": "never"})); res.Status != 502 && res.Status != 503 {
			t.Fatalf("change while 1NCE fails: %d %s", res.Status, res.Body)
		}
		var after readEnvelope[simBody]
		want(t, e.Do(get("/sims/"+iccid, fleet.RoleViewer)), 200).JSON(t, &after)
		if after.Data.Label == "never" {
			t.Fatal("a failed change reached the mirror")
		}
		// Repeated failures open the circuit breaker: 503 with Retry-After, no more calls.
		for range 3 {
			e.Do(get("/sims/"+simICCID(10)+"/status?fresh=true", fleet.RoleViewer))
		}
		br := e.Do(get("/sims/"+simICCID(11)+"/status", fleet.RoleViewer))
		wantProblem(t, br, 503, "unavailable")
		if br.Header.Get("Retry-After") == "" {
			t.Fatal("open breaker without Retry-After")
		}
	})
}

func TestUpstreamRateLimited(t *testing.T) {
	e := apptest.Start(t, apptest.Options{})
	if err := e.Sim.Faults().Set(oncesim.Faults{Burst429: oncesim.BurstFault{Rate: 1, Length: 1000, RetryAfter: 90 * time.Second}}); err != nil {
		t.Fatal(err)
	}
	res := e.Do(get("/sims/"+simICCID(2)+"/quota/data", fleet.RoleViewer))
	wantProblem(t, res, 503, "unavailable")
	if ra, _ := strconv.Atoi(res.Header.Get("Retry-After")); ra < 60 {
		t.Fatalf("Retry-After = %q", res.Header.Get("Retry-After"))
	}
}

func TestTopUpWithUnknownOutcome(t *testing.T) {
	e := apptest.Start(t, apptest.Options{})
	iccid := simICCID(3)
	want(t, e.Do(get("/sims/"+iccid+"/quota/data", fleet.RoleViewer)), 200) // token and connection ready
	// 1NCE receives the top-up but the connection breaks before any answer.
	if err := e.Sim.Faults().Set(oncesim.Faults{ResetRate: 1}); err != nil {
		t.Fatal(err)
	}
	r := post("/sims/"+iccid+"/topup", fleet.RoleOperator, map[string]any{})
	r.Header = map[string]string{"Idempotency-Key": "maybe-booked"}
	p := wantProblem(t, e.Do(r), 502, "outcome_unknown")
	if !strings.Contains(p.Detail, "/orders") {
		t.Fatalf("detail = %q", p.Detail)
	}
	if err := e.Sim.Faults().Set(oncesim.Faults{}); err != nil {
		t.Fatal(err)
	}
	// Retrying with the same key never sends it again.
	wantProblem(t, e.Do(r), 502, "outcome_unknown")
	if n := e.Counter.Count(http.MethodPost, "/topup"); n != 1 {
		t.Fatalf("1NCE saw %d top-ups, want 1", n)
	}
}

func TestSMSWithUnknownOutcome(t *testing.T) {
	e := apptest.Start(t, apptest.Options{})
	iccid := simICCID(4)
	want(t, e.Do(get("/sims/"+iccid+"/quota/data", fleet.RoleViewer)), 200) // token and connection ready
	// 1NCE receives the SMS but the connection breaks before any answer: sending it again
	// could deliver it twice, so the answer says to look first.
	if err := e.Sim.Faults().Set(oncesim.Faults{ResetRate: 1}); err != nil {
		t.Fatal(err)
	}
	r := post("/sims/"+iccid+"/sms", fleet.RoleOperator, map[string]any{"payload": "reboot now"})
	p := wantProblem(t, e.Do(r), 502, "outcome_unknown")
	if !strings.Contains(p.Detail, "/sims/"+iccid+"/sms") {
		t.Fatalf("detail = %q", p.Detail)
	}
	if n := e.Counter.Count(http.MethodPost, "/sms"); n != 1 {
		t.Fatalf("1NCE saw %d SMS sends, want 1 (never re-sent)", n)
	}
}

func TestIdempotencyKeyInFlight(t *testing.T) {
	e := apptest.Start(t, apptest.Options{Sim: oncesim.Options{Faults: oncesim.Faults{Latency: oncesim.LatencyFault{Min: time.Second, Max: time.Second}}}})
	r := post("/sims/"+simICCID(4)+"/topup", fleet.RoleOperator, map[string]any{})
	r.Header = map[string]string{"Idempotency-Key": "slow"}
	first := make(chan *apptest.Response, 1)
	go func() { first <- e.Do(r) }()
	// The second request finds the first still running (it waits a second for 1NCE).
	var second *apptest.Response
	for {
		second = e.Do(r)
		if second.Status == 409 || second.Status == 201 {
			break
		}
	}
	if second.Status == 201 {
		t.Skip("the first request finished before a second could overlap it")
	}
	wantProblem(t, second, 409, "idempotency_in_flight")
	want(t, <-first, 201)
	want(t, e.Do(r), 201)
	if n := e.Counter.Count(http.MethodPost, "/topup"); n != 1 {
		t.Fatalf("1NCE saw %d top-ups", n)
	}
}
