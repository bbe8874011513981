// Package mirror turns 1NCE's answers (the once SDK's domain model) into the records of
// oncefleet's local mirror (package fleet). The control plane uses it when a read refreshes
// the mirror, the fleet sync when it writes pages of SIMs, so both store the same thing.
package mirror

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/once"
)

// level keeps 1NCE's coarse quota level on a SIM (0: more than 20 % left, 1: less, 2: none)
// when it is one 1NCE documents.
func level(l int) *int {
	if l < 0 || l > 2 {
		return nil
	}
	return &l
}

// SIM is the mirror record of a SIM as 1NCE listed it, synced at syncedAt. Fields 1NCE does
// not report (organisation, quota status words, remaining volumes, online state, metadata)
// are left zero, which UpsertSIMs reads as "keep what is stored": their own sources (quota
// checks, the Data Streamer) own them. The fleet sync and fresh reads both store this.
func SIM(s once.SIM, syncedAt time.Time) fleet.SIM {
	return fleet.SIM{
		ICCID:          s.ICCID,
		ICCIDWithLuhn:  s.ICCIDWithLuhn,
		IMSI:           s.IMSI,
		IMSI2:          s.IMSI2,
		CurrentIMSI:    s.CurrentIMSI,
		MSISDN:         s.MSISDN,
		Status:         string(s.Status),
		Label:          s.Label,
		IPAddress:      s.IPAddress,
		IMEI:           s.IMEI,
		IMEILock:       s.IMEILock,
		DataQuotaLevel: level(s.DataQuota.Level),
		SMSQuotaLevel:  level(s.SMSQuota.Level),
		ActivationDate: s.ActivationDate,
		LastSyncedAt:   syncedAt.UTC(),
	}
}

// Quota is the mirror record of a data or SMS quota of iccid.
func Quota(iccid string, q once.Quota, at time.Time) fleet.Quota {
	kind := fleet.QuotaData
	if q.Service == once.QuotaSMS {
		kind = fleet.QuotaSMS
	}
	out := fleet.Quota{
		ICCID:                iccid,
		Kind:                 kind,
		Volume:               max(q.Remaining, 0),
		TotalVolume:          max(q.Total, 0),
		LastVolumeAdded:      max(q.LastAdded, 0),
		Status:               string(q.State),
		ExpiryDate:           q.ExpiresAt,
		LastStatusChangeDate: q.ChangedAt,
		UpdatedAt:            at.UTC(),
	}
	if q.ThresholdPercent > 0 && q.ThresholdPercent <= 100 {
		t := q.ThresholdPercent
		out.ThresholdPct = &t
	}
	if q.PeakThroughput > 0 {
		p := q.PeakThroughput
		out.PeakThroughput = &p
	}
	return out
}

// Connectivity is the mirror observation of a SIM's network state read at at: a SIM is
// connected while its device is attached to the network (ONLINE with a data session, or
// ATTACHED without one).
func Connectivity(iccid string, c once.Connectivity, at time.Time) fleet.Connectivity {
	return fleet.Connectivity{
		ICCID:      iccid,
		ObservedAt: at.UTC(),
		Connected:  c.Status == once.ConnOnline || c.Status == once.ConnAttached,
		CellID:     c.CellID,
		RAT:        c.RAT,
		Country:    firstNonEmpty(c.CountryISO, c.Country),
		Operator:   c.Operator,
		Source:     "api",
	}
}

// Event is the mirror record of a SIM event. v1 events have no id: ExternalID is left empty
// and the store keys them by content.
func Event(iccid string, e once.Event) fleet.Event {
	out := fleet.Event{
		ICCID:       firstNonEmpty(e.ICCID, iccid),
		OccurredAt:  e.Timestamp.UTC(),
		Type:        e.Type,
		Source:      e.Origin,
		Severity:    e.Severity,
		Alert:       e.Alert,
		Description: e.Description,
		Country:     e.Country,
		Operator:    e.Operator,
	}
	if e.ID != 0 {
		out.ExternalID = "api:" + strconv.FormatInt(e.ID, 10)
	}
	if len(e.Detail) > 0 && json.Valid(e.Detail) && strings.HasPrefix(strings.TrimSpace(string(e.Detail)), "{") {
		out.Detail = e.Detail
	}
	return out
}

// SMS is the mirror record of an SMS of iccid; sentBy names the oncefleet actor that sent it
// ("" for SMS listed from 1NCE).
func SMS(iccid string, m once.SMS, sentBy string) fleet.SMS {
	return fleet.SMS{
		ICCID:         firstNonEmpty(m.ICCID, iccid),
		ID:            m.ID,
		Direction:     string(m.Direction),
		Status:        string(m.Status),
		Payload:       m.Payload,
		SourceAddress: m.SourceAddress,
		SubmitDate:    m.SubmittedAt,
		DeliveryDate:  m.DeliveredAt,
		ExpiryDate:    m.ExpiresAt,
		SentBy:        sentBy,
	}
}

// Usage is the mirror record of one day of a SIM's usage read from 1NCE's v1 usage API. Days
// before today are final: 1NCE does not change them any more.
func Usage(iccid string, d once.DailyUsage, now time.Time) fleet.Usage {
	day := fleet.Day(d.Date)
	cost, _ := strconv.ParseFloat(d.DataCost, 64)
	smsCost, _ := strconv.ParseFloat(d.SMSCost, 64)
	return fleet.Usage{
		ICCID:       iccid,
		Day:         day,
		VolumeRx:    d.DataRxBytes,
		VolumeTx:    d.DataTxBytes,
		VolumeTotal: d.DataBytes,
		SMSMO:       d.SMSMO,
		SMSMT:       d.SMSMT,
		Cost:        max(cost, 0) + max(smsCost, 0),
		Source:      fleet.UsageFromAPI,
		Final:       day.Before(fleet.Day(now)),
	}
}

// Order is the mirror record of a 1NCE order; createdBy names the oncefleet actor that placed
// it ("" for orders listed from 1NCE).
func Order(o once.Order, createdBy string) fleet.Order {
	raw, _ := json.Marshal(o)
	out := fleet.Order{
		Number:      strconv.FormatInt(int64(o.OrderNumber), 10),
		Status:      o.OrderStatus,
		Type:        o.OrderType,
		TotalAmount: decimalOrEmpty(o.InvoiceAmount),
		Currency:    o.Currency,
		Raw:         raw,
		CreatedBy:   createdBy,
	}
	if t, err := o.OrderDate.Time(); err == nil && !t.IsZero() {
		out.OrderedAt = &t
	}
	return out
}

// Product is the mirror record of a catalogue entry; Price is its first one-time charge.
func Product(p once.Product) fleet.Product {
	raw, _ := json.Marshal(p)
	out := fleet.Product{ID: strconv.FormatInt(p.ID, 10), Name: p.Product, Raw: raw}
	if len(p.OneTimeCharges) > 0 {
		out.Price = decimalOrEmpty(string(p.OneTimeCharges[0].AmountNet))
		out.Currency = p.OneTimeCharges[0].Currency
	}
	return out
}

// SupportRequest is the mirror record of a support ticket.
func SupportRequest(r once.SupportRequest, createdBy string) fleet.SupportRequest {
	raw, _ := json.Marshal(r)
	out := fleet.SupportRequest{ID: r.CaseID, Subject: r.Subject, Status: r.Status, Raw: raw, CreatedBy: createdBy}
	if t, err := r.CreateDate.Time(); err == nil {
		out.CreatedAt = t
	}
	return out
}

// decimalOrEmpty keeps a decimal text the store accepts, or "" for anything else: 1NCE's
// amounts are free text in places, and a malformed one must not fail a whole page.
func decimalOrEmpty(s string) string {
	if s = strings.TrimSpace(s); fleet.IsDecimal(s) {
		return s
	}
	return ""
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
