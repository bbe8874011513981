// Package once is a Go client for the 1NCE Management API: OAuth, SIM management (v2 first,
// v1 where v2 has no operation), orders, products and support — all 43 operations of 1NCE's
// official OpenAPI specs for them.
//
// # Quick start
//
//	go get github.com/oncefleet/oncefleet/once
//
//	c, err := once.New(os.Getenv("ONCE_CLIENT_ID"), os.Getenv("ONCE_CLIENT_SECRET"))
//	if err != nil { … }
//	for sim, err := range c.ListSIMs(ctx, once.SIMListOptions{}) {
//		if err != nil { … }
//		fmt.Println(sim.ICCID, sim.Status, sim.DataQuota.Total)
//	}
//
// The client needs no Close and is safe for concurrent use; create one per 1NCE account.
//
// # What the transport does for you
//
// Every call goes through one transport that knows 1NCE's rules: one OAuth token per account,
// cached until 10 minutes before it expires and refreshed once on a 401; a request budget at
// the account's rate (10/s by default) with priorities (WithPriority), shareable between
// processes (WithTokenStore, WithBudget; module github.com/oncefleet/oncefleet/once/onceredis
// has both on Redis); retries with exponential backoff and jitter for idempotent calls only;
// Retry-After on 429; a circuit breaker; 1NCE's 100-per-5-minutes limit for orders, products
// and support; redacted structured logs (WithLogger) and metrics hooks (WithHooks).
//
// # Three layers
//
// Client's methods are generation-independent: they pick v2 or v1 (WithAPI; mode auto prefers
// v2) and answer the domain types (SIM, Quota, SMS, Event, Connectivity …). V1 and V2 hold
// one method per operation of each generation, answering the wire types (V1SIM, V2SIM …) as
// 1NCE sent them; package wire has the JSON helper types those are made of.
//
// # Naming
//
// ListX returns an iterator (iter.Seq2[T, error]) that fetches pages as the loop goes; XPage
// returns one page and its Page (totals from 1NCE's headers) and takes a params struct. Every
// call takes at most one value besides its context; calls with more inputs take a struct
// (TopUpParams, UsageParams, SMSRef …), so that new inputs are new fields. Every write returns
// a struct with what 1NCE answered. Per-call settings travel in the context: its deadline, the
// call's priority (WithPriority) and an observer of its requests (ObserveRequests).
//
// # Errors
//
// Errors match sentinels with errors.Is: ErrNotFound, ErrAuth, ErrTimeout (also when a
// limiter's wait would pass the context's deadline, which then also matches
// context.DeadlineExceeded), ErrUnavailable (breaker open), ErrUnsupported (the operation needs
// a generation the account or client lacks; nothing was sent) and ErrInvalidInput (refused
// before sending). errors.As gives *APIError (status, 1NCE's code and message, request id),
// *RateLimitError (a 429 with its Retry-After) and *UnsupportedError. Nothing is dropped
// silently: an option a generation cannot honour (a Sort on v2) fails with ErrUnsupported, and
// the SDK never sends a request the caller did not ask for.
//
// # Calls that cost money
//
// Top-ups (TopUp, TopUpMultiple), orders (CreateOrder) and extensions (Extension) are never
// re-sent once they may have reached 1NCE, and their result says what became of them, also on
// error: OutcomeDone, OutcomeNotSent (certainly nothing booked: safe to try again) or
// OutcomeUnknown (the request may have been booked: the error matches ErrOutcomeUnknown, and
// the result carries AttemptedAt and the SIMs or order reference to reconcile with ListOrders
// before trying again). SendSMS reports its outcome the same way, and the error of every other
// write matches ErrOutcomeUnknown when the request may have reached 1NCE without an answer.
//
// # Testing
//
// Module github.com/oncefleet/oncefleet/oncesim is a stateful simulator of the same API; point
// a client at it with WithBaseURL (see the examples) to test your integration without an
// account, including faults (timeouts, resets, 5xx, 429) and a retired v1.
package once
