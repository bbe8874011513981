package oncesim

import (
	"sync"
)

// Order types as Order.order_type names them.
const (
	orderAdditional = "ADDITIONAL_ORDER"
	orderTopUp      = "TOPUP"
	orderBulkTopUp  = "BULK_TOPUP"
)

// product is an item of GET /v1/products.
type product struct {
	ID                  int      `json:"id"`
	Product             string   `json:"product"`
	Material            string   `json:"material"`
	PackageSize         int      `json:"package_size"`
	MinQuantity         int      `json:"minQuantity"`
	MaxQuantity         int      `json:"maxQuantity"`
	MaxPerCustomer      int      `json:"maxQuantityPerCustomer"`
	MinContractDuration int      `json:"min_contract_duration"`
	OneTime             []charge `json:"one_time_charges"`
	Recurring           []charge `json:"recurring_charges"`
	sims                bool     // ordering it delivers SIMs
}

type charge struct {
	Name      string  `json:"name"`
	AmountNet float64 `json:"amount_net"`
	Currency  string  `json:"currency"`
}

// products is the catalogue: SIMs (single and 10-pack) and the 10-year extension that
// POST /v1/sims/extension books.
var products = []product{
	{ID: 1001, Product: "1NCE IoT FlexSIM - Standard", Material: "1NCE FlexSIM", PackageSize: 1, MinQuantity: 1, MaxQuantity: 1000, MaxPerCustomer: 1_000_000, MinContractDuration: 120,
		OneTime: []charge{{"provisionCharge", 10, "EUR"}}, Recurring: []charge{}, sims: true},
	{ID: 1002, Product: "1NCE IoT FlexSIM - Industrial 10-pack", Material: "1NCE FlexSIM Industrial", PackageSize: 10, MinQuantity: 1, MaxQuantity: 100, MaxPerCustomer: 100_000, MinContractDuration: 120,
		OneTime: []charge{{"provisionCharge", 120, "EUR"}}, Recurring: []charge{}, sims: true},
	{ID: 1101, Product: "1NCE Lifetime Extension - 10 years", Material: "1NCE Extension", PackageSize: 1, MinQuantity: 1, MaxQuantity: 100_000, MaxPerCustomer: 1_000_000, MinContractDuration: 120,
		OneTime: []charge{{"extensionCharge", 10, "EUR"}}, Recurring: []charge{}},
}

func productByID(id int) (product, bool) {
	for _, p := range products {
		if p.ID == id {
			return p, true
		}
	}
	return product{}, false
}

// Prices of the operations that invoice (net EUR).
const (
	topUpPriceEUR     = 9.90
	extensionPriceEUR = 10.0
)

// selectable limits per service, as GET /v1/sims/{service}/limits offers them.
type limitOption struct {
	ID    int    `json:"id"`
	Limit string `json:"limit"`
	Unit  string `json:"unit"`
}

var limitOptions = map[string][]limitOption{
	"data":  {{1, "16", "MB"}, {2, "32", "MB"}, {3, "64", "MB"}, {4, "128", "MB"}, {5, "256", "MB"}, {6, "500", "MB"}},
	"smsMT": {{1, "10", "SMS"}, {2, "50", "SMS"}, {3, "100", "SMS"}, {4, "250", "SMS"}},
	"smsMO": {{1, "10", "SMS"}, {2, "50", "SMS"}, {3, "100", "SMS"}, {4, "250", "SMS"}},
}

func limitOptionByID(service string, id int) (limitOption, bool) {
	for _, o := range limitOptions[service] {
		if o.ID == id {
			return o, true
		}
	}
	return limitOption{}, false
}

// order is a booked order.
type order struct {
	number   int64
	typ      string
	date     int64
	products []orderProduct
	sims     []int // SIM indices included or affected
	ref      string
	address  *deliveryAddress
	amount   float64
}

type orderProduct struct {
	ProductID int `json:"product_id"`
	Quantity  int `json:"quantity"`
}

type deliveryAddress struct {
	Salutation   string `json:"salutation,omitempty"`
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name,omitempty"`
	Company      string `json:"company,omitempty"`
	Street       string `json:"street,omitempty"`
	AddressLine2 string `json:"address_line2,omitempty"`
	HouseNumber  string `json:"house_number,omitempty"`
	Zip          string `json:"zip,omitempty"`
	City         string `json:"city,omitempty"`
	Country      string `json:"country,omitempty"`
	Phone        string `json:"phone,omitempty"`
}

// ticket is a support service request.
type ticket struct {
	caseID  int
	created int64
	subject string
	text    string
	sender  string
	replyTo string
}

// Support requests move on by themselves: in progress after an hour, solved after a day.
const (
	ticketInProgressAfter = 3600
	ticketClosedAfter     = daySeconds
)

func (t *ticket) status(now int64) string {
	switch age := now - t.created; {
	case age >= ticketClosedAfter:
		return "CLOSED"
	case age >= ticketInProgressAfter:
		return "IN_PROGRESS"
	}
	return "OPEN"
}

// account is the account-level state: orders, support requests and global limits.
type account struct {
	mu        sync.Mutex
	orders    []*order
	nextOrder int64
	tickets   []*ticket
	limits    map[string]int // service → selected limit option id
}

func (a *account) init(now int64) {
	a.nextOrder = 2000000001
	a.limits = map[string]int{}
	// The account's first order: the SIMs it started with.
	a.orders = append(a.orders, &order{number: a.nextOrder, typ: "FIRST_ORDER", date: now - 3*365*daySeconds,
		products: []orderProduct{{1001, 1}}, amount: 10})
	a.nextOrder++
}

// addOrder books an order and returns its number.
func (a *account) addOrder(at int64, typ string, prods []orderProduct, sims []int, ref string, addr *deliveryAddress) int64 {
	amount := 0.0
	switch typ {
	case orderTopUp, orderBulkTopUp:
		amount = topUpPriceEUR * float64(len(sims))
	default:
		for _, p := range prods {
			if pr, ok := productByID(p.ProductID); ok {
				for _, c := range pr.OneTime {
					amount += c.AmountNet * float64(p.Quantity)
				}
			}
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	o := &order{number: a.nextOrder, typ: typ, date: at, products: prods, sims: sims, ref: ref, address: addr, amount: amount}
	a.nextOrder++
	a.orders = append(a.orders, o)
	return o.number
}
