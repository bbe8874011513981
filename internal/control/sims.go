package control

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/cache"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/mirror"
	"github.com/oncefleet/oncefleet/once"
)

// TTLStatus bounds how old a SIM's network status may be when served from the cache: it
// changes by the minute, and a person checking "is it online" wants a recent answer.
const TTLStatus = 30 * time.Second

// SIM returns one SIM from the mirror (through the cache). With refresh, or when the mirror
// does not have the SIM, it reads 1NCE and stores the answer; when 1NCE cannot be asked the
// mirrored SIM is returned marked stale.
func (s *Service) SIM(ctx context.Context, iccid string, refresh bool) (Read[fleet.SIM], error) {
	r, err := s.SIMJSON(ctx, iccid, refresh)
	if err != nil {
		return Read[fleet.SIM]{}, err
	}
	var sim fleet.SIM
	if err := json.Unmarshal(r.Value, &sim); err != nil {
		return Read[fleet.SIM]{}, fmt.Errorf("sim %s: decode: %w", iccid, err)
	}
	return Read[fleet.SIM]{Value: sim, SyncedAt: r.SyncedAt, Stale: r.Stale, Reason: r.Reason}, nil
}

// SIMJSON is SIM with the SIM as its JSON encoding: the API's hottest read, served from the
// cache without decoding and encoding the record again.
func (s *Service) SIMJSON(ctx context.Context, iccid string, refresh bool) (Read[json.RawMessage], error) {
	if err := ValidateICCID("iccid", iccid); err != nil {
		return Read[json.RawMessage]{}, err
	}
	if !refresh {
		raw, err := s.cache.GetOrLoad(ctx, cache.SIMDetailKey(iccid), cache.TTLSIMDetail, func(ctx context.Context) ([]byte, error) {
			sim, err := s.store.GetSIM(ctx, iccid)
			if err != nil {
				return nil, err
			}
			return stampedJSON(sim.LastSyncedAt, sim)
		})
		switch {
		case err == nil:
			at, body, err := unstamp(raw)
			if err != nil {
				return Read[json.RawMessage]{}, fmt.Errorf("sim %s: cached record: %w", iccid, err)
			}
			return Read[json.RawMessage]{Value: body, SyncedAt: at}, nil
		case !errors.Is(err, fleet.ErrNotFound):
			return Read[json.RawMessage]{}, err
		}
	}
	sim, err := s.readSIM(ctx, iccid)
	if err != nil {
		if !degraded(err) {
			return Read[json.RawMessage]{}, err
		}
		mirrored, merr := s.store.GetSIM(ctx, iccid)
		if merr != nil {
			return Read[json.RawMessage]{}, err
		}
		raw, jerr := json.Marshal(mirrored)
		if jerr != nil {
			return Read[json.RawMessage]{}, jerr
		}
		return stale(json.RawMessage(raw), mirrored.LastSyncedAt, err), nil
	}
	raw, err := json.Marshal(sim)
	if err != nil {
		return Read[json.RawMessage]{}, err
	}
	return fresh(json.RawMessage(raw), sim.LastSyncedAt), nil
}

// readSIM reads one SIM from 1NCE for a reader and answers with the record the mirror will
// hold; a SIM already mirrored is written in the background (mirrorwrite.go), a new one at
// once.
func (s *Service) readSIM(ctx context.Context, iccid string) (fleet.SIM, error) {
	up, err := s.upstream()
	if err != nil {
		return fleet.SIM{}, err
	}
	got, err := up.GetSIM(ctx, iccid)
	if err != nil {
		return fleet.SIM{}, upstreamErr(err, "reading the SIM")
	}
	now := s.now()
	rec := mirror.SIM(got, now)
	stored, err := s.store.GetSIM(ctx, iccid)
	if err != nil || !s.queueSIM(rec) {
		if err != nil && !errors.Is(err, fleet.ErrNotFound) {
			return fleet.SIM{}, err
		}
		if err := s.store.UpsertSIMs(ctx, []fleet.SIM{rec}); err != nil {
			return fleet.SIM{}, fmt.Errorf("sim %s: store: %w", iccid, err)
		}
		s.invalidateSIM(ctx, iccid)
		return s.store.GetSIM(ctx, iccid)
	}
	merged := fleet.MergeSIM(stored, rec, now)
	if raw, err := stampedJSON(merged.LastSyncedAt, merged); err == nil {
		if err := s.cache.Set(context.WithoutCancel(ctx), cache.SIMDetailKey(iccid), raw, cache.TTLSIMDetail); err != nil {
			s.log.WarnContext(ctx, "cache update failed", "iccid", iccid, "err", err)
		}
	}
	return merged, nil
}

// refreshSIM reads one SIM from 1NCE, stores it in the mirror and returns the mirror record
// (which adds what only oncefleet knows: online state, metadata).
func (s *Service) refreshSIM(ctx context.Context, iccid string) (fleet.SIM, error) {
	up, err := s.upstream()
	if err != nil {
		return fleet.SIM{}, err
	}
	got, err := up.GetSIM(ctx, iccid)
	if err != nil {
		return fleet.SIM{}, upstreamErr(err, "reading the SIM")
	}
	if err := s.store.UpsertSIMs(ctx, []fleet.SIM{mirror.SIM(got, s.now())}); err != nil {
		return fleet.SIM{}, fmt.Errorf("sim %s: store: %w", iccid, err)
	}
	s.invalidateSIM(ctx, iccid)
	return s.store.GetSIM(ctx, iccid)
}

// SIMs returns one page of the mirror (through the cache: SPEC §7's 5 minutes, invalidated
// by every change oncefleet makes).
func (s *Service) SIMs(ctx context.Context, f fleet.SIMFilter) (fleet.Page[fleet.SIM], error) {
	raw, err := s.SIMsJSON(ctx, f)
	if err != nil {
		return fleet.Page[fleet.SIM]{}, err
	}
	var page fleet.Page[fleet.SIM]
	if err := json.Unmarshal(raw, &page); err != nil {
		return fleet.Page[fleet.SIM]{}, fmt.Errorf("sim list: decode: %w", err)
	}
	return page, nil
}

// SIMsJSON is SIMs with the page as its JSON encoding ({"data":[…],"total","page","page_size"}).
func (s *Service) SIMsJSON(ctx context.Context, f fleet.SIMFilter) (json.RawMessage, error) {
	f, err := f.Normalize()
	if err != nil {
		return nil, err
	}
	q, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("sim list: key: %w", err)
	}
	return s.cache.GetOrLoad(ctx, cache.SIMListKey(string(q)), cache.TTLSIMList, func(ctx context.Context) ([]byte, error) {
		page, err := s.store.ListSIMs(ctx, f)
		if err != nil {
			return nil, err
		}
		if page.Items == nil {
			page.Items = []fleet.SIM{}
		}
		return json.Marshal(page)
	})
}

// stampedJSON encodes v after the time it was last confirmed with 1NCE, so a cached answer
// is served without decoding it: 8 bytes of Unix nanoseconds, then the JSON.
func stampedJSON(at time.Time, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var ns int64
	if !at.IsZero() {
		ns = at.UnixNano()
	}
	out := make([]byte, 8, 8+len(raw))
	binary.BigEndian.PutUint64(out, uint64(ns))
	return append(out, raw...), nil
}

// unstamp splits what stampedJSON made.
func unstamp(b []byte) (time.Time, json.RawMessage, error) {
	if len(b) < 9 {
		return time.Time{}, nil, errors.New("truncated cache entry")
	}
	var at time.Time
	if ns := int64(binary.BigEndian.Uint64(b)); ns != 0 {
		at = time.Unix(0, ns).UTC()
	}
	return at, json.RawMessage(b[8:]), nil
}

// SIMChange is what a person may change on a SIM: the 1NCE fields (status, label, IMEI lock)
// and oncefleet's own metadata. Nil fields stay as they are.
type SIMChange struct {
	Status   *string         `json:"status,omitempty"`
	Label    *string         `json:"label,omitempty"`
	IMEILock *bool           `json:"imei_lock,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// ParseSIMStatus reads a SIM status as a person types it ("enabled", "Disabled").
func ParseSIMStatus(field, v string) (once.SIMStatus, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "enabled":
		return once.SIMEnabled, nil
	case "disabled":
		return once.SIMDisabled, nil
	}
	return "", fleet.Invalid(field, "must be Enabled or Disabled, got %q", v)
}

// MaxLabelLen is the longest label oncefleet sends to 1NCE.
const MaxLabelLen = 256

// validate checks the change and returns its 1NCE part (nil when it changes only metadata).
func (c SIMChange) validate(iccid string) (*once.SIMUpdate, error) {
	u := fleet.SIMUpdate{Status: c.Status, Label: c.Label, IMEILock: c.IMEILock, Metadata: c.Metadata}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if c.Status == nil && c.Label == nil && c.IMEILock == nil {
		return nil, nil
	}
	up := &once.SIMUpdate{ICCID: iccid, Label: c.Label, IMEILock: c.IMEILock}
	if c.Status != nil {
		st, err := ParseSIMStatus("status", *c.Status)
		if err != nil {
			return nil, err
		}
		up.Status = st
	}
	if c.Label != nil && len([]rune(*c.Label)) > MaxLabelLen {
		return nil, fleet.Invalid("label", "longer than %d characters", MaxLabelLen)
	}
	return up, nil
}

// updateUpstream sends a SIM change to 1NCE. v1's API needs the status with every change, and
// the SDK refuses a v1 change without one rather than reading the SIM behind the caller's back;
// so when a change without a status is refused (a client in mode v1), the server reads the
// SIM's current status from 1NCE and sends the change with it, as it always did.
func updateUpstream(ctx context.Context, up Upstream, u once.SIMUpdate) error {
	_, err := up.UpdateSIM(ctx, u)
	if u.Status == "" && errors.Is(err, once.ErrInvalidInput) {
		cur, gerr := up.GetSIM(ctx, u.ICCID)
		if gerr != nil {
			return gerr
		}
		u.Status = cur.Status
		_, err = up.UpdateSIM(ctx, u)
	}
	return err
}

// UpdateSIM changes one SIM: 1NCE first, then the mirror, the cache and the audit log.
func (s *Service) UpdateSIM(ctx context.Context, a Actor, iccid string, c SIMChange) (fleet.SIM, error) {
	au := s.audit(a, "sim.update", iccid).set("change", c)
	if err := need(a, fleet.RoleOperator); err != nil {
		return fleet.SIM{}, au.done(ctx, err)
	}
	if err := ValidateICCID("iccid", iccid); err != nil {
		return fleet.SIM{}, au.done(ctx, err)
	}
	upd, err := c.validate(iccid)
	if err != nil {
		return fleet.SIM{}, au.done(ctx, err)
	}
	if upd != nil {
		up, err := s.upstream()
		if err != nil {
			return fleet.SIM{}, au.done(ctx, err)
		}
		if err := updateUpstream(ctx, up, *upd); err != nil {
			return fleet.SIM{}, au.done(ctx, upstreamErr(err, "updating the SIM"))
		}
	}
	s.dropQueuedSIM(iccid)
	// What the mirror held before, to report a status or label change to the bus (the sync
	// will not: the mirror already agrees with 1NCE when it looks).
	before, beforeErr := fleet.SIM{}, error(fleet.ErrNotFound)
	if c.Status != nil || c.Label != nil {
		before, beforeErr = s.store.GetSIM(ctx, iccid)
	}
	local := fleet.SIMUpdate{Label: c.Label, IMEILock: c.IMEILock, Metadata: c.Metadata}
	if upd != nil && upd.Status != "" {
		st := string(upd.Status)
		local.Status = &st
	}
	sim, err := s.store.UpdateSIM(ctx, iccid, local)
	if errors.Is(err, fleet.ErrNotFound) && upd != nil {
		// 1NCE has the SIM but the mirror does not yet: fetch it, then keep the metadata.
		if _, err = s.refreshSIM(ctx, iccid); err == nil {
			sim, err = s.store.UpdateSIM(ctx, iccid, local)
		}
	}
	s.invalidateSIM(ctx, iccid)
	if err != nil {
		if upd != nil {
			// 1NCE took the change; the mirror catches up at the next sync.
			s.log.WarnContext(ctx, "sim changed at 1NCE but the mirror update failed", "iccid", iccid, "err", err)
			au.set("mirror_error", err.Error())
			return fleet.SIM{ICCID: iccid}, au.done(ctx, nil)
		}
		return fleet.SIM{}, au.done(ctx, err)
	}
	if beforeErr == nil {
		at := s.now()
		if before.Status != sim.Status {
			s.publish(bus.SIMChanged{ICCID: iccid, Field: fleet.FieldStatus, Old: before.Status, New: sim.Status, At: at, By: a.ID})
		}
		if before.Label != sim.Label {
			s.publish(bus.SIMChanged{ICCID: iccid, Field: fleet.FieldLabel, Old: before.Label, New: sim.Label, At: at, By: a.ID})
		}
	}
	return sim, au.done(ctx, nil)
}

// ResetSIM queues a connectivity reset of one SIM at 1NCE.
func (s *Service) ResetSIM(ctx context.Context, a Actor, iccid string) error {
	au := s.audit(a, "sim.reset", iccid)
	if err := need(a, fleet.RoleOperator); err != nil {
		return au.done(ctx, err)
	}
	if err := ValidateICCID("iccid", iccid); err != nil {
		return au.done(ctx, err)
	}
	up, err := s.upstream()
	if err != nil {
		return au.done(ctx, err)
	}
	if _, err := up.Reset(ctx, iccid); err != nil {
		return au.done(ctx, upstreamErr(err, "resetting the SIM"))
	}
	s.invalidateSIM(ctx, iccid)
	return au.done(ctx, nil)
}

// NetworkStatus is a SIM's network state as 1NCE last reported it (GET …/status).
type NetworkStatus struct {
	ICCID string `json:"iccid"`
	// Status is ONLINE (data session open), ATTACHED, OFFLINE or BLOCKED.
	Status           string    `json:"status"`
	Services         []string  `json:"services,omitempty"`
	DataLimitReached bool      `json:"data_limit_reached"`
	LastUpdated      time.Time `json:"last_updated,omitzero"`
	Operator         string    `json:"operator,omitempty"`
	Country          string    `json:"country,omitempty"`
	CountryISO       string    `json:"country_iso,omitempty"`
	MCC              string    `json:"mcc,omitempty"`
	MNC              string    `json:"mnc,omitempty"`
	RAT              string    `json:"rat,omitempty"`
	UEIP             string    `json:"ue_ip,omitempty"`
	CellID           string    `json:"cell_id,omitempty"`
	LAC              string    `json:"lac,omitempty"`
	PDPCreated       time.Time `json:"pdp_created,omitzero"`
}

func networkStatus(iccid string, c once.Connectivity) NetworkStatus {
	return NetworkStatus{
		ICCID: iccid, Status: string(c.Status), Services: c.Services, DataLimitReached: c.DataLimitReached,
		LastUpdated: c.LastUpdated, Operator: c.Operator, Country: c.Country, CountryISO: c.CountryISO,
		MCC: c.MCC, MNC: c.MNC, RAT: c.RAT, UEIP: c.UEIP, CellID: c.CellID, LAC: c.LAC, PDPCreated: c.PDPCreated,
	}
}

// Status returns a SIM's network status from 1NCE (cached briefly; refresh skips the cache),
// storing each answer as a connectivity observation; with 1NCE unavailable, the last
// observation stands in.
func (s *Service) Status(ctx context.Context, iccid string, refresh bool) (Read[NetworkStatus], error) {
	if err := ValidateICCID("iccid", iccid); err != nil {
		return Read[NetworkStatus]{}, err
	}
	key := cache.SIMPrefix(iccid) + ":status"
	s.forget(ctx, key, refresh)
	return readThrough(ctx, s, key, TTLStatus, "SIM status",
		func(ctx context.Context) (NetworkStatus, error) {
			up, err := s.upstream()
			if err != nil {
				return NetworkStatus{}, err
			}
			c, err := up.Connectivity(ctx, iccid)
			if err != nil {
				return NetworkStatus{}, upstreamErr(err, "reading the SIM status")
			}
			if _, err := s.store.AddConnectivity(ctx, mirror.Connectivity(iccid, c, s.now())); err != nil {
				s.log.WarnContext(ctx, "store connectivity observation", "iccid", iccid, "err", err)
			}
			return networkStatus(iccid, c), nil
		},
		func(ctx context.Context) (NetworkStatus, time.Time, error) {
			c, err := s.store.LatestConnectivity(ctx, iccid)
			if err != nil {
				return NetworkStatus{}, time.Time{}, err
			}
			st := "OFFLINE"
			if c.Connected {
				st = "ONLINE"
			}
			return NetworkStatus{ICCID: iccid, Status: st, Operator: c.Operator, Country: c.Country, RAT: c.RAT, CellID: c.CellID, LastUpdated: c.ObservedAt}, c.ObservedAt, nil
		})
}

// NetworkQuery is the answer of 1NCE's live network query for a SIM (v1 connectivity info):
// what the network's subscriber database and USSD probe say right now.
type NetworkQuery struct {
	ICCID           string    `json:"iccid"`
	SubscriberOK    bool      `json:"subscriber_ok"`
	SubscriberState string    `json:"subscriber_state,omitempty"`
	LocationAgeMin  int       `json:"location_age_minutes,omitempty"`
	Cell            *Cell     `json:"cell,omitempty"`
	USSDOK          *bool     `json:"ussd_ok,omitempty"`
	USSDError       string    `json:"ussd_error,omitempty"`
	RequestedAt     time.Time `json:"requested_at,omitzero"`
	RepliedAt       time.Time `json:"replied_at,omitzero"`
}

// Cell is a radio cell's global id.
type Cell struct {
	CID int64  `json:"cid"`
	LAC int64  `json:"lac"`
	MCC string `json:"mcc,omitempty"`
	MNC string `json:"mnc,omitempty"`
}

// Connectivity asks 1NCE's network for live subscriber and (optionally) USSD information
// (v1 only; 1NCE says it is meaningful on 2G/3G). It is never cached: it is a live probe.
func (s *Service) Connectivity(ctx context.Context, iccid string, subscriber, ussd *bool) (NetworkQuery, error) {
	if err := ValidateICCID("iccid", iccid); err != nil {
		return NetworkQuery{}, err
	}
	up, err := s.upstream()
	if err != nil {
		return NetworkQuery{}, err
	}
	info, err := up.ConnectivityInfo(ctx, once.ConnectivityInfoParams{ICCID: iccid, Subscriber: subscriber, USSD: ussd})
	if err != nil {
		return NetworkQuery{}, upstreamErr(err, "querying the network")
	}
	out := NetworkQuery{ICCID: iccid}
	if u := info.USSDInfo; u != nil {
		ok := u.Success
		out.USSDOK, out.USSDError = &ok, u.Error
	}
	if t, err := info.RequestTimestamp.Time(); err == nil {
		out.RequestedAt = t
	}
	if t, err := info.ReplyTimestamp.Time(); err == nil {
		out.RepliedAt = t
	}
	if si := info.SubscriberInfo; si != nil {
		out.SubscriberOK, out.SubscriberState = si.Success, si.State
		if si.Location != nil {
			out.LocationAgeMin = si.Location.AgeOfLocation
			if c := si.Location.CellGlobalID; c != nil {
				out.Cell = &Cell{CID: c.CID, LAC: c.LAC, MCC: c.MCC, MNC: c.MNC}
			}
		}
	}
	return out, nil
}
