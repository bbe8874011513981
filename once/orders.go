package once

import (
	"context"
	"iter"
	"net/http"
	"strconv"
)

// MaxOrderPageSize is the largest page of GET /v1/orders (pageSize ≤ 10, unlike the SIM lists).
const MaxOrderPageSize = 10

// OrdersPage is GET /v1/orders: one page of the account's orders. sort lists order_number,
// order_status and/or order_date ("" leaves 1NCE's default, order_number). Orders, products
// and support share 1NCE's limit of 100 requests per 5 minutes, which the client enforces.
func (c *Client) OrdersPage(ctx context.Context, page, pageSize int, sort string) ([]Order, Page, error) {
	return ordersPage(ctx, c, page, pageSize, sort)
}

func ordersPage(ctx context.Context, d doer, page, pageSize int, sort string) ([]Order, Page, error) {
	var out []Order
	q := pageQuery("pageSize", page, pageSize, MaxOrderPageSize)
	if sort != "" {
		q.Set("sort", sort)
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
		return c.OrdersPage(ctx, page, size, "")
	})
}

// CreateOrder is POST /v1/orders: place an order (costs money; never re-sent once it may have
// reached 1NCE). 1NCE answers either 200 with the order as accepted, returned here, or 201
// without a body, in which case the result is nil.
func (c *Client) CreateOrder(ctx context.Context, o OrderRequest) (*OrderRequest, error) {
	return createOrder(ctx, c, o)
}

func createOrder(ctx context.Context, d doer, o OrderRequest) (*OrderRequest, error) {
	if len(o.Products) == 0 {
		return nil, invalid("orders.create", "no products")
	}
	for _, p := range o.Products {
		if p.Quantity < 1 {
			return nil, invalid("orders.create", "product quantity must be at least 1")
		}
	}
	var out OrderRequest
	res, err := d.do(ctx, &request{op: "orders.create", method: http.MethodPost, path: "/v1/orders", body: o, unsafe: true, group: groupCommerce}, &out)
	if err != nil {
		return nil, err
	}
	if res == nil || res.status != http.StatusOK || len(out.Products) == 0 {
		return nil, nil
	}
	return &out, nil
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
