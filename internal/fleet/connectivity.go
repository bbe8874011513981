package fleet

import "time"

// Connectivity is one observation of a SIM's network attachment (the sim_connectivity table).
type Connectivity struct {
	ID         int64     `json:"id"`
	ICCID      string    `json:"iccid"`
	ObservedAt time.Time `json:"observed_at"`
	Connected  bool      `json:"connected"`
	CellID     string    `json:"cell_id,omitempty"`
	// SignalStrength is nil when the network did not report one.
	SignalStrength *int   `json:"signal_strength,omitempty"`
	RAT            string `json:"rat,omitempty"`
	Country        string `json:"country,omitempty"`
	Operator       string `json:"operator,omitempty"`
	Source         string `json:"source"` // api | streamer
}

// ValidateConnectivityLimit checks how many observations a stores' ListConnectivity may return.
func ValidateConnectivityLimit(limit int) error {
	if limit < 1 || limit > MaxPageSize {
		return Invalid("limit", "must be between 1 and %d", MaxPageSize)
	}
	return nil
}

// Validate checks the observation can be stored.
func (c Connectivity) Validate() error {
	if err := ValidateICCID("iccid", c.ICCID); err != nil {
		return err
	}
	if c.ObservedAt.IsZero() {
		return Invalid("observed_at", "must be set")
	}
	if err := validTime("observed_at", c.ObservedAt); err != nil {
		return err
	}
	if c.SignalStrength != nil && (*c.SignalStrength < -1000 || *c.SignalStrength > 1000) {
		return Invalid("signal_strength", "out of range")
	}
	return validTexts("cell_id", c.CellID, "rat", c.RAT, "country", c.Country, "operator", c.Operator, "source", c.Source)
}
