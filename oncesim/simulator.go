package oncesim

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Simulator is a stateful simulation of one 1NCE customer account behind the Management API.
// It is an http.Handler serving the API both at the root and under /management-api (1NCE's base
// path), so clients configured with either base URL work. Create it with New; it is safe for
// concurrent use.
type Simulator struct {
	opts   Options
	clock  Clock
	manual *ManualClock
	fleet  *fleet

	eventIDs    atomic.Int64
	activityIDs atomic.Int64
	smsIDs      atomic.Int64

	tokMu  sync.Mutex
	tokens map[string]int64 // bearer token → expiry (Unix nanoseconds)

	limiter       *rate.Limiter            // nil: account limit disabled
	comMu         sync.Mutex               // guards both per-IP limiter sets
	comLimiters   map[string]*rate.Limiter // orders/products/support, by client IP
	oauthLimiters map[string]*rate.Limiter // token endpoint, by client IP

	pubMu    sync.Mutex // guards pubQueue and draining
	pubQueue []Activity
	draining bool
	subMu    sync.RWMutex
	subs     []func(Activity)
	hasSubs  atomic.Bool

	acct account

	handler     http.Handler
	faults      *FaultInjector
	emitter     *Emitter
	stopEmitter func()
	stop        chan struct{}
	done        chan struct{}
	closeOnce   sync.Once
}

// New builds a simulator with a seeded fleet of opts.Sims SIMs as of the clock's now.
func New(opts Options) (*Simulator, error) {
	if opts.ClientID == "" || opts.ClientSecret == "" {
		return nil, errors.New("oncesim: ClientID and ClientSecret are required")
	}
	if strings.ContainsRune(opts.ClientID, ':') {
		return nil, errors.New("oncesim: ClientID must not contain ':' (HTTP Basic cannot carry it)")
	}
	started := time.Now()
	opts.applyDefaults()
	if opts.Sims < 0 || opts.Sims > maxFleet {
		return nil, fmt.Errorf("oncesim: Sims must be between 0 and %d, got %d", maxFleet, opts.Sims)
	}
	if opts.Mode != ModeV1V2 && opts.Mode != ModeV2Only {
		return nil, fmt.Errorf("oncesim: unknown Mode %q (want %q or %q)", opts.Mode, ModeV1V2, ModeV2Only)
	}
	if opts.TokenTTL < 0 {
		return nil, fmt.Errorf("oncesim: TokenTTL must be positive, got %s", opts.TokenTTL)
	}
	if opts.NetworkActivity > 1 || opts.NetworkActivity != opts.NetworkActivity {
		return nil, fmt.Errorf("oncesim: NetworkActivity must be at most 1, got %v", opts.NetworkActivity)
	}
	if opts.SweepInterval < 0 {
		return nil, fmt.Errorf("oncesim: SweepInterval must be positive, got %s", opts.SweepInterval)
	}
	s := &Simulator{
		opts:        opts,
		clock:       opts.Clock,
		tokens:      map[string]int64{},
		comLimiters: map[string]*rate.Limiter{},
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	s.manual, _ = opts.Clock.(*ManualClock)
	s.eventIDs.Store(firstEventID)
	now := s.now()
	s.fleet = newFleet(opts.Seed, opts.Sims, now, max(opts.NetworkActivity, 0))
	s.acct.init(now)
	if opts.RateLimit > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(opts.RateLimit), max(1, int(opts.RateLimit)))
	}
	if err := s.wire(); err != nil {
		return nil, err
	}
	opts.Logger.Info("oncesim: simulator ready", "sims", opts.Sims, "mode", string(opts.Mode),
		"rate_limit", opts.RateLimit, "streamer", opts.Streamer != nil, "startup", time.Since(started))
	if s.manual == nil {
		go s.sweeper()
	} else {
		close(s.done)
	}
	return s, nil
}

// maxFleet bounds the fleet so that derived IMSIs, MSISDNs and IPs stay unique (and the IPs
// inside 10.0.0.0/8).
const maxFleet = 10_000_000

func (s *Simulator) now() int64 { return s.clock.Now().Unix() }

// ServeHTTP serves the Management API (and the admin endpoint under /_sim/ when wired).
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Close stops the background sweeper and the Data Streamer emitter. The handler keeps
// answering; Close is idempotent.
func (s *Simulator) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		if s.stopEmitter != nil {
			s.stopEmitter()
		}
	})
	return nil
}

// sweeper meters every SIM periodically under a real clock, so events and usage reach
// subscribers without anyone asking for the SIMs.
func (s *Simulator) sweeper() {
	defer close(s.done)
	t := time.NewTicker(s.opts.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.meterAll()
		}
	}
}

// Advance moves a ManualClock forward by d and meters every SIM up to the new time, so events
// and usage records of the interval are published before Advance returns. With a real clock
// it only meters (the clock moves by itself).
func (s *Simulator) Advance(d time.Duration) {
	if s.manual != nil {
		s.manual.Advance(d)
	}
	s.meterAll()
}

// meterAll meters every SIM up to now, one shard at a time.
func (s *Simulator) meterAll() {
	now := s.now()
	s.fleet.mu.RLock()
	shards := append([]*shard(nil), s.fleet.shards...)
	base := 0
	s.fleet.mu.RUnlock()
	for _, sh := range shards {
		fx := &effects{publish: s.hasSubs.Load()}
		sh.mu.Lock()
		for off := range sh.sims {
			s.meter(sh, off, base+off, &sh.sims[off], now, true, fx)
		}
		n := len(sh.sims)
		sh.mu.Unlock()
		base += n
		s.finish(fx)
	}
}

// Subscribe registers fn to receive every Activity (event or usage) from now on, in the order
// of their ids. fn is called one activity at a time, never while the simulator holds a lock,
// from the goroutine that caused the activity (or, when another goroutine is already
// delivering, from that one), so it may call back into the simulator; it must not block long.
func (s *Simulator) Subscribe(fn func(Activity)) {
	s.subMu.Lock()
	s.subs = append(s.subs, fn)
	s.subMu.Unlock()
	s.hasSubs.Store(true)
}

// finish publishes what metering or an operation produced and books automatic top-ups.
func (s *Simulator) finish(fx *effects) {
	for _, t := range fx.topUps {
		s.acct.addOrder(t.at, orderTopUp, nil, []int{t.idx}, "", nil)
	}
	if len(fx.acts) == 0 {
		return
	}
	// Ids are given in queue order and one goroutine at a time drains the queue, so
	// subscribers see ids strictly increasing; a subscriber that causes activity itself only
	// queues it (no re-entrant deadlock), and the drain in progress delivers it.
	s.pubMu.Lock()
	for _, a := range fx.acts {
		a.ID = s.activityIDs.Add(1)
		s.pubQueue = append(s.pubQueue, a)
	}
	if s.draining {
		s.pubMu.Unlock()
		return
	}
	s.draining = true
	for len(s.pubQueue) > 0 {
		batch := s.pubQueue
		s.pubQueue = nil
		s.pubMu.Unlock()
		s.subMu.RLock()
		subs := s.subs
		s.subMu.RUnlock()
		for _, a := range batch {
			for _, fn := range subs {
				fn(a)
			}
		}
		s.pubMu.Lock()
	}
	s.draining = false
	s.pubMu.Unlock()
}

// ICCIDs returns every ICCID of the fleet in order.
func (s *Simulator) ICCIDs() []string {
	n := s.fleet.size()
	out := make([]string, n)
	for i := range n {
		out[i] = iccidOf(i)
	}
	return out
}

// RevokeTokens invalidates every bearer token issued so far, as when 1NCE rotates the
// account's credentials: the next call with an old token gets 401.
func (s *Simulator) RevokeTokens() {
	s.tokMu.Lock()
	clear(s.tokens)
	s.tokMu.Unlock()
}

// QuotaState is a snapshot of one quota (data in MB, SMS in messages).
type QuotaState struct {
	Remaining float64 `json:"remaining"`
	Total     float64 `json:"total"`
	// Status is ACTIVE, EXHAUSTED or EXPIRED (v2's names).
	Status           string    `json:"status"`
	Expiry           time.Time `json:"expiry"`
	ThresholdReached time.Time `json:"threshold_reached"` // zero: not reached in this cycle
	Exhausted        time.Time `json:"exhausted"`         // zero: not exhausted
}

// SIMState is a snapshot of one simulated SIM, for tests, the CLI and GET /_sim/sims/{iccid}.
type SIMState struct {
	ICCID     string `json:"iccid"`
	IMSI      string `json:"imsi"`
	MSISDN    string `json:"msisdn"`
	IMEI      string `json:"imei"`
	IPAddress string `json:"ip_address"`
	Label     string `json:"label"`
	// Status is Enabled or Disabled.
	Status    string `json:"status"`
	IMEILock  bool   `json:"imei_lock"`
	AutoTopUp bool   `json:"auto_top_up"`
	// Profile is the device's usage pattern: idle, steady or bursty.
	Profile   string     `json:"profile"`
	Activated time.Time  `json:"activated"`
	Data      QuotaState `json:"data"`
	SMS       QuotaState `json:"sms"`
	// Connectivity is ONLINE, ATTACHED, OFFLINE or BLOCKED.
	Connectivity string `json:"connectivity"`
	// Offline reports a device taken off the network with SetOnline.
	Offline bool `json:"offline"`
	// Network is where the device is (or was last).
	Network Network `json:"network"`
	// Organisation is the target organisation of the last transfer (0: the account's own).
	Organisation int `json:"organisation"`
	Events       int `json:"events"`    // stored events, the derived activation event included
	SMSCount     int `json:"sms_count"` // stored SMS, MT and MO
}

// SIM returns a snapshot of the SIM with the given ICCID, metered up to now.
func (s *Simulator) SIM(iccid string) (SIMState, bool) {
	var out SIMState
	ok := s.withSIM(iccid, func(c *simCtx) {
		st := c.st
		e := c.sh.extra[int32(c.off)]
		op := s.fleet.operatorFor(c.idx, st)
		out = SIMState{
			ICCID: iccidOf(c.idx), IMSI: str(appendIMSI, c.idx), MSISDN: str(appendMSISDN, c.idx),
			IMEI: imeiOf(c.idx, st, e), IPAddress: str(appendIP, c.idx), Label: labelOf(c.idx, st, e),
			Status: statusName(st), IMEILock: st.flags&flagIMEILock != 0, AutoTopUp: st.flags&flagAutoTopUp != 0,
			Profile: st.profile.String(), Activated: time.Unix(st.activated, 0).UTC(),
			Data: quotaState(&st.data, c.now), SMS: quotaState(&st.sms, c.now),
			Connectivity: s.connectivity(c.idx, st, c.now), Offline: st.flags&flagOffline != 0,
			Network:      Network{MCC: op.mcc, MNC: op.mnc, Operator: op.name, Country: op.country, ISO: op.iso},
			Organisation: int(st.org),
			Events:       len(s.eventsOf(c.sh, c.off, c.idx, st)),
		}
		if e != nil {
			out.SMSCount = len(e.sms) + len(e.mo)
		}
	})
	return out, ok
}

func quotaState(q *quota, now int64) QuotaState {
	t := func(v int64) time.Time {
		if v == 0 {
			return time.Time{}
		}
		return time.Unix(v, 0).UTC()
	}
	return QuotaState{Remaining: q.remaining, Total: q.total, Status: v2QuotaStatus(q, now),
		Expiry: t(q.expiry), ThresholdReached: t(q.threshold), Exhausted: t(q.exhausted)}
}

func statusName(st *sim) string {
	if st.flags&flagDisabled != 0 {
		return "Disabled"
	}
	return "Enabled"
}

// v2QuotaStatus names a quota's state as SimsQuotaStatus does.
func v2QuotaStatus(q *quota, now int64) string {
	switch {
	case now >= q.expiry:
		return "EXPIRED"
	case q.remaining <= 0:
		return "EXHAUSTED"
	}
	return "ACTIVE"
}

// connectivity derives the network state of a SIM's device.
func (s *Simulator) connectivity(idx int, st *sim, now int64) string {
	switch {
	case st.flags&flagDisabled != 0:
		return "BLOCKED"
	case st.flags&flagOffline != 0:
		return "OFFLINE"
	case now >= st.data.expiry || now-st.resetAt < 60:
		return "ATTACHED"
	case s.fleet.share > 0 && st.sess != 0:
		return "ONLINE"
	case s.fleet.share > 0 && st.flags&flagAttached != 0:
		return "ATTACHED"
	case s.fleet.share > 0:
		return "OFFLINE"
	case st.data.remaining <= 0:
		return "ATTACHED"
	}
	switch st.profile {
	case profileIdle:
		if s.fleet.hash(uint64(idx), 31)%3 == 0 {
			return "OFFLINE"
		}
		return "ATTACHED"
	case profileSteady:
		return "ONLINE"
	}
	if s.fleet.dayBytes(idx, st.profile, now/daySeconds) > bytesPerMB {
		return "ONLINE"
	}
	return "ATTACHED"
}

// simCtx is one SIM under its shard's write lock, metered up to now.
type simCtx struct {
	s   *Simulator
	sh  *shard
	off int
	idx int
	st  *sim
	now int64
	fx  *effects
}

func (c *simCtx) event(k eventKind, desc string) {
	c.s.recordEvent(c.sh, c.off, c.idx, c.st, c.now, k, desc, c.fx)
}

func (c *simCtx) expired() bool { return c.now >= c.st.data.expiry }

// withSIM runs fn on the SIM with the given ICCID, metered up to now, under its shard's write
// lock; then it publishes what happened. It reports whether the SIM exists.
func (s *Simulator) withSIM(iccid string, fn func(*simCtx)) bool {
	idx, ok := s.fleet.indexOf(iccid)
	if !ok {
		return false
	}
	s.withIndex(idx, fn)
	return true
}

// changeSIM runs fn on the SIM with the given ICCID, as withSIM does, unless its lifetime has
// ended: only an extension may change an expired SIM. It answers the not-found or expired error
// of generation g itself and reports whether fn ran.
func (s *Simulator) changeSIM(w http.ResponseWriter, g gen, iccid string, fn func(*simCtx)) bool {
	var expired bool
	if !s.withSIM(iccid, func(c *simCtx) {
		if expired = c.expired(); !expired {
			fn(c)
		}
	}) {
		g.notFound(w, "SIM "+iccid)
		return false
	}
	if expired {
		g.expired(w, iccid)
		return false
	}
	return true
}

func (s *Simulator) withIndex(idx int, fn func(*simCtx)) {
	s.fleet.mu.RLock()
	sh, off := s.fleet.locate(idx)
	s.fleet.mu.RUnlock()
	fx := &effects{publish: s.hasSubs.Load()}
	now := s.now()
	sh.mu.Lock()
	c := &simCtx{s: s, sh: sh, off: off, idx: idx, st: &sh.sims[off], now: now, fx: fx}
	s.meter(sh, off, idx, c.st, now, true, fx)
	fn(c)
	sh.mu.Unlock()
	s.finish(fx)
}

// Bearer tokens.

func (s *Simulator) issueToken() (string, int64) {
	// About 3,000 characters, like 1NCE's: clients must not assume short tokens.
	var raw [2200]byte
	_, _ = rand.Read(raw[:])
	tok := "eyJraWQiOiJvbmNlc2ltIiwiYWxnIjoiUlMyNTYifQ." + base64.RawURLEncoding.EncodeToString(raw[:1800]) +
		"." + base64.RawURLEncoding.EncodeToString(raw[1800:])
	now := s.clock.Now()
	exp := now.Add(s.opts.TokenTTL).UnixNano()
	s.tokMu.Lock()
	// Forget expired tokens now and then so a long run does not accumulate them.
	if len(s.tokens) >= 1024 {
		for k, e := range s.tokens {
			if e <= now.UnixNano() {
				delete(s.tokens, k)
			}
		}
	}
	s.tokens[tok] = exp
	s.tokMu.Unlock()
	return tok, exp
}

func (s *Simulator) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return false
	}
	s.tokMu.Lock()
	exp, ok := s.tokens[tok]
	s.tokMu.Unlock()
	return ok && s.clock.Now().UnixNano() < exp
}

// Rate limits.

// allow applies the account-wide limit and, for orders/products/support, the per-IP limit;
// it answers 429 itself and reports false when a limit is hit.
func (s *Simulator) allow(w http.ResponseWriter, r *http.Request, rt routeID) bool {
	now := s.clock.Now()
	if s.limiter != nil && !s.limiter.AllowN(now, 1) {
		writeTooMany(w, retryAfter(s.limiter, now))
		return false
	}
	if rt.commerce() && s.opts.CommerceLimit > 0 {
		l := s.ipLimiter(&s.comLimiters, r, float64(s.opts.CommerceLimit)/CommerceWindow.Seconds(), s.opts.CommerceLimit)
		if !l.AllowN(now, 1) {
			writeTooMany(w, retryAfter(l, now))
			return false
		}
	}
	return true
}

// oauthPerMinute is 1NCE's limit on POST /oauth/token per client IP. It applies while the
// account limit does (a negative RateLimit turns both off).
const oauthPerMinute = 600

// ipLimiter returns the limiter of the request's client IP in set, creating it.
func (s *Simulator) ipLimiter(set *map[string]*rate.Limiter, r *http.Request, perSec float64, burst int) *rate.Limiter {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	s.comMu.Lock()
	defer s.comMu.Unlock()
	if *set == nil {
		*set = map[string]*rate.Limiter{}
	}
	l := (*set)[ip]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(perSec), burst)
		(*set)[ip] = l
	}
	return l
}

// retryAfter is how long until l has a token again, in whole seconds (at least 1).
func retryAfter(l *rate.Limiter, now time.Time) int {
	r := l.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	sec := int((d + time.Second - 1) / time.Second)
	return max(1, sec)
}
