package contract

import (
	"context"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/spectest"
	"github.com/oncefleet/oncefleet/once"
	"github.com/oncefleet/oncefleet/oncesim"
)

// TestContract calls every operation of the five specs in scope through the real client
// (public API only) against a server whose every request and answer is validated with
// kin-openapi against 1NCE's official files, and fails if any operation was not reached. It
// runs against the simulator (oncesim), so that both the client's requests and the simulator's
// answers are held to the spec. (The SDK's own wire fixtures are checked by once's tests.)
func TestContract(t *testing.T) {
	contract := spectest.Load(t)
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	sim, err := oncesim.New(oncesim.Options{
		Sims: 20, Seed: 7, ClientID: "fleet-id", ClientSecret: "fleet-secret",
		Clock: oncesim.NewManualClock(start), RateLimit: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	srv := httptest.NewServer(contract.Middleware(t, "", sim))
	t.Cleanup(srv.Close)
	newClient := func(mode once.APIMode) *once.Client {
		c, err := once.New("fleet-id", "fleet-secret", once.WithBaseURL(srv.URL), once.WithAPI(mode), once.WithRate(math.Inf(1), 0))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	callEveryOperation(t, newClient(once.APIV1), newClient(once.APIAuto))

	covered := contract.Covered()
	for _, op := range contract.Operations() {
		if n := covered[op.Key()]; n > 0 {
			t.Logf("covered %-45s %-28s %d request(s)", op.Key(), op.OperationID, n)
		}
	}
	if missing := contract.Missing(); len(missing) > 0 {
		for _, op := range missing {
			t.Errorf("operation not covered: %s (%s, %s)", op.Key(), op.Spec, op.OperationID)
		}
	}
}

// callEveryOperation runs each operation once or more: v1 through a client in mode v1 and the
// v1-only methods, v2 through a client in the default mode.
func callEveryOperation(t *testing.T, v1, v2 *once.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}

	// Both list generations; the first SIMs serve the per-SIM calls.
	var iccids []string
	for s, err := range v2.ListSIMs(ctx, once.SIMListOptions{ListOptions: once.ListOptions{PageSize: 5}}) {
		if err != nil {
			t.Fatalf("v2 list SIMs: %v", err)
		}
		iccids = append(iccids, s.ICCID)
	}
	if len(iccids) < 4 {
		t.Fatalf("only %d SIMs listed", len(iccids))
	}
	n := 0
	for s, err := range v1.ListSIMs(ctx, once.SIMListOptions{ListOptions: once.ListOptions{PageSize: 100}}) {
		check("v1 list SIMs", err)
		if err == nil && s.Source != once.GenV1 {
			t.Errorf("v1 list answered by %s", s.Source)
		}
		n++
	}
	if n != len(iccids) {
		t.Errorf("v1 listed %d SIMs, v2 %d", n, len(iccids))
	}
	a, b, c, d := iccids[0], iccids[1], iccids[2], iccids[3]

	for _, cl := range []*once.Client{v1, v2} {
		_, err := cl.GetSIM(ctx, a)
		check("get SIM", err)
		label := "contract-" + a[len(a)-4:]
		_, err = cl.UpdateSIM(ctx, once.SIMUpdate{ICCID: a, Status: once.SIMEnabled, Label: &label})
		check("update SIM", err)
		_, err = cl.Connectivity(ctx, a)
		check("SIM status", err)
		_, err = cl.DataQuota(ctx, a)
		check("data quota", err)
		_, err = cl.SMSQuota(ctx, a)
		check("SMS quota", err)
		for _, err := range cl.ListEvents(ctx, once.EventListOptions{ICCID: a, ListOptions: once.ListOptions{PageSize: 50}}) {
			check("events", err)
		}
		_, err = cl.Reset(ctx, a)
		check("reset", err)
		_, err = cl.TopUp(ctx, once.TopUpParams{ICCID: a, PaymentMethod: once.PayBankTransfer})
		check("top-up", err)

		// SMS: send, list, read one, cancel it.
		sent, err := cl.SendSMS(ctx, once.SMSMessage{ICCID: b, SourceAddress: "1234", Payload: "contract test", SourceAddressType: &once.SourceAddressTypeInput{ID: once.SourceNational}})
		check("send SMS", err)
		smsID := sent.ID
		for m, err := range cl.ListSMS(ctx, once.SMSListOptions{ICCID: b}) {
			check("list SMS", err)
			if err == nil && smsID == 0 {
				smsID = m.ID
			}
		}
		if smsID == 0 {
			t.Errorf("no SMS id to read")
			continue
		}
		_, err = cl.GetSMS(ctx, once.SMSRef{ICCID: b, ID: smsID})
		check("get SMS", err)
		_, err = cl.CancelSMS(ctx, once.SMSRef{ICCID: b, ID: smsID})
		check("cancel SMS", err)
	}

	// v1-only operations.
	_, err := v2.UpdateSIMs(ctx, []once.SIMUpdate{{ICCID: c, Status: once.SIMEnabled}, {ICCID: d, Status: once.SIMEnabled}})
	check("update SIMs", err)
	_, err = v2.Transfer(ctx, once.SIMTransfer{TargetOrganisation: 2000000001, ICCIDs: []string{d}, ICCIDRanges: []once.ICCIDRange{{From: c, To: c}}})
	check("transfer", err)
	yes := true
	_, err = v2.ConnectivityInfo(ctx, once.ConnectivityInfoParams{ICCID: c, Subscriber: &yes, USSD: &yes})
	check("connectivity info", err)
	_, err = v2.Usage(ctx, once.UsageParams{ICCID: c, Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)})
	check("usage", err)
	_, err = v2.TopUpMultiple(ctx, once.TopUpMultipleParams{ICCIDs: []string{c, d}})
	check("top-up multiple", err)
	_, err = v2.AutoTopUp(ctx, once.AutoTopUpRequest{Enabled: true, ICCIDs: []string{c}})
	check("auto top-up", err)
	sel, err := v2.SelectableLimits(ctx, once.LimitData)
	check("selectable limits", err)
	req := once.SetLimitsRequest{DataLimitID: 1}
	if sel.Data != nil && sel.Data.ID > 0 {
		req.DataLimitID = sel.Data.ID
	}
	_, err = v2.SetLimits(ctx, req)
	check("set limits", err)
	_, err = v2.Limits(ctx)
	check("limits", err)
	_, err = v2.Extension(ctx, once.ExtensionRequest{ICCIDs: []string{c}, PaymentMethod: once.PayBankTransfer})
	check("extension", err)

	// Orders, products, support.
	products, err := v2.Products(ctx)
	check("products", err)
	productID := int64(1001)
	if len(products) > 0 {
		productID = products[0].ID
	}
	_, err = v2.CreateOrder(ctx, once.OrderRequest{Products: []once.OrderedProduct{{ProductID: productID, Quantity: 1}}, CustomerReference: "contract"})
	check("create order", err)
	var orderNumber int64
	for o, err := range v2.ListOrders(ctx, once.ListOptions{}) {
		check("list orders", err)
		if err == nil && orderNumber == 0 {
			orderNumber = int64(o.OrderNumber)
		}
	}
	if orderNumber == 0 {
		t.Error("no order listed")
	} else {
		_, err = v2.GetOrder(ctx, orderNumber)
		check("get order", err)
	}
	_, err = v2.CreateSupportRequest(ctx, once.NewSupportRequest{Subject: "Contract", Text: "Opened by the contract test.", SenderName: "oncefleet", ReplyToMail: "ops@example.com"})
	check("create support request", err)
	for _, err := range v2.ListSupportRequests(ctx, once.ListOptions{}) {
		check("list support requests", err)
	}
}
