package oncesim

import (
	"strconv"
	"time"
)

// Daily network activity. On a day, a SIM's device is active with probability fleet.share
// (a pure function of seed, SIM and day, like usage). An active device attaches, opens one or
// two data sessions in which the day's data flows, sends its MO SMS while attached and, if it
// is a sleeper (a third of the idle devices), detaches after its last session. Every session
// ends the same day, so each day is metered on its own and metering stays split-invariant.
//
// Network events are recorded only when a SIM is metered for real (touched, Advance, the
// sweeper), in a compact form; a page read meters a copy and records nothing.

// netPlan is one device's planned network activity on one day.
type netPlan struct {
	attach     int64
	n          int
	start, end [2]int64
	sleeper    bool
	detach     int64 // sleepers only
	busy       int64 // seconds in sessions, over which the day's data is spread
}

// sleeper reports whether a device detaches after its day's activity (OFFLINE in between).
func (f *fleet) sleeper(idx int, p profile) bool {
	return p == profileIdle && f.hash(uint64(idx), 31)%3 == 0
}

// plan returns the day's plan of SIM idx, or false when its device is not active that day.
func (f *fleet) plan(idx int, p profile, day int64) (netPlan, bool) {
	if f.share <= 0 || unit(f.hash(uint64(idx), 50, uint64(day))) >= f.share {
		return netPlan{}, false
	}
	d0 := day * daySeconds
	h := f.hash(uint64(idx), 51, uint64(day))
	pl := netPlan{attach: d0 + int64(h%(16*3600)), n: 1, sleeper: f.sleeper(idx, p)}
	if p != profileIdle && h>>40&1 == 1 {
		pl.n = 2
	}
	// Sessions share what is left of the day in equal slots, each at a random place in its
	// slot, so they never overlap and all end before midnight (with room for a detach).
	first := pl.attach + 60
	slot := (d0 + daySeconds - 120 - first) / int64(pl.n)
	for i := range pl.n {
		hs := f.hash(uint64(idx), 52, uint64(day), uint64(i))
		var dur int64
		switch p {
		case profileIdle:
			dur = 60 + int64(hs%540) // a report: 1–10 minutes
		case profileSteady:
			dur = 3600 + int64(hs%(4*3600)) // 1–5 hours
		default:
			dur = 600 + int64(hs%(2*3600)) // 10 minutes to 2 hours
		}
		dur = min(dur, slot-1)
		pl.start[i] = first + int64(i)*slot + int64(hs>>32)%(slot-dur)
		pl.end[i] = pl.start[i] + dur
		pl.busy += dur
	}
	pl.detach = pl.end[pl.n-1] + 60
	return pl, true
}

// netEvent is a stored network event: 24 bytes, as an active fleet makes millions a day.
type netEvent struct {
	id   int64
	at   int64
	kind eventKind
	op   uint8 // index into operators: where the device was
}

// netDesc describes a network event as 1NCE's event lists do.
func netDesc(k eventKind, op operator) string {
	switch k {
	case evUpdateLocation:
		return "New location received from VLR, now attached to " + op.name + " (" + op.country + ")"
	case evCreatePDP:
		return "PDP context created"
	case evDeletePDP:
		return "PDP context deleted"
	case evPurgeLocation:
		return "Location purged: the device detached from the network"
	}
	return eventInfos[k].name
}

// sessionID names a data session: the SIM and the second it started. PDP events and the usage
// records of a session carry it (Platform 2.0's ipcan_session_id).
func sessionID(idx int, start int64) string {
	return strconv.Itoa(idx+1) + "-" + strconv.FormatInt(start, 10)
}

// opIndex is the index into operators of the network SIM idx is on.
func (f *fleet) opIndex(idx int, st *sim) int {
	if st.op != 0 {
		return int(st.op) - 1
	}
	return int(f.hash(uint64(idx), 30) % defaultOperators)
}

func (f *fleet) operatorFor(idx int, st *sim) operator { return operators[f.opIndex(idx, st)] }

// recordNet stores a network event of SIM idx and, when someone listens, queues its Activity.
// sess is the session a PDP event opens or closes. The caller holds sh.mu for writing.
func (s *Simulator) recordNet(sh *shard, off, idx int, st *sim, at int64, k eventKind, sess int64, fx *effects) {
	e := sh.ext(off)
	opIdx := s.fleet.opIndex(idx, st)
	e.net = append(e.net, netEvent{id: s.eventIDs.Add(1), at: at, kind: k, op: uint8(opIdx)})
	if len(e.net) > maxNetPerSIM {
		e.net = append(e.net[:0], e.net[len(e.net)-maxNetPerSIM:]...)
	}
	if fx != nil && fx.publish {
		a := s.activityBase(idx, st, e)
		a.Kind = ActivityEvent
		a.At = time.Unix(at, 0).UTC()
		info := eventInfos[k]
		a.EventType, a.EventSource, a.Severity, a.Alert = info.name, info.source, info.severity, info.alert
		a.Description = netDesc(k, operators[opIdx])
		if sess != 0 {
			a.Session = sessionID(idx, sess)
		}
		fx.acts = append(fx.acts, a)
	}
}

// net records a network event while metering (only when committing).
func (m *meterer) net(at int64, k eventKind, sess int64) {
	if m.commit {
		m.s.recordNet(m.sh, m.off, m.idx, m.st, at, k, sess, m.fx)
	}
}

// network meters [a,b) of a device with daily network activity.
func (m *meterer) network(a, b int64) {
	f := m.s.fleet
	exp := min(m.st.data.expiry, m.st.sms.expiry)
	for day := a / daySeconds; day <= (b-1)/daySeconds; day++ {
		from, to := max(a, day*daySeconds), min(b, (day+1)*daySeconds, exp)
		if from >= to {
			return
		}
		if pl, ok := f.plan(m.idx, m.st.profile, day); ok {
			m.netDay(&pl, day, from, to)
		}
	}
}

func within(t, from, to int64) bool { return from <= t && t < to }

// netDay meters [from,to) of an active day: attach, sessions with their data, MO SMS, detach.
func (m *meterer) netDay(pl *netPlan, day, from, to int64) {
	st, f := m.st, m.s.fleet
	if within(pl.attach, from, to) {
		// A waking device registers where it is, whether or not it was attached before.
		st.flags |= flagAttached
		m.net(pl.attach, evUpdateLocation, 0)
		m.reachable(pl.attach)
	}
	rate := f.dayBytes(m.idx, st.profile, day) / float64(pl.busy) / bytesPerMB // MB per second
	for i := range pl.n {
		s0, s1 := pl.start[i], pl.end[i]
		if within(s0, from, to) && st.flags&flagAttached != 0 && st.sess == 0 &&
			(st.data.remaining > 0 || st.flags&flagAutoTopUp != 0) {
			st.sess = s0
			m.net(s0, evCreatePDP, s0)
		}
		if f0, f1 := max(s0, from), min(s1, to); st.sess != 0 && rate > 0 && f0 < f1 {
			m.flow(f0, f1, rate, st.sess)
			if st.data.remaining <= 0 {
				// Policy control ends the session when the quota runs out.
				m.net(st.data.exhausted, evDeletePDP, st.sess)
				st.sess = 0
			}
		}
		if within(s1, from, to) && st.sess != 0 {
			m.net(s1, evDeletePDP, st.sess)
			st.sess = 0
		}
	}
	// MO SMS go out while the device is attached: after the attach, before any detach.
	if st.flags&flagAttached != 0 {
		last := pl.end[pl.n-1]
		m.moSMS(day, from, to, func(k int) int64 {
			return pl.attach + int64(f.hash(uint64(m.idx), 21, uint64(day), uint64(k))%uint64(last-pl.attach+1))
		})
	}
	if pl.sleeper && within(pl.detach, from, to) && st.flags&flagAttached != 0 {
		if st.sess != 0 { // a session opened since (SetOnline) ends with the attachment
			m.net(pl.detach, evDeletePDP, st.sess)
			st.sess = 0
		}
		st.flags &^= flagAttached
		m.net(pl.detach, evPurgeLocation, 0)
	}
}

// reachable hands pending MT SMS to a device that just became reachable at t: each is
// delivered at the SMSC's next retry, or expires if that comes too late.
func (m *meterer) reachable(t int64) {
	if !m.commit {
		return
	}
	e := m.sh.extra[int32(m.off)]
	if e == nil {
		return
	}
	for _, rec := range e.sms {
		if rec.mo || rec.deliverAt != 0 || rec.failedAt != 0 || t >= rec.expiry {
			continue
		}
		at := max(t, rec.submit)
		if r := (at - rec.submit) % smsRetryInterval; r != 0 {
			at += smsRetryInterval - r
		}
		if at >= rec.expiry {
			continue
		}
		if m.st.sms.remaining < 1 {
			rec.failedAt = at // refused by policy control: no SMS quota
			continue
		}
		rec.deliverAt = at
		m.chargeSMS(t, false)
	}
}

// closeSession ends an open session at t (disable, device offline, expiry).
func (c *simCtx) closeSession(t int64) {
	if c.st.sess != 0 {
		c.s.recordNet(c.sh, c.off, c.idx, c.st, t, evDeletePDP, c.st.sess, c.fx)
		c.st.sess = 0
	}
}

// setOnline takes the device off the network or brings it back. Back online it attaches and
// opens a data session at once (the session ends with the device's next planned session, or
// when it goes offline), and pending MT SMS are delivered at the SMSC's next retry.
func (c *simCtx) setOnline(online bool) {
	st := c.st
	if !online {
		if st.flags&flagOffline != 0 {
			return
		}
		c.closeSession(c.now)
		if st.flags&flagAttached != 0 {
			st.flags &^= flagAttached
			c.s.recordNet(c.sh, c.off, c.idx, st, c.now, evPurgeLocation, 0, c.fx)
		}
		st.flags |= flagOffline
		return
	}
	st.flags &^= flagOffline
	if st.flags&flagDisabled != 0 || c.expired() {
		return // the network refuses it until it is enabled (or extended)
	}
	if st.flags&flagAttached == 0 {
		st.flags |= flagAttached
		c.s.recordNet(c.sh, c.off, c.idx, st, c.now, evUpdateLocation, 0, c.fx)
	}
	m := meterer{s: c.s, sh: c.sh, off: c.off, idx: c.idx, st: st, commit: true, fx: c.fx}
	m.reachable(c.now)
	if st.sess == 0 && (st.data.remaining > 0 || st.flags&flagAutoTopUp != 0) {
		st.sess = c.now
		c.s.recordNet(c.sh, c.off, c.idx, st, c.now, evCreatePDP, c.now, c.fx)
	}
}

// move puts the device on another network: a location update when it is attached, else the
// change shows at its next attach.
func (c *simCtx) move(opIdx int) {
	if c.s.fleet.opIndex(c.idx, c.st) == opIdx {
		return
	}
	c.st.op = uint8(opIdx + 1)
	if c.st.flags&flagAttached != 0 && c.st.flags&(flagOffline|flagDisabled) == 0 {
		c.s.recordNet(c.sh, c.off, c.idx, c.st, c.now, evUpdateLocation, 0, c.fx)
	}
}
