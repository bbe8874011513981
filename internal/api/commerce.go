package api

import (
	"context"
	"net/http"

	"github.com/oncefleet/oncefleet/internal/control"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// CommercePage pages 1NCE's small order and support lists.
type CommercePage struct {
	Page     int `query:"page" minimum:"1" maximum:"1000000" default:"1"`
	PageSize int `query:"page_size" minimum:"1" maximum:"100" default:"10" doc:"Orders: at most 10 (1NCE's page limit)."`
}

func (s *Server) registerCommerce() {
	c := s.cfg.Control
	register(s, op{id: "list-orders", method: http.MethodGet, path: "/orders", tag: "Orders", role: fleet.RoleViewer,
		summary: "List orders", description: "1NCE's orders (SIMs, top-ups, extensions), newest first; cached for 2 minutes."},
		func(ctx context.Context, in *CommercePage) (*listOut[control.Order], error) {
			r, err := c.Orders(ctx, in.Page, in.PageSize)
			if err != nil {
				return nil, err
			}
			return pageRead(r), nil
		})

	type orderPath struct {
		ID int64 `path:"id" minimum:"1" doc:"1NCE's order number."`
	}
	register(s, op{id: "get-order", method: http.MethodGet, path: "/orders/{id}", tag: "Orders", role: fleet.RoleViewer, summary: "Get an order"},
		func(ctx context.Context, in *orderPath) (*readOut[control.Order], error) {
			r, err := c.Order(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return readResult(r), nil
		})

	type createOrder struct {
		IdempotencyHeader
		Body struct {
			Products          []control.OrderLine `json:"products" minItems:"1" maxItems:"100"`
			DeliveryAddress   *control.Address    `json:"delivery_address,omitempty" doc:"Needed when the organisation has more than one delivery address."`
			CustomerReference string              `json:"customer_reference,omitempty" maxLength:"200"`
		}
	}
	register(s, op{id: "create-order", method: http.MethodPost, path: "/orders", tag: "Orders", role: fleet.RoleAdmin, action: "order.create",
		status: http.StatusCreated, summary: "Place an order (costs money)",
		description: "Sent to 1NCE at most once. 1NCE answers an order without its number: the new order shows in GET /orders."},
		func(ctx context.Context, in *createOrder) (*dataOut[control.OrderPlaced], error) {
			b := in.Body
			placed, err := c.CreateOrder(ctx, actor(ctx), control.NewOrder{Products: b.Products, DeliveryAddress: b.DeliveryAddress, CustomerReference: b.CustomerReference})
			if err != nil {
				return nil, err
			}
			return data(placed), nil
		})

	register(s, op{id: "update-order", method: http.MethodPut, path: "/orders/{id}", tag: "Orders", role: fleet.RoleAdmin, action: "order.update",
		summary: "Orders cannot be changed", description: "1NCE has no order update: always 405 method_not_allowed. Place a new order or contact 1NCE support."},
		func(ctx context.Context, in *orderPath) (*noContent, error) {
			return nil, &fleet.Error{Code: fleet.CodeMethodNotAllowed, Message: "1NCE orders cannot be changed; place a new order or open a support request"}
		})

	type empty struct{}
	register(s, op{id: "list-products", method: http.MethodGet, path: "/products", tag: "Products", role: fleet.RoleViewer,
		summary: "List 1NCE's products", description: "The catalogue with one-time and recurring charges; cached for an hour."},
		func(ctx context.Context, _ *empty) (*readOut[[]control.Product], error) {
			r, err := c.Products(ctx)
			if err != nil {
				return nil, err
			}
			return readResult(r), nil
		})
	register(s, op{id: "get-pricing", method: http.MethodGet, path: "/products/pricing", tag: "Products", role: fleet.RoleViewer,
		summary: "Get the price list", description: "What each product costs once and per period (1NCE has no pricing endpoint: prices come with the products)."},
		func(ctx context.Context, _ *empty) (*readOut[[]control.Price], error) {
			r, err := c.Pricing(ctx)
			if err != nil {
				return nil, err
			}
			return readResult(r), nil
		})
	type productPath struct {
		ID int64 `path:"id" minimum:"1"`
	}
	register(s, op{id: "get-product", method: http.MethodGet, path: "/products/{id}", tag: "Products", role: fleet.RoleViewer, summary: "Get a product"},
		func(ctx context.Context, in *productPath) (*readOut[control.Product], error) {
			r, err := c.Product(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return readResult(r), nil
		})

	register(s, op{id: "list-support-tickets", method: http.MethodGet, path: "/support/tickets", tag: "Support", role: fleet.RoleViewer,
		summary: "List support requests", description: "1NCE's support requests; cached for 2 minutes."},
		func(ctx context.Context, in *CommercePage) (*listOut[control.SupportTicket], error) {
			r, err := c.SupportTickets(ctx, in.Page, in.PageSize)
			if err != nil {
				return nil, err
			}
			return pageRead(r), nil
		})
	type ticketPath struct {
		ID string `path:"id" minLength:"1" maxLength:"64"`
	}
	register(s, op{id: "get-support-ticket", method: http.MethodGet, path: "/support/tickets/{id}", tag: "Support", role: fleet.RoleViewer, summary: "Get a support request"},
		func(ctx context.Context, in *ticketPath) (*readOut[control.SupportTicket], error) {
			r, err := c.SupportTicket(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return readResult(r), nil
		})
	type createTicket struct {
		IdempotencyHeader
		Body struct {
			Subject     string `json:"subject" minLength:"1" maxLength:"200"`
			Text        string `json:"text" minLength:"1" maxLength:"20000"`
			ReplyToMail string `json:"reply_to_mail,omitempty" maxLength:"320" format:"email"`
			SenderName  string `json:"sender_name,omitempty" maxLength:"200"`
		}
	}
	register(s, op{id: "create-support-ticket", method: http.MethodPost, path: "/support/tickets", tag: "Support", role: fleet.RoleOperator, action: "support.create",
		status: http.StatusAccepted, summary: "Open a support request at 1NCE"},
		func(ctx context.Context, in *createTicket) (*acceptedOut, error) {
			b := in.Body
			if err := c.CreateSupportTicket(ctx, actor(ctx), control.NewTicket{Subject: b.Subject, Text: b.Text, ReplyToMail: b.ReplyToMail, SenderName: b.SenderName}); err != nil {
				return nil, err
			}
			return accepted("support request opened at 1NCE"), nil
		})
	register(s, op{id: "update-support-ticket", method: http.MethodPut, path: "/support/tickets/{id}", tag: "Support", role: fleet.RoleOperator, action: "support.update",
		summary: "Support requests cannot be changed", description: "1NCE's support API has no update: always 405 method_not_allowed."},
		func(ctx context.Context, in *ticketPath) (*noContent, error) {
			return nil, &fleet.Error{Code: fleet.CodeMethodNotAllowed, Message: "1NCE support requests cannot be changed through the API; open a new request"}
		})
}
