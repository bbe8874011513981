package once

import (
	"context"
	"net/http"
)

// Products is GET /v1/products: every product 1NCE offers the account, with charges. The list
// is short and unpaginated (hence a slice, not a List… iterator); cache it, because each call
// counts against the 100-per-5-minutes commerce limit.
func (c *Client) Products(ctx context.Context) ([]Product, error) {
	return listProducts(ctx, c)
}

func listProducts(ctx context.Context, d doer) ([]Product, error) {
	var out []Product
	_, err := d.do(ctx, &request{op: "products.list", method: http.MethodGet, path: "/v1/products", group: groupCommerce}, &out)
	return out, err
}
