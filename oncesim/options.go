package oncesim

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Mode is the account generation the simulator plays: which API paths the account still has.
type Mode string

const (
	// ModeV1V2 is today's account: both the v1 and the v2 SIM Management paths answer.
	ModeV1V2 Mode = "v1+v2"
	// ModeV2Only is an account after the Platform 2.0 migration. Its v1 SIM Management paths
	// answer HTTP 403 {"message":"Missing Authentication Token"}: that is what an AWS API
	// Gateway (which fronts 1NCE's Management API) answers for a route it does not know, and it
	// is our assumption of how 1NCE will answer retired v1 paths — 1NCE has not documented it.
	// Orders, products and support stay on /v1 in both modes: they are not SIM Management.
	ModeV2Only Mode = "v2-only"
)

// ParseMode reads an account mode as a flag or setting spells it ("v1+v2" or "v2-only").
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeV1V2, ModeV2Only:
		return m, nil
	}
	return "", fmt.Errorf("oncesim: unknown account mode %q (want %q or %q)", s, ModeV1V2, ModeV2Only)
}

// Defaults applied by New to zero Options fields.
const (
	DefaultSims          = 500
	DefaultTokenTTL      = 3600 * time.Second
	DefaultRateLimit     = 10.0 // requests per second, account-wide, as 1NCE documents
	DefaultCommerceLimit = 100  // requests per CommerceWindow on orders, products and support
	// CommerceWindow is the window of the orders/products/support limit (1NCE: 100 per 5 min).
	CommerceWindow       = 5 * time.Minute
	DefaultSweepInterval = time.Minute
	// DefaultNetworkActivity is the share of SIMs whose devices are active on the network on a
	// simulated day (attach, data sessions, data and MO SMS).
	DefaultNetworkActivity = 0.3
)

// Clock tells the simulator what time it is. Usage, quota expiry, token expiry, SMS delivery
// and the rate limits all read it, so a ManualClock makes a test fully deterministic.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// ManualClock is a Clock that moves only when told to. It is safe for concurrent use.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock standing at start.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{now: start} }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (a negative d is ignored: simulated time never runs
// backwards, or usage already metered would be metered again).
func (c *ManualClock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Options configure a Simulator. The zero value of every field but ClientID and ClientSecret
// selects the documented default.
type Options struct {
	// Sims is the size of the seeded fleet (default 500). ICCIDs are 8988280666000000000+n.
	Sims int
	// Seed makes the fleet, its usage and its SMS delivery deterministic: the same Seed and the
	// same sequence of calls and clock moves give the same answers.
	Seed int64
	// Clock is the simulator's time (default: real time). Use NewManualClock in tests and move
	// it with Simulator.Advance.
	Clock Clock
	// ClientID and ClientSecret are the only credentials POST /oauth/token accepts (required).
	ClientID     string
	ClientSecret string
	// TokenTTL is the lifetime of issued bearer tokens (default 3600 s, as 1NCE).
	TokenTTL time.Duration
	// Mode is the account mode (default ModeV1V2).
	Mode Mode
	// RateLimit is the account-wide request rate in requests per second, shared by every client
	// (default 10, as 1NCE). Zero selects the default; a negative value disables the limit. A
	// command line that documents "--rate-limit 0 disables" passes a negative value here.
	RateLimit float64
	// CommerceLimit is how many requests orders, products and support accept per client IP in
	// CommerceWindow (default 100, as 1NCE). Zero selects the default; negative disables it.
	CommerceLimit int
	// SweepInterval is how often, with a real clock, the simulator meters usage of every SIM
	// so that events and usage records reach subscribers without anyone asking for the SIM
	// (default 1 minute). With a ManualClock, Advance meters instead and no sweeper runs.
	SweepInterval time.Duration
	// NetworkActivity is the share of SIMs whose devices are active on the network on a
	// simulated day (default 0.3, at most 1). An active device attaches ("Update location"),
	// opens one or two data sessions ("Create PDP Context" … "Delete PDP Context") in which its
	// data flows, and sends its MO SMS; on other days it moves nothing. Which SIMs are active
	// on which day is a function of Seed, SIM and day. Zero selects the default; a negative
	// value turns sessions off: usage then flows evenly over every day and no network events
	// are made (the model before sessions existed).
	NetworkActivity float64
	// Faults are injected in front of the API from the start (default: none); change them at
	// run time through Simulator.Faults or PUT /_sim/faults.
	Faults Faults
	// Streamer, when set, runs a Data Streamer emitter that pushes every Activity to the
	// configured URL(s); Close stops it.
	Streamer *EmitterOptions
	// Logger receives operational logs (default: discard). Secrets are never logged.
	Logger *slog.Logger
}

func (o *Options) applyDefaults() {
	if o.Sims == 0 {
		o.Sims = DefaultSims
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = DefaultTokenTTL
	}
	if o.Mode == "" {
		o.Mode = ModeV1V2
	}
	if o.RateLimit == 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.CommerceLimit == 0 {
		o.CommerceLimit = DefaultCommerceLimit
	}
	if o.NetworkActivity == 0 {
		o.NetworkActivity = DefaultNetworkActivity
	}
	if o.SweepInterval == 0 {
		o.SweepInterval = DefaultSweepInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(discardHandler{})
	}
}

// discardHandler drops every record before it is built (Go 1.23 has no slog.DiscardHandler; a
// text handler on io.Discard would still format each record only to throw it away).
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
