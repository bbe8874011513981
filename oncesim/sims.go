package oncesim

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"math/bits"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// imeiInverse undoes the IMEI serial scrambling (see appendIMEI), so an imei filter is a lookup.
var imeiInverse = func() uint64 {
	inv := new(big.Int).ModInverse(big.NewInt(2654435761), big.NewInt(1_000_000_000_000))
	return inv.Uint64()
}()

// idxOfIMEI maps an IMEI to the index of the SIM whose device has it, among the first n.
func (f *fleet) idxOfIMEI(imei string, n int) (int, bool) {
	f.imeiMu.Lock()
	idx, set := f.imeis[imei]
	f.imeiMu.Unlock()
	if set {
		return idx, idx < n
	}
	idx, ok := idxOfIMEI(imei, n)
	if !ok {
		return 0, false
	}
	// The SIM that was made with this IMEI may since have moved to another device.
	sh, off := f.locate(idx)
	sh.mu.RLock()
	moved := sh.sims[off].flags&flagIMEISet != 0
	sh.mu.RUnlock()
	return idx, !moved
}

// imeiOverrides returns a copy of the IMEIs set through SetIMEI, by SIM index.
func (f *fleet) imeiOverrides() map[string]int {
	f.imeiMu.Lock()
	defer f.imeiMu.Unlock()
	return maps.Clone(f.imeis)
}

// imeiNumber is SIM idx's made IMEI as a number.
func imeiNumber(idx int) uint64 {
	var b [15]byte
	v, _ := strconv.ParseUint(string(appendIMEI(b[:0], idx)), 10, 64)
	return v
}

// idxOfIMEI maps an IMEI as made by appendIMEI back to a SIM index (ok false when no SIM can
// have been made with it).
func idxOfIMEI(imei string, n int) (int, bool) {
	if len(imei) != 15 || imei[:2] != "35" || luhn(imei[:14]) != imei[14] {
		return 0, false
	}
	serial, err := strconv.ParseUint(imei[2:14], 10, 64)
	if err != nil {
		return 0, false
	}
	hi, lo := bits.Mul64(serial, imeiInverse)
	idx := bits.Rem64(hi, lo, 1_000_000_000_000)
	if idx >= uint64(n) {
		return 0, false
	}
	return int(idx), true
}

func idxOfIP(ip string, n int) (int, bool) {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	if v < ipBase || int64(v-ipBase) >= int64(n) {
		return 0, false
	}
	return int(v - ipBase), true
}

// listSIMs serves GET /v1/sims and GET /v2/sims: the hottest path, so SIMs are read under
// shard read locks, metered on a copy and written with the hand-made encoder.
func (s *Simulator) listSIMs(w http.ResponseWriter, r *http.Request, g gen) {
	q := r.URL.Query()
	page, size, err := parsePaging(q, "page", "pageSize", 10, 100)
	if err != nil {
		g.badRequest(w, err.Error())
		return
	}
	filter, err := parseSIMFilter(q.Get("q"))
	if err != nil {
		g.badRequest(w, err.Error())
		return
	}
	keys, err := parseSort(q.Get("sort"), "imei", "ip_address")
	if err != nil {
		g.badRequest(w, err.Error())
		return
	}
	now := s.now()
	s.fleet.mu.RLock()
	total := s.fleet.count
	// at maps a position of the result to a SIM index. IPs grow with the index, and IMEIs and
	// IPs are unique, so the first sort key alone decides the order.
	at := func(i int) int { return i }
	switch {
	case filter.any():
		var idxs []int
		idx, ok := -1, true
		if filter.hasIP {
			idx, ok = idxOfIP(filter.ip, total)
		}
		if ok && filter.hasIMEI {
			var j int
			j, ok = s.fleet.idxOfIMEI(filter.imei, total)
			if ok && idx >= 0 && j != idx {
				ok = false
			}
			idx = j
		}
		if ok {
			idxs = []int{idx}
		}
		total = len(idxs)
		at = func(i int) int { return idxs[i] }
	case len(keys) > 0 && keys[0].field == "ip_address" && keys[0].desc:
		n := total
		at = func(i int) int { return n - 1 - i }
	case len(keys) > 0 && keys[0].field == "imei":
		idxs := make([]int, total)
		for i := range idxs {
			idxs[i] = i
		}
		key := func(i int) uint64 { return uint64(i) * 2654435761 % 1_000_000_000_000 }
		if over := s.fleet.imeiOverrides(); len(over) > 0 {
			// Devices moved to other IMEIs: compare the full 15-digit numbers, which order as
			// the strings do.
			full := make([]uint64, total)
			for i := range full {
				full[i] = imeiNumber(i)
			}
			for imei, i := range over {
				if i < total {
					full[i], _ = strconv.ParseUint(imei, 10, 64)
				}
			}
			key = func(i int) uint64 { return full[i] }
		}
		desc := keys[0].desc
		slices.SortFunc(idxs, func(a, b int) int {
			c := cmpUint(key(a), key(b))
			if desc {
				return -c
			}
			return c
		})
		at = func(i int) int { return idxs[i] }
	}
	from, to, pages := pageBounds(page, size, total)
	bp := bufPool.Get().(*[]byte)
	b := append((*bp)[:0], '[')
	for i := from; i < to; i++ {
		idx := at(i)
		sh, off := s.fleet.locate(idx)
		sh.mu.RLock()
		st := sh.sims[off]
		var label, imei string
		if st.flags&(flagLabelSet|flagIMEISet) != 0 {
			e := sh.extra[int32(off)]
			label, imei = labelOf(idx, &st, e), imeiOf(idx, &st, e)
		}
		sh.mu.RUnlock()
		s.meter(sh, off, idx, &st, now, false, nil)
		if i > from {
			b = append(b, ',')
		}
		b = appendSIMCard(b, idx, &st, label, imei)
	}
	s.fleet.mu.RUnlock()
	b = append(b, ']')
	setPagingHeaders(w, total, pages, page, size)
	writeBody(w, http.StatusOK, b)
	*bp = b
	bufPool.Put(bp)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Simulator) getSIM(w http.ResponseWriter, p routeParams, g gen) {
	var b []byte
	if !s.withSIM(p.iccid, func(c *simCtx) {
		e := c.sh.extra[int32(c.off)]
		b = appendSIMCard(nil, c.idx, c.st, labelOf(c.idx, c.st, e), imeiOf(c.idx, c.st, e))
	}) {
		g.notFound(w, "SIM "+p.iccid)
		return
	}
	writeBody(w, http.StatusOK, b)
}

// simUpdate is v1's Values_for_a_SIM_update and v2's SimsSimUpdateReq.
type simUpdate struct {
	ICCID    *string `json:"iccid"`
	Label    *string `json:"label"`
	IMEILock *bool   `json:"imei_lock"`
	Status   *string `json:"status"`
}

// check validates an update; v1 requires iccid and status (its schema does), v2 neither.
func (u *simUpdate) check(g gen, needICCID bool) error {
	if g == gen1 && u.Status == nil {
		return fmt.Errorf("status is required")
	}
	if needICCID && u.ICCID == nil {
		return fmt.Errorf("iccid is required")
	}
	if u.Status != nil && *u.Status != "Enabled" && *u.Status != "Disabled" {
		return fmt.Errorf("status must be Enabled or Disabled, got %q", *u.Status)
	}
	if u.Label != nil && len(*u.Label) > 256 {
		return fmt.Errorf("label must be at most 256 characters")
	}
	return nil
}

// apply changes a SIM, with one event per changed attribute.
func (c *simCtx) apply(u *simUpdate) {
	st := c.st
	if u.Status != nil && *u.Status != statusName(st) {
		from := statusName(st)
		if *u.Status == "Disabled" {
			// The network drops a blocked device: its session ends and it is detached.
			c.closeSession(c.now)
			st.flags &^= flagAttached
			st.flags |= flagDisabled
		} else {
			st.flags &^= flagDisabled
		}
		c.event(evStateChange, fmt.Sprintf("Status of SIM changed from '%s' to '%s'", from, *u.Status))
	}
	if u.Label != nil {
		e := c.sh.ext(c.off)
		if old := labelOf(c.idx, st, e); old != *u.Label {
			e.label = *u.Label
			st.flags |= flagLabelSet
			c.event(evLabelChange, fmt.Sprintf("Label changed from '%s' to '%s'", old, *u.Label))
		}
	}
	if u.IMEILock != nil && *u.IMEILock != (st.flags&flagIMEILock != 0) {
		if *u.IMEILock {
			st.flags |= flagIMEILock
			c.event(evIMEILock, "SIM locked to IMEI "+imeiOf(c.idx, st, c.sh.extra[int32(c.off)]))
		} else {
			st.flags &^= flagIMEILock
			c.event(evIMEILock, "IMEI lock removed")
		}
	}
}

func (s *Simulator) updateSIM(w http.ResponseWriter, r *http.Request, p routeParams, g gen) {
	var u simUpdate
	// v2 does not require a body here; an empty one changes nothing.
	if err := decodeBody(w, r, &u); err != nil && !(g == gen2 && errors.Is(err, errNoBody)) {
		g.badRequest(w, err.Error())
		return
	}
	if err := u.check(g, false); err != nil {
		g.badRequest(w, err.Error())
		return
	}
	if u.ICCID != nil && *u.ICCID != p.iccid {
		g.badRequest(w, "iccid in the body does not match the path")
		return
	}
	if s.changeSIM(w, g, p.iccid, func(c *simCtx) { c.apply(&u) }) {
		writeEmpty(w, http.StatusOK)
	}
}

// v1UpdateSIMs serves POST /v1/sims. 1NCE queues the changes; the simulator applies them at
// once, after checking every entry, so a bad entry changes nothing.
func (s *Simulator) v1UpdateSIMs(w http.ResponseWriter, r *http.Request, _ routeParams) {
	var us []simUpdate
	if err := decodeBody(w, r, &us); err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	if len(us) == 0 {
		gen1.badRequest(w, "the list of SIM updates is empty")
		return
	}
	iccids := make([]string, len(us))
	for i := range us {
		if err := us[i].check(gen1, true); err != nil {
			gen1.badRequest(w, fmt.Sprintf("entry %d: %v", i, err))
			return
		}
		iccids[i] = *us[i].ICCID
	}
	idxs, ok := s.indicesOf(w, iccids)
	if !ok || s.refuseExpired(w, idxs) {
		return
	}
	for i, idx := range idxs {
		s.withIndex(idx, func(c *simCtx) { c.apply(&us[i]) })
	}
	writeEmpty(w, http.StatusCreated)
}

func (s *Simulator) reset(w http.ResponseWriter, p routeParams, g gen) {
	if s.changeSIM(w, g, p.iccid, func(c *simCtx) {
		c.st.resetAt = c.now
		if c.st.sess != 0 {
			// The open session is torn down and the device reconnects at once.
			c.closeSession(c.now)
			c.st.sess = c.now
			c.s.recordNet(c.sh, c.off, c.idx, c.st, c.now, evCreatePDP, c.now, c.fx)
			return
		}
		c.event(evDeletePDP, "PDP context deleted by connectivity reset")
		c.event(evCreatePDP, "PDP context created after connectivity reset")
	}) {
		writeEmpty(w, http.StatusCreated)
	}
}

func (s *Simulator) quota(w http.ResponseWriter, p routeParams, g gen, sms bool) {
	var body any
	if !s.withSIM(p.iccid, func(c *simCtx) {
		q, service := &c.st.data, "data"
		if sms {
			q, service = &c.st.sms, "sms"
		}
		if g == gen1 {
			v := map[string]any{
				"volume": round6(q.remaining), "total_volume": round6(q.total), "expiry_date": fmtRFC(q.expiry),
				"last_volume_added": round6(q.lastAdded), "last_status_change_date": fmtRFC(q.changed),
				"threshold_percentage": 20,
			}
			if !sms {
				v["peak_throughput"] = 1000000
			}
			body = v
			return
		}
		statusID := map[string]int{"EXHAUSTED": 0, "ACTIVE": 1, "EXPIRED": 2}
		st := v2QuotaStatus(q, c.now)
		id := int64(c.idx)*2 + 1
		if sms {
			id++
		}
		body = map[string]any{
			"id": id, "status": map[string]any{"id": statusID[st], "description": st},
			"volume": round6(q.remaining), "total_volume": round6(q.total),
			"accumulated_total_volume": round6(q.accumulated), "last_volume_added": round6(q.lastAdded),
			"service": service, "threshold_percentage": 20, "threshold_volume": round6(thresholdShare * q.total),
			"expiry_date": fmtRFC(q.expiry), "created_at": fmtRFC(q.created),
		}
	}) {
		g.notFound(w, "SIM "+p.iccid)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// topUp serves POST /v{1,2}/sims/{iccid}/topup: 500 MB and 250 SMS more, invoiced as a TOPUP
// order whose URL the Location header carries.
func (s *Simulator) topUp(w http.ResponseWriter, r *http.Request, p routeParams, g gen) {
	if _, ok := paymentMethod(r); !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Payment method used is not valid."})
		return
	}
	var expired bool
	idx := -1
	if !s.withSIM(p.iccid, func(c *simCtx) {
		if expired = c.expired(); expired {
			return
		}
		idx = c.idx
		c.topUp()
	}) {
		g.notFound(w, "SIM "+p.iccid)
		return
	}
	if expired {
		if g == gen2 {
			// v2 documents neither 409 nor 422 for top-ups; its 400 carries a message.
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "SIM " + p.iccid + " is expired; only extensions are permitted."})
			return
		}
		g.expired(w, p.iccid)
		return
	}
	n := s.acct.addOrder(s.now(), orderTopUp, nil, []int{idx}, "", nil)
	w.Header().Set("Location", orderURL(r, n))
	writeEmpty(w, http.StatusCreated)
}

func (c *simCtx) topUp() {
	c.st.data.add(topUpDataMB, c.now)
	c.st.sms.add(topUpSMS, c.now)
	c.event(evTopUp, "Top-up of 500 MB and 250 SMS")
}

func orderURL(r *http.Request, n int64) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + basePath + "/v1/orders/" + strconv.FormatInt(n, 10)
}

func (s *Simulator) v1TopUpMulti(w http.ResponseWriter, r *http.Request, _ routeParams) {
	if _, ok := paymentMethod(r); !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Payment method used is not valid."})
		return
	}
	var iccids []string
	if err := decodeBody(w, r, &iccids); err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	if len(iccids) == 0 {
		gen1.badRequest(w, "at least one ICCID is required")
		return
	}
	idxs, ok := s.indicesOf(w, iccids)
	if !ok || s.refuseExpired(w, idxs) {
		return
	}
	for _, idx := range idxs {
		s.withIndex(idx, (*simCtx).topUp)
	}
	n := s.acct.addOrder(s.now(), orderBulkTopUp, nil, idxs, "", nil)
	w.Header().Set("Location", orderURL(r, n))
	writeEmpty(w, http.StatusCreated)
}

func (s *Simulator) v1AutoTopUp(w http.ResponseWriter, r *http.Request, _ routeParams) {
	var req struct {
		Enabled *bool    `json:"enabled"`
		ICCIDs  []string `json:"iccids"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	if req.Enabled == nil || len(req.ICCIDs) == 0 {
		gen1.badRequest(w, "enabled and at least one ICCID are required")
		return
	}
	idxs, ok := s.indicesOf(w, req.ICCIDs)
	if !ok || s.refuseExpired(w, idxs) {
		return
	}
	for _, idx := range idxs {
		s.withIndex(idx, func(c *simCtx) {
			if *req.Enabled == (c.st.flags&flagAutoTopUp != 0) {
				return
			}
			if *req.Enabled {
				c.st.flags |= flagAutoTopUp
				c.event(evAutoTopUp, "Auto top-up enabled")
			} else {
				c.st.flags &^= flagAutoTopUp
				c.event(evAutoTopUp, "Auto top-up disabled")
			}
		})
	}
	writeEmpty(w, http.StatusCreated)
}

// maxTransfer bounds the SIMs of one transfer request.
const maxTransfer = 100_000

// v1Transfer serves POST /v1/sims/simTransfer. The SIMs move to the target organisation (a
// sub-organisation, which the account still sees): their events and state record it.
func (s *Simulator) v1Transfer(w http.ResponseWriter, r *http.Request, _ routeParams) {
	var req struct {
		Target *int64 `json:"target_organisation"`
		Ranges []struct {
			From string `json:"from"`
			To   string `json:"to"`
		} `json:"iccid_ranges"`
		ICCIDs []string `json:"iccids"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	// target_organisation is required only for a sub-organisation (spec); without it 1NCE
	// starts a transfer workflow to another customer, which the account observes as an event.
	if req.Target != nil && (*req.Target <= 0 || *req.Target > 1<<31-1) {
		gen1.badRequest(w, "target_organisation must be a positive organisation id")
		return
	}
	idxs, ok := s.indicesOf(w, req.ICCIDs)
	if !ok {
		return
	}
	for _, rg := range req.Ranges {
		a, okA := s.fleet.indexOf(rg.From)
		b, okB := s.fleet.indexOf(rg.To)
		switch {
		case !okA:
			gen1.notFound(w, "SIM "+rg.From)
			return
		case !okB:
			gen1.notFound(w, "SIM "+rg.To)
			return
		case b < a:
			gen1.badRequest(w, "iccid range "+rg.From+"–"+rg.To+" is reversed")
			return
		case len(idxs)+b-a+1 > maxTransfer:
			gen1.badRequest(w, fmt.Sprintf("at most %d SIMs per transfer", maxTransfer))
			return
		}
		for i := a; i <= b; i++ {
			idxs = append(idxs, i)
		}
	}
	if len(idxs) == 0 {
		gen1.badRequest(w, "iccids or iccid_ranges must name at least one SIM")
		return
	}
	if s.refuseExpired(w, idxs) {
		return
	}
	for _, idx := range idxs {
		s.withIndex(idx, func(c *simCtx) {
			if req.Target == nil {
				c.event(evTransfer, "SIM transfer workflow to another customer started")
				return
			}
			c.st.org = int32(*req.Target)
			c.event(evTransfer, fmt.Sprintf("SIM transferred to organisation %d", *req.Target))
		})
	}
	writeEmpty(w, http.StatusCreated)
}

// v1Extension serves POST /v1/sims/extension: a new 10-year lifetime with fresh volume, the
// only change 1NCE allows on an expired SIM.
func (s *Simulator) v1Extension(w http.ResponseWriter, r *http.Request, _ routeParams) {
	if _, ok := paymentMethod(r); !ok {
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	var req struct {
		ICCIDs    []string `json:"iccids"`
		ProductID *int     `json:"productId"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	pid := 1101
	if req.ProductID != nil {
		pid = *req.ProductID
	}
	if pr, ok := productByID(pid); !ok || pr.sims {
		gen1.notFound(w, fmt.Sprintf("extension product %d", pid))
		return
	}
	if len(req.ICCIDs) == 0 {
		gen1.badRequest(w, "at least one ICCID is required")
		return
	}
	idxs, ok := s.indicesOf(w, req.ICCIDs)
	if !ok {
		return
	}
	for _, idx := range idxs {
		s.withIndex(idx, func(c *simCtx) {
			base := max(c.st.data.expiry, c.now)
			exp := time.Unix(base, 0).UTC().AddDate(lifetimeYears, 0, 0).Unix()
			for _, q := range []*quota{&c.st.data, &c.st.sms} {
				q.expiry = exp
			}
			c.st.data.add(initialDataMB, c.now)
			c.st.sms.add(initialSMS, c.now)
			c.event(evExtension, "SIM lifetime extended until "+fmtRFC(exp))
		})
	}
	s.acct.addOrder(s.now(), orderAdditional, []orderProduct{{pid, len(idxs)}}, idxs, "", nil)
	writeEmpty(w, http.StatusCreated)
}
