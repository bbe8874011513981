package app

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/oncefleet/oncefleet/internal/oncemetrics"
	"github.com/oncefleet/oncefleet/once"
	"github.com/oncefleet/oncefleet/once/onceredis"
)

// openOnce builds the process's one 1NCE client from the ONCEFLEET_ONCE_* settings: with
// Redis configured, every replica shares its token and request budget through it. Without
// client credentials the server runs without 1NCE (the mirror, streamer and local features
// work; calls that need 1NCE answer 503) and a.once stays nil.
func (a *App) openOnce() error {
	if a.cfg.OnceClientID == "" {
		a.log.Warn("no 1NCE client credentials configured (ONCEFLEET_ONCE_CLIENT_ID): calls to 1NCE are disabled")
		return nil
	}
	metrics, err := oncemetrics.New(a.registry)
	if err != nil {
		return fmt.Errorf("1NCE client metrics: %w", err)
	}
	// config.Resolve has checked the base URL; the client names its breaker by this host.
	if u, err := url.Parse(a.cfg.OnceBaseURL); err == nil {
		metrics.WatchHost(u.Host)
	}
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return fmt.Errorf("1NCE client: http.DefaultTransport was replaced")
	}
	tr := t.Clone()
	// Background sync fetches pages in parallel; keep those connections warm.
	tr.MaxIdleConnsPerHost = 32
	burst := once.DefaultBurst
	if r := int(a.cfg.OnceRateValue / 2); r < burst {
		burst = max(r, 1)
	}
	opts := []once.Option{
		once.WithBaseURL(a.cfg.OnceBaseURL),
		once.WithAPI(once.APIMode(a.cfg.OnceAPI)),
		once.WithRate(a.cfg.OnceRateValue, burst),
		once.WithHTTPClient(&http.Client{Transport: a.tracing.Transport(tr)}),
		once.WithHooks(a.observeUpstream(a.upstreamHealth.wrap(metrics.Hooks()))),
		once.WithLogger(a.log.With("component", "once")),
		once.WithTimeout(30 * time.Second),
	}
	if a.redis != nil {
		opts = append(opts,
			once.WithTokenStore(onceredis.NewTokenStore(a.redis, a.cfg.RedisPrefix+"once:")),
			once.WithBudget(onceredis.NewBudgetStore(a.redis, a.cfg.RedisPrefix+"once:")))
	}
	c, err := once.New(a.cfg.OnceClientID, a.cfg.OnceClientSecret.Reveal(), opts...)
	if err != nil {
		return fmt.Errorf("1NCE client: %w", err)
	}
	a.once = c
	return nil
}
