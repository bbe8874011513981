package once

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/once/wire"
)

// Mapping of the per-generation wire types into the domain model. Every function is pure so
// that golden tests pin the mapping of both generations (testdata/golden).

// simFromV1 maps a v1 (or v2: same schema) SIM into the domain model.
func simFromV1(s V1SIM) (SIM, error) {
	data, err := wire.MBToBytes(s.CurrentQuota)
	if err != nil {
		return SIM{}, fmt.Errorf("once: SIM %s current_quota: %w", s.ICCID, err)
	}
	sms, err := wire.RoundCount(s.CurrentQuotaSMS)
	if err != nil {
		return SIM{}, fmt.Errorf("once: SIM %s current_quota_SMS: %w", s.ICCID, err)
	}
	return SIM{
		ICCID:          s.ICCID,
		ICCIDWithLuhn:  s.ICCIDWithLuhn,
		IMSI:           s.IMSI,
		IMSI2:          s.IMSI2,
		CurrentIMSI:    s.CurrentIMSI,
		MSISDN:         s.MSISDN,
		IMEI:           string(s.IMEI),
		IMEILock:       s.IMEILock,
		Status:         SIMStatus(s.Status),
		ActivationDate: parseTimeLoose(s.ActivationDate),
		IPAddress:      s.IPAddress,
		Label:          s.Label,
		DataQuota:      SIMQuota{Total: data, QuotaLevel: quotaLevel(s.QuotaStatus)},
		SMSQuota:       SIMQuota{Total: sms, QuotaLevel: quotaLevel(s.QuotaStatusSMS)},
		Source:         GenV1,
	}, nil
}

// simFromV2 maps a v2 SIM; v2's schema has v1's fields (for now), so it maps alike.
func simFromV2(s V2SIM) (SIM, error) {
	sim, err := simFromV1(V1SIM(s))
	sim.Source = GenV2
	return sim, err
}

func quotaLevel(q *V1QuotaStatus) QuotaLevel {
	if q == nil {
		return QuotaLevel{}
	}
	return QuotaLevel{
		Level:              int(q.ID),
		Description:        q.Description,
		ThresholdReachedAt: parseTimeLoose(q.ThresholdReachedDate),
		ExceededAt:         parseTimeLoose(q.QuotaExceededDate),
	}
}

// convert converts a quota volume to the domain unit of the service.
func (svc QuotaService) convert(d wire.Decimal) (int64, error) {
	if svc == QuotaData {
		return wire.MBToBytes(d)
	}
	return wire.RoundCount(d)
}

// quotaFromV1 maps a v1 quota. v1 reports no state, so it is derived at now: EXHAUSTED when
// nothing remains, EXPIRED past the expiry date, else ACTIVE.
func quotaFromV1(q V1Quota, svc QuotaService, now time.Time) (Quota, error) {
	out := Quota{
		Service:          svc,
		ThresholdPercent: q.ThresholdPercentage,
		ExpiresAt:        parseTimeLoose(q.ExpiryDate),
		ChangedAt:        parseTimeLoose(q.LastStatusChangeDate),
		PeakThroughput:   q.PeakThroughput,
		Source:           GenV1,
	}
	if err := convertVolumes(svc.convert, []volumeField{
		{&out.Remaining, q.Volume, "volume"},
		{&out.Total, q.TotalVolume, "total_volume"},
		{&out.LastAdded, q.LastVolumeAdded, "last_volume_added"},
	}); err != nil {
		return Quota{}, fmt.Errorf("once: %s quota %w", svc, err)
	}
	out.ThresholdVolume = out.Total * int64(out.ThresholdPercent) / 100
	switch {
	case out.Remaining <= 0:
		out.State = QuotaExhausted
	case !out.ExpiresAt.IsZero() && !now.Before(out.ExpiresAt):
		out.State = QuotaExpired
	default:
		out.State = QuotaActive
	}
	return out, nil
}

// quotaFromV2 maps a v2 quota. The service comes from the answer when 1NCE names it, else
// from the path that was asked.
func quotaFromV2(q V2Quota, svc QuotaService) (Quota, error) {
	if q.Service != "" {
		svc = QuotaService(q.Service)
	}
	out := Quota{
		Service:          svc,
		ThresholdPercent: q.ThresholdPercentage,
		ExpiresAt:        parseTimeLoose(q.ExpiryDate),
		ChangedAt:        parseTimeLoose(q.CreatedAt),
		Source:           GenV2,
	}
	if q.Status != nil {
		out.State = QuotaState(q.Status.Description)
		if out.State == "" {
			out.State = map[wire.LooseInt]QuotaState{0: QuotaExhausted, 1: QuotaActive, 2: QuotaExpired}[q.Status.ID]
		}
	}
	if err := convertVolumes(svc.convert, []volumeField{
		{&out.Remaining, q.Volume, "volume"},
		{&out.Total, q.TotalVolume, "total_volume"},
		{&out.AccumulatedTotal, q.AccumulatedTotalVolume, "accumulated_total_volume"},
		{&out.LastAdded, q.LastVolumeAdded, "last_volume_added"},
		{&out.ThresholdVolume, q.ThresholdVolume, "threshold_volume"},
	}); err != nil {
		return Quota{}, fmt.Errorf("once: %s quota %w", svc, err)
	}
	return out, nil
}

// volumeField is one wire volume to convert into a domain field; name is its wire name, for
// the error.
type volumeField struct {
	dst  *int64
	src  wire.Decimal
	name string
}

// convertVolumes converts every field with conv, stopping at the first that does not fit.
func convertVolumes(conv func(wire.Decimal) (int64, error), fields []volumeField) error {
	for _, f := range fields {
		v, err := conv(f.src)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dst = v
	}
	return nil
}

// smsFromV1 maps a v1 SMS.
func smsFromV1(s V1SMS) SMS {
	out := SMS{
		ID:            int64(s.ID),
		ICCID:         s.ICCID,
		MSISDN:        s.MSISDN,
		IMSI:          s.IMSI,
		SourceAddress: s.SourceAddress,
		Payload:       s.Payload,
		UDH:           s.UDH,
		DCS:           s.DCS,
		SubmittedAt:   parseTimeLoose(s.SubmitDate),
		DeliveredAt:   parseTimeLoose(s.DeliveryDate),
		ExpiresAt:     parseTimeLoose(s.ExpiryDate),
		FinalAt:       parseTimeLoose(s.FinalDate),
		RetryAt:       parseTimeLoose(s.RetryDate),
		LastAttemptAt: parseTimeLoose(s.LastDeliveryAttempt),
		MSC:           string(s.MSC),
		Source:        GenV1,
	}
	out.RetryCount, _ = strconv.Atoi(strings.TrimSpace(string(s.RetryCount)))
	out.Status = smsStatus(s.Status)
	out.Direction = smsDirection(s.SMSType)
	if s.SourceAddressType != nil {
		out.SourceAddressType = s.SourceAddressType.ID
	}
	return out
}

// smsFromV2 maps a v2 SMS.
func smsFromV2(s V2SMS) SMS {
	out := SMS{
		ID:            int64(s.ID),
		ICCID:         s.ICCID,
		MSISDN:        s.MSISDN,
		IMSI:          s.IMSI,
		SourceAddress: s.SourceAddress,
		Payload:       s.Payload,
		UDH:           s.UDH,
		DCS:           s.DCS,
		SubmittedAt:   parseTimeLoose(s.SubmitDate),
		DeliveredAt:   parseTimeLoose(s.DeliveryDate),
		ExpiresAt:     parseTimeLoose(s.ExpiryDate),
		FinalAt:       parseTimeLoose(s.FinalDate),
		RetryAt:       parseTimeLoose(s.RetryDate),
		LastAttemptAt: parseTimeLoose(s.LastDeliveryAttempt),
		RetryCount:    int(s.RetryCount),
		MSC:           string(s.MSC),
		Source:        GenV2,
	}
	out.Status = smsStatus(s.Status)
	out.Direction = smsDirection(s.SMSType)
	if s.SourceAddressType != nil {
		out.SourceAddressType = int(s.SourceAddressType.ID)
	}
	return out
}

// smsStatus prefers the description; when only the id is sent it uses 1NCE's numbering
// (2 PENDING, 4 DELIVERED, 5 FAILED, 6 EXPIRED).
func smsStatus(s *IDDescription) SMSStatus {
	if s == nil {
		return ""
	}
	if s.Description != "" {
		return SMSStatus(strings.ToUpper(s.Description))
	}
	return map[wire.LooseInt]SMSStatus{2: SMSPending, 4: SMSDelivered, 5: SMSFailed, 6: SMSExpired}[s.ID]
}

func smsDirection(t *IDDescription) SMSDirection {
	if t == nil {
		return ""
	}
	if t.Description != "" {
		return SMSDirection(strings.ToUpper(t.Description))
	}
	return map[wire.LooseInt]SMSDirection{1: SMSMobileTerminated, 2: SMSMobileOriginated}[t.ID]
}

// eventFromV1 maps a v1 event.
func eventFromV1(e V1Event) Event {
	return Event{
		Timestamp: parseTimeLoose(e.Timestamp),
		Type:      e.EventType,
		Severity:  strings.ToUpper(e.EventSeverity),
		Alert:     e.Alert,
		ICCID:     e.ICCID,
		IMSI:      e.IMSI,
		IMEI:      string(e.IMEI),
		Country:   e.Country,
		Operator:  e.Operator,
		MCC:       e.MCC,
		MNC:       e.MNC,
		Source:    GenV1,
	}
}

// eventFromV2 maps a v2 event. iccid is the SIM that was asked for, used when the event
// carries no sim object.
func eventFromV2(e V2Event, iccid string) Event {
	out := Event{
		ID:          e.ID,
		Timestamp:   parseTimeLoose(e.Timestamp),
		Description: e.Description,
		Alert:       e.Alert,
		ICCID:       iccid,
		Detail:      e.Detail,
		Source:      GenV2,
	}
	if e.EventType != nil {
		out.Type, out.TypeID = e.EventType.Description, int(e.EventType.ID)
	}
	if e.EventSeverity != nil {
		out.Severity = strings.ToUpper(e.EventSeverity.Description)
	}
	if e.EventSource != nil {
		out.Origin = e.EventSource.Description
	}
	if e.SIM != nil {
		if e.SIM.ICCID != "" {
			out.ICCID = e.SIM.ICCID
		}
		out.MSISDN = e.SIM.MSISDN
	}
	if e.IMSI != nil {
		out.IMSI = e.IMSI.IMSI
	}
	if e.Endpoint != nil {
		out.IMEI = string(e.Endpoint.IMEI)
	}
	return out
}

// usageFromV1 maps v1 daily usage records.
func usageFromV1(u V1DailyUsage) ([]DailyUsage, error) {
	out := make([]DailyUsage, 0, len(u.Stats))
	for _, d := range u.Stats {
		day := DailyUsage{Date: parseTimeLoose(d.Date)}
		if d.Data != nil {
			if err := convertVolumes(wire.MBToBytes, []volumeField{
				{&day.DataBytes, wire.Decimal(d.Data.Volume), "volume"},
				{&day.DataRxBytes, wire.Decimal(d.Data.VolumeRx), "volume_rx"},
				{&day.DataTxBytes, wire.Decimal(d.Data.VolumeTx), "volume_tx"},
			}); err != nil {
				return nil, fmt.Errorf("once: usage %s data %w", d.Date, err)
			}
			day.DataCost = string(d.Data.Cost)
			if d.Data.Currency != nil {
				day.Currency = d.Data.Currency.Code
			}
		}
		if d.SMS != nil {
			if err := convertVolumes(wire.RoundCount, []volumeField{
				{&day.SMS, wire.Decimal(d.SMS.Volume), "volume"},
				{&day.SMSMO, wire.Decimal(d.SMS.VolumeRx), "volume_rx"},
				{&day.SMSMT, wire.Decimal(d.SMS.VolumeTx), "volume_tx"},
			}); err != nil {
				return nil, fmt.Errorf("once: usage %s sms %w", d.Date, err)
			}
			day.SMSCost = string(d.SMS.Cost)
			if day.Currency == "" && d.SMS.Currency != nil {
				day.Currency = d.SMS.Currency.Code
			}
		}
		out = append(out, day)
	}
	return out, nil
}

// connectivityFromV1 maps a v1 SIM status answer.
func connectivityFromV1(c V1Connectivity, iccid string) Connectivity {
	out := Connectivity{ICCID: iccid, Status: ConnectivityStatus(strings.ToUpper(c.Status)), Services: c.Services, Source: GenV1}
	if l := c.Location; l != nil {
		out.LastUpdated = parseTimeLoose(l.LastUpdated)
		out.OperatorID = l.OperatorID
		if l.Operator != nil {
			out.Operator = l.Operator.Name
			if out.OperatorID == "" {
				out.OperatorID = l.Operator.ID
			}
		}
		if l.Country != nil {
			out.Country, out.CountryISO, out.MCC = l.Country.Name, strings.ToUpper(l.Country.ISOCode), l.Country.MCC
		}
	}
	if p := c.PDPContext; p != nil {
		out.UEIP, out.CellID, out.LAC, out.IMEISV = p.UEIPAddress, p.CI, p.LAC, p.IMEISV
		out.PDPCreated = parseTimeLoose(p.Created)
		if out.MCC == "" {
			out.MCC = p.MCC
		}
		out.MNC = p.MNC
		if p.RATType != nil {
			out.RAT = p.RATType.Description
		}
	}
	return out
}

// connectivityFromV2 maps a v2 SIM status answer (the first PDP context gives RAT and cell).
func connectivityFromV2(c V2Connectivity, iccid string) Connectivity {
	out := Connectivity{ICCID: iccid, Services: c.Services, Source: GenV2}
	if c.Status != nil {
		out.Status = ConnectivityStatus(strings.ToUpper(c.Status.Description))
	}
	if c.DataTrafficLimitState != nil {
		out.DataLimitReached = strings.EqualFold(c.DataTrafficLimitState.Description, "REACHED")
	}
	if l := c.Location; l != nil {
		out.LastUpdated = parseTimeLoose(l.LastUpdated)
		out.OperatorID = l.OperatorID
		if l.Operator != nil {
			out.Operator, out.MNC = l.Operator.Name, l.Operator.MNC
			if out.OperatorID == "" && l.Operator.ID != 0 {
				out.OperatorID = strconv.FormatInt(l.Operator.ID, 10)
			}
		}
		if l.Country != nil {
			out.Country, out.CountryISO, out.MCC = l.Country.Name, strings.ToUpper(l.Country.ISOCode), l.Country.MCC
		}
	}
	if len(c.PDPContexts) > 0 {
		p := c.PDPContexts[0]
		out.UEIP, out.IMEISV = p.UEIPAddress, p.IMEISV
		out.PDPCreated = parseTimeLoose(p.Created)
		out.CellID, out.LAC = p.CI, p.LAC
		// The top-level lac/ci are deprecated in favour of the user location information.
		if u := p.GTPv1ULI; u != nil {
			out.CellID, out.LAC = pick(u.CI, out.CellID), pick(u.LAC, out.LAC)
		}
		if u := p.GTPv2ULI; u != nil {
			out.CellID, out.LAC = pick(u.ECI, out.CellID), pick(u.TAC, out.LAC)
		}
		if out.MCC == "" {
			out.MCC = p.MCC
		}
		if out.MNC == "" {
			out.MNC = p.MNC
		}
		if p.RATType != nil {
			out.RAT = p.RATType.Description
		}
	}
	return out
}

func pick(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
