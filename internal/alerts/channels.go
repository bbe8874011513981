package alerts

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// SignatureHeader carries a webhook's signature: "t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>" under the channel's secret>".
const SignatureHeader = "Oncefleet-Signature"

// DefaultReplayWindow is how old a signed webhook may be before VerifySignature refuses it.
const DefaultReplayWindow = 5 * time.Minute

// Sign returns the SignatureHeader value for body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Errors of VerifySignature.
var (
	ErrBadSignature = errors.New("alerts: webhook signature does not match")
	ErrStale        = errors.New("alerts: webhook timestamp outside the replay window")
)

// VerifySignature checks a received webhook: the header's HMAC over its timestamp and the
// body, compared in constant time, and the timestamp within window of now (a replay of an
// old delivery is refused). Receivers can copy it; docs/ALERTS.md shows it standalone.
func VerifySignature(secret []byte, header string, body []byte, now time.Time, window time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrBadSignature
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		ok = ok || hmac.Equal(s, want)
	}
	if !ok {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > window || d < -window {
		return ErrStale
	}
	return nil
}

// WebhookConfig is a webhook channel's settings; Secret is write-only.
type WebhookConfig struct {
	URL    string `json:"url"`
	Secret string `json:"secret,omitempty"`
}

// SlackConfig is a Slack-compatible incoming webhook; its URL is the secret.
type SlackConfig struct {
	URL string `json:"url"`
}

// EmailConfig is an SMTP channel's settings; Password is write-only.
type EmailConfig struct {
	Host     string   `json:"host"`
	Port     int      `json:"port,omitempty"`
	Username string   `json:"username,omitempty"`
	Password string   `json:"password,omitempty"`
	From     string   `json:"from"`
	To       []string `json:"to"`
	// TLS is starttls (default: STARTTLS required), tls (implicit TLS, port 465),
	// opportunistic (STARTTLS when offered) or none (plain; only for a local relay).
	TLS string `json:"tls,omitempty"`
}

func decodeStrict(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(fleet.JSONOr(raw, "{}")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fleet.Invalid("config", "%s", cleanJSONError(err))
	}
	return nil
}

func checkURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > 2048 {
		return fleet.Invalid(field, "must be an http or https URL")
	}
	return nil
}

// MinSecretLen is the shortest webhook secret accepted.
const MinSecretLen = 16

// ValidateChannel checks a channel's settings for its type. prev, when updating, supplies
// the secrets the update left out (they are write-only, so a client resending what it read
// does not erase them); the merged settings are returned.
func ValidateChannel(c *fleet.AlertChannel, prev *fleet.AlertChannel) error {
	if err := c.Validate(); err != nil {
		return err
	}
	switch c.Type {
	case fleet.ChannelWebhook:
		var w WebhookConfig
		if err := decodeStrict(c.Config, &w); err != nil {
			return err
		}
		if w.Secret == "" && prev != nil && prev.Type == c.Type {
			var p WebhookConfig
			_ = json.Unmarshal(prev.Config, &p)
			w.Secret = p.Secret
		}
		if err := checkURL("config.url", w.URL); err != nil {
			return err
		}
		if len(w.Secret) < MinSecretLen || len(w.Secret) > 256 {
			return fleet.Invalid("config.secret", "must be %d to 256 characters", MinSecretLen)
		}
		c.Config, _ = json.Marshal(w)
	case fleet.ChannelSlack:
		var s SlackConfig
		if err := decodeStrict(c.Config, &s); err != nil {
			return err
		}
		if s.URL == "" && prev != nil && prev.Type == c.Type {
			var p SlackConfig
			_ = json.Unmarshal(prev.Config, &p)
			s.URL = p.URL
		}
		if err := checkURL("config.url", s.URL); err != nil {
			return err
		}
		c.Config, _ = json.Marshal(s)
	case fleet.ChannelEmail:
		var e EmailConfig
		if err := decodeStrict(c.Config, &e); err != nil {
			return err
		}
		if e.Password == "" && prev != nil && prev.Type == c.Type {
			var p EmailConfig
			_ = json.Unmarshal(prev.Config, &p)
			e.Password = p.Password
		}
		if e.Host == "" || len(e.Host) > 255 || strings.ContainsAny(e.Host, " /") {
			return fleet.Invalid("config.host", "must be a host name")
		}
		if e.Port < 0 || e.Port > 65535 {
			return fleet.Invalid("config.port", "must be 1 to 65535")
		}
		switch e.TLS {
		case "", "starttls", "tls", "opportunistic", "none":
		default:
			return fleet.Invalid("config.tls", "must be starttls, tls, opportunistic or none")
		}
		if _, err := mail.ParseAddress(e.From); err != nil {
			return fleet.Invalid("config.from", "must be an e-mail address")
		}
		if len(e.To) == 0 || len(e.To) > 50 {
			return fleet.Invalid("config.to", "must list 1 to 50 addresses")
		}
		for i, to := range e.To {
			if _, err := mail.ParseAddress(to); err != nil {
				return fleet.Invalid(fmt.Sprintf("config.to[%d]", i), "must be an e-mail address")
			}
		}
		c.Config, _ = json.Marshal(e)
	}
	return nil
}

// Redacted returns a channel's settings as the API shows them: secrets left out (a webhook's
// secret, the SMTP password), a Slack URL cut to its host, since the URL is the credential.
func Redacted(c *fleet.AlertChannel) map[string]any {
	out := map[string]any{}
	switch c.Type {
	case fleet.ChannelWebhook:
		var w WebhookConfig
		_ = json.Unmarshal(c.Config, &w)
		out["url"], out["secret_set"] = w.URL, w.Secret != ""
	case fleet.ChannelSlack:
		var s SlackConfig
		_ = json.Unmarshal(c.Config, &s)
		host := ""
		if u, err := url.Parse(s.URL); err == nil {
			host = u.Scheme + "://" + u.Host + "/…"
		}
		out["url"] = host
	case fleet.ChannelEmail:
		var e EmailConfig
		_ = json.Unmarshal(c.Config, &e)
		out["host"], out["port"], out["username"], out["from"], out["to"], out["tls"] = e.Host, e.Port, e.Username, e.From, e.To, e.TLS
		out["password_set"] = e.Password != ""
	}
	return out
}

// Message is what a channel delivers: the JSON payload and a human summary.
type Message struct {
	Subject string
	Text    string
	Payload []byte
	// DeliveryID identifies the delivery to receivers (header Oncefleet-Delivery).
	DeliveryID int64
	Event      string
}

// PermanentError marks a delivery failure no retry can fix (a 4xx other than 408/429).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Sender delivers messages to one type of channel.
type Sender struct {
	HTTP *http.Client
	Now  func() time.Time
	// SMTPTimeout bounds one SMTP exchange.
	SMTPTimeout time.Duration
}

// Send delivers m once on c; the caller retries.
func (s *Sender) Send(ctx context.Context, c *fleet.AlertChannel, m Message) error {
	switch c.Type {
	case fleet.ChannelWebhook:
		var w WebhookConfig
		if err := json.Unmarshal(c.Config, &w); err != nil {
			return &PermanentError{fmt.Errorf("webhook config: %w", err)}
		}
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set(SignatureHeader, Sign([]byte(w.Secret), s.Now(), m.Payload))
		h.Set("Oncefleet-Event", m.Event)
		h.Set("Oncefleet-Delivery", strconv.FormatInt(m.DeliveryID, 10))
		return s.post(ctx, w.URL, h, m.Payload)
	case fleet.ChannelSlack:
		var sc SlackConfig
		if err := json.Unmarshal(c.Config, &sc); err != nil {
			return &PermanentError{fmt.Errorf("slack config: %w", err)}
		}
		body, _ := json.Marshal(map[string]string{"text": m.Text})
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		return s.post(ctx, sc.URL, h, body)
	case fleet.ChannelEmail:
		var e EmailConfig
		if err := json.Unmarshal(c.Config, &e); err != nil {
			return &PermanentError{fmt.Errorf("email config: %w", err)}
		}
		return s.mail(ctx, e, m)
	}
	return &PermanentError{fmt.Errorf("unknown channel type %q", c.Type)}
}

func (s *Sender) post(ctx context.Context, target string, h http.Header, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return &PermanentError{errors.New("bad channel URL")}
	}
	req.Header = h
	res, err := s.HTTP.Do(req)
	if err != nil {
		// The URL may hold a secret (Slack): report the failure without it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("POST to the channel: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode == http.StatusRequestTimeout || res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return fmt.Errorf("channel answered %d", res.StatusCode)
	default:
		return &PermanentError{fmt.Errorf("channel answered %d", res.StatusCode)}
	}
}

func (s *Sender) mail(ctx context.Context, e EmailConfig, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(e.From); err != nil {
		return &PermanentError{err}
	}
	if err := msg.To(e.To...); err != nil {
		return &PermanentError{err}
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	opts := []gomail.Option{gomail.WithTimeout(s.SMTPTimeout)}
	switch e.TLS {
	case "", "starttls":
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSMandatory))
	case "tls":
		opts = append(opts, gomail.WithSSLPort(false))
	case "opportunistic":
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSOpportunistic))
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if e.Port != 0 {
		opts = append(opts, gomail.WithPort(e.Port))
	}
	if e.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(e.Username), gomail.WithPassword(e.Password))
	}
	cl, err := gomail.NewClient(e.Host, opts...)
	if err != nil {
		return &PermanentError{fmt.Errorf("smtp client: %w", err)}
	}
	if err := cl.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	return nil
}
