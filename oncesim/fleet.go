package oncesim

import (
	"math"
	"strconv"
	"sync"
	"time"
)

// iccidBase is the ICCID of SIM number 0; SIM n has ICCID iccidBase+n. Keeping ICCIDs dense
// lets a lookup be a subtraction instead of a map with a million string keys.
const iccidBase uint64 = 8988280666000000000

// shardBits sizes the lock shards: 4096 consecutive SIMs share one RWMutex, so a page of 100
// touches at most two locks and writers on different SIMs rarely meet.
const (
	shardBits = 12
	shardSize = 1 << shardBits
)

// Quota sizes of a new SIM and of one top-up, as 1NCE sells them (10-year lifetime, 500 MB,
// 250 SMS; a top-up adds 500 MB and 250 SMS).
const (
	lifetimeYears  = 10
	initialDataMB  = 500.0
	initialSMS     = 250.0
	topUpDataMB    = 500.0
	topUpSMS       = 250.0
	thresholdShare = 0.2 // 1NCE's "less than 20% left" threshold
	daySeconds     = 86400
	bytesPerMB     = 1024 * 1024
)

// profile is how a simulated device uses its SIM.
type profile uint8

const (
	profileIdle   profile = iota // no data; a rare MO SMS
	profileSteady                // a steady daily volume with jitter
	profileBursty                // a trickle with occasional large bursts
)

func (p profile) String() string {
	switch p {
	case profileIdle:
		return "idle"
	case profileSteady:
		return "steady"
	default:
		return "bursty"
	}
}

// sim flag bits.
const (
	flagDisabled uint8 = 1 << iota
	flagIMEILock
	flagAutoTopUp
	flagLabelSet // the label lives in simExtra.label, not derived from the index
	flagIMEISet  // the IMEI lives in simExtra.imei: the SIM moved to another device
	flagAttached // the device is attached to a network (daily network activity)
	flagOffline  // the device was taken off the network (admin): no attach, data or MO SMS
)

// quota is the live state of one quota (data in MB, or SMS in messages). Times are Unix seconds,
// zero meaning "never".
type quota struct {
	remaining   float64
	total       float64 // initial volume plus every top-up of this lifetime
	accumulated float64 // every volume ever added, across lifetimes
	lastAdded   float64
	created     int64
	expiry      int64
	threshold   int64 // when remaining fell to thresholdShare of total
	exhausted   int64 // when remaining reached zero
	changed     int64 // last status change
}

// quotaLevel is v1's Quota_Status id: 0 more than 20 % left, 1 less than 20 %, 2 none.
func (q *quota) level() int {
	switch {
	case q.remaining <= 0:
		return 2
	case q.remaining <= thresholdShare*q.total:
		return 1
	}
	return 0
}

// add tops the quota up by v at t, starting a new threshold cycle.
func (q *quota) add(v float64, t int64) {
	q.remaining += v
	q.total += v
	q.accumulated += v
	q.lastAdded = v
	if q.remaining > thresholdShare*q.total {
		q.threshold = 0
	}
	if q.remaining > 0 {
		q.exhausted = 0
	}
	q.changed = t
}

// sim is the compact per-SIM state: everything derivable from the index (IMSI, MSISDN, IP,
// IMEI, default label) is computed when needed, and rarely used state lives in simExtra.
type sim struct {
	data      quota
	sms       quota
	activated int64 // Unix seconds
	settled   int64 // usage is metered up to this Unix second
	resetAt   int64 // last connectivity reset
	sess      int64 // start of the open data session (0: none)
	org       int32 // organisation after a transfer (0: the account's own)
	flags     uint8
	profile   profile
	op        uint8 // visited network: index into operators plus one (0: the SIM's default)
}

// simExtra holds the sparse, growing state of a SIM: only SIMs that were touched have one.
type simExtra struct {
	label  string
	imei   string
	events []simEvent
	net    []netEvent   // network events: compact, as active devices make several a day
	sms    []*smsRecord // MT SMS sent through the API
	mo     []moRecord   // SMS the device sent: compact, as devices send many
	days   []dayUsage
}

// dayUsage is the metered usage of one UTC day: 16 bytes, as a large fleet keeps months of them.
type dayUsage struct {
	day          int32  // Unix day number
	rx, tx       uint32 // bytes (saturating: no device moves 4 GB a day on a 1NCE SIM)
	smsMO, smsMT uint16 // messages (saturating)
}

func addSat32(a uint32, b int64) uint32 {
	if b >= int64(^uint32(0)-a) {
		return ^uint32(0)
	}
	return a + uint32(b)
}

func incSat16(a uint16) uint16 {
	if a == ^uint16(0) {
		return a
	}
	return a + 1
}

// Retention caps keep a long-running simulator's memory bounded.
const (
	maxEventsPerSIM = 1000
	maxNetPerSIM    = 128 // network events: about 40 active days of a device
	maxSMSPerSIM    = 200
	maxMOPerSIM     = 100
	maxDaysPerSIM   = maxUsageDays // what the usage endpoint can ask for
)

// shard is a block of shardSize consecutive SIMs behind one lock.
type shard struct {
	mu    sync.RWMutex
	sims  []sim
	extra map[int32]*simExtra // by index within the shard
}

func (sh *shard) ext(i int) *simExtra {
	e := sh.extra[int32(i)]
	if e == nil {
		if sh.extra == nil {
			sh.extra = map[int32]*simExtra{}
		}
		e = &simExtra{}
		sh.extra[int32(i)] = e
	}
	return e
}

// fleet is every SIM of the account.
type fleet struct {
	seed uint64
	// share is the fraction of SIMs active on the network per day; 0 turns daily network
	// activity off (usage then flows all day, as before sessions were modelled).
	share float64

	mu     sync.RWMutex // guards shards (the slice) and count; SIM state is under shard locks
	shards []*shard
	count  int

	// imeis maps IMEIs given to SIMs through Simulator.ChangeSIM to their SIM, so that the
	// list filter finds them. imeiMu is taken last: no other lock is taken while holding it.
	imeiMu sync.Mutex
	imeis  map[string]int
}

// mix is SplitMix64: a cheap, well-distributed hash that makes every random choice of the
// simulator a pure function of (seed, SIM, day, …), so metering is independent of how often
// anyone looks.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (f *fleet) hash(parts ...uint64) uint64 {
	h := f.seed
	for _, p := range parts {
		h = mix(h ^ p)
	}
	return h
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// newFleet seeds n SIMs as of now.
func newFleet(seed int64, n int, now int64, share float64) *fleet {
	f := &fleet{seed: mix(uint64(seed)), share: share}
	f.grow(n, now, true)
	return f
}

// grow appends n SIMs. Seeded SIMs get a history (activation in the past, part of the quota
// used, a few disabled or near expiry); ordered SIMs are new, enabled and full.
// The caller holds f.mu for writing, or is the constructor.
func (f *fleet) grow(n int, now int64, seeded bool) (first int) {
	first = f.count
	for k := range n {
		idx := first + k
		si, off := idx>>shardBits, idx&(shardSize-1)
		if si == len(f.shards) {
			f.shards = append(f.shards, &shard{sims: make([]sim, 0, min(shardSize, first+n-idx))})
		}
		sh := f.shards[si]
		if off != len(sh.sims) {
			panic("oncesim: fleet shards out of step")
		}
		var s sim
		if seeded {
			s = f.seedSIM(idx, now)
		} else {
			s = f.orderedSIM(idx, now)
		}
		sh.mu.Lock()
		sh.sims = append(sh.sims, s)
		sh.mu.Unlock()
	}
	f.count += n
	return first
}

func newQuota(v float64, created, expiry int64) quota {
	return quota{remaining: v, total: v, accumulated: v, lastAdded: v, created: created, expiry: expiry, changed: created}
}

func (f *fleet) seedSIM(idx int, now int64) sim {
	h := f.hash(uint64(idx), 1)
	var s sim
	switch r := h % 10; {
	case r < 4:
		s.profile = profileIdle
	case r < 8:
		s.profile = profileSteady
	default:
		s.profile = profileBursty
	}
	h2 := f.hash(uint64(idx), 2)
	age := int64(h2%(3*365)) * daySeconds // activated within the last three years
	if h2%100 == 0 {
		// One in a hundred is near the end of its 10-year life, so expiry shows up in a demo.
		age = int64(lifetimeYears*365-int(h2>>8%60)) * daySeconds
	}
	s.activated = (now - age - int64(h2>>20%daySeconds))
	expiry := time.Unix(s.activated, 0).UTC().AddDate(lifetimeYears, 0, 0).Unix()
	s.data = newQuota(initialDataMB, s.activated, expiry)
	s.sms = newQuota(initialSMS, s.activated, expiry)
	// Part of the quota is already used: mostly a little, sometimes most or all of it.
	u := unit(f.hash(uint64(idx), 3))
	var usedShare float64
	switch {
	case u < 0.70:
		usedShare = u / 0.70 * 0.5
	case u < 0.92:
		usedShare = 0.5 + (u-0.70)/0.22*0.3
	case u < 0.98:
		usedShare = 0.8 + (u-0.92)/0.06*0.19
	default:
		usedShare = 1
	}
	f.preUse(&s.data, usedShare, s.activated, now)
	f.preUse(&s.sms, usedShare*unit(f.hash(uint64(idx), 4)), s.activated, now)
	s.sms.remaining = math.Floor(s.sms.remaining) // SMS are counted in whole messages
	if f.hash(uint64(idx), 5)%20 == 0 {
		s.flags |= flagDisabled
	}
	if !f.sleeper(idx, s.profile) {
		s.flags |= flagAttached
	}
	s.settled = now
	return s
}

// preUse marks share of q as used before the simulation starts, dating the threshold and
// exhaustion plausibly between activation and now.
func (f *fleet) preUse(q *quota, share float64, from, now int64) {
	q.remaining = q.total * (1 - share)
	if share >= 1 {
		q.remaining = 0
	}
	mid := from + (now-from)*3/4
	if q.remaining <= thresholdShare*q.total {
		q.threshold, q.changed = mid, mid
	}
	if q.remaining <= 0 {
		q.exhausted, q.changed = now-(now-mid)/2, now-(now-mid)/2
	}
}

func (f *fleet) orderedSIM(idx int, now int64) sim {
	expiry := time.Unix(now, 0).UTC().AddDate(lifetimeYears, 0, 0).Unix()
	// A new SIM is delivered to a device that is not yet on the network.
	return sim{
		profile:   profile(f.hash(uint64(idx), 1) % 3),
		activated: now,
		settled:   now,
		data:      newQuota(initialDataMB, now, expiry),
		sms:       newQuota(initialSMS, now, expiry),
	}
}

// size returns the number of SIMs.
func (f *fleet) size() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.count
}

// locate returns the shard and offset of SIM idx; the caller holds f.mu for reading.
func (f *fleet) locate(idx int) (*shard, int) {
	return f.shards[idx>>shardBits], idx & (shardSize - 1)
}

// indexOf maps an ICCID (19 digits, or 20 with the Luhn digit) to a SIM index.
func (f *fleet) indexOf(iccid string) (int, bool) {
	if len(iccid) == 20 {
		if luhn(iccid[:19]) != iccid[19] {
			return 0, false
		}
		iccid = iccid[:19]
	}
	if len(iccid) != 19 {
		return 0, false
	}
	v, err := strconv.ParseUint(iccid, 10, 64)
	if err != nil || v < iccidBase {
		return 0, false
	}
	idx := v - iccidBase
	f.mu.RLock()
	n := f.count
	f.mu.RUnlock()
	if idx >= uint64(n) {
		return 0, false
	}
	return int(idx), true
}

// Derived identifiers. Each is a bijection of the index, so they are unique across the fleet.

func appendICCID(b []byte, idx int) []byte { return strconv.AppendUint(b, iccidBase+uint64(idx), 10) }

func iccidOf(idx int) string { return string(appendICCID(nil, idx)) }

// luhn returns the Luhn check digit of a decimal string.
func luhn(digits string) byte {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

func appendICCIDWithLuhn(b []byte, idx int) []byte {
	start := len(b)
	b = appendICCID(b, idx)
	return append(b, luhn(string(b[start:])))
}

func appendPadded(b []byte, v uint64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendUint(tmp[:0], v, 10)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// IMSI: 1NCE's MCC/MNC 901/40, then 5 and the index in nine digits.
func appendIMSI(b []byte, idx int) []byte {
	return appendPadded(append(b, "9014051"...), uint64(idx), 8)
}

// MSISDN: 1NCE's 882285 international range.
func appendMSISDN(b []byte, idx int) []byte {
	return appendPadded(append(b, "8822851"...), uint64(idx), 8)
}

// ipBase is the fixed IP of SIM 0 (10.0.0.1): SIM n has ipBase+n, inside 10.0.0.0/8.
const ipBase uint32 = 0x0a000001

// IP: the SIM's fixed private address.
func appendIP(b []byte, idx int) []byte {
	v := ipBase + uint32(idx)
	b = strconv.AppendUint(b, uint64(v>>24), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(v>>16&0xff), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(v>>8&0xff), 10)
	b = append(b, '.')
	return strconv.AppendUint(b, uint64(v&0xff), 10)
}

// IMEI: TAC 35, a 12-digit serial scrambled from the index (an odd multiplier not divisible
// by 5 is a bijection modulo 10^12), and the Luhn digit.
func appendIMEI(b []byte, idx int) []byte {
	start := len(b)
	b = append(b, '3', '5')
	b = appendPadded(b, uint64(idx)*2654435761%1_000_000_000_000, 12)
	return append(b, luhn(string(b[start:])))
}

func appendDefaultLabel(b []byte, idx int) []byte {
	return appendPadded(append(b, "device-"...), uint64(idx), 6)
}

func str(fn func([]byte, int) []byte, idx int) string { return string(fn(nil, idx)) }
