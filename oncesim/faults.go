package oncesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits on fault settings. They keep a mistyped flag from wedging a test run for hours.
const (
	maxFaultLatency    = 10 * time.Minute
	maxFaultRetryAfter = time.Hour
	maxFaultBurst      = 1_000_000
	maxFaultSlowBody   = 1 << 30
)

// faultErrorStatuses are the 5xx statuses Faults can inject, with the errorCode and message
// each answers with. 1NCE's gateway answers these with the same statusCode/errorCode/message
// body as its other errors, so clients parse injected errors with their ordinary code path.
var faultErrorStatuses = map[int][2]string{
	http.StatusInternalServerError: {"InternalServerError", "Internal server error"},
	http.StatusBadGateway:          {"BadGateway", "Bad gateway"},
	http.StatusServiceUnavailable:  {"ServiceUnavailable", "Service unavailable"},
	http.StatusGatewayTimeout:      {"GatewayTimeout", "Endpoint request timed out"},
}

// LatencyFault delays every request by a uniform draw from [Min, Max], and with probability
// SpikeRate adds Spike on top: a flat band plus a long tail, which is what retry and timeout
// code has to survive.
type LatencyFault struct {
	Min       time.Duration
	Max       time.Duration
	SpikeRate float64
	Spike     time.Duration
}

// BurstFault starts, with probability Rate per request, a burst of Length consecutive 429
// answers (the starting request included), each with Retry-After set to RetryAfter (whole
// seconds, as the header carries seconds).
type BurstFault struct {
	Rate       float64
	Length     int
	RetryAfter time.Duration
}

// Faults is what the simulator does wrong on purpose. The zero value injects nothing.
//
// Per request the injector decides, in this order: a running or newly started 429 burst wins;
// otherwise one outcome is drawn with the probabilities ResetRate, TruncateRate and Errors
// (their sum is at most 1), and the rest pass through to the simulator, slowed to SlowBodyBPS
// when that is set, after a token revocation with probability RevokeRate. Latency applies to
// every request, whatever its outcome.
type Faults struct {
	Latency LatencyFault
	// Errors maps an HTTP status (500, 502, 503 or 504) to the fraction of requests that get it.
	Errors   map[int]float64
	Burst429 BurstFault
	// ResetRate is the fraction of requests whose connection is closed with a TCP reset
	// before any response byte.
	ResetRate float64
	// TruncateRate is the fraction of responses that declare their full Content-Length but
	// stop halfway, so the client sees an unexpected EOF.
	TruncateRate float64
	// SlowBodyBPS, when positive, trickles every passed-through response body at this many
	// bytes per second.
	SlowBodyBPS int
	// RevokeRate is the fraction of requests before which every issued token is revoked (the
	// request itself then meets a revoked token). It needs a revoker (FaultInjector.SetRevoker).
	RevokeRate float64
}

// ParseFaults reads the --faults flag syntax: comma-separated key=value parts, each key at most
// once, for example
//
//	latency=5ms..50ms,spike=0.01x2s,500=0.1,502=0.05,503=0.05,429burst=0.01x20@2s,reset=0.01,truncate=0.01,slowbody=4096,revoke=0.001
//
// latency is a duration or a range MIN..MAX; spike is RATExDURATION; 500, 502, 503 and 504
// take a rate in [0,1]; 429burst is RATExLENGTH@RETRYAFTER; slowbody is bytes per second.
// The empty string and "none" mean no faults. Errors name the offending part.
func ParseFaults(s string) (Faults, error) {
	var f Faults
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return f, nil
	}
	seen := map[string]bool{}
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		key, val, ok := strings.Cut(part, "=")
		if !ok || key == "" || val == "" {
			return Faults{}, fmt.Errorf("oncesim: faults part %d %q: want key=value", i+1, part)
		}
		if seen[key] {
			return Faults{}, fmt.Errorf("oncesim: faults part %d %q: %s given twice", i+1, part, key)
		}
		seen[key] = true
		if err := f.parsePart(key, val); err != nil {
			return Faults{}, fmt.Errorf("oncesim: faults part %d %q: %w", i+1, part, err)
		}
	}
	f.normalize()
	if err := f.Validate(); err != nil {
		return Faults{}, err
	}
	return f, nil
}

func (f *Faults) parsePart(key, val string) error {
	var err error
	switch key {
	case "latency":
		lo, hi, isRange := strings.Cut(val, "..")
		if f.Latency.Min, err = faultParseDuration(lo); err != nil {
			return err
		}
		f.Latency.Max = f.Latency.Min
		if isRange {
			f.Latency.Max, err = faultParseDuration(hi)
		}
		return err
	case "spike":
		rate, d, ok := strings.Cut(val, "x")
		if !ok {
			return fmt.Errorf("want RATExDURATION")
		}
		if f.Latency.SpikeRate, err = faultParseRate(rate); err != nil {
			return err
		}
		f.Latency.Spike, err = faultParseDuration(d)
		return err
	case "429burst":
		rate, rest, ok := strings.Cut(val, "x")
		length, retry, ok2 := strings.Cut(rest, "@")
		if !ok || !ok2 {
			return fmt.Errorf("want RATExLENGTH@RETRYAFTER, e.g. 0.01x20@2s")
		}
		if f.Burst429.Rate, err = faultParseRate(rate); err != nil {
			return err
		}
		n, err := strconv.Atoi(length)
		if err != nil || n < 1 || n > maxFaultBurst {
			return fmt.Errorf("burst length %q must be a whole number in [1,%d]", length, maxFaultBurst)
		}
		f.Burst429.Length = n
		f.Burst429.RetryAfter, err = faultParseDuration(retry)
		return err
	case "reset":
		f.ResetRate, err = faultParseRate(val)
		return err
	case "truncate":
		f.TruncateRate, err = faultParseRate(val)
		return err
	case "revoke":
		f.RevokeRate, err = faultParseRate(val)
		return err
	case "slowbody":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 || n > maxFaultSlowBody {
			return fmt.Errorf("slowbody %q must be bytes per second in [0,%d]", val, maxFaultSlowBody)
		}
		f.SlowBodyBPS = n
		return nil
	}
	status, err := strconv.Atoi(key)
	if err != nil || strconv.Itoa(status) != key {
		return fmt.Errorf("unknown key %q (want latency, spike, 500, 502, 503, 504, 429burst, reset, truncate, slowbody or revoke)", key)
	}
	if _, ok := faultErrorStatuses[status]; !ok {
		return fmt.Errorf("status %d cannot be injected (want 500, 502, 503 or 504)", status)
	}
	rate, err := faultParseRate(val)
	if err != nil {
		return err
	}
	if f.Errors == nil {
		f.Errors = map[int]float64{}
	}
	f.Errors[status] = rate
	return nil
}

func faultParseRate(s string) (float64, error) {
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
		return 0, fmt.Errorf("rate %q must be a number in [0,1]", s)
	}
	return r, nil
}

func faultParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("duration %q must be a non-negative Go duration such as 50ms", s)
	}
	return d, nil
}

// normalize gives every "no fault" one representation, so that String, ParseFaults and JSON
// round-trip to equal values.
func (f *Faults) normalize() {
	if f.Latency.SpikeRate == 0 {
		f.Latency.Spike = 0
	}
	if f.Burst429.Rate == 0 {
		f.Burst429 = BurstFault{}
	}
	maps.DeleteFunc(f.Errors, func(_ int, r float64) bool { return r == 0 })
	if len(f.Errors) == 0 {
		f.Errors = nil
	}
}

// Validate reports the first setting that is out of range, naming it.
func (f Faults) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("oncesim: faults: "+format, args...)
	}
	rateOK := func(r float64) bool { return r >= 0 && r <= 1 }
	l := f.Latency
	if l.Min < 0 || l.Max < l.Min || l.Max > maxFaultLatency {
		return bad("latency %s..%s: want 0 <= min <= max <= %s", l.Min, l.Max, maxFaultLatency)
	}
	if !rateOK(l.SpikeRate) {
		return bad("spike rate %v: want [0,1]", l.SpikeRate)
	}
	if l.Spike < 0 || l.Spike > maxFaultLatency || (l.SpikeRate > 0 && l.Spike == 0) {
		return bad("spike duration %s: want (0,%s] when the spike rate is set", l.Spike, maxFaultLatency)
	}
	sum := 0.0
	for _, status := range slices.Sorted(maps.Keys(f.Errors)) {
		if _, ok := faultErrorStatuses[status]; !ok {
			return bad("status %d cannot be injected (want 500, 502, 503 or 504)", status)
		}
		if r := f.Errors[status]; !rateOK(r) {
			return bad("rate %v for %d: want [0,1]", r, status)
		}
		sum += f.Errors[status]
	}
	b := f.Burst429
	if !rateOK(b.Rate) {
		return bad("429burst rate %v: want [0,1]", b.Rate)
	}
	if b.Rate > 0 && (b.Length < 1 || b.Length > maxFaultBurst) {
		return bad("429burst length %d: want [1,%d]", b.Length, maxFaultBurst)
	}
	if b.RetryAfter < 0 || b.RetryAfter > maxFaultRetryAfter || b.RetryAfter%time.Second != 0 {
		return bad("429burst Retry-After %s: want whole seconds in [0s,%s]", b.RetryAfter, maxFaultRetryAfter)
	}
	for _, r := range []struct {
		name string
		rate float64
	}{{"reset", f.ResetRate}, {"truncate", f.TruncateRate}, {"revoke", f.RevokeRate}} {
		if !rateOK(r.rate) {
			return bad("%s rate %v: want [0,1]", r.name, r.rate)
		}
	}
	if sum += f.ResetRate + f.TruncateRate; sum > 1+1e-9 {
		return bad("reset, truncate and error rates add up to %v: want at most 1", sum)
	}
	if f.SlowBodyBPS < 0 || f.SlowBodyBPS > maxFaultSlowBody {
		return bad("slowbody %d: want [0,%d] bytes per second", f.SlowBodyBPS, maxFaultSlowBody)
	}
	return nil
}

// String renders f in the ParseFaults syntax, in a fixed key order; ParseFaults(f.String())
// gives back f for any valid, normalized f. No faults renders as "none".
func (f Faults) String() string {
	var parts []string
	ff := func(r float64) string { return strconv.FormatFloat(r, 'g', -1, 64) }
	switch l := f.Latency; {
	case l.Min == l.Max && l.Min != 0:
		parts = append(parts, "latency="+l.Min.String())
	case l.Min != l.Max:
		parts = append(parts, "latency="+l.Min.String()+".."+l.Max.String())
	}
	if f.Latency.SpikeRate != 0 {
		parts = append(parts, "spike="+ff(f.Latency.SpikeRate)+"x"+f.Latency.Spike.String())
	}
	for _, status := range slices.Sorted(maps.Keys(f.Errors)) {
		if r := f.Errors[status]; r != 0 {
			parts = append(parts, strconv.Itoa(status)+"="+ff(r))
		}
	}
	if b := f.Burst429; b.Rate != 0 {
		parts = append(parts, fmt.Sprintf("429burst=%sx%d@%s", ff(b.Rate), b.Length, b.RetryAfter))
	}
	if f.ResetRate != 0 {
		parts = append(parts, "reset="+ff(f.ResetRate))
	}
	if f.TruncateRate != 0 {
		parts = append(parts, "truncate="+ff(f.TruncateRate))
	}
	if f.SlowBodyBPS != 0 {
		parts = append(parts, "slowbody="+strconv.Itoa(f.SlowBodyBPS))
	}
	if f.RevokeRate != 0 {
		parts = append(parts, "revoke="+ff(f.RevokeRate))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// faultsJSON is the admin endpoint's shape of Faults: durations as Go duration strings, so a
// person can write {"latency":{"min":"5ms","max":"50ms"}} with curl.
type faultsJSON struct {
	Latency struct {
		Min       string  `json:"min,omitempty"`
		Max       string  `json:"max,omitempty"`
		SpikeRate float64 `json:"spike_rate,omitempty"`
		Spike     string  `json:"spike,omitempty"`
	} `json:"latency"`
	Errors   map[int]float64 `json:"errors,omitempty"`
	Burst429 struct {
		Rate       float64 `json:"rate,omitempty"`
		Length     int     `json:"length,omitempty"`
		RetryAfter string  `json:"retry_after,omitempty"`
	} `json:"burst429"`
	Reset       float64 `json:"reset,omitempty"`
	Truncate    float64 `json:"truncate,omitempty"`
	SlowBodyBPS int     `json:"slow_body_bps,omitempty"`
	Revoke      float64 `json:"revoke,omitempty"`
}

// MarshalJSON writes the admin endpoint's JSON form (see AdminHandler).
func (f Faults) MarshalJSON() ([]byte, error) {
	var j faultsJSON
	dur := func(d time.Duration) string {
		if d == 0 {
			return ""
		}
		return d.String()
	}
	j.Latency.Min, j.Latency.Max = dur(f.Latency.Min), dur(f.Latency.Max)
	j.Latency.SpikeRate, j.Latency.Spike = f.Latency.SpikeRate, dur(f.Latency.Spike)
	j.Errors = f.Errors
	j.Burst429.Rate, j.Burst429.Length = f.Burst429.Rate, f.Burst429.Length
	j.Burst429.RetryAfter = dur(f.Burst429.RetryAfter)
	j.Reset, j.Truncate, j.SlowBodyBPS, j.Revoke = f.ResetRate, f.TruncateRate, f.SlowBodyBPS, f.RevokeRate
	return json.Marshal(j)
}

// UnmarshalJSON reads the admin endpoint's JSON form strictly (unknown fields are errors) and
// validates the result. A latency with only "min" is a fixed latency. JSON null is a no-op, as
// encoding/json's convention asks.
func (f *Faults) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	var j faultsJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("oncesim: faults JSON: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("oncesim: faults JSON: trailing data after the object")
	}
	dur := func(name, s string) (time.Duration, error) {
		if s == "" {
			return 0, nil
		}
		d, err := faultParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("oncesim: faults JSON: %s: %w", name, err)
		}
		return d, nil
	}
	var g Faults
	var err error
	if g.Latency.Min, err = dur("latency.min", j.Latency.Min); err != nil {
		return err
	}
	if g.Latency.Max, err = dur("latency.max", j.Latency.Max); err != nil {
		return err
	}
	if j.Latency.Max == "" {
		g.Latency.Max = g.Latency.Min
	}
	if g.Latency.Spike, err = dur("latency.spike", j.Latency.Spike); err != nil {
		return err
	}
	if g.Burst429.RetryAfter, err = dur("burst429.retry_after", j.Burst429.RetryAfter); err != nil {
		return err
	}
	g.Latency.SpikeRate = j.Latency.SpikeRate
	g.Errors = j.Errors
	g.Burst429.Rate, g.Burst429.Length = j.Burst429.Rate, j.Burst429.Length
	g.ResetRate, g.TruncateRate, g.SlowBodyBPS, g.RevokeRate = j.Reset, j.Truncate, j.SlowBodyBPS, j.Revoke
	g.normalize()
	if err := g.Validate(); err != nil {
		return err
	}
	*f = g
	return nil
}

// FaultStats counts what a FaultInjector did since it was made. Requests counts every request
// that went through Wrap (admin paths excluded); the other counters say what was done to them.
type FaultStats struct {
	Requests int64 `json:"requests"`
	// Passed requests reached the simulator (possibly delayed, slowed or after a revocation).
	Passed  int64 `json:"passed"`
	Delayed int64 `json:"delayed"`
	Spikes  int64 `json:"spikes"`
	// Errors counts injected 5xx answers by status.
	Errors map[int]int64 `json:"errors"`
	// Throttled counts 429 answers; Bursts counts the bursts they came in.
	Throttled   int64 `json:"throttled"`
	Bursts      int64 `json:"bursts"`
	Resets      int64 `json:"resets"`
	Truncated   int64 `json:"truncated"`
	Slowed      int64 `json:"slowed"`
	Revocations int64 `json:"revocations"`
}

type faultAction int

const (
	faultPass faultAction = iota
	faultStatus
	faultReset
	faultTruncate
)

// faultDecision is what the injector does to one request.
type faultDecision struct {
	delay      time.Duration
	action     faultAction
	status     int
	retryAfter time.Duration
	slowBPS    int
	revoke     bool
}

// FaultInjector applies Faults to requests. All its decisions come from one seeded
// random source behind a mutex, and each request consumes the same number of draws whatever
// the outcome, so the same seed and the same request order give the same decisions, also after
// Set changes the faults mid-run.
type FaultInjector struct {
	mu        sync.Mutex
	rng       *rand.Rand
	faults    Faults
	errOrder  []int // faults.Errors' statuses in ascending order, fixed per Set
	burstLeft int
	stats     FaultStats
	revoke    func()
}

// NewFaultInjector returns an injector with decisions drawn from seed, applying f when f is
// valid. An invalid f is not applied — the injector starts with no faults — so construction
// cannot fail; callers holding Faults that did not come from ParseFaults or UnmarshalJSON
// (which only return valid ones) check them with Validate or apply them with Set, which
// reports why it refuses.
func NewFaultInjector(f Faults, seed int64) *FaultInjector {
	f = cloneFaults(f)
	f.normalize()
	if f.Validate() != nil {
		f = Faults{}
	}
	return &FaultInjector{
		rng:      rand.New(rand.NewPCG(uint64(seed), 0x6f6e636573696d)), // "oncesim"
		faults:   f,
		errOrder: slices.Sorted(maps.Keys(f.Errors)),
		stats:    FaultStats{Errors: map[int]int64{}},
	}
}

// SetRevoker sets the function that revokes every issued token, used for RevokeRate. The
// simulator core wires its own revocation here.
func (fi *FaultInjector) SetRevoker(revoke func()) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.revoke = revoke
}

// Set replaces the faults from the next request on. A running 429 burst ends, so a test that
// turns faults off gets clean answers at once. Invalid faults are refused and change nothing.
func (fi *FaultInjector) Set(f Faults) error {
	f = cloneFaults(f)
	f.normalize()
	if err := f.Validate(); err != nil {
		return err
	}
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.faults = f
	fi.errOrder = slices.Sorted(maps.Keys(f.Errors))
	fi.burstLeft = 0
	return nil
}

// Current returns the faults in force.
func (fi *FaultInjector) Current() Faults {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return cloneFaults(fi.faults)
}

// Stats returns a snapshot of the counters.
func (fi *FaultInjector) Stats() FaultStats {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	s := fi.stats
	s.Errors = maps.Clone(fi.stats.Errors)
	return s
}

func cloneFaults(f Faults) Faults {
	f.Errors = maps.Clone(f.Errors)
	return f
}

// decide draws the fate of one request and counts it.
func (fi *FaultInjector) decide() faultDecision {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	f := &fi.faults
	// Always five draws, in this order, so decisions stay aligned across outcomes.
	uBurst, uJitter, uSpike, uOutcome, uRevoke := fi.rng.Float64(), fi.rng.Float64(), fi.rng.Float64(), fi.rng.Float64(), fi.rng.Float64()

	var d faultDecision
	fi.stats.Requests++
	d.delay = f.Latency.Min + time.Duration(uJitter*float64(f.Latency.Max-f.Latency.Min))
	if uSpike < f.Latency.SpikeRate {
		d.delay += f.Latency.Spike
		fi.stats.Spikes++
	}
	if d.delay > 0 {
		fi.stats.Delayed++
	}

	if fi.burstLeft == 0 && uBurst < f.Burst429.Rate {
		fi.burstLeft = f.Burst429.Length
		fi.stats.Bursts++
	}
	if fi.burstLeft > 0 {
		fi.burstLeft--
		fi.stats.Throttled++
		d.action, d.status, d.retryAfter = faultStatus, http.StatusTooManyRequests, f.Burst429.RetryAfter
		return d
	}

	acc := f.ResetRate
	if uOutcome < acc {
		d.action = faultReset
		fi.stats.Resets++
		return d
	}
	if acc += f.TruncateRate; uOutcome < acc {
		d.action = faultTruncate
		fi.stats.Truncated++
		return d
	}
	for _, status := range fi.errOrder {
		if acc += f.Errors[status]; uOutcome < acc {
			d.action, d.status = faultStatus, status
			fi.stats.Errors[status]++
			return d
		}
	}
	fi.stats.Passed++
	if d.slowBPS = f.SlowBodyBPS; d.slowBPS > 0 {
		fi.stats.Slowed++
	}
	if uRevoke < f.RevokeRate && fi.revoke != nil {
		d.revoke = true
		fi.stats.Revocations++
	}
	return d
}

// faultRevoker reads the revoker under the lock; decide only marks the decision.
func (fi *FaultInjector) faultRevoker() func() {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.revoke
}

// Wrap returns next with the faults applied. Paths under /_sim/ (the admin endpoint) are never
// faulted, so a test can always reach the controls.
func (fi *FaultInjector) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_sim" || strings.HasPrefix(r.URL.Path, "/_sim/") {
			next.ServeHTTP(w, r)
			return
		}
		d := fi.decide()
		if d.delay > 0 {
			t := time.NewTimer(d.delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return // the client gave up; nobody reads an answer
			}
		}
		switch d.action {
		case faultStatus:
			faultWriteError(w, d.status, d.retryAfter)
		case faultReset:
			faultResetConn(w)
		case faultTruncate:
			faultTruncateBody(w, r, next)
		default:
			if d.revoke {
				if revoke := fi.faultRevoker(); revoke != nil {
					revoke()
				}
			}
			if d.slowBPS > 0 {
				faultSlowBody(w, r, next, d.slowBPS)
				return
			}
			next.ServeHTTP(w, r)
		}
	})
}

// faultWriteError answers like 1NCE's gateway: a JSON statusCode/errorCode/message body, and
// Retry-After on 429.
func faultWriteError(w http.ResponseWriter, status int, retryAfter time.Duration) {
	code, msg := "TooManyRequests", "Too Many Requests"
	if c, ok := faultErrorStatuses[status]; ok {
		code, msg = c[0], c[1]
	}
	body, _ := json.Marshal(struct {
		StatusCode int    `json:"statusCode"`
		ErrorCode  string `json:"errorCode"`
		Message    string `json:"message"`
	}{status, code, msg})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if status == http.StatusTooManyRequests {
		h.Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// faultResetConn drops the connection without an answer. On HTTP/1 it takes the connection over
// and closes it with SO_LINGER 0, so the peer gets a TCP RST ("connection reset by peer"); where
// hijacking is impossible (HTTP/2) it aborts the handler, which resets the stream.
func faultResetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// faultTruncateBody sends the full headers with the real Content-Length, then half of the body,
// then drops the connection. An empty body cannot be cut, so then the connection is dropped
// before the headers, which the client also sees as a broken response.
func faultTruncateBody(w http.ResponseWriter, r *http.Request, next http.Handler) {
	buf := newFaultBuffer()
	next.ServeHTTP(buf, r)
	if buf.body.Len() == 0 {
		faultResetConn(w)
		return
	}
	buf.copyHeader(w)
	w.WriteHeader(buf.statusOrOK())
	_, _ = w.Write(buf.body.Bytes()[:buf.body.Len()/2])
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// faultSlowBody sends the body at bps bytes per second in small flushed chunks, stopping when
// the client goes away.
func faultSlowBody(w http.ResponseWriter, r *http.Request, next http.Handler, bps int) {
	buf := newFaultBuffer()
	next.ServeHTTP(buf, r)
	buf.copyHeader(w)
	w.WriteHeader(buf.statusOrOK())
	// Twenty chunks a second: smooth enough to look like a slow link, few enough timers.
	chunk := max(1, bps/20)
	interval := time.Duration(float64(time.Second) * float64(chunk) / float64(bps))
	rc := http.NewResponseController(w)
	body := buf.body.Bytes()
	for len(body) > 0 {
		n := min(chunk, len(body))
		if _, err := w.Write(body[:n]); err != nil {
			return
		}
		_ = rc.Flush()
		body = body[n:]
		if len(body) == 0 {
			return
		}
		t := time.NewTimer(interval)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
}

// faultBuffer captures a response so it can be cut or trickled after the fact.
type faultBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newFaultBuffer() *faultBuffer {
	return &faultBuffer{header: http.Header{}}
}

func (b *faultBuffer) Header() http.Header { return b.header }

// WriteHeader keeps the first status, as a real ResponseWriter does.
func (b *faultBuffer) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *faultBuffer) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

func (b *faultBuffer) statusOrOK() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}

// copyHeader copies the captured headers to w with the body's true Content-Length.
func (b *faultBuffer) copyHeader(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range b.header {
		h[k] = slices.Clone(v)
	}
	h.Set("Content-Length", strconv.Itoa(b.body.Len()))
}
