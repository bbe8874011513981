package control

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/internal/cache"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/mirror"
	"github.com/oncefleet/oncefleet/once"
)

// Cache lifetimes of the commerce reads. 1NCE allows only 100 requests per 5 minutes on
// orders, products and support (per IP), so these are cached longer than SIM reads.
const (
	TTLOrders  = 2 * time.Minute
	TTLSupport = 2 * time.Minute
	// 1NCE's order and support lists are small pages (orders at most 10 per page).
	maxOrderPageSize   = 10
	maxSupportPageSize = 100
	ordersPrefix       = "orders"
	supportPrefix      = "support"
)

// Address is a delivery address of an order.
type Address struct {
	// Salutation is "1" (Mr) or "2" (Ms), as 1NCE takes it.
	Salutation   string `json:"salutation,omitempty" enum:"1,2"`
	FirstName    string `json:"first_name,omitempty" maxLength:"200"`
	LastName     string `json:"last_name,omitempty" maxLength:"200"`
	Company      string `json:"company,omitempty" maxLength:"200"`
	Street       string `json:"street,omitempty" maxLength:"200"`
	AddressLine2 string `json:"address_line2,omitempty" maxLength:"200"`
	HouseNumber  string `json:"house_number,omitempty" maxLength:"50"`
	ZIP          string `json:"zip,omitempty" maxLength:"20"`
	City         string `json:"city,omitempty" maxLength:"200"`
	// Country is an ISO 3166-1 alpha-2 code.
	Country string `json:"country,omitempty" pattern:"^[A-Z]{2}$"`
	Phone   string `json:"phone,omitempty" maxLength:"50"`
}

// OrderLine is a product and quantity in an order.
type OrderLine struct {
	ProductID int64 `json:"product_id" minimum:"1"`
	Quantity  int   `json:"quantity" minimum:"1" maximum:"1000000"`
}

// Order is a 1NCE order (SIMs, top-ups, extensions are all orders).
type Order struct {
	Number          int64       `json:"order_number"`
	Type            string      `json:"order_type,omitempty"`
	Status          string      `json:"order_status,omitempty"`
	OrderedAt       time.Time   `json:"order_date,omitzero"`
	InvoiceNumber   string      `json:"invoice_number,omitempty"`
	InvoiceAmount   string      `json:"invoice_amount,omitempty"`
	Currency        string      `json:"currency,omitempty"`
	ICCIDs          []string    `json:"iccids,omitempty"`
	Products        []OrderLine `json:"products,omitempty"`
	ShippingAddress *Address    `json:"shipping_address,omitempty"`
}

func addressOf(a *once.DeliveryAddress) *Address {
	if a == nil {
		return nil
	}
	return &Address{Salutation: a.Salutation, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company, Street: a.Street,
		AddressLine2: a.AddressLine2, HouseNumber: a.HouseNumber, ZIP: a.ZIP, City: a.City, Country: a.Country, Phone: a.Phone}
}

func orderOf(o once.Order) Order {
	out := Order{Number: int64(o.OrderNumber), Type: o.OrderType, Status: o.OrderStatus, InvoiceNumber: o.InvoiceNumber,
		InvoiceAmount: o.InvoiceAmount, Currency: o.Currency, ShippingAddress: addressOf(o.ShippingAddress)}
	if t, err := o.OrderDate.Time(); err == nil {
		out.OrderedAt = t
	}
	for _, s := range o.SIMs {
		out.ICCIDs = append(out.ICCIDs, s.ICCID)
	}
	for _, p := range o.Products {
		out.Products = append(out.Products, OrderLine{ProductID: p.ProductID, Quantity: p.Quantity})
	}
	return out
}

// orderFromMirror rebuilds an order from the mirror's copy of 1NCE's document.
func orderFromMirror(o fleet.Order) (Order, error) {
	var raw once.Order
	if err := json.Unmarshal(o.Raw, &raw); err != nil {
		return Order{}, fmt.Errorf("order %s: decode mirrored document: %w", o.Number, err)
	}
	return orderOf(raw), nil
}

// Orders returns one page of the account's orders from 1NCE (cached), storing them in the
// mirror; with 1NCE unavailable the mirror's page stands in. Pages hold at most 10 orders
// (1NCE's limit).
func (s *Service) Orders(ctx context.Context, page, pageSize int) (Read[fleet.Page[Order]], error) {
	if page == 0 {
		page = 1
	}
	if pageSize == 0 {
		pageSize = maxOrderPageSize
	}
	if page < 1 || page > fleet.MaxPage {
		return Read[fleet.Page[Order]]{}, fleet.Invalid("page", "must be between 1 and %d", fleet.MaxPage)
	}
	if pageSize < 1 || pageSize > maxOrderPageSize {
		return Read[fleet.Page[Order]]{}, fleet.Invalid("page_size", "must be between 1 and %d (1NCE's page limit for orders)", maxOrderPageSize)
	}
	key := fmt.Sprintf("%s:list:%d:%d", ordersPrefix, page, pageSize)
	return readThrough(ctx, s, key, TTLOrders, "orders", func(ctx context.Context) (fleet.Page[Order], error) {
		up, err := s.upstream()
		if err != nil {
			return fleet.Page[Order]{}, err
		}
		got, pg, err := up.OrdersPage(ctx, once.OrdersPageParams{Page: page, PageSize: pageSize})
		if err != nil {
			return fleet.Page[Order]{}, upstreamErr(err, "listing orders")
		}
		recs := make([]fleet.Order, 0, len(got))
		out := fleet.Page[Order]{Items: make([]Order, 0, len(got)), Page: page, PageSize: pageSize, Total: int64(pg.TotalCount)}
		for _, o := range got {
			recs = append(recs, mirror.Order(o, ""))
			out.Items = append(out.Items, orderOf(o))
		}
		if out.Total < 0 {
			out.Total = int64(len(got))
		}
		if err := s.store.UpsertOrders(ctx, recs); err != nil {
			s.log.WarnContext(ctx, "orders not stored in the mirror", "err", err)
		}
		return out, nil
	}, func(ctx context.Context) (fleet.Page[Order], time.Time, error) {
		recs, total, err := s.store.ListOrders(ctx, fleet.CommerceFilter{Limit: pageSize, Offset: (page - 1) * pageSize})
		if err != nil {
			return fleet.Page[Order]{}, time.Time{}, err
		}
		out := fleet.Page[Order]{Items: make([]Order, 0, len(recs)), Page: page, PageSize: pageSize, Total: int64(total)}
		var at time.Time
		for _, r := range recs {
			o, err := orderFromMirror(r)
			if err != nil {
				return fleet.Page[Order]{}, time.Time{}, err
			}
			out.Items = append(out.Items, o)
			if r.UpdatedAt.After(at) {
				at = r.UpdatedAt
			}
		}
		return out, at, nil
	})
}

// ParseOrderNumber reads an order number from a path.
func ParseOrderNumber(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fleet.Invalid("id", "an order number is a positive integer, got %q", v)
	}
	return n, nil
}

// Order returns one order from 1NCE (cached), falling back to the mirror.
func (s *Service) Order(ctx context.Context, number int64) (Read[Order], error) {
	if number <= 0 {
		return Read[Order]{}, fleet.Invalid("id", "an order number is a positive integer")
	}
	key := ordersPrefix + ":one:" + strconv.FormatInt(number, 10)
	return readThrough(ctx, s, key, TTLOrders, "order", func(ctx context.Context) (Order, error) {
		up, err := s.upstream()
		if err != nil {
			return Order{}, err
		}
		o, err := up.GetOrder(ctx, number)
		if err != nil {
			return Order{}, upstreamErr(err, "reading the order")
		}
		if err := s.store.UpsertOrders(ctx, []fleet.Order{mirror.Order(o, "")}); err != nil {
			s.log.WarnContext(ctx, "order not stored in the mirror", "order", number, "err", err)
		}
		return orderOf(o), nil
	}, func(ctx context.Context) (Order, time.Time, error) {
		rec, err := s.store.OrderByNumber(ctx, strconv.FormatInt(number, 10))
		if err != nil {
			return Order{}, time.Time{}, err
		}
		o, err := orderFromMirror(*rec)
		return o, rec.UpdatedAt, err
	})
}

// NewOrder is an order to place at 1NCE (SIMs or other products).
type NewOrder struct {
	Products          []OrderLine
	DeliveryAddress   *Address
	CustomerReference string
}

// OrderPlaced is 1NCE's acknowledgement of a new order. 1NCE's API answers an order with the
// request it accepted, not an order number: the new order appears in GET /orders.
type OrderPlaced struct {
	Products          []OrderLine `json:"products"`
	CustomerReference string      `json:"customer_reference,omitempty"`
	PlacedAt          time.Time   `json:"placed_at"`
}

// CreateOrder places an order at 1NCE (admin: it commits the account to spend). It is
// money-costing: sent once, never retried once it may have reached 1NCE.
func (s *Service) CreateOrder(ctx context.Context, a Actor, o NewOrder) (OrderPlaced, error) {
	au := s.audit(a, "order.create", "").set("products", o.Products).set("customer_reference", o.CustomerReference)
	if err := need(a, fleet.RoleAdmin); err != nil {
		return OrderPlaced{}, au.done(ctx, err)
	}
	if len(o.Products) == 0 || len(o.Products) > 100 {
		return OrderPlaced{}, au.done(ctx, fleet.Invalid("products", "order 1 to 100 products"))
	}
	req := once.OrderRequest{CustomerReference: o.CustomerReference}
	for i, p := range o.Products {
		if p.ProductID <= 0 || p.Quantity <= 0 {
			return OrderPlaced{}, au.done(ctx, fleet.Invalid(fmt.Sprintf("products[%d]", i), "product_id and quantity must be positive"))
		}
		req.Products = append(req.Products, once.OrderedProduct{ProductID: p.ProductID, Quantity: p.Quantity})
	}
	if len(o.CustomerReference) > 200 {
		return OrderPlaced{}, au.done(ctx, fleet.Invalid("customer_reference", "at most 200 characters"))
	}
	if d := o.DeliveryAddress; d != nil {
		if d.Salutation != "" && d.Salutation != "1" && d.Salutation != "2" {
			return OrderPlaced{}, au.done(ctx, fleet.Invalid("delivery_address.salutation", `must be "1" (Mr) or "2" (Ms)`))
		}
		if d.Country != "" && (len(d.Country) != 2 || strings.ToUpper(d.Country) != d.Country) {
			return OrderPlaced{}, au.done(ctx, fleet.Invalid("delivery_address.country", "must be an ISO 3166-1 alpha-2 code like DE"))
		}
		req.DeliveryAddress = &once.DeliveryAddress{Salutation: d.Salutation, FirstName: d.FirstName, LastName: d.LastName, Company: d.Company,
			Street: d.Street, AddressLine2: d.AddressLine2, HouseNumber: d.HouseNumber, ZIP: d.ZIP, City: d.City, Country: d.Country, Phone: d.Phone}
	}
	up, err := s.upstream()
	if err != nil {
		return OrderPlaced{}, au.done(ctx, err)
	}
	wctx, cancel := detach(ctx)
	defer cancel()
	if res, err := up.CreateOrder(wctx, req); err != nil {
		if res.Outcome == once.OutcomeUnknown {
			return OrderPlaced{}, au.done(ctx, unconfirmed("order", "placed", "GET /api/v1/orders", err))
		}
		return OrderPlaced{}, au.done(ctx, upstreamErr(err, "placing the order"))
	}
	if err := s.cache.DeletePrefix(context.WithoutCancel(ctx), ordersPrefix); err != nil {
		s.log.WarnContext(ctx, "cache invalidation failed", "prefix", ordersPrefix, "err", err)
	}
	return OrderPlaced{Products: o.Products, CustomerReference: o.CustomerReference, PlacedAt: s.now().UTC()}, au.done(ctx, nil)
}

// Charge is a price of a product.
type Charge struct {
	Name     string `json:"name,omitempty"`
	Amount   string `json:"amount_net,omitempty"`
	Currency string `json:"currency,omitempty"`
}

// Product is an entry of 1NCE's product catalogue.
type Product struct {
	ID                     int64    `json:"id"`
	Name                   string   `json:"name,omitempty"`
	Material               string   `json:"material,omitempty"`
	PackageSize            int      `json:"package_size,omitempty"`
	MinQuantity            int      `json:"min_quantity,omitempty"`
	MaxQuantity            int      `json:"max_quantity,omitempty"`
	MaxQuantityPerCustomer int      `json:"max_quantity_per_customer,omitempty"`
	MinContractMonths      int      `json:"min_contract_months,omitempty"`
	OneTimeCharges         []Charge `json:"one_time_charges,omitempty"`
	RecurringCharges       []Charge `json:"recurring_charges,omitempty"`
}

func productOf(p once.Product) Product {
	charges := func(cs []once.Charge) []Charge {
		var out []Charge
		for _, c := range cs {
			out = append(out, Charge{Name: c.Name, Amount: string(c.AmountNet), Currency: c.Currency})
		}
		return out
	}
	return Product{ID: p.ID, Name: p.Product, Material: p.Material, PackageSize: p.PackageSize, MinQuantity: p.MinQuantity,
		MaxQuantity: p.MaxQuantity, MaxQuantityPerCustomer: p.MaxQuantityPerCustomer, MinContractMonths: p.MinContractDuration,
		OneTimeCharges: charges(p.OneTimeCharges), RecurringCharges: charges(p.RecurringCharges)}
}

// Products returns 1NCE's product catalogue (cached for an hour), falling back to the mirror.
func (s *Service) Products(ctx context.Context) (Read[[]Product], error) {
	return readThrough(ctx, s, cache.ProductKey("list"), cache.TTLProducts, "products", func(ctx context.Context) ([]Product, error) {
		up, err := s.upstream()
		if err != nil {
			return nil, err
		}
		got, err := up.Products(ctx)
		if err != nil {
			return nil, upstreamErr(err, "listing products")
		}
		out := make([]Product, 0, len(got))
		recs := make([]fleet.Product, 0, len(got))
		for _, p := range got {
			out = append(out, productOf(p))
			recs = append(recs, mirror.Product(p))
		}
		if err := s.store.UpsertProducts(ctx, recs); err != nil {
			s.log.WarnContext(ctx, "products not stored in the mirror", "err", err)
		}
		return out, nil
	}, func(ctx context.Context) ([]Product, time.Time, error) {
		recs, err := s.store.ListProducts(ctx)
		if err != nil {
			return nil, time.Time{}, err
		}
		if len(recs) == 0 {
			return nil, time.Time{}, fleet.ErrNotFound
		}
		out := make([]Product, 0, len(recs))
		var at time.Time
		for _, r := range recs {
			var p once.Product
			if err := json.Unmarshal(r.Raw, &p); err != nil {
				return nil, time.Time{}, fmt.Errorf("product %s: decode mirrored document: %w", r.ID, err)
			}
			out = append(out, productOf(p))
			if r.UpdatedAt.After(at) {
				at = r.UpdatedAt
			}
		}
		return out, at, nil
	})
}

// Product returns one product of the catalogue.
func (s *Service) Product(ctx context.Context, id int64) (Read[Product], error) {
	all, err := s.Products(ctx)
	if err != nil {
		return Read[Product]{}, err
	}
	for _, p := range all.Value {
		if p.ID == id {
			return Read[Product]{Value: p, SyncedAt: all.SyncedAt, Stale: all.Stale, Reason: all.Reason}, nil
		}
	}
	return Read[Product]{}, &fleet.Error{Code: fleet.CodeNotFound, Message: fmt.Sprintf("no product %d in 1NCE's catalogue", id)}
}

// Price is the price list entry of one product: what one unit costs once and per period.
type Price struct {
	ProductID        int64    `json:"product_id"`
	Name             string   `json:"name,omitempty"`
	PackageSize      int      `json:"package_size,omitempty"`
	OneTimeCharges   []Charge `json:"one_time_charges"`
	RecurringCharges []Charge `json:"recurring_charges"`
}

// Pricing returns the price list derived from the catalogue (1NCE has no pricing endpoint:
// prices are part of each product).
func (s *Service) Pricing(ctx context.Context) (Read[[]Price], error) {
	all, err := s.Products(ctx)
	if err != nil {
		return Read[[]Price]{}, err
	}
	out := make([]Price, 0, len(all.Value))
	for _, p := range all.Value {
		pr := Price{ProductID: p.ID, Name: p.Name, PackageSize: p.PackageSize, OneTimeCharges: p.OneTimeCharges, RecurringCharges: p.RecurringCharges}
		if pr.OneTimeCharges == nil {
			pr.OneTimeCharges = []Charge{}
		}
		if pr.RecurringCharges == nil {
			pr.RecurringCharges = []Charge{}
		}
		out = append(out, pr)
	}
	return Read[[]Price]{Value: out, SyncedAt: all.SyncedAt, Stale: all.Stale, Reason: all.Reason}, nil
}

// TicketMessage is one message of a support ticket's conversation.
type TicketMessage struct {
	ID         string    `json:"id,omitempty"`
	At         time.Time `json:"at,omitzero"`
	Direction  string    `json:"direction,omitempty"`
	Originator string    `json:"originator,omitempty"`
	Subject    string    `json:"subject,omitempty"`
	Text       string    `json:"text,omitempty"`
	Type       string    `json:"type,omitempty"`
}

// SupportTicket is a 1NCE support request.
type SupportTicket struct {
	ID        string          `json:"id"`
	Subject   string          `json:"subject,omitempty"`
	Text      string          `json:"text,omitempty"`
	Status    string          `json:"status,omitempty"`
	CreatedAt time.Time       `json:"created_at,omitzero"`
	SolvedAt  time.Time       `json:"solved_at,omitzero"`
	Messages  []TicketMessage `json:"messages,omitempty"`
}

func ticketOf(r once.SupportRequest) SupportTicket {
	t := SupportTicket{ID: r.CaseID, Subject: r.Subject, Text: r.Text, Status: r.Status}
	t.CreatedAt, _ = r.CreateDate.Time()
	t.SolvedAt, _ = r.SolvedDate.Time()
	for _, c := range r.Communications {
		m := TicketMessage{ID: c.ID, Direction: c.Direction, Originator: c.Originator, Subject: c.Subject, Text: c.Text, Type: c.Type}
		m.At, _ = c.CommunicationDate.Time()
		t.Messages = append(t.Messages, m)
	}
	return t
}

func ticketFromMirror(r fleet.SupportRequest) (SupportTicket, error) {
	var raw once.SupportRequest
	if err := json.Unmarshal(r.Raw, &raw); err != nil {
		return SupportTicket{}, fmt.Errorf("support request %s: decode mirrored document: %w", r.ID, err)
	}
	return ticketOf(raw), nil
}

// SupportTickets returns one page of the account's support requests from 1NCE (cached),
// storing them in the mirror; with 1NCE unavailable the mirror's page stands in.
func (s *Service) SupportTickets(ctx context.Context, page, pageSize int) (Read[fleet.Page[SupportTicket]], error) {
	if page == 0 {
		page = 1
	}
	if pageSize == 0 {
		pageSize = 20
	}
	if page < 1 || page > fleet.MaxPage {
		return Read[fleet.Page[SupportTicket]]{}, fleet.Invalid("page", "must be between 1 and %d", fleet.MaxPage)
	}
	if pageSize < 1 || pageSize > maxSupportPageSize {
		return Read[fleet.Page[SupportTicket]]{}, fleet.Invalid("page_size", "must be between 1 and %d", maxSupportPageSize)
	}
	key := fmt.Sprintf("%s:list:%d:%d", supportPrefix, page, pageSize)
	return readThrough(ctx, s, key, TTLSupport, "support requests", func(ctx context.Context) (fleet.Page[SupportTicket], error) {
		up, err := s.upstream()
		if err != nil {
			return fleet.Page[SupportTicket]{}, err
		}
		got, pg, err := up.SupportPage(ctx, once.SupportPageParams{Page: page, PageSize: pageSize})
		if err != nil {
			return fleet.Page[SupportTicket]{}, upstreamErr(err, "listing support requests")
		}
		out := fleet.Page[SupportTicket]{Items: make([]SupportTicket, 0, len(got)), Page: page, PageSize: pageSize, Total: int64(pg.TotalCount)}
		recs := make([]fleet.SupportRequest, 0, len(got))
		for _, r := range got {
			out.Items = append(out.Items, ticketOf(r))
			if r.CaseID != "" {
				recs = append(recs, mirror.SupportRequest(r, ""))
			}
		}
		if out.Total < 0 {
			out.Total = int64(len(got))
		}
		if err := s.store.UpsertSupportRequests(ctx, recs); err != nil {
			s.log.WarnContext(ctx, "support requests not stored in the mirror", "err", err)
		}
		return out, nil
	}, func(ctx context.Context) (fleet.Page[SupportTicket], time.Time, error) {
		recs, total, err := s.store.ListSupportRequests(ctx, fleet.CommerceFilter{Limit: pageSize, Offset: (page - 1) * pageSize})
		if err != nil {
			return fleet.Page[SupportTicket]{}, time.Time{}, err
		}
		out := fleet.Page[SupportTicket]{Items: make([]SupportTicket, 0, len(recs)), Page: page, PageSize: pageSize, Total: int64(total)}
		var at time.Time
		for _, r := range recs {
			t, err := ticketFromMirror(r)
			if err != nil {
				return fleet.Page[SupportTicket]{}, time.Time{}, err
			}
			out.Items = append(out.Items, t)
			if r.UpdatedAt.After(at) {
				at = r.UpdatedAt
			}
		}
		return out, at, nil
	})
}

// supportScanPages bounds how many pages of 1NCE's support list a lookup by id reads: 1NCE
// has no "get one request", and its support API allows 100 calls per 5 minutes.
const supportScanPages = 5

// SupportTicket returns one support request: from the mirror when it was seen in a listing
// within TTLSupport, else found in 1NCE's newest pages and stored.
func (s *Service) SupportTicket(ctx context.Context, id string) (Read[SupportTicket], error) {
	if id == "" || len(id) > 64 {
		return Read[SupportTicket]{}, fleet.Invalid("id", "a support request id has 1 to 64 characters")
	}
	if rec, err := s.store.SupportRequestByID(ctx, id); err == nil && s.now().Sub(rec.UpdatedAt) < TTLSupport {
		t, err := ticketFromMirror(*rec)
		if err != nil {
			return Read[SupportTicket]{}, err
		}
		return Read[SupportTicket]{Value: t, SyncedAt: rec.UpdatedAt}, nil
	}
	for page := 1; page <= supportScanPages; page++ {
		p, err := s.SupportTickets(ctx, page, maxSupportPageSize)
		if err != nil {
			return Read[SupportTicket]{}, err
		}
		for _, t := range p.Value.Items {
			if t.ID == id {
				return Read[SupportTicket]{Value: t, SyncedAt: p.SyncedAt, Stale: p.Stale, Reason: p.Reason}, nil
			}
		}
		if p.Stale || int64(page*maxSupportPageSize) >= p.Value.Total {
			break
		}
	}
	if rec, err := s.store.SupportRequestByID(ctx, id); err == nil {
		t, err := ticketFromMirror(*rec)
		return Read[SupportTicket]{Value: t, SyncedAt: rec.UpdatedAt}, err
	}
	return Read[SupportTicket]{}, &fleet.Error{Code: fleet.CodeNotFound, Message: fmt.Sprintf("no support request %q", id)}
}

// NewTicket is a support request to open at 1NCE.
type NewTicket struct {
	Subject     string
	Text        string
	ReplyToMail string
	SenderName  string
}

// CreateSupportTicket opens a support request at 1NCE.
func (s *Service) CreateSupportTicket(ctx context.Context, a Actor, t NewTicket) error {
	au := s.audit(a, "support.create", "").set("subject", t.Subject)
	if err := need(a, fleet.RoleOperator); err != nil {
		return au.done(ctx, err)
	}
	switch {
	case strings.TrimSpace(t.Subject) == "" || len(t.Subject) > 200:
		return au.done(ctx, fleet.Invalid("subject", "must have 1 to 200 characters"))
	case strings.TrimSpace(t.Text) == "" || len(t.Text) > 20000:
		return au.done(ctx, fleet.Invalid("text", "must have 1 to 20000 characters"))
	case t.ReplyToMail != "" && (!strings.Contains(t.ReplyToMail, "@") || len(t.ReplyToMail) > 320):
		return au.done(ctx, fleet.Invalid("reply_to_mail", "must be an e-mail address"))
	}
	up, err := s.upstream()
	if err != nil {
		return au.done(ctx, err)
	}
	wctx, cancel := detach(ctx)
	defer cancel()
	if _, err := up.CreateSupportRequest(wctx, once.NewSupportRequest{Subject: t.Subject, Text: t.Text, ReplyToMail: t.ReplyToMail, SenderName: t.SenderName}); err != nil {
		return au.done(ctx, upstreamErr(err, "opening the support request"))
	}
	if err := s.cache.DeletePrefix(context.WithoutCancel(ctx), supportPrefix); err != nil {
		s.log.WarnContext(ctx, "cache invalidation failed", "prefix", supportPrefix, "err", err)
	}
	return au.done(ctx, nil)
}
