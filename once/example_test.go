package once_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/oncefleet/oncefleet/once"
	"github.com/oncefleet/oncefleet/oncesim"
)

// simulator serves a deterministic simulated 1NCE account of n SIMs on loopback. Real programs
// leave out WithBaseURL and talk to 1NCE.
func simulator(n int) (*httptest.Server, func()) {
	sim, err := oncesim.New(oncesim.Options{
		Sims: n, Seed: 1, ClientID: "client-id", ClientSecret: "client-secret",
		Clock: oncesim.NewManualClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)),
	})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	return srv, func() { srv.Close(); _ = sim.Close() }
}

// List every SIM of the account. The iterator fetches pages of 100 as the loop goes; v2 is
// used unless the client is configured for v1.
func ExampleClient_ListSIMs() {
	srv, stop := simulator(250)
	defer stop()
	c, err := once.New("client-id", "client-secret", once.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	total, enabled := 0, 0
	var quota int64
	for sim, err := range c.ListSIMs(ctx, once.SIMListOptions{}) {
		if err != nil {
			log.Fatal(err)
		}
		total++
		if sim.Status == once.SIMEnabled {
			enabled++
		}
		quota += sim.DataQuota.Total // bytes, whatever generation answered
	}
	fmt.Printf("%d SIMs, %d enabled, %.1f GiB of data quota left\n", total, enabled, float64(quota)/(1<<30))
	// Output: 250 SIMs, 237 enabled, 75.3 GiB of data quota left
}

// Top up a SIM and look at the order 1NCE created. A top-up costs money: the client never
// sends it twice, even when the answer is lost.
func ExampleClient_TopUp() {
	srv, stop := simulator(10)
	defer stop()
	c, err := once.New("client-id", "client-secret", once.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	const iccid = "8988280666000000001"

	before, err := c.DataQuota(ctx, iccid)
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.TopUp(ctx, once.TopUpParams{ICCID: iccid, PaymentMethod: once.PayBankTransfer})
	switch {
	case res.Outcome == once.OutcomeUnknown:
		// It may be booked: reconcile with the orders around res.AttemptedAt before retrying.
		log.Fatalf("top-up of %v at %v: %v", res.ICCIDs, res.AttemptedAt, err)
	case err != nil: // OutcomeNotSent: nothing was booked, safe to try again
		log.Fatal(err)
	}
	order, err := c.GetOrder(ctx, res.OrderNumber)
	if err != nil {
		log.Fatal(err)
	}
	after, err := c.DataQuota(ctx, iccid)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("order type:", order.OrderType)
	fmt.Println("quota grew:", after.Remaining > before.Remaining)
	// Output:
	// order type: TOPUP
	// quota grew: true
}

// Send an SMS to a device and read back its delivery state.
func ExampleClient_SendSMS() {
	srv, stop := simulator(10)
	defer stop()
	c, err := once.New("client-id", "client-secret", once.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	const iccid = "8988280666000000001"

	sent, err := c.SendSMS(ctx, once.SMSMessage{
		ICCID:             iccid,
		SourceAddress:     "oncefleet",
		SourceAddressType: &once.SourceAddressTypeInput{ID: once.SourceAlphanumeric},
		Payload:           "reboot",
	})
	if err != nil {
		log.Fatal(err)
	}
	sms, err := c.GetSMS(ctx, sent.SMSRef)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sms.Direction, sms.Status, sms.Payload)
	// Output: MT PENDING reboot
}
