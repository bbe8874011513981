package oncesim

import (
	"net/http"
	"strings"
)

// routeID names one operation of the official specs.
type routeID uint8

const (
	routeNone routeID = iota
	routeToken

	v1ListSIMs
	v1UpdateSIMs
	v1GetSIM
	v1UpdateSIM
	v1Status
	v1Transfer
	v1ConnInfo
	v1Reset
	v1Events
	v1Usage
	v1QuotaData
	v1QuotaSMS
	v1ListSMS
	v1SendSMS
	v1GetSMS
	v1CancelSMS
	v1TopUp
	v1TopUpMulti
	v1AutoTopUp
	v1GetLimits
	v1SetLimits
	v1SelectableLimits
	v1Extension

	v2ListSIMs
	v2GetSIM
	v2UpdateSIM
	v2Reset
	v2QuotaData
	v2QuotaSMS
	v2Status
	v2SendSMS
	v2ListSMS
	v2GetSMS
	v2CancelSMS
	v2Events
	v2TopUp

	routeListOrders
	routeCreateOrder
	routeGetOrder
	routeProducts
	routeListSupport
	routeCreateSupport

	routeCount
)

// v1SIM reports a v1 SIM Management operation (retired in ModeV2Only).
func (r routeID) v1SIM() bool { return r >= v1ListSIMs && r <= v1Extension }

// v2 reports a v2 SIM Management operation (its errors use the v2 error shape).
func (r routeID) v2() bool { return r >= v2ListSIMs && r <= v2TopUp }

// commerce reports orders, products and support, which 1NCE limits to 100 requests per IP per
// 5 minutes.
func (r routeID) commerce() bool { return r >= routeListOrders && r <= routeCreateSupport }

// routeParams are the path parameters of a request.
type routeParams struct {
	iccid   string
	id      string // SMS id or order number
	service string // data, smsMO or smsMT
}

// basePath is 1NCE's base path; the simulator serves the API under it and at the root.
const basePath = "/management-api"

// parseRoute maps a method and URL path (with or without the base path) to an operation. A
// path that matches no operation, or a method the path does not support, gives routeNone.
func parseRoute(method, path string) (routeID, routeParams) {
	if p, ok := strings.CutPrefix(path, basePath); ok && (p == "" || p[0] == '/') {
		path = p
	}
	var p routeParams
	if len(path) == 0 || path[0] != '/' {
		return routeNone, p
	}
	segs := strings.Split(path[1:], "/")
	for _, s := range segs {
		if s == "" {
			return routeNone, p
		}
	}
	pick := func(get, post, put, del routeID) routeID {
		switch method {
		case http.MethodGet:
			return get
		case http.MethodPost:
			return post
		case http.MethodPut:
			return put
		case http.MethodDelete:
			return del
		}
		return routeNone
	}
	n := len(segs)
	switch {
	case n == 2 && segs[0] == "oauth" && segs[1] == "token":
		return pick(routeNone, routeToken, routeNone, routeNone), p
	case n >= 2 && segs[0] == "v1" && segs[1] == "sims":
		return parseV1SIMs(segs[2:], pick, &p), p
	case n >= 2 && segs[0] == "v2" && segs[1] == "sims":
		return parseV2SIMs(segs[2:], pick, &p), p
	case n == 2 && segs[0] == "v1" && segs[1] == "orders":
		return pick(routeListOrders, routeCreateOrder, routeNone, routeNone), p
	case n == 3 && segs[0] == "v1" && segs[1] == "orders":
		p.id = segs[2]
		return pick(routeGetOrder, routeNone, routeNone, routeNone), p
	case n == 2 && segs[0] == "v1" && segs[1] == "products":
		return pick(routeProducts, routeNone, routeNone, routeNone), p
	case n == 2 && segs[0] == "v1" && segs[1] == "support":
		return pick(routeListSupport, routeCreateSupport, routeNone, routeNone), p
	}
	return routeNone, p
}

type picker func(get, post, put, del routeID) routeID

func parseV1SIMs(segs []string, pick picker, p *routeParams) routeID {
	const x = routeNone
	switch len(segs) {
	case 0:
		return pick(v1ListSIMs, v1UpdateSIMs, x, x)
	case 1:
		switch segs[0] {
		case "simTransfer":
			return pick(x, v1Transfer, x, x)
		case "topup":
			return pick(x, v1TopUpMulti, x, x)
		case "autoTopup":
			return pick(x, v1AutoTopUp, x, x)
		case "limits":
			return pick(v1GetLimits, v1SetLimits, x, x)
		case "extension":
			return pick(x, v1Extension, x, x)
		}
		p.iccid = segs[0]
		return pick(v1GetSIM, x, v1UpdateSIM, x)
	case 2:
		if segs[1] == "limits" {
			p.service = segs[0]
			return pick(v1SelectableLimits, x, x, x)
		}
		p.iccid = segs[0]
		switch segs[1] {
		case "status":
			return pick(v1Status, x, x, x)
		case "connectivity_info":
			return pick(v1ConnInfo, x, x, x)
		case "reset":
			return pick(x, v1Reset, x, x)
		case "events":
			return pick(v1Events, x, x, x)
		case "usage":
			return pick(v1Usage, x, x, x)
		case "sms":
			return pick(v1ListSMS, v1SendSMS, x, x)
		case "topup":
			return pick(x, v1TopUp, x, x)
		}
	case 3:
		p.iccid = segs[0]
		switch {
		case segs[1] == "quota" && segs[2] == "data":
			return pick(v1QuotaData, x, x, x)
		case segs[1] == "quota" && segs[2] == "sms":
			return pick(v1QuotaSMS, x, x, x)
		case segs[1] == "sms":
			p.id = segs[2]
			return pick(v1GetSMS, x, x, v1CancelSMS)
		}
	}
	return x
}

func parseV2SIMs(segs []string, pick picker, p *routeParams) routeID {
	const x = routeNone
	switch len(segs) {
	case 0:
		return pick(v2ListSIMs, x, x, x)
	case 1:
		p.iccid = segs[0]
		return pick(v2GetSIM, x, v2UpdateSIM, x)
	case 2:
		p.iccid = segs[0]
		switch segs[1] {
		case "reset":
			return pick(x, v2Reset, x, x)
		case "status":
			return pick(v2Status, x, x, x)
		case "sms":
			return pick(v2ListSMS, v2SendSMS, x, x)
		case "events":
			return pick(v2Events, x, x, x)
		case "topup":
			return pick(x, v2TopUp, x, x)
		}
	case 3:
		p.iccid = segs[0]
		switch {
		case segs[1] == "quota" && segs[2] == "data":
			return pick(v2QuotaData, x, x, x)
		case segs[1] == "quota" && segs[2] == "sms":
			return pick(v2QuotaSMS, x, x, x)
		case segs[1] == "sms":
			p.id = segs[2]
			return pick(v2GetSMS, x, x, v2CancelSMS)
		}
	}
	return x
}
