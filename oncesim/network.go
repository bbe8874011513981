package oncesim

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Network views of a SIM: connectivity status, location, PDP contexts, events and usage.

func (s *Simulator) v1Location(idx int, st *sim, now int64) map[string]any {
	op := s.fleet.operatorFor(idx, st)
	seen := now - int64(s.fleet.hash(uint64(idx), 32, uint64(now/3600))%3600)
	return map[string]any{
		"iccid": iccidOf(idx), "imsi": str(appendIMSI, idx),
		"last_updated": fmtRFC(seen), "last_updated_gprs": fmtRFC(seen),
		"sgsn_number": "49160030" + strconv.Itoa(1000+idx%9000), "vlr_number": "49171000" + strconv.Itoa(1000+idx%9000),
		"vlr_number_np": "1", "msc_number_np": "1", "sgsn_number_np": "1",
		"operator_id": strconv.Itoa(op.id), "msc": "49171030" + strconv.Itoa(1000+idx%9000),
		"sgsn_ip_address": "192.0.2." + strconv.Itoa(1+idx%250),
		"operator": map[string]any{"id": strconv.Itoa(op.id), "name": op.name,
			"country": map[string]any{"id": strconv.Itoa(op.countryID), "name": op.country, "iso-code": op.iso}},
		"country": map[string]any{"country_id": strconv.Itoa(op.countryID), "name": op.country, "country_code": op.cc,
			"mcc": op.mcc, "iso-code": op.iso, "latitude": "51", "longitude": "9"},
	}
}

// pdpCreated is when the SIM's current data session began: the open session's start with
// daily network activity; else the last reset, or the day's start.
func (s *Simulator) pdpCreated(st *sim, now int64) int64 {
	if s.fleet.share > 0 && st.sess != 0 {
		return max(st.sess, st.resetAt)
	}
	return max(st.resetAt, now-now%daySeconds, st.activated)
}

func (s *Simulator) v1Status(w http.ResponseWriter, _ *http.Request, p routeParams) {
	var body map[string]any
	if !s.withSIM(p.iccid, func(c *simCtx) {
		conn := s.connectivity(c.idx, c.st, c.now)
		if conn == "BLOCKED" {
			conn = "OFFLINE" // v1 knows no BLOCKED
		}
		body = map[string]any{"status": conn, "services": servicesOf(conn)}
		if conn != "OFFLINE" {
			body["location"] = s.v1Location(c.idx, c.st, c.now)
		}
		if conn == "ONLINE" {
			op := s.fleet.operatorFor(c.idx, c.st)
			created := s.pdpCreated(c.st, c.now)
			d := time.Duration(c.now-created) * time.Second
			body["pdp_context"] = map[string]any{
				"pdp_context_id": strconv.FormatInt(int64(c.idx)*7+created%7, 10), "endpoint_id": strconv.Itoa(c.idx + 1),
				"tariff_profile_id": "129700", "tariff_id": "442", "ratezone_id": "2171", "organisation_id": "4321",
				"imsi_id": strconv.Itoa(c.idx + 1), "imsi": str(appendIMSI, c.idx), "sim_id": strconv.Itoa(c.idx + 1),
				"teid_data_plane": "153329900", "teid_control_plane": "153329900", "gtp_version": "1", "nsapi": "5",
				"sgsn_control_plane_ip_address": "192.0.2.10", "sgsn_data_plane_ip_address": "192.0.2.11",
				"ggsn_control_plane_ip_address": "198.51.100.10", "ggsn_data_plane_ip_address": "198.51.100.11",
				"created": fmtRFC(created), "mcc": op.mcc, "mnc": op.mnc, "operator_id": strconv.Itoa(op.id),
				"lac": "10458", "ci": "5559", "ue_ip_address": str(appendIP, c.idx), "imeisv": imeiOf(c.idx, c.st, c.sh.extra[int32(c.off)])[:14] + "01",
				"duration": durationHMS(d),
				"rat_type": map[string]any{"rat_type_id": "6", "description": "4G"},
			}
		}
	}) {
		gen1.notFound(w, "SIM "+p.iccid)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func durationHMS(d time.Duration) string {
	h := int(d.Hours())
	m := int(d.Minutes()) % 60
	sec := int(d.Seconds()) % 60
	return pad2(h) + ":" + pad2(m) + ":" + pad2(sec)
}

func pad2(v int) string {
	if v < 10 {
		return "0" + strconv.Itoa(v)
	}
	return strconv.Itoa(v)
}

func servicesOf(conn string) []string {
	switch conn {
	case "ONLINE":
		return []string{"GPRS", "SMS"}
	case "ATTACHED":
		return []string{"SMS"}
	}
	return []string{}
}

func (s *Simulator) v2Status(w http.ResponseWriter, _ *http.Request, p routeParams) {
	var body map[string]any
	if !s.withSIM(p.iccid, func(c *simCtx) {
		conn := s.connectivity(c.idx, c.st, c.now)
		op := s.fleet.operatorFor(c.idx, c.st)
		limit := "NOT_REACHED"
		if s.monthlyLimitReached(c) {
			limit = "REACHED"
		}
		body = map[string]any{
			"status": map[string]any{"description": conn}, "services": servicesOf(conn),
			"data_traffic_limit_state": map[string]any{"description": limit},
			"pdp_contexts":             []any{},
		}
		if conn != "OFFLINE" && conn != "BLOCKED" {
			seen := c.now - int64(s.fleet.hash(uint64(c.idx), 32, uint64(c.now/3600))%3600)
			body["location"] = map[string]any{
				"iccid": iccidOf(c.idx), "imsi": str(appendIMSI, c.idx),
				"last_updated": time.Unix(seen, 0).UTC().Format(time.DateTime),
				"sgsn_number":  "mmec01.mmegi8002.mme.epc.mnc" + op.mnc + ".mcc" + op.mcc + ".3gppnetwork.org",
				"vlr_number":   "49171000" + strconv.Itoa(1000+c.idx%9000), "operator_id": strconv.Itoa(op.id),
				"msc": "49177094" + strconv.Itoa(1000+c.idx%9000), "sgsn_ip_address": "192.0.2." + strconv.Itoa(1+c.idx%250),
				"operator": map[string]any{"id": op.id, "name": op.name, "mnc": op.mnc,
					"country": map[string]any{"id": op.countryID, "name": op.country, "iso_code": op.iso}},
				"country": map[string]any{"country_id": strconv.Itoa(op.countryID), "name": op.country,
					"country_code": op.cc, "mcc": op.mcc, "iso_code": op.iso},
			}
		}
		if conn == "ONLINE" {
			created := s.pdpCreated(c.st, c.now)
			id := strconv.Itoa(c.idx + 1)
			body["pdp_contexts"] = []any{map[string]any{
				"pdp_context_id": strconv.FormatInt(int64(c.idx)*7+created%7, 10), "endpoint_id": id, "tariff_id": "442",
				"ratezone_id": "2171", "organisation_id": "4321", "imsi_id": id, "imsi": str(appendIMSI, c.idx), "sim_id": id,
				"tx_teid_data_plane": "7116", "tx_teid_control_plane": "7116", "rx_teid": "7116",
				"rx_teid_data_plane": "7116", "rx_teid_control_plane": "7116", "gtp_version": "2", "nsapi": "5",
				"sgsn_control_plane_ip_address": "192.0.2.10", "sgsn_data_plane_ip_address": "192.0.2.11",
				"ggsn_control_plane_ip_address": "198.51.100.10", "ggsn_data_plane_ip_address": "198.51.100.11",
				"created": fmtRFC(created), "mcc": op.mcc, "mnc": op.mnc, "operator_id": strconv.Itoa(op.id),
				"lac": "40217", "ci": "12", "sac": "7", "rac": "8",
				"ue_ip_address": str(appendIP, c.idx), "imeisv": imeiOf(c.idx, c.st, c.sh.extra[int32(c.off)])[:14] + "01",
				"rat_type": map[string]any{"rat_type_id": "6", "description": "LTE"},
				"region":   "eu-central-1", "apn": "iot.1nce.net",
			}}
		}
	}) {
		gen2.notFound(w, "SIM "+p.iccid)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// monthlyLimitReached reports whether this month's data use reached the global data limit.
func (s *Simulator) monthlyLimitReached(c *simCtx) bool {
	s.acct.mu.Lock()
	id := s.acct.limits["data"]
	s.acct.mu.Unlock()
	opt, ok := limitOptionByID("data", id)
	if !ok {
		return false
	}
	limitMB, _ := strconv.ParseFloat(opt.Limit, 64)
	t := time.Unix(c.now, 0).UTC()
	monthStart := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).Unix() / daySeconds
	var used int64
	if e := c.sh.extra[int32(c.off)]; e != nil {
		for _, d := range e.days {
			if int64(d.day) >= monthStart {
				used += int64(d.rx) + int64(d.tx)
			}
		}
	}
	return float64(used)/bytesPerMB >= limitMB
}

func (s *Simulator) v1ConnInfo(w http.ResponseWriter, r *http.Request, p routeParams) {
	q := r.URL.Query()
	subscriber, err := parseBoolParam(q, "subscriber", true)
	if err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	ussd, err := parseBoolParam(q, "ussd", false)
	if err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	var body map[string]any
	if !s.withSIM(p.iccid, func(c *simCtx) {
		conn := s.connectivity(c.idx, c.st, c.now)
		reqT := time.Unix(c.now, 0).UTC()
		body = map[string]any{
			"request_timestamp": reqT.Format(layout1NCE),
			"reply_timestamp":   reqT.Add(142 * time.Millisecond).Format(layout1NCE),
		}
		reachable := conn == "ONLINE" || conn == "ATTACHED"
		if subscriber {
			if reachable {
				op := s.fleet.operatorFor(c.idx, c.st)
				body["subscriber_info"] = map[string]any{"success": true, "state": "assumed_idle",
					"location": map[string]any{"current_location_retrieved": false, "age_of_location": int(c.now/60) % 30,
						"cell_global_id": map[string]any{"cid": 5559 + c.idx%1000, "lac": 10458, "mcc": op.mcc, "mnc": op.mnc}}}
			} else {
				body["subscriber_info"] = map[string]any{"success": false, "state": "not_provided_from_vlr"}
			}
		}
		if ussd {
			if reachable {
				body["ussd_info"] = map[string]any{"success": true}
			} else {
				body["ussd_info"] = map[string]any{"success": false, "error": "Request Timeout Error"}
			}
		}
	}) {
		gen1.notFound(w, "SIM "+p.iccid)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// Events.

// simEventsOf is what the event handlers read of one SIM.
type simEventsOf struct {
	evs   []simEvent
	idx   int
	org   int32
	label string
	imei  string
}

func (s *Simulator) simEvents(iccid string) (simEventsOf, bool) {
	var v simEventsOf
	ok := s.withSIM(iccid, func(c *simCtx) {
		v = simEventsOf{evs: s.eventsOf(c.sh, c.off, c.idx, c.st), idx: c.idx, org: c.st.org,
			label: labelOf(c.idx, c.st, c.sh.extra[int32(c.off)]), imei: imeiOf(c.idx, c.st, c.sh.extra[int32(c.off)])}
	})
	return v, ok
}

func (s *Simulator) v1Events(w http.ResponseWriter, r *http.Request, p routeParams) {
	q := r.URL.Query()
	page, size, err := parsePaging(q, "page", "pageSize", 10, 1000)
	if err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	keys, err := parseSort(q.Get("sort"), "timestamp", "id")
	if err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	v, ok := s.simEvents(p.iccid)
	if !ok {
		gen1.notFound(w, "SIM "+p.iccid)
		return
	}
	evs, idx := v.evs, v.idx
	sortEvents(evs, keys)
	from, to, pages := pageBounds(page, size, len(evs))
	out := make([]map[string]any, 0, to-from)
	for _, e := range evs[from:to] {
		info := eventInfos[e.kind]
		op := operators[e.op]
		out = append(out, map[string]any{
			"timestamp": fmt1NCE(e.at), "event_type": e.desc, "iccid": iccidOf(idx), "imei": v.imei,
			"imsi": str(appendIMSI, idx), "country": op.country, "operator": op.name, "mcc": op.mcc, "mnc": op.mnc,
			"alert": info.alert, "event_severity": severityTitle(info.severity),
		})
	}
	setPagingHeaders(w, len(evs), pages, page, size)
	writeJSON(w, http.StatusOK, map[string]any{"events": out, "totalEvents": len(evs), "totalPages": pages})
}

func severityTitle(s string) string {
	switch s {
	case "WARN":
		return "Warn"
	case "CRITICAL":
		return "Critical"
	}
	return "Info"
}

func sortEvents(evs []simEvent, keys []sortKey) {
	if len(keys) == 0 {
		keys = []sortKey{{field: "timestamp"}, {field: "id"}}
	}
	slices.SortStableFunc(evs, byKeys(keys, func(field string, a, b simEvent) int {
		switch field {
		case "timestamp":
			return cmpInt(a.at, b.at)
		case "id":
			return cmpInt(a.id, b.id)
		}
		return 0
	}))
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Simulator) v2Events(w http.ResponseWriter, r *http.Request, p routeParams) {
	page, size, err := parsePaging(r.URL.Query(), "page", "pageSize", 10, 1000)
	if err != nil {
		gen2.badRequest(w, err.Error())
		return
	}
	v, ok := s.simEvents(p.iccid)
	if !ok {
		gen2.notFound(w, "SIM "+p.iccid)
		return
	}
	evs, idx := v.evs, v.idx
	sortEvents(evs, nil)
	from, to, pages := pageBounds(page, size, len(evs))
	out := make([]map[string]any, 0, to-from)
	for _, e := range evs[from:to] {
		info := eventInfos[e.kind]
		var user any
		if info.source == "API" {
			user = "api"
		}
		out = append(out, map[string]any{
			"id": e.id, "event_type": map[string]any{"id": info.typeID, "description": info.name},
			"timestamp": fmtRFC(e.at), "alert": info.alert, "user": user, "description": e.desc,
			"event_source":   map[string]any{"id": info.sourceID, "description": info.source},
			"event_severity": map[string]any{"id": info.sevID, "description": info.severity},
			"organisation":   map[string]any{"id": max(4321, int(v.org)), "name": "oncesim"},
			"endpoint": map[string]any{"id": idx + 1, "name": v.label, "ip_address": str(appendIP, idx),
				"imei": v.imei},
			"sim":  map[string]any{"id": idx + 1, "iccid": iccidOf(idx), "msisdn": str(appendMSISDN, idx)},
			"imsi": map[string]any{"id": idx + 1, "imsi": str(appendIMSI, idx)},
		})
	}
	setPagingHeaders(w, len(evs), pages, page, size)
	writeJSON(w, http.StatusOK, out)
}

// v1Usage serves GET /v1/sims/{iccid}/usage: one record per day of the period, metered days
// from the SIM's history and zero for days without usage.
func (s *Simulator) v1Usage(w http.ResponseWriter, r *http.Request, p routeParams) {
	var stats []map[string]any
	now := s.now()
	from, to, err := parseUsageRange(r.URL.Query(), now)
	if err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	if !s.withSIM(p.iccid, func(c *simCtx) {
		byDay := map[int64]dayUsage{}
		if e := c.sh.extra[int32(c.off)]; e != nil {
			for _, d := range e.days {
				byDay[int64(d.day)] = d
			}
		}
		cur := map[string]any{"id": 1, "symbol": "€", "code": "EUR"}
		for day := from; day <= to; day++ {
			d := byDay[day]
			mb := func(v uint32) string { return strconv.FormatFloat(float64(v)/bytesPerMB, 'f', 6, 64) }
			both := func(a, b uint32) string { return strconv.FormatFloat((float64(a)+float64(b))/bytesPerMB, 'f', 6, 64) }
			smsN := strconv.Itoa(int(d.smsMO) + int(d.smsMT))
			stats = append(stats, map[string]any{
				"date": time.Unix(day*daySeconds, 0).UTC().Format(layoutRFC3339),
				"data": map[string]any{"cost": both(d.rx, d.tx), "currency": cur,
					"traffic_type": map[string]any{"description": "Data", "id": 5, "unit": "MB"},
					"volume":       both(d.rx, d.tx), "volume_rx": mb(d.rx), "volume_tx": mb(d.tx)},
				"sms": map[string]any{"cost": smsN, "currency": cur,
					"traffic_type": map[string]any{"description": "SMS", "id": 6, "unit": "SMS"},
					"volume":       smsN, "volume_rx": strconv.Itoa(int(d.smsMO)), "volume_tx": strconv.Itoa(int(d.smsMT))},
			})
		}
	}) {
		gen1.notFound(w, "SIM "+p.iccid)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"stats": stats})
}
