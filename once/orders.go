package once

import (
	"context"
	"iter"
	"net/http"
	"strconv"
)

// MaxOrderPageSize is the largest page of GET /v1/orders (pageSize ≤ 10, unlike the SIM lists).
const MaxOrderPageSize = 10

// OrdersPage is GET /v1/orders: one page of the account's orders. Orders, products and
// support share 1NCE's limit of 100 requests per 5 minutes, which the client enforces.
func (c *Client) OrdersPage(ctx context.Context, p OrdersPageParams) ([]Order, Page, error) {
	return ordersPage(ctx, c, p)
}

func ordersPage(ctx context.Context, d doer, p OrdersPageParams) ([]Order, Page, error) {
	var out []Order
	q := pageQuery("pageSize", p.Page, p.PageSize, MaxOrderPageSize)
	if p.Sort != "" {
		q.Set("sort", p.Sort)
	}
	res, err := d.do(ctx, &request{op: "orders.list", method: http.MethodGet, path: "/v1/orders", query: q, group: groupCommerce}, &out)
	if err != nil {
		return nil, Page{}, err
	}
	return out, pageOf(res, q, "pageSize"), nil
}

// ListOrders iterates over all orders (pages of up to 10, the most 1NCE allows; each page
// counts against the 100-per-5-minutes commerce limit).
func (c *Client) ListOrders(ctx context.Context, opts ListOptions) iter.Seq2[Order, error] {
	return paginate(ctx, opts, MaxOrderPageSize, func(ctx context.Context, page, size int) ([]Order, Page, error) {
		return c.OrdersPage(ctx, OrdersPageParams{Page: page, PageSize: size})
	})
}

// OrderResult is what became of CreateOrder: its outcome (also on error), when it was
// attempted, and 1NCE's answer.
type OrderResult struct {
	WriteOutcome
	// Accepted is the Location header, when 1NCE sends one.
	Accepted
	// OrderNumber is the number at the end of Location when it is numeric (0 otherwise: 1NCE's
	// documented answers carry no order number; find the order with ListOrders, by
	// CustomerReference and AttemptedAt).
	OrderNumber int64
	// Order is the order as 1NCE accepted it, when it answered 200 with it (nil on 201).
	Order *OrderRequest
	// CustomerReference is the reference sent with the order, to find it again.
	CustomerReference string
}

// CreateOrder is POST /v1/orders: place an order (costs money; never re-sent once it may have
// reached 1NCE). The result's Outcome says what became of it, also on error (see TopUp).
func (c *Client) CreateOrder(ctx context.Context, o OrderRequest) (OrderResult, error) {
	return createOrder(ctx, c, o)
}

func createOrder(ctx context.Context, d doer, o OrderRequest) (OrderResult, error) {
	result := OrderResult{CustomerReference: o.CustomerReference, WriteOutcome: WriteOutcome{Outcome: OutcomeNotSent}}
	if len(o.Products) == 0 {
		return result, invalid("orders.create", "no products")
	}
	for _, p := range o.Products {
		if p.Quantity < 1 {
			return result, invalid("orders.create", "product quantity must be at least 1")
		}
	}
	var out OrderRequest
	r := &request{op: "orders.create", method: http.MethodPost, path: "/v1/orders", body: o, unsafe: true, group: groupCommerce}
	res, err := d.do(ctx, r, &out)
	if err == nil {
		result.Accepted = acceptedOf(res)
		if n, perr := strconv.ParseInt(result.ID, 10, 64); perr == nil && n > 0 {
			result.OrderNumber = n
		}
		if res != nil && res.status == http.StatusOK && len(out.Products) > 0 {
			result.Order = &out
		}
	}
	result.WriteOutcome, err = writeOutcome(r, err)
	return result, err
}

// GetOrder is GET /v1/orders/{order_number}.
func (c *Client) GetOrder(ctx context.Context, orderNumber int64) (Order, error) {
	return getOrder(ctx, c, orderNumber)
}

func getOrder(ctx context.Context, d doer, orderNumber int64) (Order, error) {
	var out Order
	if orderNumber <= 0 {
		return out, invalid("orders.get", "order number must be positive")
	}
	_, err := d.do(ctx, &request{op: "orders.get", method: http.MethodGet, path: "/v1/orders/" + strconv.FormatInt(orderNumber, 10), group: groupCommerce}, &out)
	return out, err
}
