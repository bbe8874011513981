package oncesim

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Changes made "in the 1NCE portal" and by the devices themselves, which a test needs to
// provoke what a real fleet does on its own: a SIM disabled by a colleague, a device swapped,
// a modem that loses its network, a tracker that crosses a border, a meter that uploads a
// large file. Each change makes the events 1NCE would make, published to subscribers and the
// Data Streamer like any other; the admin endpoint (AdminHandler) offers the same over HTTP.

// Errors of the change methods; match them with errors.Is.
var (
	// ErrUnknownSIM: no SIM has the ICCID.
	ErrUnknownSIM = errors.New("oncesim: unknown SIM")
	// ErrInvalidChange: the change is malformed (its message says why).
	ErrInvalidChange = errors.New("oncesim: invalid change")
	// ErrRefused: the SIM's state does not allow the change, as 1NCE would refuse it (an
	// expired SIM, usage on a blocked or offline device, an IMEI another SIM's device has).
	ErrRefused = errors.New("oncesim: change refused")
)

// SIMChange is a change to a SIM's settings. Zero fields keep what the SIM has.
type SIMChange struct {
	// Status is "Enabled" or "Disabled". Disabling ends the device's data session and
	// detaches it, as the network drops a blocked SIM.
	Status string
	// Label replaces the SIM's label when not nil (up to 256 characters; "" clears it).
	Label *string
	// IMEI puts the SIM into another device (15 digits): the SIM card and every later event
	// and record carry it, and an "IMEI change" event (source Network) reports it.
	IMEI string
}

// Network is a mobile network a device can be on.
type Network struct {
	MCC      string `json:"mcc"`
	MNC      string `json:"mnc"`
	Operator string `json:"operator"`
	Country  string `json:"country"`
	// ISO is the country's ISO 3166 alpha-2 code, lower case.
	ISO string `json:"iso"`
}

// Usage is traffic a SIM's device makes at once. A device that is not attached attaches
// first, and data flows in a data session (the open one, or one opened and closed around
// it), so threshold, exhaustion and session events come in the order the network makes them.
type Usage struct {
	// Bytes of data to use; quota permitting (with auto top-up the quota is refilled as it
	// runs out, as in metering).
	Bytes int64
	// AllData uses exactly what is left of the data quota, so that it is exhausted now.
	AllData bool
	// SMS is how many MO SMS the device sends (each takes one from the SMS quota).
	SMS int
}

// Limits of a Usage, against typos that would take minutes to meter.
const (
	maxUsageBytes = 1 << 40
	maxUsageSMS   = 10_000
)

// Networks lists the networks a SIM can be moved to with MoveSIM.
func (s *Simulator) Networks() []Network {
	out := make([]Network, len(operators))
	for i, op := range operators {
		out[i] = Network{MCC: op.mcc, MNC: op.mnc, Operator: op.name, Country: op.country, ISO: op.iso}
	}
	return out
}

// ChangeSIM changes a SIM's status, label or IMEI as a user of the 1NCE portal (or a device
// swap) would, with the events 1NCE makes, and returns the SIM afterwards.
func (s *Simulator) ChangeSIM(iccid string, c SIMChange) (SIMState, error) {
	if c.Status != "" && c.Status != "Enabled" && c.Status != "Disabled" {
		return SIMState{}, fmt.Errorf("%w: status must be Enabled or Disabled, got %q", ErrInvalidChange, c.Status)
	}
	if c.Label != nil && (utf8.RuneCountInString(*c.Label) > 256 || !utf8.ValidString(*c.Label)) {
		return SIMState{}, fmt.Errorf("%w: label must be valid UTF-8 of at most 256 characters", ErrInvalidChange)
	}
	if c.IMEI != "" && (len(c.IMEI) != 15 || strings.Trim(c.IMEI, "0123456789") != "") {
		return SIMState{}, fmt.Errorf("%w: imei must be 15 digits, got %q", ErrInvalidChange, c.IMEI)
	}
	if c.Status == "" && c.Label == nil && c.IMEI == "" {
		return SIMState{}, fmt.Errorf("%w: nothing to change (status, label or imei)", ErrInvalidChange)
	}
	idx, ok := s.fleet.indexOf(iccid)
	if !ok {
		return SIMState{}, fmt.Errorf("%w: %s", ErrUnknownSIM, iccid)
	}
	if c.IMEI != "" {
		s.fleet.mu.RLock()
		other, taken := s.fleet.idxOfIMEI(c.IMEI, s.fleet.count)
		s.fleet.mu.RUnlock()
		if taken && other != idx {
			return SIMState{}, fmt.Errorf("%w: IMEI %s is the device of SIM %s", ErrRefused, c.IMEI, iccidOf(other))
		}
	}
	var err error
	s.withIndex(idx, func(x *simCtx) {
		if x.expired() {
			err = fmt.Errorf("%w: SIM %s is expired; only extensions are permitted", ErrRefused, iccid)
			return
		}
		if c.IMEI != "" {
			if err = x.setIMEI(c.IMEI); err != nil {
				return
			}
		}
		u := simUpdate{Label: c.Label}
		if c.Status != "" {
			u.Status = &c.Status
		}
		x.apply(&u)
	})
	if err != nil {
		return SIMState{}, err
	}
	st, _ := s.SIM(iccid)
	return st, nil
}

// setIMEI moves the SIM into the device with imei.
func (c *simCtx) setIMEI(imei string) error {
	e := c.sh.ext(c.off)
	old := imeiOf(c.idx, c.st, e)
	if old == imei {
		return nil
	}
	f := c.s.fleet
	f.imeiMu.Lock()
	if other, taken := f.imeis[imei]; taken && other != c.idx {
		f.imeiMu.Unlock()
		return fmt.Errorf("%w: IMEI %s is the device of SIM %s", ErrRefused, imei, iccidOf(other))
	}
	if f.imeis == nil {
		f.imeis = map[string]int{}
	}
	if c.st.flags&flagIMEISet != 0 {
		delete(f.imeis, old)
	}
	f.imeis[imei] = c.idx
	f.imeiMu.Unlock()
	e.imei = imei
	c.st.flags |= flagIMEISet
	c.event(evIMEIChange, "IMEI changed from "+old+" to "+imei)
	return nil
}

// SetOnline takes a SIM's device off the network (online false: its data session ends, it
// detaches — "Delete PDP Context", "Purge location" — and stays OFFLINE, with no data or MO
// SMS, until brought back) or brings it back (online true: "Update location" and "Create PDP
// Context", so it is ONLINE until its next planned session ends; MT SMS waiting for it are
// delivered at the SMSC's next retry). A disabled or expired SIM's device stays off the
// network until the SIM is enabled or extended.
func (s *Simulator) SetOnline(iccid string, online bool) (SIMState, error) {
	if !s.withSIM(iccid, func(c *simCtx) { c.setOnline(online) }) {
		return SIMState{}, fmt.Errorf("%w: %s", ErrUnknownSIM, iccid)
	}
	st, _ := s.SIM(iccid)
	return st, nil
}

// MoveSIM puts a SIM's device on another network, named by MCC and MNC, or by Country alone
// (its ISO code or name: the first network of Networks there). An attached device reports an
// "Update location" with the new operator and country; later events and records carry them.
func (s *Simulator) MoveSIM(iccid string, to Network) (SIMState, error) {
	opIdx := -1
	for i, op := range operators {
		switch {
		case to.MCC != "" || to.MNC != "":
			if op.mcc == to.MCC && op.mnc == to.MNC {
				opIdx = i
			}
		case to.Country != "":
			if strings.EqualFold(op.iso, to.Country) || strings.EqualFold(op.country, to.Country) {
				opIdx = i
			}
		}
		if opIdx >= 0 {
			break
		}
	}
	if opIdx < 0 {
		var known []string
		for _, n := range s.Networks() {
			known = append(known, n.MCC+"/"+n.MNC+" "+n.Operator+" ("+n.ISO+")")
		}
		return SIMState{}, fmt.Errorf("%w: no network with mcc %q, mnc %q, country %q; known: %s",
			ErrInvalidChange, to.MCC, to.MNC, to.Country, strings.Join(known, ", "))
	}
	if !s.withSIM(iccid, func(c *simCtx) { c.move(opIdx) }) {
		return SIMState{}, fmt.Errorf("%w: %s", ErrUnknownSIM, iccid)
	}
	st, _ := s.SIM(iccid)
	return st, nil
}

// AddUsage makes a SIM's device use data and send MO SMS now, on top of its metered usage:
// the way to cross a quota threshold, or exhaust a quota, at a chosen moment in a test. It
// is refused for a disabled or expired SIM and a device taken offline.
func (s *Simulator) AddUsage(iccid string, u Usage) (SIMState, error) {
	switch {
	case u.Bytes < 0 || u.Bytes > maxUsageBytes:
		return SIMState{}, fmt.Errorf("%w: bytes must be between 0 and %d", ErrInvalidChange, int64(maxUsageBytes))
	case u.SMS < 0 || u.SMS > maxUsageSMS:
		return SIMState{}, fmt.Errorf("%w: sms must be between 0 and %d", ErrInvalidChange, maxUsageSMS)
	case u.Bytes > 0 && u.AllData:
		return SIMState{}, fmt.Errorf("%w: give bytes or all_data, not both", ErrInvalidChange)
	case u.Bytes == 0 && !u.AllData && u.SMS == 0:
		return SIMState{}, fmt.Errorf("%w: nothing to use (bytes, all_data or sms)", ErrInvalidChange)
	}
	var err error
	if !s.withSIM(iccid, func(c *simCtx) {
		switch st := c.st; {
		case c.expired():
			err = fmt.Errorf("%w: SIM %s is expired", ErrRefused, iccid)
		case st.flags&flagDisabled != 0:
			err = fmt.Errorf("%w: SIM %s is disabled", ErrRefused, iccid)
		case st.flags&flagOffline != 0:
			err = fmt.Errorf("%w: the device of SIM %s is offline", ErrRefused, iccid)
		default:
			c.use(u)
		}
	}) {
		return SIMState{}, fmt.Errorf("%w: %s", ErrUnknownSIM, iccid)
	}
	if err != nil {
		return SIMState{}, err
	}
	st, _ := s.SIM(iccid)
	return st, nil
}

// use makes the device's traffic of u at c.now.
func (c *simCtx) use(u Usage) {
	st := c.st
	m := meterer{s: c.s, sh: c.sh, off: c.off, idx: c.idx, st: st, commit: true, fx: c.fx}
	if st.flags&flagAttached == 0 {
		st.flags |= flagAttached
		c.s.recordNet(c.sh, c.off, c.idx, st, c.now, evUpdateLocation, 0, c.fx)
		m.reachable(c.now)
	}
	mb := float64(u.Bytes) / bytesPerMB
	if u.AllData {
		mb = st.data.remaining
	}
	if mb > 0 && (st.data.remaining > 0 || st.flags&flagAutoTopUp != 0) {
		own := st.sess == 0
		if own {
			st.sess = c.now
			c.s.recordNet(c.sh, c.off, c.idx, st, c.now, evCreatePDP, c.now, c.fx)
		}
		m.drain(c.now, mb, st.sess)
		if own || st.data.remaining <= 0 {
			c.closeSession(c.now)
		}
	}
	for range u.SMS {
		q := &st.sms
		if c.now >= q.expiry || (q.remaining < 1 && (st.flags&flagAutoTopUp == 0 || !m.autoTopUp(q, c.now))) {
			break
		}
		m.chargeSMS(c.now, true)
		c.s.recordMO(c.sh, c.off, c.now)
	}
}

// drain uses mb megabytes of data at once at t in session sess, with the threshold,
// exhaustion and auto top-up a metered flow would make.
func (m *meterer) drain(t int64, mb float64, sess int64) {
	q := &m.st.data
	for guard := 0; mb > 0 && guard < 100000; guard++ {
		if q.remaining <= 0 && !m.autoTopUp(q, t) {
			return
		}
		use := min(mb, q.remaining)
		thr := thresholdShare * q.total
		if q.threshold == 0 && q.remaining > thr && q.remaining-use <= thr {
			q.threshold, q.changed = t, t
			m.event(t, evThreshold, "Data quota threshold reached: less than 20% left")
		}
		m.usage(t, t, use, sess)
		q.remaining -= use
		mb -= use
		if q.remaining <= 0 {
			q.remaining = 0
			q.exhausted, q.changed = t, t
			m.event(t, evQuotaExhausted, "Data quota exhausted")
		}
	}
}
