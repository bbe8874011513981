package oncesim

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Time layouts. 1NCE writes most v1 timestamps with a numeric zone without colon; fields the
// specs declare as format date-time get RFC 3339.
const (
	layout1NCE    = "2006-01-02T15:04:05.000-0700"
	layoutRFC3339 = "2006-01-02T15:04:05.000Z07:00"
)

func fmt1NCE(t int64) string { return time.Unix(t, 0).UTC().Format(layout1NCE) }
func fmtRFC(t int64) string  { return time.Unix(t, 0).UTC().Format(layoutRFC3339) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every value marshalled here is built from plain structs and maps; failing is a bug.
		http.Error(w, `{"message":"Internal server error"}`, http.StatusInternalServerError)
		return
	}
	writeBody(w, status, b)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// v1Error answers in the shape 1NCE's v1 APIs (and its token endpoint) use for errors.
func v1Error(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"statusCode": status, "errorCode": code, "message": msg})
}

// v2Error answers in the v2 spec's error shape (NotFound, BadRequest, Conflict, …).
func v2Error(w http.ResponseWriter, status int, token, msg string) {
	writeJSON(w, status, map[string]any{"error_code": 1000, "error_token": token, "message": msg})
}

// writeMissingToken is what AWS API Gateway answers for a route it does not know.
func writeMissingToken(w http.ResponseWriter) {
	writeJSON(w, http.StatusForbidden, map[string]string{"message": "Missing Authentication Token"})
}

func writeUnauthorized(w http.ResponseWriter) {
	writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthorized"})
}

func writeTooMany(w http.ResponseWriter, retryAfterSec int) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSec))
	writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Too Many Requests"})
}

// writeEmpty answers a status without a body (the spec's `content: {}` responses).
func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// appendTime writes t (Unix seconds, UTC) as 2006-01-02T15:04:05.000Z (rfc) or with 1NCE's
// +0000 zone. It does what AppendFormat does for these two layouts at a fraction of the cost:
// a page of SIMs carries up to 500 timestamps.
func appendTime(b []byte, t int64, rfc bool) []byte {
	tm := time.Unix(t, 0).UTC()
	y, mo, d := tm.Date()
	h, mi, sec := tm.Clock()
	if y < 0 || y > 9999 {
		if rfc {
			return tm.AppendFormat(b, layoutRFC3339)
		}
		return tm.AppendFormat(b, layout1NCE)
	}
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append(b, byte('0'+int(mo)/10), byte('0'+int(mo)%10), '-', byte('0'+d/10), byte('0'+d%10), 'T')
	b = append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':')
	b = append(b, byte('0'+sec/10), byte('0'+sec%10), '.', '0', '0', '0')
	if rfc {
		return append(b, 'Z')
	}
	return append(b, "+0000"...)
}

// round6 keeps volumes readable: 1NCE reports volumes with six decimals.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// Hand-written JSON for SIM cards: a page of 100 SIMs is the simulator's hottest answer.

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, `\u202`...)
			b = append(b, hex[r&0xf])
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

func appendKey(b []byte, key string) []byte {
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendNumber(b []byte, v float64) []byte {
	return strconv.AppendFloat(b, round6(v), 'f', -1, 64)
}

var quotaLevelNames = [...]string{"More than 20% of the quota left", "Less than 20% of the quota left", "Quota exhausted"}

func appendQuotaStatus(b []byte, q *quota) []byte {
	lvl := q.level()
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(lvl), 10)
	b = append(b, `,"description":`...)
	b = appendJSONString(b, quotaLevelNames[lvl])
	if q.threshold != 0 && lvl >= 1 {
		b = append(b, `,"threshold_reached_date":"`...)
		b = appendTime(b, q.threshold, true)
		b = append(b, '"')
	}
	if q.exhausted != 0 && lvl == 2 {
		b = append(b, `,"quota_exceeded_date":"`...)
		b = appendTime(b, q.exhausted, true)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendSIMCard writes a SIM as v1's SIM_card / v2's SimsSim (the two schemas are the same).
// label is the customer's label and imei the device's; each is used only when the SIM has its
// own (flagLabelSet, flagIMEISet), else the derived default is written without building a
// string.
func appendSIMCard(b []byte, idx int, st *sim, label, imei string) []byte {
	b = append(b, `{"iccid":"`...)
	b = appendICCID(b, idx)
	b = append(b, `","iccid_with_luhn":"`...)
	b = appendICCIDWithLuhn(b, idx)
	b = append(b, `","imsi":"`...)
	b = appendIMSI(b, idx)
	b = append(b, `","current_imsi":"`...)
	b = appendIMSI(b, idx)
	b = append(b, `","msisdn":"`...)
	b = appendMSISDN(b, idx)
	b = append(b, `","imei":`...)
	if st.flags&flagIMEISet != 0 {
		b = appendJSONString(b, imei)
	} else {
		b = append(b, '"')
		b = appendIMEI(b, idx)
		b = append(b, '"')
	}
	b = append(b, `,"imei_lock":`...)
	b = strconv.AppendBool(b, st.flags&flagIMEILock != 0)
	b = append(b, `,"status":"`...)
	b = append(b, statusName(st)...)
	b = append(b, `","activation_date":"`...)
	b = appendTime(b, st.activated, false)
	b = append(b, `","ip_address":"`...)
	b = appendIP(b, idx)
	b = append(b, '"', ',')
	b = appendKey(b, "current_quota")
	b = appendNumber(b, st.data.remaining)
	b = append(b, ',')
	b = appendKey(b, "quota_status")
	b = appendQuotaStatus(b, &st.data)
	b = append(b, ',')
	b = appendKey(b, "current_quota_SMS")
	b = appendNumber(b, st.sms.remaining)
	b = append(b, ',')
	b = appendKey(b, "quota_status_SMS")
	b = appendQuotaStatus(b, &st.sms)
	b = append(b, ',')
	b = appendKey(b, "label")
	if st.flags&flagLabelSet == 0 {
		b = append(b, '"')
		b = appendDefaultLabel(b, idx)
		return append(b, '"', '}')
	}
	b = appendJSONString(b, label)
	return append(b, '}')
}
