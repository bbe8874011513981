package oncesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// api serves the Management API: routing, the account mode, authentication and rate limits,
// then the operation.
func (s *Simulator) api(w http.ResponseWriter, r *http.Request) {
	rt, p := parseRoute(r.Method, r.URL.Path)
	if rt == routeNone || (rt.v1SIM() && s.opts.Mode == ModeV2Only) {
		writeMissingToken(w)
		return
	}
	if rt == routeToken {
		if s.limiter != nil {
			if l := s.ipLimiter(&s.oauthLimiters, r, oauthPerMinute/60.0, oauthPerMinute); !l.AllowN(s.clock.Now(), 1) {
				writeTooMany(w, retryAfter(l, s.clock.Now()))
				return
			}
		}
		s.token(w, r)
		return
	}
	if !s.authorized(r) {
		writeUnauthorized(w)
		return
	}
	if !s.allow(w, r, rt) {
		return
	}
	h := handlers[rt]
	h(s, w, r, p)
}

type handlerFunc func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams)

var handlers [routeCount]handlerFunc

func init() {
	handlers = [routeCount]handlerFunc{
		v1ListSIMs:         func(s *Simulator, w http.ResponseWriter, r *http.Request, _ routeParams) { s.listSIMs(w, r, gen1) },
		v1UpdateSIMs:       (*Simulator).v1UpdateSIMs,
		v1GetSIM:           func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.getSIM(w, p, gen1) },
		v1UpdateSIM:        func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.updateSIM(w, r, p, gen1) },
		v1Status:           (*Simulator).v1Status,
		v1Transfer:         (*Simulator).v1Transfer,
		v1ConnInfo:         (*Simulator).v1ConnInfo,
		v1Reset:            func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.reset(w, p, gen1) },
		v1Events:           (*Simulator).v1Events,
		v1Usage:            (*Simulator).v1Usage,
		v1QuotaData:        func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.quota(w, p, gen1, false) },
		v1QuotaSMS:         func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.quota(w, p, gen1, true) },
		v1ListSMS:          func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.listSMS(w, r, p, gen1) },
		v1SendSMS:          func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.sendSMS(w, r, p, gen1) },
		v1GetSMS:           func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.getSMS(w, p, gen1) },
		v1CancelSMS:        func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.cancelSMS(w, p, gen1) },
		v1TopUp:            func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.topUp(w, r, p, gen1) },
		v1TopUpMulti:       (*Simulator).v1TopUpMulti,
		v1AutoTopUp:        (*Simulator).v1AutoTopUp,
		v1GetLimits:        (*Simulator).v1GetLimits,
		v1SetLimits:        (*Simulator).v1SetLimits,
		v1SelectableLimits: (*Simulator).v1SelectableLimits,
		v1Extension:        (*Simulator).v1Extension,

		v2ListSIMs:  func(s *Simulator, w http.ResponseWriter, r *http.Request, _ routeParams) { s.listSIMs(w, r, gen2) },
		v2GetSIM:    func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.getSIM(w, p, gen2) },
		v2UpdateSIM: func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.updateSIM(w, r, p, gen2) },
		v2Reset:     func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.reset(w, p, gen2) },
		v2QuotaData: func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.quota(w, p, gen2, false) },
		v2QuotaSMS:  func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.quota(w, p, gen2, true) },
		v2Status:    (*Simulator).v2Status,
		v2SendSMS:   func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.sendSMS(w, r, p, gen2) },
		v2ListSMS:   func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.listSMS(w, r, p, gen2) },
		v2GetSMS:    func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.getSMS(w, p, gen2) },
		v2CancelSMS: func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.cancelSMS(w, p, gen2) },
		v2Events:    (*Simulator).v2Events,
		v2TopUp:     func(s *Simulator, w http.ResponseWriter, r *http.Request, p routeParams) { s.topUp(w, r, p, gen2) },

		routeListOrders:    (*Simulator).listOrders,
		routeCreateOrder:   (*Simulator).createOrder,
		routeGetOrder:      (*Simulator).getOrder,
		routeProducts:      (*Simulator).listProducts,
		routeListSupport:   (*Simulator).listSupport,
		routeCreateSupport: (*Simulator).createSupport,
	}
}

// gen is the API generation of an operation; it decides the error shapes.
type gen uint8

const (
	gen1 gen = iota + 1
	gen2
)

func (g gen) notFound(w http.ResponseWriter, what string) {
	if g == gen2 {
		v2Error(w, http.StatusNotFound, "NotFound", what+" not found")
		return
	}
	v1Error(w, http.StatusNotFound, "NotFound", what+" not found")
}

// badRequest answers malformed input. v1 documents no 400 for most operations, but 1NCE's
// gateway answers one for input it cannot parse (as it does for pageSize > 100).
func (g gen) badRequest(w http.ResponseWriter, msg string) {
	if g == gen2 {
		v2Error(w, http.StatusBadRequest, "BadRequest", msg)
		return
	}
	v1Error(w, http.StatusBadRequest, "BadRequest", msg)
}

// expired answers a change to a SIM whose lifetime has ended: v1 documents 422 for it, v2
// answers 409 Conflict.
func (g gen) expired(w http.ResponseWriter, iccids ...string) {
	msg := "The following SIMs are expired and cannot be modified via API. Only extensions are permitted: " + strings.Join(iccids, ", ")
	if g == gen2 {
		v2Error(w, http.StatusConflict, "Conflict", msg)
		return
	}
	v1Error(w, http.StatusUnprocessableEntity, "SimExpired", msg)
}

// maxBody bounds request bodies; the largest legitimate one is a bulk list of ICCIDs.
const maxBody = 8 << 20

// errNoBody is an empty request body.
var errNoBody = errors.New("request body is required")

// decodeBody reads a JSON body into v, rejecting trailing data.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errNoBody
		}
		return fmt.Errorf("request body is not valid JSON for this operation: %w", err)
	}
	if dec.More() {
		return errors.New("request body has trailing data")
	}
	return nil
}

// indicesOf resolves the ICCIDs of a v1 bulk operation. When one is unknown it answers 404 for
// the first such ICCID and reports false.
func (s *Simulator) indicesOf(w http.ResponseWriter, iccids []string) ([]int, bool) {
	out := make([]int, 0, len(iccids))
	for _, ic := range iccids {
		idx, ok := s.fleet.indexOf(ic)
		if !ok {
			gen1.notFound(w, "SIM "+ic)
			return nil, false
		}
		out = append(out, idx)
	}
	return out, true
}

// refuseExpired answers the v1 expired error, listing every SIM among idxs whose lifetime has
// ended, and reports whether it did: a bulk change touches no SIM when any is expired.
func (s *Simulator) refuseExpired(w http.ResponseWriter, idxs []int) bool {
	now := s.now()
	var exp []string
	s.fleet.mu.RLock()
	for _, idx := range idxs {
		sh, off := s.fleet.locate(idx)
		sh.mu.RLock()
		if now >= sh.sims[off].data.expiry {
			exp = append(exp, iccidOf(idx))
		}
		sh.mu.RUnlock()
	}
	s.fleet.mu.RUnlock()
	if len(exp) == 0 {
		return false
	}
	gen1.expired(w, exp...)
	return true
}

// paymentMethod validates the payment_method query parameter of invoicing operations.
func paymentMethod(r *http.Request) (string, bool) {
	v := r.URL.Query().Get("payment_method")
	switch v {
	case "":
		return "banktransfer", true
	case "banktransfer", "creditcard", "monthlyinvoice", "boleto":
		return v, true
	}
	return "", false
}

func setPagingHeaders(w http.ResponseWriter, total, pages, page, size int) {
	h := w.Header()
	h.Set("X-Total-Count", strconv.Itoa(total))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	h.Set("X-Current-Page", strconv.Itoa(page))
	h.Set("X-Count-Per-Page", strconv.Itoa(size))
}
