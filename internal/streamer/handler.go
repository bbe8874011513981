package streamer

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/problem"
	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// DefaultMaxBodyBytes bounds a request body: 3,000 records of about 1.5 kB each fit with room
// to spare, and nothing larger is read.
const DefaultMaxBodyBytes = 16 << 20

// Saver durably stores a batch, all records or none (postgres.Store and sqlite.Store).
type Saver interface {
	SaveStreamerBatch(ctx context.Context, recs []record.Raw) (record.SaveResult, error)
}

// Credential is the Basic auth pair 1NCE is configured to send.
type Credential struct {
	Username string
	Password string
}

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	// Store receives each valid batch before the 200.
	Store Saver
	// Credential protects the endpoints. With an empty username or password every endpoint
	// answers 404, as if the receiver did not exist (SPEC §9).
	Credential Credential
	// MaxBodyBytes bounds a request body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Metrics, when set, counts records and acknowledgement latency.
	Metrics *Metrics
	// OnCommit, when set, runs after each committed batch with new records (e.g. Applier.Notify).
	// It must not block.
	OnCommit func()
	// Logger logs failures of the store; nil uses slog.Default().
	Logger *slog.Logger
}

// Handler serves the Data Streamer endpoints:
//
//	POST {prefix}/events  event records (ambiguous records are events)
//	POST {prefix}/usage   usage records (ambiguous records are usage)
//	POST {prefix}         both kinds, told apart per record ("both" streams)
//
// and answers 200 only once the whole batch is committed.
type Handler struct {
	cfg  HandlerConfig
	user [32]byte
	pass [32]byte
	on   bool
	mux  *http.ServeMux
}

// Prefix is where the server mounts the receiver.
const Prefix = "/api/v1/streamer"

// NewHandler returns the receiver's handler, routing under Prefix.
func NewHandler(cfg HandlerConfig) *Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{cfg: cfg, on: cfg.Credential.Username != "" && cfg.Credential.Password != ""}
	// Comparing fixed-size hashes keeps the comparison constant-time whatever the lengths.
	h.user = sha256.Sum256([]byte(cfg.Credential.Username))
	h.pass = sha256.Sum256([]byte(cfg.Credential.Password))
	h.mux = http.NewServeMux()
	h.mux.Handle("POST "+Prefix+"/events", h.endpoint("events", record.StreamEvent))
	h.mux.Handle("POST "+Prefix+"/usage", h.endpoint("usage", record.StreamUsage))
	h.mux.Handle("POST "+Prefix, h.endpoint("combined", ""))
	h.mux.Handle("POST "+Prefix+"/{$}", h.endpoint("combined", ""))
	return h
}

// ServeHTTP routes to the endpoints; other paths under Prefix are 404 (405 for other methods).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.on {
		problem.Write(w, problem.New(http.StatusNotFound, fleet.CodeNotFound, "the Data Streamer receiver is not configured"))
		return
	}
	h.mux.ServeHTTP(w, r)
}

// ackBody is the 200 response: what was new and what was already stored.
type ackBody struct {
	Received   int `json:"received"`
	Inserted   int `json:"inserted"`
	Duplicates int `json:"duplicates"`
}

func (h *Handler) endpoint(name string, def record.Stream) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		code := h.serve(w, r, def)
		if m := h.cfg.Metrics; m != nil {
			m.ack.WithLabelValues(name, strconv.Itoa(code)).Observe(time.Since(start).Seconds())
		}
	})
}

func (h *Handler) authorized(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	uh, ph := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
	// Both comparisons always run, so timing does not tell which part was wrong.
	return subtle.ConstantTimeCompare(uh[:], h.user[:])&subtle.ConstantTimeCompare(ph[:], h.pass[:]) == 1
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, def record.Stream) int {
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="oncefleet data streamer", charset="UTF-8"`)
		problem.Write(w, problem.New(http.StatusUnauthorized, fleet.CodeUnauthorized, "valid Basic credentials for the Data Streamer are required"))
		return http.StatusUnauthorized
	}
	// The body is read whole (bounded by MaxBodyBytes) and scanned in memory, sized from
	// Content-Length when it is given and within the bound.
	hint := 0
	if r.ContentLength > 0 && r.ContentLength <= h.cfg.MaxBodyBytes {
		hint = int(r.ContentLength)
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes), hint)
	if err != nil {
		return h.reject(w, err, def)
	}
	recs, err := parseBatch(body, def)
	if err != nil {
		return h.reject(w, err, def)
	}
	raws := make([]record.Raw, len(recs))
	for i, rec := range recs {
		raws[i] = record.Raw{Stream: rec.Stream, ID: rec.ID, Payload: rec.Raw}
	}
	res, err := h.cfg.Store.SaveStreamerBatch(r.Context(), raws)
	if errors.Is(err, fleet.ErrInvalid) {
		// The database refused a value the parser let through: the batch is bad, not the store,
		// and re-sending it cannot help.
		h.cfg.Logger.WarnContext(r.Context(), "streamer: database refused a batch", "records", len(raws), "err", err)
		h.cfg.Metrics.reject(string(def), len(raws))
		problem.Write(w, problem.New(http.StatusBadRequest, fleet.CodeInvalid, "the database refused a value in this batch; nothing was committed"))
		return http.StatusBadRequest
	}
	if err != nil {
		// Only a store failure gets here: 503 tells 1NCE to resend later, which is safe because
		// nothing of the batch was committed.
		if r.Context().Err() == nil {
			h.cfg.Logger.ErrorContext(r.Context(), "streamer: store batch", "records", len(raws), "err", err)
		}
		w.Header().Set("Retry-After", "5")
		problem.Write(w, problem.New(http.StatusServiceUnavailable, fleet.CodeUnavailable, "the batch could not be stored; nothing was committed, send it again"))
		return http.StatusServiceUnavailable
	}
	h.cfg.Metrics.saved(res)
	if res.Inserted.Total() > 0 && h.cfg.OnCommit != nil {
		h.cfg.OnCommit()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(ackBody{Received: len(raws), Inserted: res.Inserted.Total(), Duplicates: res.Duplicates.Total()})
	return http.StatusOK
}

func (h *Handler) reject(w http.ResponseWriter, err error, def record.Stream) int {
	var maxErr *http.MaxBytesError
	var bad *BatchError
	switch {
	case errors.Is(err, ErrTooManyRecords):
		h.cfg.Metrics.reject(string(def), MaxRecords+1)
		problem.Write(w, problem.New(http.StatusRequestEntityTooLarge, fleet.CodeTooLarge, ErrTooManyRecords.Error()))
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &maxErr):
		h.cfg.Metrics.reject(string(def), 1)
		problem.Write(w, problem.New(http.StatusRequestEntityTooLarge, fleet.CodeTooLarge, "request body larger than "+strconv.FormatInt(maxErr.Limit, 10)+" bytes"))
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &bad):
		h.cfg.Metrics.reject(string(def), 1)
		p := problem.New(http.StatusBadRequest, fleet.CodeInvalid, bad.Error()+"; nothing was committed")
		if bad.Index >= 0 {
			i := bad.Index
			p.Index = &i
		}
		problem.Write(w, p)
		return http.StatusBadRequest
	default:
		// The body could not be read (client went away mid-request): nothing to answer usefully.
		problem.Write(w, problem.New(http.StatusBadRequest, fleet.CodeInvalid, "request body could not be read; nothing was committed"))
		return http.StatusBadRequest
	}
}
