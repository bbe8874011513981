package oncesim

import (
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
}

// firstEventID is the first id of stored events; ids below it are derived activation events.
const firstEventID = 1 << 40

// simEvent is one stored event of a SIM.
type simEvent struct {
	id   int64
	at   int64
	kind eventKind
	desc string
}

// recordEvent stores an event of SIM idx and, when someone listens, queues its Activity. The
// caller holds sh.mu for writing.
func (s *Simulator) recordEvent(sh *shard, off, idx int, st *sim, at int64, k eventKind, desc string, fx *effects) {
	e := sh.ext(off)
	ev := simEvent{id: s.eventIDs.Add(1), at: at, kind: k, desc: desc}
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
	out := []simEvent{{id: int64(idx) + 1, at: st.activated, kind: evActivated, desc: "Status of SIM changed from 'Issued' to 'Activated'"}}
	if e := sh.extra[int32(off)]; e != nil {
		out = append(out, e.events...)
	}
	return out
}

// activityBase fills the identity fields of an Activity for SIM idx.
func (s *Simulator) activityBase(idx int, st *sim, e *simExtra) Activity {
	op := operatorOf(s.fleet, idx)
	return Activity{
		SIMID:     int64(idx) + 1,
		ICCID:     iccidOf(idx),
		IMSI:      str(appendIMSI, idx),
		MSISDN:    str(appendMSISDN, idx),
		IMEI:      str(appendIMEI, idx),
		IPAddress: str(appendIP, idx),
		Label:     labelOf(idx, st, e),
		Operator:  op.name,
		Country:   op.country,
		MCC:       op.mcc,
		MNC:       op.mnc,
	}
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

var operators = [...]operator{
	{2, "Telekom Deutschland", "Germany", 74, "de", "49", "262", "01"},
	{3, "Vodafone", "Germany", 74, "de", "49", "262", "02"},
	{5, "AT&T", "United States", 223, "us", "1", "310", "410"},
	{7, "Orange", "France", 70, "fr", "33", "208", "01"},
	{9, "Telia", "Sweden", 204, "se", "46", "240", "01"},
}

func operatorOf(f *fleet, idx int) operator {
	return operators[f.hash(uint64(idx), 30)%uint64(len(operators))]
}
