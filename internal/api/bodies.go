package api

import (
	"encoding/json"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"
	"strconv"
	"time"

	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// Shared request and response shapes.

// SIMPath names a SIM in the path.
type SIMPath struct {
	ICCID string `path:"iccid" pattern:"^[0-9]{19,20}$" doc:"The SIM's ICCID: 19 digits, or 20 with the Luhn check digit." example:"8988280666000000001"`
}

// Resolve accepts the ICCID as printed on a card (20 digits with the Luhn check digit) and
// passes on the 19-digit form 1NCE and the mirror use.
func (p *SIMPath) Resolve(huma.Context) []error {
	canon, err := control.CanonicalICCID("iccid", p.ICCID)
	if err != nil {
		return []error{&huma.ErrorDetail{Location: "path.iccid", Message: fleet.ErrorMessage(err), Value: p.ICCID}}
	}
	p.ICCID = canon
	return nil
}

// FreshQuery asks to bypass the cache and mirror and read 1NCE now.
type FreshQuery struct {
	Fresh        bool   `query:"fresh" doc:"Read 1NCE now (interactive priority) instead of the mirror or cache, and refresh them."`
	CacheControl string `header:"Cache-Control" doc:"no-cache has the same effect as fresh=true."`
}

func (f FreshQuery) wantFresh() bool { return f.Fresh || f.CacheControl == "no-cache" }

// PageQuery is the paging of a list.
type PageQuery struct {
	Page     int `query:"page" minimum:"1" maximum:"1000000" default:"1" doc:"1-based page number."`
	PageSize int `query:"page_size" minimum:"1" maximum:"1000" default:"50" doc:"Items per page."`
}

// readBody is a single answer with how fresh it is.
type readBody[T any] struct {
	Data T `json:"data"`
	// SyncedAt is when the answer was last confirmed with 1NCE.
	SyncedAt *time.Time `json:"synced_at" doc:"When this answer was last confirmed with 1NCE (null: never)."`
	Stale    bool       `json:"stale" doc:"true when 1NCE could not be asked and this is the last known answer."`
	// StaleReason says why 1NCE could not be asked.
	StaleReason string `json:"stale_reason,omitempty"`
}

// listBody is one page of a list.
type listBody[T any] struct {
	Data     []T        `json:"data"`
	Page     int        `json:"page"`
	PageSize int        `json:"page_size"`
	Total    int64      `json:"total"`
	SyncedAt *time.Time `json:"synced_at,omitempty" doc:"For lists read from 1NCE: when they were last confirmed."`
	Stale    bool       `json:"stale,omitempty" doc:"true when 1NCE could not be asked and this is the last known page."`
}

// readOut is a read answer with its Age and Warning headers.
type readOut[T any] struct {
	Age     string `header:"Age" doc:"Seconds since the answer was last confirmed with 1NCE."`
	Warning string `header:"Warning" doc:"110 oncefleet \"Response is Stale\" when 1NCE could not be asked."`
	Body    readBody[T]
}

// listOut is a page with its Age and Warning headers.
type listOut[T any] struct {
	Age     string `header:"Age" doc:"Seconds since the page was last confirmed with 1NCE (lists read from 1NCE)."`
	Warning string `header:"Warning" doc:"110 oncefleet \"Response is Stale\" when 1NCE could not be asked."`
	Body    listBody[T]
}

func syncedPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// headers sets Age and Warning from a read's freshness.
func headers(syncedAt time.Time, stale bool, now time.Time) (age, warning string) {
	if !syncedAt.IsZero() {
		age = strconv.FormatInt(max(int64(now.Sub(syncedAt)/time.Second), 0), 10)
	}
	if stale {
		warning = `110 oncefleet "Response is Stale"`
	}
	return age, warning
}

func readResult[T any](r control.Read[T]) *readOut[T] {
	out := &readOut[T]{Body: readBody[T]{Data: r.Value, SyncedAt: syncedPtr(r.SyncedAt), Stale: r.Stale, StaleReason: r.Reason}}
	out.Age, out.Warning = headers(r.SyncedAt, r.Stale, time.Now())
	return out
}

func pageResult[T any](p fleet.Page[T]) *listOut[T] {
	items := p.Items
	if items == nil {
		items = []T{}
	}
	return &listOut[T]{Body: listBody[T]{Data: items, Page: p.Page, PageSize: p.PageSize, Total: p.Total}}
}

func pageRead[T any](r control.Read[fleet.Page[T]]) *listOut[T] {
	out := pageResult(r.Value)
	out.Body.SyncedAt, out.Body.Stale = syncedPtr(r.SyncedAt), r.Stale
	out.Age, out.Warning = headers(r.SyncedAt, r.Stale, time.Now())
	return out
}

// dataOut is a plain answer.
type dataOut[T any] struct {
	Body struct {
		Data T `json:"data"`
	}
}

func data[T any](v T) *dataOut[T] {
	out := &dataOut[T]{}
	out.Body.Data = v
	return out
}

// jobOut answers a request that started a bulk job: 202 with where to follow it.
type jobOut struct {
	Status   int    `json:"-"`
	Location string `header:"Location" doc:"Where to follow the job's progress."`
	Body     struct {
		Data control.Job `json:"data"`
	}
}

func jobAccepted(j control.Job) *jobOut {
	out := &jobOut{Status: http.StatusAccepted, Location: Prefix + "/jobs/" + j.ID}
	out.Body.Data = j
	return out
}

// noContent answers a change with nothing to return.
type noContent struct{}

// rawJSON is a body the control plane's cache already holds encoded (the hot reads), written
// as is; T is what it encodes, for the OpenAPI document.
type rawJSON[T any] struct{ raw json.RawMessage }

// MarshalJSON writes the encoded body.
func (r rawJSON[T]) MarshalJSON() ([]byte, error) { return r.raw, nil }

// encoded implements preEncoded.
func (r rawJSON[T]) encoded() []byte { return r.raw }

// preEncoded is a body written without going through encoding/json (see jsonFormat).
type preEncoded interface{ encoded() []byte }

// Schema implements huma.SchemaProvider: the body is documented as T.
func (rawJSON[T]) Schema(reg huma.Registry) *huma.Schema {
	return reg.Schema(reflect.TypeFor[T](), true, "")
}

// rawListOut is a page served from its cached encoding.
type rawListOut[T any] struct {
	Body rawJSON[listBody[T]]
}
