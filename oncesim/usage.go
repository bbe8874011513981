package oncesim

import (
	"slices"
	"time"
)

// Usage model. Every draw is a pure function of (seed, SIM, day), and usage within a day flows
// at a constant rate, so metering [a,c) then [c,b) gives exactly what metering [a,b) gives:
// looking at a SIM (or not) never changes its future.

// dayBytes is the data volume a SIM's device moves on Unix day `day` when nothing stops it
// (with daily network activity: on a day it is active).
func (f *fleet) dayBytes(idx int, p profile, day int64) float64 {
	switch p {
	case profileIdle:
		if f.share <= 0 {
			return 0
		}
		// With sessions, an idle device's session carries its report: 2–16 kB.
		return float64(2<<10) + float64(f.hash(uint64(idx), 15, uint64(day))%(14<<10))
	case profileSteady:
		base := float64(200<<10) + float64(f.hash(uint64(idx), 10)%(3<<20)) // 200 KB–3.2 MB
		return base * (0.8 + 0.4*unit(f.hash(uint64(idx), 11, uint64(day))))
	default:
		v := float64(20<<10) * (0.5 + unit(f.hash(uint64(idx), 12, uint64(day))))
		if f.hash(uint64(idx), 13, uint64(day))%100 < 5 {
			v += (5 + 45*unit(f.hash(uint64(idx), 14, uint64(day)))) * bytesPerMB
		}
		return v
	}
}

// dayMO is how many SMS the device sends (mobile originated) on Unix day `day`.
func (f *fleet) dayMO(idx int, p profile, day int64) int {
	h := f.hash(uint64(idx), 20, uint64(day))
	switch p {
	case profileIdle:
		if h%30 == 0 {
			return 1
		}
		return 0
	case profileSteady:
		return int(h % 3)
	default:
		return int(h % 2)
	}
}

// moTime is when the k-th MO SMS of a day is sent.
func (f *fleet) moTime(idx int, day int64, k int) int64 {
	return day*daySeconds + int64(f.hash(uint64(idx), 21, uint64(day), uint64(k))%daySeconds)
}

// effects collects what metering produced beyond the SIM's own state.
type effects struct {
	acts    []Activity
	topUps  []autoTopUpDone
	publish bool // build Activities (someone subscribed)
}

type autoTopUpDone struct {
	idx int
	at  int64
}

// meterer meters one SIM. With commit false it works on a copy for a read-only projection:
// no events, SMS records, history or effects are recorded.
type meterer struct {
	s      *Simulator
	sh     *shard
	off    int
	idx    int
	st     *sim
	commit bool
	fx     *effects
}

// meter brings st (SIM idx, at offset off of sh) up to now. The caller holds sh.mu for writing
// when commit is true, for reading otherwise (and then st is a copy).
func (s *Simulator) meter(sh *shard, off, idx int, st *sim, now int64, commit bool, fx *effects) {
	a := st.settled
	if now <= a {
		return
	}
	m := meterer{s: s, sh: sh, off: off, idx: idx, st: st, commit: commit, fx: fx}
	if st.flags&(flagDisabled|flagOffline) == 0 {
		if s.fleet.share > 0 {
			m.network(a, now)
		} else {
			m.data(a, now)
			m.smsMO(a, now)
		}
	}
	// Expiry happens whether or not the SIM is enabled.
	if a < st.data.expiry && st.data.expiry <= now {
		if st.sess != 0 {
			m.net(st.data.expiry, evDeletePDP, st.sess)
			st.sess = 0
		}
		st.data.changed = st.data.expiry
		m.event(st.data.expiry, evQuotaExpired, "Data quota expired")
	}
	if a < st.sms.expiry && st.sms.expiry <= now {
		st.sms.changed = st.sms.expiry
		m.event(st.sms.expiry, evQuotaExpired, "SMS quota expired")
	}
	st.settled = now
}

func (m *meterer) event(at int64, k eventKind, desc string) {
	if m.commit {
		m.s.recordEvent(m.sh, m.off, m.idx, m.st, at, k, desc, m.fx)
	}
}

// data meters data usage over [a,b) with usage flowing evenly over each day (daily network
// activity off).
func (m *meterer) data(a, b int64) {
	end := min(b, m.st.data.expiry)
	for t := a; t < end; {
		day := t / daySeconds
		segEnd := min(end, (day+1)*daySeconds)
		if rate := m.s.fleet.dayBytes(m.idx, m.st.profile, day) / daySeconds / bytesPerMB; rate > 0 {
			m.flow(t, segEnd, rate, 0)
		}
		t = segEnd
	}
}

// flow meters data moving at rate MB per second over [t,end) in session sess (0: none),
// draining the data quota with threshold and exhaustion events; an exhausted quota stops it
// unless auto top-up refills it.
func (m *meterer) flow(t, end int64, rate float64, sess int64) {
	q := &m.st.data
	for guard := 0; t < end && guard < 100000; guard++ {
		if q.remaining <= 0 && !m.autoTopUp(q, t) {
			return
		}
		use := rate * float64(end-t)
		thr := thresholdShare * q.total
		if q.threshold == 0 && q.remaining > thr && q.remaining-use <= thr {
			tc := t + int64((q.remaining-thr)/rate)
			q.threshold, q.changed = tc, tc
			m.event(tc, evThreshold, "Data quota threshold reached: less than 20% left")
		}
		if use >= q.remaining {
			tEx := min(end, t+int64(q.remaining/rate+0.5))
			m.usage(t, tEx, q.remaining, sess)
			q.remaining = 0
			q.exhausted, q.changed = tEx, tEx
			m.event(tEx, evQuotaExhausted, "Data quota exhausted")
			t = tEx
			continue
		}
		q.remaining -= use
		m.usage(t, end, use, sess)
		t = end
	}
}

// autoTopUp refills an exhausted quota at t when the SIM has auto top-up; it reports whether
// usage can go on.
func (m *meterer) autoTopUp(q *quota, t int64) bool {
	if m.st.flags&flagAutoTopUp == 0 {
		return false
	}
	m.st.data.add(topUpDataMB, t)
	m.st.sms.add(topUpSMS, t)
	m.event(t, evTopUp, "Automatic top-up of 500 MB and 250 SMS")
	if m.commit {
		m.fx.topUps = append(m.fx.topUps, autoTopUpDone{idx: m.idx, at: t})
	}
	return q.remaining > 0
}

// usage records mb megabytes of data used in [from,to) in session sess (0: none).
func (m *meterer) usage(from, to int64, mb float64, sess int64) {
	if !m.commit || mb <= 0 {
		return
	}
	total := int64(mb * bytesPerMB)
	rx := total * 6 / 10
	tx := total - rx
	d := m.s.dayRecord(m.sh, m.off, from/daySeconds)
	d.rx = addSat32(d.rx, rx)
	d.tx = addSat32(d.tx, tx)
	if m.fx.publish {
		a := m.s.activityBase(m.idx, m.st, m.sh.extra[int32(m.off)])
		a.Kind = ActivityUsage
		a.Start, a.At = time.Unix(from, 0).UTC(), time.Unix(to, 0).UTC()
		a.Traffic = "Data"
		a.RxBytes, a.TxBytes = rx, tx
		a.Cost = mb
		if sess != 0 {
			a.Session = sessionID(m.idx, sess)
		}
		m.fx.acts = append(m.fx.acts, a)
	}
}

// smsMO meters SMS the device sends over [a,b), spread over whole days (daily network
// activity off).
func (m *meterer) smsMO(a, b int64) {
	for day := a / daySeconds; day <= (b-1)/daySeconds; day++ {
		m.moSMS(day, a, b, func(k int) int64 { return m.s.fleet.moTime(m.idx, day, k) })
	}
}

// moSMS meters the MO SMS of day that fall in [a,b); at gives the time of the day's k-th.
func (m *meterer) moSMS(day, a, b int64, at func(k int) int64) {
	q := &m.st.sms
	n := m.s.fleet.dayMO(m.idx, m.st.profile, day)
	var times [4]int64
	for k := range n {
		times[k] = at(k)
	}
	// In time order, so that a threshold crossed by the day's second SMS is dated alike
	// however the day is split into metering steps.
	slices.Sort(times[:n])
	for _, t := range times[:n] {
		if t < a || t >= b || t >= q.expiry {
			continue
		}
		if q.remaining < 1 {
			if m.st.flags&flagAutoTopUp == 0 || !m.autoTopUp(q, t) {
				continue // blocked: no SMS quota left
			}
		}
		m.chargeSMS(t, true)
		if m.commit {
			m.s.recordMO(m.sh, m.off, t)
		}
	}
}

// chargeSMS takes one SMS off the SMS quota at t, with threshold and exhaustion events, and
// meters it (mo: device-originated, else network-terminated).
func (m *meterer) chargeSMS(t int64, mo bool) {
	q := &m.st.sms
	q.remaining--
	if q.remaining < 0 {
		q.remaining = 0
	}
	if q.threshold == 0 && q.remaining <= thresholdShare*q.total {
		q.threshold, q.changed = t, t
		m.event(t, evThreshold, "SMS quota threshold reached: less than 20% left")
	}
	if q.remaining <= 0 && q.exhausted == 0 {
		q.exhausted, q.changed = t, t
		m.event(t, evQuotaExhausted, "SMS quota exhausted")
	}
	if !m.commit {
		return
	}
	d := m.s.dayRecord(m.sh, m.off, t/daySeconds)
	if mo {
		d.smsMO = incSat16(d.smsMO)
	} else {
		d.smsMT = incSat16(d.smsMT)
	}
	if m.fx.publish {
		a := m.s.activityBase(m.idx, m.st, m.sh.extra[int32(m.off)])
		a.Kind = ActivityUsage
		a.Start, a.At = time.Unix(t, 0).UTC(), time.Unix(t, 0).UTC()
		a.Traffic = "SMS"
		a.SMSCount = 1
		a.Cost = 1
		m.fx.acts = append(m.fx.acts, a)
	}
}
