package fleet

import (
	"encoding/json"
	"strings"
	"time"
)

// AlertChannelType is where an alert channel delivers.
type AlertChannelType string

// The channel types.
const (
	ChannelWebhook AlertChannelType = "webhook" // HTTP POST signed with HMAC-SHA256
	ChannelSlack   AlertChannelType = "slack"   // a Slack-compatible incoming webhook
	ChannelEmail   AlertChannelType = "email"   // SMTP
)

// AlertChannel is a delivery target that rules refer to by ID. Config holds the type's
// settings including its secrets (webhook signing secret, SMTP password): it is stored, never
// shown; the API redacts it.
type AlertChannel struct {
	ID      string
	Name    string
	Type    AlertChannelType
	Config  json.RawMessage
	Created time.Time
	Updated time.Time
}

// Validate checks a channel before it is stored (the type-specific settings are checked by
// package alerts, which knows them).
func (c *AlertChannel) Validate() error {
	if strings.TrimSpace(c.Name) == "" {
		return Invalid("name", "must not be empty")
	}
	switch c.Type {
	case ChannelWebhook, ChannelSlack, ChannelEmail:
	default:
		return Invalid("type", "must be webhook, slack or email, got %q", string(c.Type))
	}
	return validJSON("config", c.Config)
}

// DeliveryState is where an alert delivery stands.
type DeliveryState string

// The delivery states: pending while being tried, sent, or dead once the retries are spent
// (the dead-letter list an admin re-sends from).
const (
	DeliveryPending DeliveryState = "pending"
	DeliverySent    DeliveryState = "sent"
	DeliveryDead    DeliveryState = "dead"
)

// AlertDelivery is one message to one channel: a single alert, a group of alerts of one rule,
// a resolved notice or a channel test. Payload is the JSON body as sent (no secrets).
type AlertDelivery struct {
	ID        int64
	ChannelID string
	RuleID    string
	// Event is fired, resolved or test.
	Event     string
	AlertIDs  []int64
	Payload   json.RawMessage
	State     DeliveryState
	Attempts  int
	LastError string
	Created   time.Time
	Updated   time.Time
}

// AlertDeliveryFilter selects deliveries, newest first; zero fields do not filter.
type AlertDeliveryFilter struct {
	State     DeliveryState
	ChannelID string
	Limit     int
	Offset    int
}

// ForecastHit is a SIM whose data quota runs out soon at its recent rate: Used bytes over the
// last Days days, Remaining bytes left.
type ForecastHit struct {
	ICCID string
	// Label is the SIM's label in the mirror, for rules scoped by a label pattern.
	Label     string
	Remaining int64
	Used      int64
	Days      int
}

// SilentSIM is a SIM with no data session or attach since LastSeen.
type SilentSIM struct {
	ICCID string
	// Label is the SIM's label, for rules scoped by a label pattern.
	Label    string
	LastSeen time.Time
}
