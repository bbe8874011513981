package oncesim

import (
	"slices"
	"time"
)

// eventKind is a type of SIM event as 1NCE names it.
type eventKind uint8

const (
	evActivated eventKind = iota
	evStateChange
	evLabelChange
	evIMEILock
	evThreshold
	evQuotaExhausted
	evQuotaExpired
	evTopUp
	evAutoTopUp
	evDeletePDP
	evCreatePDP
	evUpdateLocation
	evTransfer
	evExtension
	evPurgeLocation
	evIMEIChange
)

// eventInfo describes an eventKind: its 1NCE name, the v2 numeric ids, who raised it and how
// serious it is.
type eventInfo struct {
	name     string
	typeID   int
	source   string
	sourceID int
	severity string
	sevID    int
	alert    bool
}

// Severity and source ids follow the Data Streamer documentation (INFO 0, WARN 1,
// CRITICAL 2; Network 0, Policy Control 1, API 2, User 3).
var eventInfos = [...]eventInfo{
	evActivated:      {"SIM activation", 1, "API", 2, "INFO", 0, false},
	evStateChange:    {"SIM state change", 2, "API", 2, "INFO", 0, false},
	evLabelChange:    {"SIM label change", 3, "API", 2, "INFO", 0, false},
	evIMEILock:       {"IMEI lock change", 4, "API", 2, "INFO", 0, false},
	evThreshold:      {"Threshold reached", 5, "Policy Control", 1, "WARN", 1, true},
	evQuotaExhausted: {"Quota exhausted", 6, "Policy Control", 1, "CRITICAL", 2, true},
	evQuotaExpired:   {"Quota expired", 7, "Policy Control", 1, "CRITICAL", 2, true},
	evTopUp:          {"Quota top-up", 8, "API", 2, "INFO", 0, false},
	evAutoTopUp:      {"Auto top-up change", 9, "API", 2, "INFO", 0, false},
	evDeletePDP:      {"Delete PDP Context", 10, "Network", 0, "INFO", 0, false},
	evCreatePDP:      {"Create PDP Context", 11, "Network", 0, "INFO", 0, false},
	evUpdateLocation: {"Update location", 12, "Network", 0, "INFO", 0, false},
	evTransfer:       {"SIM transfer", 13, "API", 2, "INFO", 0, false},
	evExtension:      {"SIM extension", 14, "API", 2, "INFO", 0, false},
	evPurgeLocation:  {"Purge location", 15, "Network", 0, "INFO", 0, false},
	evIMEIChange:     {"IMEI change", 16, "Network", 0, "WARN", 1, true},
}

// firstEventID is the first id of stored events; ids below it are derived activation events.
const firstEventID = 1 << 40

// simEvent is one stored event of a SIM.
type simEvent struct {
	id   int64
	at   int64
	kind eventKind
	op   uint8 // index into operators: where the device was
	desc string
}

// recordEvent stores an event of SIM idx and, when someone listens, queues its Activity. The
// caller holds sh.mu for writing.
func (s *Simulator) recordEvent(sh *shard, off, idx int, st *sim, at int64, k eventKind, desc string, fx *effects) {
	e := sh.ext(off)
	ev := simEvent{id: s.eventIDs.Add(1), at: at, kind: k, op: uint8(s.fleet.opIndex(idx, st)), desc: desc}
	e.events = append(e.events, ev)
	if len(e.events) > maxEventsPerSIM {
		e.events = append(e.events[:0], e.events[len(e.events)-maxEventsPerSIM:]...)
	}
	if fx != nil && fx.publish {
		a := s.activityBase(idx, st, e)
		a.Kind = ActivityEvent
		a.At = time.Unix(at, 0).UTC()
		info := eventInfos[k]
		a.EventType, a.EventSource, a.Severity, a.Alert = info.name, info.source, info.severity, info.alert
		a.Description = desc
		fx.acts = append(fx.acts, a)
	}
}

// eventsOf returns SIM idx's events, the activation first, oldest first. The caller holds the
// shard lock.
func (s *Simulator) eventsOf(sh *shard, off, idx int, st *sim) []simEvent {
	// The activation is derived, not stored; its id is the SIM's number, below every stored
	// event id (those start at firstEventID).
	op := uint8(s.fleet.opIndex(idx, st))
	out := []simEvent{{id: int64(idx) + 1, at: st.activated, kind: evActivated, op: op, desc: "Status of SIM changed from 'Issued' to 'Activated'"}}
	if e := sh.extra[int32(off)]; e != nil {
		out = slices.Grow(out, len(e.events)+len(e.net))
		out = append(out, e.events...)
		for _, n := range e.net {
			out = append(out, simEvent{id: n.id, at: n.at, kind: n.kind, op: n.op, desc: netDesc(n.kind, operators[n.op])})
		}
	}
	return out
}

// activityBase fills the identity fields of an Activity for SIM idx.
func (s *Simulator) activityBase(idx int, st *sim, e *simExtra) Activity {
	op := s.fleet.operatorFor(idx, st)
	return Activity{
		SIMID:     int64(idx) + 1,
		ICCID:     iccidOf(idx),
		IMSI:      str(appendIMSI, idx),
		MSISDN:    str(appendMSISDN, idx),
		IMEI:      imeiOf(idx, st, e),
		IPAddress: str(appendIP, idx),
		Label:     labelOf(idx, st, e),
		Operator:  op.name,
		Country:   op.country,
		MCC:       op.mcc,
		MNC:       op.mnc,
	}
}

// imeiOf is the IMEI of the device the SIM is in.
func imeiOf(idx int, st *sim, e *simExtra) string {
	if st.flags&flagIMEISet != 0 && e != nil {
		return e.imei
	}
	return str(appendIMEI, idx)
}

func labelOf(idx int, st *sim, e *simExtra) string {
	if st.flags&flagLabelSet != 0 && e != nil {
		return e.label
	}
	return str(appendDefaultLabel, idx)
}

// dayRecord returns the usage record of day for a SIM, creating it. The caller holds sh.mu for
// writing.
func (s *Simulator) dayRecord(sh *shard, off int, day int64) *dayUsage {
	e := sh.ext(off)
	for i := len(e.days) - 1; i >= 0 && i >= len(e.days)-3; i-- {
		if int64(e.days[i].day) == day {
			return &e.days[i]
		}
	}
	e.days = append(e.days, dayUsage{day: int32(day)})
	if len(e.days) > maxDaysPerSIM {
		e.days = append(e.days[:0], e.days[len(e.days)-maxDaysPerSIM:]...)
	}
	return &e.days[len(e.days)-1]
}

// operator is a visited network.
type operator struct {
	id        int
	name      string
	country   string
	countryID int
	iso       string
	cc        string
	mcc, mnc  string
}

// operators are the networks a device can visit. The first defaultOperators are where the
// seeded devices are; the rest are reachable by moving a SIM (Simulator.MoveSIM).
var operators = [...]operator{
	{2, "Telekom Deutschland", "Germany", 74, "de", "49", "262", "01"},
	{3, "Vodafone", "Germany", 74, "de", "49", "262", "02"},
	{5, "AT&T", "United States", 223, "us", "1", "310", "410"},
	{7, "Orange", "France", 70, "fr", "33", "208", "01"},
	{9, "Telia", "Sweden", 204, "se", "46", "240", "01"},
	{11, "A1", "Austria", 14, "at", "43", "232", "01"},
	{13, "Swisscom", "Switzerland", 206, "ch", "41", "228", "01"},
	{17, "Vodafone UK", "United Kingdom", 222, "gb", "44", "234", "15"},
	{19, "TIM", "Italy", 105, "it", "39", "222", "01"},
	{23, "Movistar", "Spain", 195, "es", "34", "214", "07"},
	{29, "KPN", "Netherlands", 150, "nl", "31", "204", "08"},
	{31, "Play", "Poland", 172, "pl", "48", "260", "06"},
}

const defaultOperators = 5
