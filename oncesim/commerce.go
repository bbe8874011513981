package oncesim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Global limits.

func (s *Simulator) limitsView() map[string]any {
	s.acct.mu.Lock()
	defer s.acct.mu.Unlock()
	out := map[string]any{}
	for service, key := range map[string]string{"data": "data", "smsMT": "smsMt", "smsMO": "smsMo"} {
		if o, ok := limitOptionByID(service, s.acct.limits[service]); ok {
			out[key] = o
		}
	}
	return out
}

func (s *Simulator) v1GetLimits(w http.ResponseWriter, _ *http.Request, _ routeParams) {
	writeJSON(w, http.StatusOK, s.limitsView())
}

func (s *Simulator) v1SetLimits(w http.ResponseWriter, r *http.Request, _ routeParams) {
	var req struct {
		Data  *int `json:"dataLimitId"`
		SMSMT *int `json:"smsMtLimitId"`
		SMSMO *int `json:"smsMoLimitId"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	set := map[string]*int{"data": req.Data, "smsMT": req.SMSMT, "smsMO": req.SMSMO}
	for service, id := range set {
		if id != nil {
			if _, ok := limitOptionByID(service, *id); !ok {
				gen1.notFound(w, fmt.Sprintf("%s limit %d", service, *id))
				return
			}
		}
	}
	s.acct.mu.Lock()
	for service, id := range set {
		if id != nil {
			s.acct.limits[service] = *id
		}
	}
	s.acct.mu.Unlock()
	writeEmpty(w, http.StatusCreated)
}

// v1SelectableLimits serves GET /v1/sims/{service}/limits. The spec describes "a list of
// selectable limits" but declares a single Values_for_Limits object as the answer; the
// simulator answers that object with the service's key holding the smallest selectable limit,
// the only shape the contract allows. The full option table is documented in the package doc.
func (s *Simulator) v1SelectableLimits(w http.ResponseWriter, _ *http.Request, p routeParams) {
	opts, ok := limitOptions[p.service]
	if !ok {
		gen1.notFound(w, "service "+p.service)
		return
	}
	key := map[string]string{"data": "data", "smsMT": "smsMt", "smsMO": "smsMo"}[p.service]
	writeJSON(w, http.StatusOK, map[string]any{key: opts[0]})
}

// Orders.

func (s *Simulator) orderView(o *order) map[string]any {
	sims := make([]map[string]any, 0, len(o.sims))
	for _, idx := range o.sims {
		ic := iccidOf(idx)
		sims = append(sims, map[string]any{"iccid": ic,
			"_links": []map[string]string{{"rel": "self", "href": "https://api.1nce.com/management-api/v1/sims/" + ic}}})
	}
	prods := o.products
	if prods == nil {
		prods = []orderProduct{}
	}
	v := map[string]any{
		"order_number": o.number, "order_type": o.typ, "order_date": fmtRFC(o.date), "order_status": "COMPLETED",
		"invoice_number": strconv.FormatInt(o.number-2000000000+20000000, 10),
		"invoice_amount": strconv.FormatFloat(o.amount*1.19, 'f', 2, 64), "currency": "EUR",
		"sims": sims, "products": prods,
	}
	if o.address != nil {
		v["shipping_address"] = o.address
	}
	return v
}

func (s *Simulator) listOrders(w http.ResponseWriter, r *http.Request, _ routeParams) {
	q := r.URL.Query()
	page, size, err := parsePaging(q, "page", "pageSize", 10, 10)
	if err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	keys, err := parseSort(q.Get("sort"), "order_number", "order_status", "order_date")
	if err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	s.acct.mu.Lock()
	orders := slices.Clone(s.acct.orders)
	s.acct.mu.Unlock()
	if len(keys) == 0 {
		keys = []sortKey{{field: "order_number"}}
	}
	slices.SortStableFunc(orders, byKeys(keys, func(field string, a, b *order) int {
		switch field {
		case "order_number":
			return cmpInt(a.number, b.number)
		case "order_date":
			return cmpInt(a.date, b.date)
		}
		return 0 // order_status: every order is COMPLETED
	}))
	from, to, pages := pageBounds(page, size, len(orders))
	out := make([]map[string]any, 0, to-from)
	for _, o := range orders[from:to] {
		out = append(out, s.orderView(o))
	}
	setPagingHeaders(w, len(orders), pages, page, size)
	writeJSON(w, http.StatusOK, out)
}

func (s *Simulator) getOrder(w http.ResponseWriter, _ *http.Request, p routeParams) {
	n, err := strconv.ParseInt(p.id, 10, 64)
	var found *order
	if err == nil {
		s.acct.mu.Lock()
		for _, o := range s.acct.orders {
			if o.number == n {
				found = o
			}
		}
		s.acct.mu.Unlock()
	}
	if found == nil {
		gen1.notFound(w, "order "+p.id)
		return
	}
	writeJSON(w, http.StatusOK, s.orderView(found))
}

// maxOrderSIMs bounds the SIMs one order delivers.
const maxOrderSIMs = 100_000

// createOrder serves POST /v1/orders. Ordered SIMs are delivered at once: they join the fleet
// enabled, with fresh quotas, and the answer echoes the order as the spec's 200 declares.
func (s *Simulator) createOrder(w http.ResponseWriter, r *http.Request, _ routeParams) {
	var req struct {
		Products []struct {
			ProductID *int `json:"productId"`
			Quantity  *int `json:"quantity"`
		} `json:"products"`
		DeliveryAddress   *deliveryAddress `json:"delivery_address,omitempty"`
		CustomerReference string           `json:"customer_reference,omitempty"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	if len(req.Products) == 0 {
		gen1.badRequest(w, "products must name at least one product")
		return
	}
	if a := req.DeliveryAddress; a != nil && a.Salutation != "" && a.Salutation != "1" && a.Salutation != "2" {
		gen1.badRequest(w, "delivery_address.salutation must be '1' or '2'")
		return
	}
	var prods []orderProduct
	newSIMs := 0
	for _, p := range req.Products {
		if p.ProductID == nil || p.Quantity == nil {
			gen1.badRequest(w, "every product needs productId and quantity")
			return
		}
		pr, ok := productByID(*p.ProductID)
		if !ok || !pr.sims {
			gen1.notFound(w, fmt.Sprintf("product %d", *p.ProductID))
			return
		}
		if *p.Quantity < pr.MinQuantity || *p.Quantity > pr.MaxQuantity {
			gen1.badRequest(w, fmt.Sprintf("quantity of product %d must be between %d and %d", pr.ID, pr.MinQuantity, pr.MaxQuantity))
			return
		}
		newSIMs += *p.Quantity * pr.PackageSize
		prods = append(prods, orderProduct{pr.ID, *p.Quantity})
	}
	if newSIMs > maxOrderSIMs {
		gen1.badRequest(w, fmt.Sprintf("one order delivers at most %d SIMs", maxOrderSIMs))
		return
	}
	now := s.now()
	s.fleet.mu.Lock()
	if s.fleet.count+newSIMs > maxFleet {
		s.fleet.mu.Unlock()
		gen1.badRequest(w, "the account cannot hold more SIMs")
		return
	}
	first := s.fleet.grow(newSIMs, now, false)
	s.fleet.mu.Unlock()
	idxs := make([]int, newSIMs)
	for i := range idxs {
		idxs[i] = first + i
	}
	s.acct.addOrder(now, orderAdditional, prods, idxs, req.CustomerReference, req.DeliveryAddress)
	echo := map[string]any{"products": make([]map[string]int, 0, len(prods))}
	for _, p := range prods {
		echo["products"] = append(echo["products"].([]map[string]int), map[string]int{"productId": p.ProductID, "quantity": p.Quantity})
	}
	if req.DeliveryAddress != nil {
		echo["delivery_address"] = req.DeliveryAddress
	}
	if req.CustomerReference != "" {
		echo["customer_reference"] = req.CustomerReference
	}
	writeJSON(w, http.StatusOK, echo)
}

func (s *Simulator) listProducts(w http.ResponseWriter, _ *http.Request, _ routeParams) {
	writeJSON(w, http.StatusOK, products)
}

// Support.

func (s *Simulator) ticketView(t *ticket, now int64) map[string]any {
	st := t.status(now)
	comms := []map[string]any{{"communicationDate": fmtRFC(t.created), "direction": "IN", "id": "1",
		"originator": t.sender, "subject": t.subject, "text": t.text, "type": "PORTAL"}}
	v := map[string]any{"caseId": strconv.Itoa(t.caseID), "createDate": fmtRFC(t.created), "status": st,
		"subject": t.subject, "text": t.text}
	if st == "CLOSED" {
		solved := t.created + ticketClosedAfter
		v["solvedDate"] = fmtRFC(solved)
		comms = append(comms, map[string]any{"communicationDate": fmtRFC(solved), "direction": "OUT", "id": "2",
			"originator": "1NCE Support", "subject": "Re: " + t.subject, "text": "Your request has been solved.", "type": "MAIL_OUT"})
	}
	v["communications"] = comms
	return v
}

func (s *Simulator) listSupport(w http.ResponseWriter, r *http.Request, _ routeParams) {
	// The spec's default page size here is 1 (sic).
	page, size, err := parsePaging(r.URL.Query(), "page", "pageSize", 1, 100)
	if err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	now := s.now()
	s.acct.mu.Lock()
	tickets := slices.Clone(s.acct.tickets)
	s.acct.mu.Unlock()
	from, to, pages := pageBounds(page, size, len(tickets))
	out := make([]map[string]any, 0, to-from)
	for _, t := range tickets[from:to] {
		out = append(out, s.ticketView(t, now))
	}
	setPagingHeaders(w, len(tickets), pages, page, size)
	writeJSON(w, http.StatusOK, out)
}

// maxTicketText bounds a support request's text.
const maxTicketText = 32 << 10

func (s *Simulator) createSupport(w http.ResponseWriter, r *http.Request, _ routeParams) {
	var req struct {
		ReplyToMail string `json:"replyToMail"`
		SenderName  string `json:"senderName"`
		Subject     string `json:"subject"`
		Text        string `json:"text"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		gen1.badRequest(w, err.Error())
		return
	}
	if strings.TrimSpace(req.Subject) == "" || strings.TrimSpace(req.Text) == "" {
		gen1.badRequest(w, "subject and text are required")
		return
	}
	if len(req.Subject)+len(req.Text) > maxTicketText {
		gen1.badRequest(w, "the request is too long")
		return
	}
	s.acct.mu.Lock()
	s.acct.tickets = append(s.acct.tickets, &ticket{caseID: 1000 + len(s.acct.tickets) + 1, created: s.now(),
		subject: req.Subject, text: req.Text, sender: req.SenderName, replyTo: req.ReplyToMail})
	s.acct.mu.Unlock()
	writeEmpty(w, http.StatusCreated)
}
