package once

import (
	"context"
	"iter"
	"net/http"
)

// SupportPage is GET /v1/support: one page of the account's service requests (pageSize ≤ 100;
// note 1NCE's default page size here is 1).
func (c *Client) SupportPage(ctx context.Context, p SupportPageParams) ([]SupportRequest, Page, error) {
	return supportPage(ctx, c, p)
}

func supportPage(ctx context.Context, d doer, p SupportPageParams) ([]SupportRequest, Page, error) {
	var out []SupportRequest
	q := pageQuery("pageSize", p.Page, p.PageSize, MaxPageSize)
	res, err := d.do(ctx, &request{op: "support.list", method: http.MethodGet, path: "/v1/support", query: q, group: groupCommerce}, &out)
	if err != nil {
		return nil, Page{}, err
	}
	return out, pageOf(res, q, "pageSize"), nil
}

// ListSupportRequests iterates over all service requests.
func (c *Client) ListSupportRequests(ctx context.Context, opts ListOptions) iter.Seq2[SupportRequest, error] {
	return paginate(ctx, opts, MaxPageSize, func(ctx context.Context, page, size int) ([]SupportRequest, Page, error) {
		return c.SupportPage(ctx, SupportPageParams{Page: page, PageSize: size})
	})
}

// CreateSupportRequest is POST /v1/support: open a ticket with 1NCE support. It is not
// re-sent once it may have reached 1NCE, so a failure never opens two tickets.
func (c *Client) CreateSupportRequest(ctx context.Context, r NewSupportRequest) (Accepted, error) {
	return createSupportRequest(ctx, c, r)
}

func createSupportRequest(ctx context.Context, d doer, r NewSupportRequest) (Accepted, error) {
	if r.Subject == "" || r.Text == "" {
		return Accepted{}, invalid("support.create", "subject and text are required")
	}
	return acceptedWrite(ctx, d, &request{op: "support.create", method: http.MethodPost, path: "/v1/support", body: r, unsafe: true, group: groupCommerce})
}
