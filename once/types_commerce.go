package once

import "github.com/oncefleet/oncefleet/once/wire"

// Wire types of 1NCE order management, product information and support management. Field
// names are the specs' JSON names exactly (note the mix of snake_case and camelCase, as 1NCE
// has it).

// Order is the "Order" schema.
type Order struct {
	OrderNumber     wire.LooseInt      `json:"order_number"`
	OrderType       string             `json:"order_type,omitempty"` // FIRST_ORDER | ADDITIONAL_ORDER | TOPUP | BULK_TOPUP | TARIFF_CHANGE
	OrderDate       wire.Timestamp     `json:"order_date,omitempty"`
	OrderStatus     string             `json:"order_status,omitempty"`
	InvoiceNumber   string             `json:"invoice_number,omitempty"`
	InvoiceAmount   string             `json:"invoice_amount,omitempty"`
	Currency        string             `json:"currency,omitempty"`
	ShippingAddress *DeliveryAddress   `json:"shipping_address,omitempty"`
	SIMs            []OrderSIM         `json:"sims,omitempty"`
	Products        []OrderProductInfo `json:"products,omitempty"`
}

// OrderSIM is the order "SIM" schema.
type OrderSIM struct {
	ICCID string `json:"iccid,omitempty"`
	Links []Link `json:"_links,omitempty"`
}

// Link is the order "Link" schema.
type Link struct {
	Rel  string `json:"rel,omitempty"`
	Href string `json:"href,omitempty"`
}

// OrderProductInfo is the "Product_information" schema: product and quantity of an order.
type OrderProductInfo struct {
	ProductID int64 `json:"product_id"`
	Quantity  int   `json:"quantity"`
}

// OrderRequest is the "Additional_Order" schema: an order to place (and 1NCE's answer to it).
type OrderRequest struct {
	Products          []OrderedProduct `json:"products"`
	DeliveryAddress   *DeliveryAddress `json:"delivery_address,omitempty"`
	CustomerReference string           `json:"customer_reference,omitempty"`
}

// OrderedProduct is the "Ordered_product" schema. Note 1NCE's camelCase productId here
// against product_id in Order.
type OrderedProduct struct {
	ProductID int64 `json:"productId"`
	Quantity  int   `json:"quantity"`
}

// DeliveryAddress is the "DeliveryAddress" schema. Salutation is "1" (Mr) or "2" (Ms).
type DeliveryAddress struct {
	Salutation   string `json:"salutation,omitempty"`
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name,omitempty"`
	Company      string `json:"company,omitempty"`
	Street       string `json:"street,omitempty"`
	AddressLine2 string `json:"address_line2,omitempty"`
	HouseNumber  string `json:"house_number,omitempty"`
	ZIP          string `json:"zip,omitempty"`
	City         string `json:"city,omitempty"`
	Country      string `json:"country,omitempty"` // ISO 3166-1 alpha-2
	Phone        string `json:"phone,omitempty"`
}

// Product is the "Product" schema.
type Product struct {
	ID                     int64    `json:"id"`
	Product                string   `json:"product,omitempty"`
	Material               string   `json:"material,omitempty"`
	PackageSize            int      `json:"package_size,omitempty"`
	MinQuantity            int      `json:"minQuantity,omitempty"`
	MaxQuantity            int      `json:"maxQuantity,omitempty"`
	MaxQuantityPerCustomer int      `json:"maxQuantityPerCustomer,omitempty"`
	MinContractDuration    int      `json:"min_contract_duration,omitempty"` // months
	OneTimeCharges         []Charge `json:"one_time_charges,omitempty"`
	RecurringCharges       []Charge `json:"recurring_charges,omitempty"`
}

// Charge is the "Charge" schema.
type Charge struct {
	Name      string       `json:"name,omitempty"`
	AmountNet wire.Decimal `json:"amount_net,omitempty"`
	Currency  string       `json:"currency,omitempty"`
}

// SupportRequest is the "Service_request" schema.
type SupportRequest struct {
	CaseID         string          `json:"caseId,omitempty"`
	Communications []Communication `json:"communications,omitempty"`
	CreateDate     wire.Timestamp  `json:"createDate,omitempty"`
	SolvedDate     wire.Timestamp  `json:"solvedDate,omitempty"`
	Status         string          `json:"status,omitempty"` // OPEN | IN_PROGRESS | CLOSED
	Subject        string          `json:"subject,omitempty"`
	Text           string          `json:"text,omitempty"`
}

// Communication is the "Communication" schema: one message of a support request.
type Communication struct {
	CommunicationDate wire.Timestamp `json:"communicationDate,omitempty"`
	Direction         string         `json:"direction,omitempty"` // IN | OUT
	ID                string         `json:"id,omitempty"`
	Originator        string         `json:"originator,omitempty"`
	Subject           string         `json:"subject,omitempty"`
	Text              string         `json:"text,omitempty"`
	Type              string         `json:"type,omitempty"` // PORTAL | PHONE_IN | PHONE_OUT | MAIL_IN | MAIL_OUT
}

// NewSupportRequest is the "ManagementApiServiceRequest" schema: a support ticket to open.
type NewSupportRequest struct {
	ReplyToMail string `json:"replyToMail,omitempty"`
	SenderName  string `json:"senderName,omitempty"`
	Subject     string `json:"subject,omitempty"`
	Text        string `json:"text,omitempty"`
}
