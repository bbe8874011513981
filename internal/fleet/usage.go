package fleet

import (
	"math"
	"time"
)

// UsageSource says where a usage row came from; it decides how UpsertUsage merges it.
type UsageSource string

// Usage sources.
const (
	// UsageFromAPI rows are the 1NCE API's daily totals: they replace the stored day, because
	// the API total already includes everything the Data Streamer reported for that day.
	UsageFromAPI UsageSource = "api"
	// UsageFromStreamer rows are increments from Data Streamer records: they add to the stored
	// day, and are ignored once the day is final (the API total is authoritative then).
	UsageFromStreamer UsageSource = "streamer"
)

// Usage is one SIM's consumption on one UTC day (the sim_usage table). Volumes are bytes.
type Usage struct {
	ICCID string `json:"iccid"`
	// Day is the UTC calendar day; stores truncate it to midnight UTC.
	Day         time.Time   `json:"day"`
	VolumeRx    int64       `json:"volume_rx"`
	VolumeTx    int64       `json:"volume_tx"`
	VolumeTotal int64       `json:"volume_total"`
	SMSMO       int64       `json:"sms_mo"`
	SMSMT       int64       `json:"sms_mt"`
	Cost        float64     `json:"cost"`
	Source      UsageSource `json:"source"`
	// Final marks a closed day: the usage sync no longer asks 1NCE for it.
	Final     bool      `json:"final"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Day returns t's UTC calendar day at midnight UTC.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Validate checks the row can be stored.
func (u Usage) Validate() error {
	if err := ValidateICCID("iccid", u.ICCID); err != nil {
		return err
	}
	if u.Day.IsZero() {
		return Invalid("day", "must be set")
	}
	if err := validTime("day", u.Day); err != nil {
		return err
	}
	switch u.Source {
	case UsageFromAPI, UsageFromStreamer:
	default:
		return Invalid("source", "must be %q or %q", UsageFromAPI, UsageFromStreamer)
	}
	if u.VolumeRx < 0 || u.VolumeTx < 0 || u.VolumeTotal < 0 || u.SMSMO < 0 || u.SMSMT < 0 {
		return Invalid("volume", "must not be negative")
	}
	if u.SMSMO > math.MaxInt32 || u.SMSMT > math.MaxInt32 {
		return Invalid("sms", "count out of range")
	}
	if u.Cost < 0 || math.IsNaN(u.Cost) || math.IsInf(u.Cost, 0) {
		return Invalid("cost", "must not be negative")
	}
	return nil
}

// UsageSummary totals one SIM's usage over a day range.
type UsageSummary struct {
	ICCID       string    `json:"iccid"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Days        int64     `json:"days"` // days with a usage row
	VolumeRx    int64     `json:"volume_rx"`
	VolumeTx    int64     `json:"volume_tx"`
	VolumeTotal int64     `json:"volume_total"`
	SMSMO       int64     `json:"sms_mo"`
	SMSMT       int64     `json:"sms_mt"`
	Cost        float64   `json:"cost"`
}

// DailyTotal is the whole fleet's usage on one day (dashboard, daily report).
type DailyTotal struct {
	Day         time.Time `json:"day"`
	SIMs        int64     `json:"sims"` // SIMs with a usage row that day
	VolumeRx    int64     `json:"volume_rx"`
	VolumeTx    int64     `json:"volume_tx"`
	VolumeTotal int64     `json:"volume_total"`
	SMSMO       int64     `json:"sms_mo"`
	SMSMT       int64     `json:"sms_mt"`
	Cost        float64   `json:"cost"`
}

// ValidateDayRange checks and normalises an inclusive [from, to] day range.
func ValidateDayRange(from, to time.Time) (time.Time, time.Time, error) {
	if from.IsZero() || to.IsZero() {
		return from, to, Invalid("from", "from and to must be set")
	}
	if err := validTime("from", from); err != nil {
		return from, to, err
	}
	if err := validTime("to", to); err != nil {
		return from, to, err
	}
	from, to = Day(from), Day(to)
	if to.Before(from) {
		return from, to, Invalid("to", "is before from")
	}
	return from, to, nil
}

// MergeUsage collapses rows for the same SIM and day in order: an API row replaces what came
// before it, a streamer row adds to it (after an API row the result stays an API row, so the
// store replaces with the combined total). A streamer row after a final API row is dropped,
// as the store drops it against a final stored day. Days are normalised to midnight UTC and
// streamer rows are never final.
func MergeUsage(rows []Usage) []Usage {
	type key struct {
		iccid string
		day   int64
	}
	idx := make(map[key]int, len(rows))
	out := make([]Usage, 0, len(rows))
	for _, u := range rows {
		u.Day = Day(u.Day)
		if u.Source == UsageFromStreamer {
			u.Final = false
		}
		k := key{u.ICCID, u.Day.Unix()}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, u)
			continue
		}
		prev := &out[i]
		if u.Source == UsageFromAPI {
			*prev = u
			continue
		}
		if prev.Final {
			continue
		}
		prev.VolumeRx += u.VolumeRx
		prev.VolumeTx += u.VolumeTx
		prev.VolumeTotal += u.VolumeTotal
		prev.SMSMO += u.SMSMO
		prev.SMSMT += u.SMSMT
		prev.Cost += u.Cost
	}
	return out
}
