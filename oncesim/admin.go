package oncesim

import (
	"encoding/json"
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
	return mux
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
