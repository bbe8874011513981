package contract

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/spectest"
	"github.com/oncefleet/oncefleet/oncesim"
)

// TestContractEveryOperation drives every operation of the official specs over real HTTP
// through the spectest middleware, which validates each request and response; it fails when
// any operation was not reached.
func TestContractEveryOperation(t *testing.T) {
	c := spectest.Load(t)
	h := newHarness(t, oncesim.Options{Sims: 30, Seed: 7}, c, "")
	h.login()
	ic := h.iccid(3)
	ic2 := h.iccid(4)

	// SIM management v1.
	h.do("GET", "/v1/sims?page=1&pageSize=10", nil).want(t, 200, "list v1")
	h.do("GET", "/v1/sims?page=1&pageSize=5&q=ip_address:10.0.0.4&sort=-imei", nil).want(t, 200, "list v1 filtered")
	h.do("GET", "/v1/sims/"+ic, nil).want(t, 200, "get v1")
	h.do("GET", "/v1/sims/8988280666999999999", nil).want(t, 404, "get v1 unknown")
	h.do("PUT", "/v1/sims/"+ic, map[string]any{"iccid": ic, "status": "Enabled", "label": "pump-7", "imei_lock": true}).want(t, 200, "put v1")
	h.do("POST", "/v1/sims", []map[string]any{{"iccid": ic2, "status": "Disabled"}}).want(t, 201, "multi update")
	h.do("GET", "/v1/sims/"+ic+"/status", nil).want(t, 200, "status v1")
	h.do("POST", "/v1/sims/simTransfer", map[string]any{"target_organisation": 2000000001, "iccids": []string{ic2},
		"iccid_ranges": []map[string]string{{"from": h.iccid(10), "to": h.iccid(12)}}}).want(t, 201, "transfer")
	h.do("GET", "/v1/sims/"+ic+"/connectivity_info?subscriber=true&ussd=true", nil).want(t, 200, "connectivity info")
	h.do("POST", "/v1/sims/"+ic+"/reset", nil).want(t, 201, "reset v1")
	h.do("GET", "/v1/sims/"+ic+"/events?page=1&pageSize=50&sort=-timestamp", nil).want(t, 200, "events v1")
	h.clock.Advance(3 * 24 * time.Hour)
	h.login() // the old token expired
	h.do("GET", "/v1/sims/"+ic+"/usage?start_dt=2026-02-28&end_dt=2026-03-04", nil).want(t, 200, "usage")
	h.do("GET", "/v1/sims/"+ic+"/quota/data", nil).want(t, 200, "quota data v1")
	h.do("GET", "/v1/sims/"+ic+"/quota/sms", nil).want(t, 200, "quota sms v1")
	h.do("POST", "/v1/sims/"+ic+"/sms", map[string]any{"source_address": "1234", "payload": "hello",
		"source_address_type": map[string]any{"id": 145}}).want(t, 201, "send sms v1")
	var list []map[string]any
	h.do("GET", "/v1/sims/"+ic+"/sms?page=1&pageSize=100", nil).want(t, 200, "list sms v1").decode(t, &list)
	if len(list) == 0 {
		t.Fatal("no SMS listed after sending one")
	}
	mt := lastMT(t, list)
	h.do("GET", fmt.Sprintf("/v1/sims/%s/sms/%d", ic, mt), nil).want(t, 200, "get sms v1")
	h.do("DELETE", fmt.Sprintf("/v1/sims/%s/sms/%d", ic, mt), nil).want(t, 200, "cancel sms v1")
	h.do("DELETE", fmt.Sprintf("/v1/sims/%s/sms/%d", ic, mt), nil).want(t, 422, "cancel sms v1 twice")
	h.do("POST", "/v1/sims/"+ic+"/topup?payment_method=creditcard", nil).want(t, 201, "topup v1")
	h.do("POST", "/v1/sims/topup", []string{ic, ic2}).want(t, 201, "topup multi")
	h.do("POST", "/v1/sims/autoTopup", map[string]any{"enabled": true, "iccids": []string{ic}}).want(t, 201, "auto topup")
	h.do("POST", "/v1/sims/limits", map[string]any{"dataLimitId": 2, "smsMtLimitId": 1}).want(t, 201, "set limits")
	h.do("GET", "/v1/sims/limits", nil).want(t, 200, "get limits")
	h.do("GET", "/v1/sims/data/limits", nil).want(t, 200, "selectable limits")
	h.do("GET", "/v1/sims/smsMO/limits", nil).want(t, 200, "selectable limits smsMO")
	h.do("POST", "/v1/sims/extension", map[string]any{"iccids": []string{ic}}).want(t, 201, "extension")

	// SIM management v2.
	h.do("GET", "/v2/sims?page=2&pageSize=10", nil).want(t, 200, "list v2")
	h.do("GET", "/v2/sims/"+ic, nil).want(t, 200, "get v2")
	h.do("GET", "/v2/sims/8988280666999999999", nil).want(t, 404, "get v2 unknown")
	h.do("PUT", "/v2/sims/"+ic, map[string]any{"label": "pump-8", "status": "Disabled"}).want(t, 200, "put v2")
	h.do("PUT", "/v2/sims/"+ic, map[string]any{"status": "Enabled"}).want(t, 200, "put v2 enable")
	h.do("POST", "/v2/sims/"+ic+"/reset", nil).want(t, 201, "reset v2")
	h.do("GET", "/v2/sims/"+ic+"/quota/data", nil).want(t, 200, "quota data v2")
	h.do("GET", "/v2/sims/"+ic+"/quota/sms", nil).want(t, 200, "quota sms v2")
	states := map[string]bool{}
	for i := range 30 { // every connectivity state, each in both generations' shape
		var st struct {
			Status struct{ Description string } `json:"status"`
		}
		h.do("GET", "/v2/sims/"+h.iccid(i)+"/status", nil).want(t, 200, "status v2").decode(t, &st)
		states[st.Status.Description] = true
		h.do("GET", "/v1/sims/"+h.iccid(i)+"/status", nil).want(t, 200, "status v1")
		h.do("GET", "/v1/sims/"+h.iccid(i)+"/connectivity_info?subscriber=true&ussd=true", nil).want(t, 200, "connectivity info")
	}
	for _, want := range []string{"ONLINE", "ATTACHED", "OFFLINE", "BLOCKED"} {
		if !states[want] {
			t.Errorf("no SIM of the fleet showed connectivity %s (saw %v)", want, states)
		}
	}
	var created struct {
		ID string `json:"id"`
	}
	h.do("POST", "/v2/sims/"+ic+"/sms", map[string]any{"payload": "v2 hello", "udh": "050003CC0301", "dcs": 0}).
		want(t, 201, "send sms v2").decode(t, &created)
	h.do("GET", "/v2/sims/"+ic+"/sms?page=1&per_page=50", nil).want(t, 200, "list sms v2")
	h.do("GET", "/v2/sims/"+ic+"/sms/"+created.ID, nil).want(t, 200, "get sms v2")
	h.do("DELETE", "/v2/sims/"+ic+"/sms/"+created.ID, nil).want(t, 200, "cancel sms v2")
	h.do("DELETE", "/v2/sims/"+ic+"/sms/"+created.ID, nil).want(t, 400, "cancel sms v2 twice")
	h.do("GET", "/v2/sims/"+ic+"/sms/999999", nil).want(t, 404, "get sms v2 unknown")
	h.do("GET", "/v2/sims/"+ic+"/events?page=1&pageSize=100", nil).want(t, 200, "events v2")
	h.do("POST", "/v2/sims/"+ic+"/topup", nil).want(t, 201, "topup v2")

	// Orders, products, support.
	h.do("GET", "/v1/products", nil).want(t, 200, "products")
	h.do("POST", "/v1/orders", map[string]any{"products": []map[string]any{{"productId": 1001, "quantity": 2}},
		"customer_reference": "PO-1", "delivery_address": map[string]any{"salutation": "2", "city": "Köln", "country": "DE"}}).
		want(t, 200, "create order")
	var orders []map[string]any
	h.do("GET", "/v1/orders?page=1&pageSize=10&sort=order_date", nil).want(t, 200, "list orders").decode(t, &orders)
	h.do("GET", fmt.Sprintf("/v1/orders/%.0f", orders[len(orders)-1]["order_number"]), nil).want(t, 200, "get order")
	h.do("GET", "/v1/orders/12", nil).want(t, 404, "get unknown order")
	h.do("POST", "/v1/support", map[string]any{"subject": "Connectivity", "text": "SIM offline", "senderName": "Ops",
		"replyToMail": "ops@example.com"}).want(t, 201, "create support")
	h.clock.Advance(2 * 24 * time.Hour)
	h.login()
	h.do("GET", "/v1/support?page=1&pageSize=10", nil).want(t, 200, "list support")

	for _, op := range c.Missing() {
		t.Errorf("operation never reached: %s (%s)", op.Key(), op.Spec)
	}
}

// lastMT returns the id of the newest MT SMS in a v1 SMS list.
func lastMT(t *testing.T, list []map[string]any) int64 {
	t.Helper()
	for i := len(list) - 1; i >= 0; i-- {
		if typ, _ := list[i]["sms_type"].(map[string]any); typ["description"] == "MT" {
			return int64(list[i]["id"].(float64))
		}
	}
	t.Fatalf("no MT SMS in %v", list)
	return 0
}

// TestContractBasePath checks that the API also answers under /management-api, 1NCE's base.
func TestContractBasePath(t *testing.T) {
	c := spectest.Optional(t)
	h := newHarness(t, oncesim.Options{}, c, basePath)
	res := h.do(http.MethodPost, basePath+"/oauth/token", map[string]string{"grant_type": "client_credentials"},
		func(r *http.Request) { r.SetBasicAuth(testID, testSecret) })
	res.want(t, 200, "token under base path")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	res.decode(t, &tok)
	h.token = tok.AccessToken
	h.do("GET", basePath+"/v2/sims?pageSize=3", nil).want(t, 200, "list under base path")
}
