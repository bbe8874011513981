// Command tour calls every operation of the 1NCE SIM Management API that package once covers
// (43: authorization, SIM management v1 and v2, orders, products, support) against a simulated
// account from package oncesim over real HTTP on loopback, the way a program of yours would
// test its 1NCE integration without an account. It prints each operation it reached and fails
// when one failed or was not reached.
package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/oncefleet/oncefleet/once"
	"github.com/oncefleet/oncefleet/oncesim"
)

// operations is how many operations the official 1NCE specs in scope have.
const operations = 43

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tour:", err)
		os.Exit(1)
	}
}

func run() error {
	// A simulated account of 20 SIMs; the manual clock makes every run the same.
	sim, err := oncesim.New(oncesim.Options{
		Sims: 20, Seed: 7, ClientID: "tour-id", ClientSecret: "tour-secret",
		Clock: oncesim.NewManualClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)), RateLimit: -1,
	})
	if err != nil {
		return err
	}
	defer sim.Close()
	srv := httptest.NewServer(sim)
	defer srv.Close()

	// Which operations answered, from the client's request hook.
	var mu sync.Mutex
	reached := map[string]int{}
	hooks := once.Hooks{Request: func(r once.RequestInfo) {
		if r.Status >= 200 && r.Status < 300 {
			mu.Lock()
			reached[r.Op]++
			mu.Unlock()
		}
	}}
	newClient := func(mode once.APIMode) (*once.Client, error) {
		return once.New("tour-id", "tour-secret", once.WithBaseURL(srv.URL), once.WithAPI(mode),
			once.WithRate(math.Inf(1), 0), once.WithHooks(hooks))
	}
	v1, err := newClient(once.APIV1)
	if err != nil {
		return err
	}
	v2, err := newClient(once.APIAuto)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := tour(ctx, v1, v2, sim.ICCIDs()); err != nil {
		return err
	}

	ops := make([]string, 0, len(reached))
	for op := range reached {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		fmt.Printf("ok %-28s %d request(s)\n", op, reached[op])
	}
	fmt.Printf("%d of %d operations reached\n", len(ops), operations)
	if len(ops) != operations {
		return fmt.Errorf("reached %d operations, want %d", len(ops), operations)
	}
	return nil
}

// tour runs each operation once or more: the generation-independent methods through a client
// in mode v1 and one in mode auto (v2), then the v1-only ones, orders, products and support.
func tour(ctx context.Context, v1, v2 *once.Client, iccids []string) error {
	var errs []error
	check := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	a, b, c, d := iccids[0], iccids[1], iccids[2], iccids[3]

	for _, cl := range []*once.Client{v1, v2} {
		for _, err := range cl.ListSIMs(ctx, once.SIMListOptions{ListOptions: once.ListOptions{PageSize: 5}}) {
			check("list SIMs", err)
		}
		_, err := cl.GetSIM(ctx, a)
		check("get SIM", err)
		label := "tour"
		_, err = cl.UpdateSIM(ctx, once.SIMUpdate{ICCID: a, Status: once.SIMEnabled, Label: &label})
		check("update SIM", err)
		_, err = cl.Connectivity(ctx, a)
		check("connectivity", err)
		_, err = cl.DataQuota(ctx, a)
		check("data quota", err)
		_, err = cl.SMSQuota(ctx, a)
		check("SMS quota", err)
		for _, err := range cl.ListEvents(ctx, once.EventListOptions{ICCID: a, ListOptions: once.ListOptions{PageSize: 50}}) {
			check("events", err)
		}
		_, err = cl.Reset(ctx, a)
		check("reset", err)
		res, err := cl.TopUp(ctx, once.TopUpParams{ICCID: a, PaymentMethod: once.PayBankTransfer})
		check("top-up", err)
		if err == nil && res.Outcome != once.OutcomeDone {
			check("top-up outcome", fmt.Errorf("%s", res.Outcome))
		}

		// SMS: send, list, read it back, cancel it.
		sent, err := cl.SendSMS(ctx, once.SMSMessage{ICCID: b, SourceAddress: "1234", Payload: "tour",
			SourceAddressType: &once.SourceAddressTypeInput{ID: once.SourceNational}})
		check("send SMS", err)
		ref := sent.SMSRef
		for m, err := range cl.ListSMS(ctx, once.SMSListOptions{ICCID: b}) {
			check("list SMS", err)
			if err == nil && ref.ID == 0 && m.Direction == once.SMSMobileTerminated {
				ref = once.SMSRef{ICCID: b, ID: m.ID}
			}
		}
		_, err = cl.GetSMS(ctx, ref)
		check("get SMS", err)
		_, err = cl.CancelSMS(ctx, ref)
		check("cancel SMS", err)
	}

	// v1-only operations (a client in mode auto sends them to v1 while the account has it).
	_, err := v2.UpdateSIMs(ctx, []once.SIMUpdate{{ICCID: c, Status: once.SIMEnabled}, {ICCID: d, Status: once.SIMEnabled}})
	check("update SIMs", err)
	_, err = v2.Transfer(ctx, once.SIMTransfer{TargetOrganisation: 2000000001, ICCIDs: []string{d}})
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
	_, err = v2.CreateOrder(ctx, once.OrderRequest{Products: []once.OrderedProduct{{ProductID: productID, Quantity: 1}}, CustomerReference: "tour"})
	check("create order", err)
	var orderNumber int64
	for o, err := range v2.ListOrders(ctx, once.ListOptions{}) {
		check("list orders", err)
		if err == nil && orderNumber == 0 {
			orderNumber = int64(o.OrderNumber)
		}
	}
	_, err = v2.GetOrder(ctx, orderNumber)
	check("get order", err)
	_, err = v2.CreateSupportRequest(ctx, once.NewSupportRequest{Subject: "Tour", Text: "Opened by the tour.", SenderName: "tour", ReplyToMail: "ops@example.com"})
	check("create support request", err)
	for _, err := range v2.ListSupportRequests(ctx, once.ListOptions{}) {
		check("list support requests", err)
	}
	return errors.Join(errs...)
}
