package sqlite

import (
	"context"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// Amounts live in NUMERIC columns; reading them back as text keeps them out of float64 in Go.
const orderCols = `order_number, status, order_type, COALESCE(CAST(total_amount AS TEXT), ''), currency, ordered_at, raw, created_by, updated_at`

func scanOrder(row rowScanner, o *fleet.Order) error {
	var raw []byte
	if err := row.Scan(&o.Number, &o.Status, &o.Type, &o.TotalAmount, &o.Currency, scanOptionalTime(&o.OrderedAt), &raw, &o.CreatedBy, scanTime(&o.UpdatedAt)); err != nil {
		return err
	}
	o.Raw, o.TotalAmount = raw, fleet.NormalizeDecimal(o.TotalAmount)
	return nil
}

// UpsertOrders inserts or updates orders by number. An empty CreatedBy (an order synced from
// 1NCE) keeps the one recorded when oncefleet placed it.
func (s *Store) UpsertOrders(ctx context.Context, orders []fleet.Order) error {
	now := formatTime(clockNow())
	args := make([][]any, 0, len(orders))
	for i := range orders {
		o := &orders[i]
		if err := o.Validate(); err != nil {
			return err
		}
		args = append(args, []any{o.Number, o.Status, o.Type, nullText(o.TotalAmount), o.Currency, optionalTime(o.OrderedAt),
			string(fleet.JSONOr(o.Raw, "{}")), o.CreatedBy, now})
	}
	return s.execAll(ctx, "upsert orders", `INSERT INTO orders (order_number, status, order_type, total_amount, currency, ordered_at, raw, created_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (order_number) DO UPDATE SET status = excluded.status, order_type = excluded.order_type,
			total_amount = excluded.total_amount, currency = excluded.currency, ordered_at = excluded.ordered_at,
			raw = excluded.raw, created_by = COALESCE(NULLIF(excluded.created_by, ''), orders.created_by),
			updated_at = excluded.updated_at`, args)
}

// OrderByNumber finds an order.
func (s *Store) OrderByNumber(ctx context.Context, number string) (*fleet.Order, error) {
	var o fleet.Order
	if err := scanOrder(s.db.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE order_number = $1`, number), &o); err != nil {
		return nil, translate(err, "get order "+number)
	}
	return &o, nil
}

// ListOrders returns one page of orders, newest first, and how many match.
func (s *Store) ListOrders(ctx context.Context, f fleet.CommerceFilter) ([]fleet.Order, int, error) {
	var w whereClause
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	total, err := s.countWhere(ctx, "orders", &w, "list orders")
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+orderCols+` FROM orders`+w.sql()+
		` ORDER BY ordered_at DESC NULLS LAST, order_number DESC`+w.page(f.Limit, f.Offset), w.args...)
	if err != nil {
		return nil, 0, translate(err, "list orders")
	}
	out, err := scanAll(rows, "list orders", scanOrder)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

const productCols = `product_id, name, COALESCE(CAST(price AS TEXT), ''), currency, raw, updated_at`

func scanProduct(row rowScanner, p *fleet.Product) error {
	var raw []byte
	if err := row.Scan(&p.ID, &p.Name, &p.Price, &p.Currency, &raw, scanTime(&p.UpdatedAt)); err != nil {
		return err
	}
	p.Raw, p.Price = raw, fleet.NormalizeDecimal(p.Price)
	return nil
}

// UpsertProducts inserts or updates catalogue entries by product id.
func (s *Store) UpsertProducts(ctx context.Context, products []fleet.Product) error {
	now := formatTime(clockNow())
	args := make([][]any, 0, len(products))
	for i := range products {
		p := &products[i]
		if err := p.Validate(); err != nil {
			return err
		}
		args = append(args, []any{p.ID, p.Name, nullText(p.Price), p.Currency, string(fleet.JSONOr(p.Raw, "{}")), now})
	}
	return s.execAll(ctx, "upsert products", `INSERT INTO products (product_id, name, price, currency, raw, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (product_id) DO UPDATE SET name = excluded.name, price = excluded.price, currency = excluded.currency,
			raw = excluded.raw, updated_at = excluded.updated_at`, args)
}

// ProductByID finds a product.
func (s *Store) ProductByID(ctx context.Context, id string) (*fleet.Product, error) {
	var p fleet.Product
	if err := scanProduct(s.db.QueryRowContext(ctx, `SELECT `+productCols+` FROM products WHERE product_id = $1`, id), &p); err != nil {
		return nil, translate(err, "get product "+id)
	}
	return &p, nil
}

// ListProducts returns the whole catalogue ordered by id (1NCE sells a handful of products).
func (s *Store) ListProducts(ctx context.Context) ([]fleet.Product, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+productCols+` FROM products ORDER BY product_id`)
	if err != nil {
		return nil, translate(err, "list products")
	}
	return scanAll(rows, "list products", scanProduct)
}

const supportCols = `id, subject, status, raw, created_by, created_at, updated_at`

func scanSupport(row rowScanner, r *fleet.SupportRequest) error {
	var raw []byte
	if err := row.Scan(&r.ID, &r.Subject, &r.Status, &raw, &r.CreatedBy, scanTime(&r.CreatedAt), scanTime(&r.UpdatedAt)); err != nil {
		return err
	}
	r.Raw = raw
	return nil
}

// UpsertSupportRequests inserts or updates tickets by id. A zero CreatedAt means now on insert
// and keeps the stored time on update; an empty CreatedBy keeps the stored one.
func (s *Store) UpsertSupportRequests(ctx context.Context, reqs []fleet.SupportRequest) error {
	now := formatTime(clockNow())
	args := make([][]any, 0, len(reqs))
	for i := range reqs {
		r := &reqs[i]
		if err := r.Validate(); err != nil {
			return err
		}
		var created any
		if !r.CreatedAt.IsZero() {
			created = formatTime(r.CreatedAt)
		}
		args = append(args, []any{r.ID, r.Subject, r.Status, string(fleet.JSONOr(r.Raw, "{}")), r.CreatedBy, created, now})
	}
	return s.execAll(ctx, "upsert support requests", `INSERT INTO support_requests (id, subject, status, raw, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, COALESCE($6, $7), $7)
		ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, status = excluded.status, raw = excluded.raw,
			created_by = COALESCE(NULLIF(excluded.created_by, ''), support_requests.created_by),
			created_at = CASE WHEN $6 IS NULL THEN support_requests.created_at ELSE excluded.created_at END,
			updated_at = excluded.updated_at`, args)
}

// SupportRequestByID finds a ticket.
func (s *Store) SupportRequestByID(ctx context.Context, id string) (*fleet.SupportRequest, error) {
	var r fleet.SupportRequest
	if err := scanSupport(s.db.QueryRowContext(ctx, `SELECT `+supportCols+` FROM support_requests WHERE id = $1`, id), &r); err != nil {
		return nil, translate(err, "get support request "+id)
	}
	return &r, nil
}

// ListSupportRequests returns one page of tickets, newest first, and how many match.
func (s *Store) ListSupportRequests(ctx context.Context, f fleet.CommerceFilter) ([]fleet.SupportRequest, int, error) {
	var w whereClause
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	total, err := s.countWhere(ctx, "support_requests", &w, "list support requests")
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+supportCols+` FROM support_requests`+w.sql()+
		` ORDER BY created_at DESC, id DESC`+w.page(f.Limit, f.Offset), w.args...)
	if err != nil {
		return nil, 0, translate(err, "list support requests")
	}
	out, err := scanAll(rows, "list support requests", scanSupport)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
