package oncesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"
)

// maxAdminBody caps admin request bodies; a faults document is a few hundred bytes.
const maxAdminBody = 64 << 10

// maxClockAdvance bounds one clock jump, so a typo ("1000000h") cannot make the simulator
// accrue a century of usage in one call.
const maxClockAdvance = 366 * 24 * time.Hour

// Controller is what the admin endpoint needs from the simulator core.
type Controller interface {
	// RevokeTokens invalidates every issued bearer token; the next API call with one gets 401.
	RevokeTokens()
	// Advance moves the simulated clock forward by d, accruing usage and firing what falls due.
	Advance(d time.Duration)
}

// simController is what the SIM endpoints need; *Simulator has it. AdminHandler serves them
// when its Controller has it too.
type simController interface {
	SIM(iccid string) (SIMState, bool)
	ChangeSIM(iccid string, c SIMChange) (SIMState, error)
	SetOnline(iccid string, online bool) (SIMState, error)
	MoveSIM(iccid string, to Network) (SIMState, error)
	AddUsage(iccid string, u Usage) (SIMState, error)
	Networks() []Network
}

// AdminHandler serves the simulator's control endpoints, which tests and operators use to steer
// a running simulator. They are not part of 1NCE's API and carry no authentication: the
// simulator is a test tool that listens on loopback. Mount it at /_sim/ (FaultInjector.Wrap
// never faults that prefix):
//
//	GET  /_sim/faults          the faults in force, as JSON (see below)
//	PUT  /_sim/faults          replace them; JSON body, or the --faults syntax with
//	                           Content-Type text/plain; 400 problem+json on bad input
//	POST /_sim/tokens/revoke   revoke every issued token (204)
//	POST /_sim/clock/advance   {"duration":"1h"}: move the simulated clock (204)
//	GET  /_sim/stats           {"faults": FaultStats}
//
// When ctl is a *Simulator, changes "in the 1NCE portal" and by devices, each answered with
// the SIM afterwards (200, SIMState as JSON) and making the events 1NCE makes
// (Simulator.ChangeSIM, SetOnline, MoveSIM and AddUsage say which):
//
//	GET   /_sim/sims/{iccid}          the SIM: status, quotas, connectivity, network, …
//	PATCH /_sim/sims/{iccid}          {"status":"Disabled","label":"pump-7","imei":"356938035643809"}
//	                                  (any of the three)
//	POST  /_sim/sims/{iccid}/offline  the device loses the network (connectivity lost)
//	POST  /_sim/sims/{iccid}/online   the device is back (connectivity restored)
//	POST  /_sim/sims/{iccid}/move     {"mcc":"208","mnc":"01"} or {"country":"fr"}: roam
//	POST  /_sim/sims/{iccid}/usage    {"bytes":1048576} or {"all_data":true}, and/or
//	                                  {"sms":3}: traffic now, to cross a threshold at will
//	GET   /_sim/networks              the networks a SIM can move to
//
// Errors are problem+json with a stable code: 400 invalid (malformed input, unknown fields
// included), 404 not_found (unknown SIM), 409 conflict (the SIM's state refuses the change,
// e.g. it is expired, or usage on an offline device).
//
// The faults JSON (every field optional, absent means no such fault):
//
//	{"latency":{"min":"5ms","max":"50ms","spike_rate":0.01,"spike":"2s"},
//	 "errors":{"500":0.1,"502":0.05,"503":0.05},
//	 "burst429":{"rate":0.01,"length":20,"retry_after":"2s"},
//	 "reset":0.01,"truncate":0.01,"slow_body_bps":4096,"revoke":0.001}
//
// fi and ctl may be nil; their endpoints then answer 404.
func AdminHandler(fi *FaultInjector, ctl Controller) http.Handler {
	mux := http.NewServeMux()
	if fi != nil {
		mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
			adminWriteJSON(w, http.StatusOK, fi.Current())
		})
		mux.HandleFunc("PUT /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
			f, err := adminReadFaults(r)
			if err != nil {
				adminBadRequest(w, "body", err)
				return
			}
			if err := fi.Set(f); err != nil {
				adminBadRequest(w, "body", err)
				return
			}
			adminWriteJSON(w, http.StatusOK, fi.Current())
		})
		mux.HandleFunc("GET /_sim/stats", func(w http.ResponseWriter, _ *http.Request) {
			adminWriteJSON(w, http.StatusOK, struct {
				Faults FaultStats `json:"faults"`
			}{fi.Stats()})
		})
	}
	if ctl != nil {
		mux.HandleFunc("POST /_sim/tokens/revoke", func(w http.ResponseWriter, _ *http.Request) {
			ctl.RevokeTokens()
			w.WriteHeader(http.StatusNoContent)
		})
		mux.HandleFunc("POST /_sim/clock/advance", func(w http.ResponseWriter, r *http.Request) {
			var req struct {
				Duration string `json:"duration"`
			}
			if err := adminDecodeJSON(r, &req); err != nil {
				adminBadRequest(w, "body", err)
				return
			}
			d, err := time.ParseDuration(req.Duration)
			if err != nil || d <= 0 || d > maxClockAdvance {
				adminBadRequest(w, "duration", fmt.Errorf("duration %q: want a positive Go duration up to %s, e.g. \"1h\"", req.Duration, maxClockAdvance))
				return
			}
			ctl.Advance(d)
			w.WriteHeader(http.StatusNoContent)
		})
	}
	if sc, ok := ctl.(simController); ok {
		adminSIMRoutes(mux, sc)
	}
	return mux
}

// adminSIMRoutes mounts the SIM endpoints.
func adminSIMRoutes(mux *http.ServeMux, sc simController) {
	answer := func(w http.ResponseWriter, st SIMState, err error) {
		switch {
		case errors.Is(err, ErrUnknownSIM):
			adminProblem(w, http.StatusNotFound, "not_found", "iccid", err.Error())
		case errors.Is(err, ErrInvalidChange):
			adminProblem(w, http.StatusBadRequest, "invalid", "body", err.Error())
		case errors.Is(err, ErrRefused):
			adminProblem(w, http.StatusConflict, "conflict", "", err.Error())
		case err != nil:
			adminProblem(w, http.StatusInternalServerError, "internal", "", err.Error())
		default:
			adminWriteJSON(w, http.StatusOK, st)
		}
	}
	mux.HandleFunc("GET /_sim/networks", func(w http.ResponseWriter, _ *http.Request) {
		adminWriteJSON(w, http.StatusOK, sc.Networks())
	})
	mux.HandleFunc("GET /_sim/sims/{iccid}", func(w http.ResponseWriter, r *http.Request) {
		st, ok := sc.SIM(r.PathValue("iccid"))
		if !ok {
			answer(w, st, fmt.Errorf("%w: %s", ErrUnknownSIM, r.PathValue("iccid")))
			return
		}
		answer(w, st, nil)
	})
	mux.HandleFunc("PATCH /_sim/sims/{iccid}", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Status *string `json:"status"`
			Label  *string `json:"label"`
			IMEI   *string `json:"imei"`
		}
		if err := adminDecodeJSON(r, &req); err != nil {
			adminBadRequest(w, "body", err)
			return
		}
		var c SIMChange
		if req.Status != nil {
			if c.Status = *req.Status; c.Status == "" {
				adminBadRequest(w, "status", errors.New("status must be Enabled or Disabled"))
				return
			}
		}
		if req.IMEI != nil {
			if c.IMEI = *req.IMEI; c.IMEI == "" {
				adminBadRequest(w, "imei", errors.New("imei must be 15 digits"))
				return
			}
		}
		c.Label = req.Label
		st, err := sc.ChangeSIM(r.PathValue("iccid"), c)
		answer(w, st, err)
	})
	for _, online := range []bool{false, true} {
		path := "POST /_sim/sims/{iccid}/offline"
		if online {
			path = "POST /_sim/sims/{iccid}/online"
		}
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			st, err := sc.SetOnline(r.PathValue("iccid"), online)
			answer(w, st, err)
		})
	}
	mux.HandleFunc("POST /_sim/sims/{iccid}/move", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			MCC     string `json:"mcc"`
			MNC     string `json:"mnc"`
			Country string `json:"country"`
		}
		if err := adminDecodeJSON(r, &req); err != nil {
			adminBadRequest(w, "body", err)
			return
		}
		if (req.MCC != "" || req.MNC != "") == (req.Country != "") {
			adminBadRequest(w, "body", errors.New(`give {"mcc","mnc"} or {"country"}`))
			return
		}
		st, err := sc.MoveSIM(r.PathValue("iccid"), Network{MCC: req.MCC, MNC: req.MNC, Country: req.Country})
		answer(w, st, err)
	})
	mux.HandleFunc("POST /_sim/sims/{iccid}/usage", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Bytes   int64 `json:"bytes"`
			AllData bool  `json:"all_data"`
			SMS     int   `json:"sms"`
		}
		if err := adminDecodeJSON(r, &req); err != nil {
			adminBadRequest(w, "body", err)
			return
		}
		st, err := sc.AddUsage(r.PathValue("iccid"), Usage{Bytes: req.Bytes, AllData: req.AllData, SMS: req.SMS})
		answer(w, st, err)
	})
}

// adminReadFaults reads a PUT /_sim/faults body in either form.
func adminReadFaults(r *http.Request) (Faults, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "text/plain" {
		b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxAdminBody))
		if err != nil {
			return Faults{}, fmt.Errorf("reading body: %w", err)
		}
		return ParseFaults(string(b))
	}
	// A pointer, so that a JSON null (which would decode to nothing) is told apart and refused.
	var f *Faults
	if err := adminDecodeJSON(r, &f); err != nil {
		return Faults{}, err
	}
	if f == nil {
		return Faults{}, fmt.Errorf("invalid JSON body: want a faults object, got null")
	}
	return *f, nil
}

// adminDecodeJSON decodes exactly one JSON value, refusing unknown fields and trailing data.
func adminDecodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("invalid JSON body: trailing data after the object")
	}
	return nil
}

func adminBadRequest(w http.ResponseWriter, field string, err error) {
	adminProblem(w, http.StatusBadRequest, "invalid", field, err.Error())
}

// adminProblemBody is an RFC 9457 problem details body. The admin endpoint writes its own
// rather than importing oncefleet's server packages, so that oncesim stays usable on its own;
// code and field carry the same stable names oncefleet's API uses (invalid, not_found,
// conflict, internal), so one client can read both.
type adminProblemBody struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
	Field  string `json:"field,omitempty"`
}

// adminProblem answers status with a problem+json body.
func adminProblem(w http.ResponseWriter, status int, code, field, detail string) {
	b, _ := json.Marshal(adminProblemBody{Title: http.StatusText(status), Status: status, Detail: detail, Code: code, Field: field})
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func adminWriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every value written here is a plain struct; failing is a bug, not bad input.
		adminProblem(w, http.StatusInternalServerError, "internal", "", "encoding the response failed")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
