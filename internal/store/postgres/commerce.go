package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// execBatch sends queued statements in one round trip inside one transaction, so an upsert
// of a 1NCE page is all or nothing.
func (s *Store) execBatch(ctx context.Context, what string, b *pgx.Batch) error {
	return s.transact(ctx, what, func(tx pgx.Tx) (bool, error) {
		res := tx.SendBatch(ctx, b)
		for range b.Len() {
			if _, err := res.Exec(); err != nil {
				res.Close()
				return false, translate(err, what)
			}
		}
		return false, translate(res.Close(), what)
	})
}

const orderCols = `order_number, status, order_type, COALESCE(total_amount::text, ''), currency, ordered_at, raw, created_by, updated_at`

func scanOrder(row pgx.Row, o *fleet.Order) error {
	var raw []byte
	if err := row.Scan(&o.Number, &o.Status, &o.Type, &o.TotalAmount, &o.Currency, &o.OrderedAt, &raw, &o.CreatedBy, &o.UpdatedAt); err != nil {
		return err
	}
	o.Raw, o.TotalAmount = raw, fleet.NormalizeDecimal(o.TotalAmount)
	toUTC(o.OrderedAt, &o.UpdatedAt)
	return nil
}

// UpsertOrders inserts or updates orders by number. An empty CreatedBy (an order synced from
// 1NCE) keeps the one recorded when oncefleet placed it.
func (s *Store) UpsertOrders(ctx context.Context, orders []fleet.Order) error {
	b := &pgx.Batch{}
	now := clockNow()
	for i := range orders {
		o := &orders[i]
		if err := o.Validate(); err != nil {
			return err
		}
		b.Queue(`INSERT INTO orders (order_number, status, order_type, total_amount, currency, ordered_at, raw, created_by, updated_at)
			VALUES ($1, $2, $3, NULLIF($4::text, '')::numeric, $5, $6, $7, $8, $9)
			ON CONFLICT (order_number) DO UPDATE SET status = EXCLUDED.status, order_type = EXCLUDED.order_type,
				total_amount = EXCLUDED.total_amount, currency = EXCLUDED.currency, ordered_at = EXCLUDED.ordered_at,
				raw = EXCLUDED.raw, created_by = COALESCE(NULLIF(EXCLUDED.created_by, ''), orders.created_by),
				updated_at = EXCLUDED.updated_at`,
			o.Number, o.Status, o.Type, o.TotalAmount, o.Currency, o.OrderedAt, []byte(fleet.JSONOr(o.Raw, "{}")), o.CreatedBy, now)
	}
	return s.execBatch(ctx, "upsert orders", b)
}

// OrderByNumber finds an order.
func (s *Store) OrderByNumber(ctx context.Context, number string) (*fleet.Order, error) {
	var o fleet.Order
	if err := scanOrder(s.pool.QueryRow(ctx, `SELECT `+orderCols+` FROM orders WHERE order_number = $1`, number), &o); err != nil {
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
	rows, err := s.pool.Query(ctx, `SELECT `+orderCols+` FROM orders`+w.sql()+
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

const productCols = `product_id, name, COALESCE(price::text, ''), currency, raw, updated_at`

func scanProduct(row pgx.Row, p *fleet.Product) error {
	var raw []byte
	if err := row.Scan(&p.ID, &p.Name, &p.Price, &p.Currency, &raw, &p.UpdatedAt); err != nil {
		return err
	}
	p.Raw, p.Price = raw, fleet.NormalizeDecimal(p.Price)
	toUTC(&p.UpdatedAt)
	return nil
}

// UpsertProducts inserts or updates catalogue entries by product id.
func (s *Store) UpsertProducts(ctx context.Context, products []fleet.Product) error {
	b := &pgx.Batch{}
	now := clockNow()
	for i := range products {
		p := &products[i]
		if err := p.Validate(); err != nil {
			return err
		}
		b.Queue(`INSERT INTO products (product_id, name, price, currency, raw, updated_at)
			VALUES ($1, $2, NULLIF($3::text, '')::numeric, $4, $5, $6)
			ON CONFLICT (product_id) DO UPDATE SET name = EXCLUDED.name, price = EXCLUDED.price, currency = EXCLUDED.currency,
				raw = EXCLUDED.raw, updated_at = EXCLUDED.updated_at`,
			p.ID, p.Name, p.Price, p.Currency, []byte(fleet.JSONOr(p.Raw, "{}")), now)
	}
	return s.execBatch(ctx, "upsert products", b)
}

// ProductByID finds a product.
func (s *Store) ProductByID(ctx context.Context, id string) (*fleet.Product, error) {
	var p fleet.Product
	if err := scanProduct(s.pool.QueryRow(ctx, `SELECT `+productCols+` FROM products WHERE product_id = $1`, id), &p); err != nil {
		return nil, translate(err, "get product "+id)
	}
	return &p, nil
}

// ListProducts returns the whole catalogue ordered by id (1NCE sells a handful of products).
func (s *Store) ListProducts(ctx context.Context) ([]fleet.Product, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+productCols+` FROM products ORDER BY product_id`)
	if err != nil {
		return nil, translate(err, "list products")
	}
	return scanAll(rows, "list products", scanProduct)
}

const supportCols = `id, subject, status, raw, created_by, created_at, updated_at`

func scanSupport(row pgx.Row, r *fleet.SupportRequest) error {
	var raw []byte
	if err := row.Scan(&r.ID, &r.Subject, &r.Status, &raw, &r.CreatedBy, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return err
	}
	r.Raw = raw
	toUTC(&r.CreatedAt, &r.UpdatedAt)
	return nil
}

// UpsertSupportRequests inserts or updates tickets by id. A zero CreatedAt means now on insert
// and keeps the stored time on update; an empty CreatedBy keeps the stored one.
func (s *Store) UpsertSupportRequests(ctx context.Context, reqs []fleet.SupportRequest) error {
	b := &pgx.Batch{}
	now := clockNow()
	for i := range reqs {
		r := &reqs[i]
		if err := r.Validate(); err != nil {
			return err
		}
		var created any
		if !r.CreatedAt.IsZero() {
			created = r.CreatedAt
		}
		b.Queue(`INSERT INTO support_requests (id, subject, status, raw, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, COALESCE($6::timestamptz, $7), $7)
			ON CONFLICT (id) DO UPDATE SET subject = EXCLUDED.subject, status = EXCLUDED.status, raw = EXCLUDED.raw,
				created_by = COALESCE(NULLIF(EXCLUDED.created_by, ''), support_requests.created_by),
				created_at = CASE WHEN $6::timestamptz IS NULL THEN support_requests.created_at ELSE EXCLUDED.created_at END,
				updated_at = EXCLUDED.updated_at`,
			r.ID, r.Subject, r.Status, []byte(fleet.JSONOr(r.Raw, "{}")), r.CreatedBy, created, now)
	}
	return s.execBatch(ctx, "upsert support requests", b)
}

// SupportRequestByID finds a ticket.
func (s *Store) SupportRequestByID(ctx context.Context, id string) (*fleet.SupportRequest, error) {
	var r fleet.SupportRequest
	if err := scanSupport(s.pool.QueryRow(ctx, `SELECT `+supportCols+` FROM support_requests WHERE id = $1`, id), &r); err != nil {
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
	rows, err := s.pool.Query(ctx, `SELECT `+supportCols+` FROM support_requests`+w.sql()+
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
