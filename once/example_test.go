package once_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
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

// Configure a client: the account's rate, the API generation, timeouts, retries and a logger.
// Every option has a default that suits one process talking to 1NCE.
func ExampleNew() {
	srv, stop := simulator(10)
	defer stop()
	c, err := once.New("client-id", "client-secret",
		once.WithBaseURL(srv.URL), // leave out for 1NCE's production API
		once.WithAPI(once.APIAuto),
		once.WithRate(10, 10), // requests per second for the whole account, and burst
		once.WithTimeout(20*time.Second),
		once.WithRetryPolicy(once.RetryPolicy{MaxAttempts: 4, InitialInterval: 200 * time.Millisecond, MaxInterval: 5 * time.Second, Multiplier: 2}),
		once.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	)
	if err != nil {
		log.Fatal(err)
	}
	sim, err := c.GetSIM(context.Background(), "8988280666000000001")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sim.ICCID, sim.Source)
	// Output: 8988280666000000001 v2
}

// Tell errors apart with errors.Is and errors.As.
func ExampleAPIError() {
	srv, stop := simulator(10)
	defer stop()
	c, err := once.New("client-id", "client-secret", once.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	_, err = c.GetSIM(ctx, "8988280666999999999")
	var ae *once.APIError
	fmt.Println(errors.Is(err, once.ErrNotFound), errors.As(err, &ae) && ae.Status == 404)

	_, err = c.GetSIM(ctx, "not-an-iccid")
	fmt.Println(errors.Is(err, once.ErrInvalidInput)) // refused before sending

	// Only v1 sorts events; where the call goes to v2 the option fails instead of being dropped.
	for _, err := range c.ListEvents(ctx, once.EventListOptions{ICCID: "8988280666000000001", Sort: "-timestamp"}) {
		fmt.Println(errors.Is(err, once.ErrUnsupported))
		break
	}
	// Output:
	// true true
	// true
	// true
}

// Read one page at a time when you keep your own cursor (a UI, a resumable job); the List…
// iterators walk every page for you.
func ExampleV2_SIMsPage() {
	srv, stop := simulator(25)
	defer stop()
	c, err := once.New("client-id", "client-secret", once.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for page := 1; ; page++ {
		sims, pg, err := c.V2().SIMsPage(ctx, once.SIMsPageParams{Page: page, PageSize: 10})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("page %d of %d: %d SIMs\n", pg.Number, pg.TotalPages, len(sims))
		if pg.TotalPages >= 0 && page >= pg.TotalPages || len(sims) < 10 {
			break
		}
	}
	// Output:
	// page 1 of 3: 10 SIMs
	// page 2 of 3: 10 SIMs
	// page 3 of 3: 5 SIMs
}

// Test your own code against the simulator: a deterministic account on loopback, with a
// manual clock, and faults when you want them (here: every third request answers 503).
func Example_testingAgainstOncesim() {
	faults, err := oncesim.ParseFaults("503=0.33")
	if err != nil {
		log.Fatal(err)
	}
	sim, err := oncesim.New(oncesim.Options{
		Sims: 5, Seed: 1, ClientID: "test-id", ClientSecret: "test-secret",
		Clock: oncesim.NewManualClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)), Faults: faults,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	srv := httptest.NewServer(sim)
	defer srv.Close()

	c, err := once.New("test-id", "test-secret", once.WithBaseURL(srv.URL),
		once.WithRetryPolicy(once.RetryPolicy{MaxAttempts: 8, InitialInterval: time.Millisecond, MaxInterval: 10 * time.Millisecond, Multiplier: 2}))
	if err != nil {
		log.Fatal(err)
	}
	n := 0
	for _, err := range c.ListSIMs(context.Background(), once.SIMListOptions{}) {
		if err != nil {
			log.Fatal(err) // reads are retried through the 503s
		}
		n++
	}
	fmt.Println(n, "SIMs")
	// Output: 5 SIMs
}
