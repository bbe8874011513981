// Package once is a Go client for the 1NCE Management API: OAuth, SIM management (v2 first,
// v1 where v2 has no operation), orders, products and support.
//
// PLACEHOLDER TRANSPORT: the SDK-core work replaces this file with the production transport
// (token cache, shared budget, retries, breaker, typed errors). The do signature in seam.go
// stays.
package once

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultBaseURL is 1NCE's production Management API.
const DefaultBaseURL = "https://api.1nce.com/management-api"

// Client calls the 1NCE Management API. It is safe for concurrent use.
type Client struct {
	baseURL      string
	clientID     string
	clientSecret string
	http         *http.Client

	mu    sync.Mutex
	token string
	exp   time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithBaseURL sets the API base URL (default DefaultBaseURL).
func WithBaseURL(u string) Option { return func(c *Client) { c.baseURL = strings.TrimSuffix(u, "/") } }

// WithHTTPClient sets the HTTP client used for every call.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// New returns a client authenticating with the given API client credentials.
func New(clientID, clientSecret string, opts ...Option) (*Client, error) {
	c := &Client{baseURL: DefaultBaseURL, clientID: clientID, clientSecret: clientSecret, http: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

func (c *Client) bearer(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Now().Before(c.exp) {
		return c.token, nil
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+"/oauth/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
	req.SetBasicAuth(c.clientID, c.clientSecret)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("once: token: %w", err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if res.StatusCode != 200 {
		return "", fmt.Errorf("once: token: status %d", res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil {
		return "", fmt.Errorf("once: token: %w", err)
	}
	c.token, c.exp = tok.AccessToken, time.Now().Add(time.Duration(tok.ExpiresIn)*time.Second-10*time.Minute)
	return c.token, nil
}

func (c *Client) do(ctx context.Context, r *request, out any) (*response, error) {
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("once: %s: encode: %w", r.op, err)
		}
		body = bytes.NewReader(b)
	}
	u := c.baseURL + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("once: %s: %w", r.op, err)
	}
	tok, err := c.bearer(ctx)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("once: %s: %w", r.op, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("once: %s: read: %w", r.op, err)
	}
	if res.StatusCode >= 300 {
		return &response{status: res.StatusCode, header: res.Header}, fmt.Errorf("once: %s: status %d", r.op, res.StatusCode)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("once: %s: decode: %w", r.op, err)
		}
	}
	return &response{status: res.StatusCode, header: res.Header}, nil
}
