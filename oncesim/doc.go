// Package oncesim is a stateful simulator of the 1NCE Management API, exact to 1NCE's official
// OpenAPI specs: OAuth, SIM Management v1 (23 operations) and v2 (13), orders, products and
// support. Every test, benchmark and demo of oncefleet runs against it, and anyone can use it to
// test their own 1NCE integration:
//
//	sim, err := oncesim.New(oncesim.Options{ClientID: "id", ClientSecret: "secret", Clock: oncesim.NewManualClock(start)})
//	srv := httptest.NewServer(sim) // base URL srv.URL or srv.URL+"/management-api"
//	defer sim.Close()
//
// # Quick start: testing your integration
//
//	go get github.com/oncefleet/oncefleet/oncesim
//
// Your code needs only a configurable base URL; it does not have to use package once. In a
// test, start a simulator, serve it over loopback and point your code at it:
//
//	func TestMyIntegration(t *testing.T) {
//		sim, err := oncesim.New(oncesim.Options{
//			Sims: 100, Seed: 1, ClientID: "test-id", ClientSecret: "test-secret",
//			Clock: oncesim.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
//		})
//		if err != nil {
//			t.Fatal(err)
//		}
//		srv := httptest.NewServer(sim)
//		t.Cleanup(func() { srv.Close(); _ = sim.Close() })
//
//		app := myapp.New(srv.URL, "test-id", "test-secret") // your code
//		…
//		sim.Advance(24 * time.Hour)                         // a simulated day of usage and events
//		st, _ := sim.SIM(sim.ICCIDs()[0])                   // what the account now holds
//	}
//
// The same Seed gives the same fleet and the same future, so assertions can be exact. To see
// how your code copes with 1NCE misbehaving, set Options.Faults (ParseFaults("503=0.1,
// reset=0.02,latency=200ms") …) or change them at run time through AdminHandler; Mode
// ModeV2Only plays an account that 1NCE has moved off v1; RateLimit and CommerceLimit enforce
// 1NCE's limits on the simulator's clock.
//
// # The account
//
// A Simulator plays one customer account with a deterministic fleet of Options.Sims SIMs
// (ICCID 8988280666000000000+n with its Luhn digit, IMSI 9014051…, MSISDN 8822851…, a fixed
// IP from 10.0.0.1 up, an IMEI, a label, Enabled or Disabled, an activation date up to three
// years back, and data and SMS quotas with a 10-year lifetime, partly used). The same Seed gives
// the same fleet and the same future. Per-SIM state is a compact struct in lock shards of 4096
// SIMs; identifiers are derived from the index when written, and events, SMS and daily usage
// live in a sparse side table, so a million SIMs start in well under a second.
//
// Usage is a pure function of (seed, SIM, day) per device profile — idle (a report of a few
// kB and a rare MO SMS), steady (0.2–3.2 MB) or bursty (a trickle and, one time in twenty, a
// burst of 5–50 MB). It is metered lazily up to "now" whenever a SIM is touched, by Advance,
// and (with a real clock) by a sweeper every SweepInterval; a read of a page meters a copy and
// records nothing. Metering in many steps gives exactly what one step gives.
//
// # Daily network activity
//
// On a simulated day a share of the devices (Options.NetworkActivity, default 30 %; which ones
// is again a function of seed, SIM and day) is active on the network: the device attaches
// ("Update location", source Network, with the operator and country it is on), opens one data
// session ("Create PDP Context") — steady and bursty devices sometimes two — in which the day's
// data flows at an even rate, closes it ("Delete PDP Context") the same day, and sends its MO
// SMS while attached; a third of the idle devices detach afterwards ("Purge location"). On its
// other days a device moves nothing. Connectivity follows: ONLINE while a session is open (v1
// and v2 status then show the PDP context), ATTACHED after an attach, OFFLINE for a detached
// device, BLOCKED for a disabled SIM. Usage records of a session carry its id (Activity.Session,
// Platform 2.0's ipcan_session_id), as do its PDP events. The simulation starts with no session
// open. Network events are kept compactly, the last 128 per SIM. A negative NetworkActivity
// turns this off: usage then flows evenly over every day and no network events are made.
//
// Metered usage drains the quotas: at 20 % left a "Threshold reached" event, at zero "Quota
// exhausted" (the session ends; no more data or MO SMS until a top-up; with auto top-up a
// TOPUP order refills it), at the end of the lifetime "Quota expired" (the SIM then refuses
// changes with 422 — v2: 409 — and only POST /v1/sims/extension helps). Every state change is
// an event, and every event and usage increment is an Activity for Subscribe's subscribers and
// the Data Streamer emitter.
//
// # Changes made outside the API
//
// What a colleague does in the 1NCE portal, and what devices do by themselves, a test provokes
// with Simulator.ChangeSIM (status, label, IMEI), SetOnline (connectivity lost or restored),
// MoveSIM (roaming to another country or operator) and AddUsage (data or MO SMS now, e.g. to
// cross a threshold or exhaust a quota at a chosen moment), or over HTTP at /_sim/sims/{iccid}
// (see AdminHandler). Each makes the events 1NCE would make.
//
// MT SMS to a reachable device (ONLINE or ATTACHED) are PENDING for 2–10 s, then DELIVERED;
// to an unreachable one they stay PENDING, retried every 15 minutes: DELIVERED at the first
// retry after the device attaches again, or EXPIRED (after a day unless expiry_date says
// otherwise); a pending SMS can be cancelled (then FAILED); with no
// SMS quota left it FAILS. Orders of SIM products deliver enabled SIMs at once (new ICCIDs
// continue the sequence). Support requests are OPEN, IN_PROGRESS after an hour and CLOSED after
// a day. Global limits take these ids (GET /v1/sims/{service}/limits answers the smallest
// option: its spec declares one Values_for_Limits object, not a list). The data limit shows in
// v2's data_traffic_limit_state once a SIM's metered use this month reaches it; the simulator
// reports limits but does not cut usage at them:
//
//	data:         1=16 MB 2=32 MB 3=64 MB 4=128 MB 5=256 MB 6=500 MB (monthly)
//	smsMT, smsMO: 1=10 2=50 3=100 4=250 SMS (monthly)
//
// # The API, as 1NCE answers it
//
// The handler serves the API at the root and under /management-api, the admin endpoint
// (AdminHandler: faults, clock, tokens and the SIM changes above) under /_sim/, and puts the
// fault injector (Options.Faults) in front of the API.
//
//   - OAuth: POST /oauth/token with HTTP Basic and {"grant_type":"client_credentials"}; errors
//     are 400 {"statusCode":400,"errorCode":…,"message":…} with AuthValidationError,
//     BodyValidationError, UnsupportedContentTypeError or BadCredentials. Each call issues a new
//     token of about 3,000 characters valid Options.TokenTTL; an unknown, expired or revoked
//     bearer token gets 401 {"message":"Unauthorized"}.
//   - Answers use only the statuses and bodies the specs list for the operation, with two
//     exceptions 1NCE's gateway makes too: 401/429/5xx anywhere, and 400 for input that cannot
//     be parsed (pageSize above 100 included) where the spec lists no 400. v1 errors have the
//     statusCode/errorCode/message shape, v2 errors the spec's error_code/error_token/message.
//     v1 DELETE …/sms/{id} documents no 404: an unknown SMS gets 403 there.
//   - Unknown routes, and in ModeV2Only every v1 SIM Management path, get HTTP 403
//     {"message":"Missing Authentication Token"}, as an AWS API Gateway answers.
//   - v1 lists carry X-Total-Count, X-Total-Pages, X-Current-Page and X-Count-Per-Page; page
//     sizes are bounded as each spec says (SIMs and SMS 100, events 1000, orders 10).
//   - Limits: Options.RateLimit requests per second for the whole account (burst the same),
//     and Options.CommerceLimit requests per client IP per 5 minutes on orders, products and
//     support; beyond them 429 {"message":"Too Many Requests"} with Retry-After in seconds.
//     Both run on the simulator's clock, so with a ManualClock they are exact. While the
//     account limit is on, POST /oauth/token allows 600 requests per client IP per minute.
//   - v2 events carry no "detail": its spec declares it a oneOf of schemas that any object
//     matches more than once, so no detail can validate.
package oncesim
