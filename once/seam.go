package once

// This file is the seam between the transport (client.go, token, budget, retries, breaker,
// errors) and the typed operations (sims_v1.go, sims_v2.go, orders.go, …). Operations build a
// request and call Client.do; everything about getting it to 1NCE lives behind do.

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Generation is a 1NCE Management API generation.
type Generation string

// Generations.
const (
	GenV1 Generation = "v1"
	GenV2 Generation = "v2"
)

// limitGroup names the 1NCE rate-limit family a call belongs to.
type limitGroup int

const (
	groupManagement limitGroup = iota // SIM management: account budget (default 10/s)
	groupCommerce                     // orders, products, support: 100 requests per 5 minutes
	groupAuth                         // /oauth/token: 600 per minute
)

// request describes one call of one operation.
type request struct {
	op     string     // stable operation name for metrics, logs and ErrUnsupported, e.g. "v1.getSims"
	gen    Generation // GenV1 for v1-only operations (checked against the account's generation)
	method string
	path   string // relative to the base URL, escaped: "/v1/sims/8988.../sms"
	query  url.Values
	body   any // JSON-encoded when non-nil
	// unsafe marks a POST that costs money or changes state (top-up, order, SMS, transfer,
	// extension, reset): retried only when the request provably never reached 1NCE.
	unsafe bool
	group  limitGroup

	// Filled in by the client while it runs the request, for the outcome of money-costing
	// calls: when the call started, and whether any attempt may have reached 1NCE without a
	// clear refusal (a transport error after the request left, or a 5xx answer).
	attemptedAt    time.Time
	mayHaveReached bool
}

// response carries what operations need of an HTTP answer beyond the decoded body
// (pagination headers).
type response struct {
	status int
	header http.Header
}

// doer is satisfied by *Client; operations are written against it so the transport can change
// without touching them.
type doer interface {
	do(ctx context.Context, r *request, out any) (*response, error)
}

var _ doer = (*Client)(nil)
