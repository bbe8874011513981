package oncesim

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SMS status ids and names, as both API generations number them.
const (
	smsPending   = 2
	smsDelivered = 4
	smsFailed    = 5
	smsExpired   = 6
)

var smsStatusNames = map[int]string{smsPending: "PENDING", smsDelivered: "DELIVERED", smsFailed: "FAILED", smsExpired: "EXPIRED"}

// smsRetryInterval is how often the SMSC retries an undelivered MT SMS.
const smsRetryInterval = 15 * 60

// smsRecord is one SMS of a SIM. Its delivery state is a function of the clock: it was decided
// at submission whether (and when) it gets delivered.
type smsRecord struct {
	id        int64
	mo        bool
	submit    int64
	deliverAt int64 // 0: never delivered (device unreachable) — it expires
	expiry    int64
	failedAt  int64 // cancelled, or refused for lack of SMS quota
	payload   string
	source    string
	udh       string
	dcs       int
	srcType   int
}

// state returns the SMS status id at now, the final date (0 when still pending) and the number
// of delivery retries so far.
func (m *smsRecord) state(now int64) (status int, final int64, retries int64) {
	switch {
	case m.failedAt != 0 && (m.deliverAt == 0 || m.failedAt < m.deliverAt):
		return smsFailed, m.failedAt, (m.failedAt - m.submit) / smsRetryInterval
	case m.deliverAt != 0 && now >= m.deliverAt:
		return smsDelivered, m.deliverAt, 0
	case now >= m.expiry:
		return smsExpired, m.expiry, (m.expiry - m.submit) / smsRetryInterval
	}
	return smsPending, 0, (now - m.submit) / smsRetryInterval
}

// moRecord is an SMS the device sent: everything but its id and time is derived, so a busy
// fleet's MO history costs 16 bytes a message.
type moRecord struct {
	id int64
	at int64
}

// moPayload is what simulated devices report by SMS.
const moPayload = "status report"

func (m moRecord) record(idx int) *smsRecord {
	return &smsRecord{id: m.id, mo: true, submit: m.at, deliverAt: m.at, expiry: m.at + daySeconds,
		payload: moPayload, source: str(appendMSISDN, idx), srcType: 145}
}

// recordMO stores an SMS the device sent at t. The caller holds sh.mu for writing.
func (s *Simulator) recordMO(sh *shard, off int, t int64) {
	e := sh.ext(off)
	e.mo = append(e.mo, moRecord{id: s.smsIDs.Add(1), at: t})
	if len(e.mo) > maxMOPerSIM {
		e.mo = append(e.mo[:0], e.mo[len(e.mo)-maxMOPerSIM:]...)
	}
}

// smsOf lists a SIM's SMS, MT and MO. The MT records are shared: the caller holds the lock.
func smsOf(e *simExtra, idx int) []*smsRecord {
	if e == nil {
		return nil
	}
	out := make([]*smsRecord, 0, len(e.sms)+len(e.mo))
	out = append(out, e.sms...)
	for _, m := range e.mo {
		out = append(out, m.record(idx))
	}
	return out
}

func (s *Simulator) storeSMS(sh *shard, off int, m *smsRecord) {
	e := sh.ext(off)
	e.sms = append(e.sms, m)
	if len(e.sms) > maxSMSPerSIM {
		e.sms = append(e.sms[:0], e.sms[len(e.sms)-maxSMSPerSIM:]...)
	}
}

// smsMessage is the SMSMessage body of both generations.
type smsMessage struct {
	SourceAddress     string `json:"source_address"`
	Payload           string `json:"payload"`
	UDH               string `json:"udh"`
	DCS               *int   `json:"dcs"`
	SourceAddressType *struct {
		ID *float64 `json:"id"`
	} `json:"source_address_type"`
	ExpiryDate string `json:"expiry_date"`
}

// maxSMSPayload bounds one submitted message (a concatenated SMS of ten parts).
const maxSMSPayload = 1600

func (m *smsMessage) check(now int64) (expiry int64, srcType int, err error) {
	if m.Payload == "" {
		return 0, 0, errors.New("payload is required")
	}
	if len(m.Payload) > maxSMSPayload {
		return 0, 0, fmt.Errorf("payload must be at most %d characters", maxSMSPayload)
	}
	for _, c := range m.UDH {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return 0, 0, errors.New("udh must be a hex string")
		}
	}
	if m.DCS != nil && *m.DCS != 0 && *m.DCS != 4 && *m.DCS != 8 {
		return 0, 0, fmt.Errorf("dcs must be 0, 4 or 8, got %d", *m.DCS)
	}
	srcType = 145
	if m.SourceAddressType != nil && m.SourceAddressType.ID != nil {
		srcType = int(*m.SourceAddressType.ID)
		if float64(srcType) != *m.SourceAddressType.ID || (srcType != 145 && srcType != 161 && srcType != 208) {
			return 0, 0, errors.New("source_address_type.id must be 145, 161 or 208")
		}
	}
	expiry = now + daySeconds
	if m.ExpiryDate != "" {
		t, perr := time.Parse(time.RFC3339, m.ExpiryDate)
		if perr != nil {
			return 0, 0, fmt.Errorf("expiry_date must be an ISO 8601 date-time, got %q", m.ExpiryDate)
		}
		if expiry = t.Unix(); expiry <= now || expiry > now+7*daySeconds {
			return 0, 0, errors.New("expiry_date must be in the next 7 days")
		}
	}
	return expiry, srcType, nil
}

func (s *Simulator) sendSMS(w http.ResponseWriter, r *http.Request, p routeParams, g gen) {
	var msg smsMessage
	if err := decodeBody(w, r, &msg); err != nil {
		g.badRequest(w, err.Error())
		return
	}
	expiry, srcType, err := msg.check(s.now())
	if err != nil {
		g.badRequest(w, err.Error())
		return
	}
	var id int64
	if !s.changeSIM(w, g, p.iccid, func(c *simCtx) {
		rec := &smsRecord{id: s.smsIDs.Add(1), submit: c.now, expiry: expiry, payload: msg.Payload,
			source: msg.SourceAddress, udh: msg.UDH, srcType: srcType}
		if msg.DCS != nil {
			rec.dcs = *msg.DCS
		}
		id = rec.id
		switch conn := s.connectivity(c.idx, c.st, c.now); {
		case c.st.sms.remaining < 1 || c.now >= c.st.sms.expiry:
			rec.failedAt = c.now + 1 // refused by policy control: no SMS quota
		case conn == "ONLINE" || conn == "ATTACHED":
			rec.deliverAt = c.now + 2 + int64(s.fleet.hash(uint64(rec.id), 40)%9)
			m := meterer{s: s, sh: c.sh, off: c.off, idx: c.idx, st: c.st, commit: true, fx: c.fx}
			m.chargeSMS(c.now, false)
		}
		// Otherwise the device is unreachable: the SMSC retries until the SMS expires.
		s.storeSMS(c.sh, c.off, rec)
	}) {
		return
	}
	if g == gen2 {
		writeJSON(w, http.StatusCreated, map[string]string{"id": strconv.FormatInt(id, 10)})
		return
	}
	writeEmpty(w, http.StatusCreated)
}

// findSMS returns a copy of SMS id of a SIM. found reports the SIM; the SMS may still be nil.
func (s *Simulator) findSMS(iccid, id string, fn func(c *simCtx, m *smsRecord)) bool {
	n, err := strconv.ParseFloat(id, 64)
	want := int64(n)
	if err != nil || float64(want) != n {
		want = -1
	}
	return s.withSIM(iccid, func(c *simCtx) {
		var found *smsRecord
		if want > 0 {
			for _, m := range smsOf(c.sh.extra[int32(c.off)], c.idx) {
				if m.id == want {
					found = m
				}
			}
		}
		fn(c, found)
	})
}

func (s *Simulator) smsView(c *simCtx, m *smsRecord, g gen) map[string]any {
	idx, now := c.idx, c.now
	status, final, retries := m.state(now)
	typ, typID := "MT", 1
	if m.mo {
		typ, typID = "MO", 2
	}
	srcNames := map[int]string{145: "International", 161: "National", 208: "Alphanumeric"}
	v := map[string]any{
		"id": m.id, "submit_date": fmtRFC(m.submit), "expiry_date": fmtRFC(m.expiry),
		"source_address": m.source, "iccid": iccidOf(idx), "msisdn": str(appendMSISDN, idx), "imsi": str(appendIMSI, idx),
		"dcs": m.dcs, "udh": m.udh, "payload": m.payload,
		"status":   map[string]any{"id": status, "description": smsStatusNames[status]},
		"sms_type": map[string]any{"id": typID, "description": typ},
	}
	last := m.submit + retries*smsRetryInterval
	if status == smsDelivered {
		v["delivery_date"] = fmtRFC(m.deliverAt)
		last = m.deliverAt
	}
	if final != 0 {
		v["final_date"] = fmtRFC(final)
	}
	v["last_delivery_attempt"] = fmtRFC(last)
	if g == gen1 {
		v["retry_count"] = strconv.FormatInt(retries, 10)
		v["msc"] = "491600190000"
		v["source_address_type"] = map[string]any{"id": m.srcType}
		if retries > 0 {
			v["retry_date"] = fmtRFC(last)
		}
		return v
	}
	v["retry_count"] = retries
	v["retry_date"] = nil
	if retries > 0 {
		v["retry_date"] = fmtRFC(last)
	}
	v["gsm_map_error"] = nil
	v["pid"] = 0
	v["msc"] = int64(491600190000)
	v["sim_id"] = idx + 1
	v["endpoint"] = map[string]any{"id": idx + 1, "name": labelOf(idx, c.st, c.sh.extra[int32(c.off)])}
	v["source_address_type"] = map[string]any{"id": m.srcType, "description": srcNames[m.srcType]}
	return v
}

func (s *Simulator) listSMS(w http.ResponseWriter, r *http.Request, p routeParams, g gen) {
	q := r.URL.Query()
	var page, size int
	var err error
	var keys []sortKey
	if g == gen2 {
		page, size, err = parsePaging(q, "page", "per_page", 20, 1000)
	} else {
		page, size, err = parsePaging(q, "page", "pageSize", 10, 100)
		if err == nil {
			keys, err = parseSort(q.Get("sort"), "id", "submit_date", "status")
		}
	}
	if err != nil {
		g.badRequest(w, err.Error())
		return
	}
	var out []map[string]any
	var total, pages int
	if !s.withSIM(p.iccid, func(c *simCtx) {
		recs := smsOf(c.sh.extra[int32(c.off)], c.idx)
		// Ties fall back to ascending id.
		slices.SortStableFunc(recs, byKeys(append(keys, sortKey{field: "id"}), func(field string, a, b *smsRecord) int {
			switch field {
			case "id":
				return cmpInt(a.id, b.id)
			case "submit_date":
				return cmpInt(a.submit, b.submit)
			case "status":
				sa, _, _ := a.state(c.now)
				sb, _, _ := b.state(c.now)
				return cmpInt(int64(sa), int64(sb))
			}
			return 0
		}))
		var from, to int
		total = len(recs)
		from, to, pages = pageBounds(page, size, total)
		out = make([]map[string]any, 0, to-from)
		for _, m := range recs[from:to] {
			out = append(out, s.smsView(c, m, g))
		}
	}) {
		g.notFound(w, "SIM "+p.iccid)
		return
	}
	setPagingHeaders(w, total, pages, page, size)
	writeJSON(w, http.StatusOK, out)
}

func (s *Simulator) getSMS(w http.ResponseWriter, p routeParams, g gen) {
	var v map[string]any
	if !s.findSMS(p.iccid, p.id, func(c *simCtx, m *smsRecord) {
		if m != nil {
			v = s.smsView(c, m, g)
		}
	}) || v == nil {
		g.notFound(w, "SMS "+p.id)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// cancelSMS cancels a pending MT SMS. v1 documents no 404 for it: an unknown SIM or SMS gets
// 403 there (as for a resource the account cannot reach), a final SMS 422; v2 has 404 and 400.
func (s *Simulator) cancelSMS(w http.ResponseWriter, p routeParams, g gen) {
	var found, final bool
	var id int64
	if !s.findSMS(p.iccid, p.id, func(c *simCtx, m *smsRecord) {
		if m == nil {
			return
		}
		found, id = true, m.id
		if st, _, _ := m.state(c.now); st != smsPending || m.mo {
			final = true
			return
		}
		m.failedAt = c.now
	}) || !found {
		if g == gen2 {
			g.notFound(w, "SMS "+p.id)
		} else {
			v1Error(w, http.StatusForbidden, "Forbidden", "SMS "+p.id+" of SIM "+p.iccid+" is not accessible")
		}
		return
	}
	if final {
		if g == gen2 {
			g.badRequest(w, "SMS "+p.id+" is no longer pending and cannot be cancelled")
		} else {
			v1Error(w, http.StatusUnprocessableEntity, "SmsNotCancellable", "SMS "+p.id+" is no longer pending and cannot be cancelled")
		}
		return
	}
	if g == gen2 {
		writeJSON(w, http.StatusOK, map[string]string{"id": strconv.FormatInt(id, 10)})
		return
	}
	writeEmpty(w, http.StatusOK)
}
