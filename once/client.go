package once

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// DefaultBaseURL is 1NCE's production Management API.
const DefaultBaseURL = "https://api.1nce.com/management-api"

// Client calls the 1NCE Management API. It is safe for concurrent use and needs no Close: the
// only goroutine it starts, a shared token fetch, ends by itself (at most a minute after the
// callers waiting for it gave up).
type Client struct {
	baseURL      string
	clientID     string
	clientSecret string
	http         *http.Client
	mode         APIMode
	v1Gone       atomic.Bool // 1NCE showed the account has no v1 any more

	tokens   tokenCache
	budget   *budget // nil: budget off
	commerce *rate.Limiter
	breaker  *breakerT
	retry    RetryPolicy
	timeout  time.Duration
	hooks    Hooks
	log      *slog.Logger
	now      func() time.Time // injectable clock for token expiry and rate recovery
}

// New returns a client authenticating with the given API client credentials (1NCE portal →
// API access). It checks the options and makes no network call.
func New(clientID, clientSecret string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(clientID) == "" || clientSecret == "" {
		return nil, errors.New("once: New: client id and client secret are required")
	}
	cfg := config{
		baseURL: DefaultBaseURL,
		mode:    APIAuto,
		rate:    DefaultRate,
		burst:   DefaultBurst,
		retry:   DefaultRetryPolicy(),
		timeout: DefaultTimeout,
		breaker: DefaultBreakerSettings(),

		commerceN: DefaultCommerceLimit,
		commerceP: DefaultCommercePeriod,
		now:       time.Now,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("once: New: %w", err)
		}
	}
	base := strings.TrimSuffix(cfg.baseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("once: New: base URL %q must be an absolute http(s) URL without query", cfg.baseURL)
	}
	if cfg.httpClient == nil {
		t, ok := http.DefaultTransport.(*http.Transport)
		if !ok {
			return nil, errors.New("once: New: http.DefaultTransport was replaced; pass WithHTTPClient")
		}
		cfg.httpClient = &http.Client{Transport: t.Clone()}
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(discardHandler{})
	}
	if cfg.tokenStore == nil {
		cfg.tokenStore = newMemoryTokenStore()
	}
	c := &Client{
		baseURL:      base,
		clientID:     clientID,
		clientSecret: clientSecret,
		http:         cfg.httpClient,
		mode:         cfg.mode,
		retry:        cfg.retry,
		timeout:      cfg.timeout,
		hooks:        cfg.hooks,
		log:          cfg.logger,
		now:          cfg.now,
		commerce:     rate.NewLimiter(rate.Every(cfg.commerceP/time.Duration(cfg.commerceN)), cfg.commerceN),
	}
	key := accountKey(base, clientID)
	c.tokens = tokenCache{key: "token:" + key, store: cfg.tokenStore}
	c.breaker = newBreaker(u.Host, cfg.breaker, &c.hooks)
	if cfg.budgetStore == nil {
		cfg.budgetStore = newMemoryBudget()
	}
	if cfg.rate > 0 && cfg.burst > 0 {
		c.budget = &budget{
			store:    cfg.budgetStore,
			fallback: newMemoryBudget(),
			key:      "budget:" + key,
			rate:     cfg.rate,
			burst:    cfg.burst,
			now:      func() time.Time { return c.now() },
			log:      c.log,
			factor:   1,
		}
	}
	return c, nil
}

// prefer returns the generation to use for operations both generations have.
//
// A client in mode v1 whose account 1NCE has retired from v1 does not fail for the rest of its
// life: from the answer that showed it on, the operations that v2 also has go to v2, and only
// the v1-only ones fail with ErrUnsupported (without a request).
func (c *Client) prefer() Generation {
	if c.mode == APIV1 && !c.v1Gone.Load() {
		return GenV1
	}
	return GenV2
}

// V1Available reports whether the client still sends v1 calls: false in mode v2 and once 1NCE
// answered that the account has no v1 any more.
func (c *Client) V1Available() bool { return c.mode != APIV2 && !c.v1Gone.Load() }

// do runs one call of one operation (the seam of seam.go).
func (c *Client) do(ctx context.Context, r *request, out any) (*response, error) {
	if r.gen == GenV1 {
		switch {
		case c.mode == APIV2:
			return nil, &UnsupportedError{Op: r.op, Gen: GenV1, Reason: "client configured for API v2 only"}
		case c.v1Gone.Load():
			return nil, &UnsupportedError{Op: r.op, Gen: GenV1, Reason: "1NCE showed the account has no v1"}
		}
	}
	return c.call(ctx, r, out)
}

// discardHandler drops every record before it is built (Go 1.23 has no slog.DiscardHandler; a
// text handler on io.Discard would still format each record only to throw it away).
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
