package streamer

import (
	"context"
	"log/slog"
	"time"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// HealthStore reads per-stream health (postgres.Store and sqlite.Store).
type HealthStore interface {
	StreamHealth(ctx context.Context) ([]record.StreamHealth, error)
}

// MonitorConfig configures a Monitor.
type MonitorConfig struct {
	Store HealthStore
	Bus   Publisher
	// SilentAfter is how long a stream type may receive nothing before it counts as silent
	// (default 30 minutes: usage records come at least every 15 minutes per active session).
	SilentAfter time.Duration
	// Every is how often health is checked (default one tenth of SilentAfter, at least 1s).
	Every   time.Duration
	Metrics *Metrics
	Logger  *slog.Logger
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

// Monitor raises bus.StreamSilent when a stream type that has delivered before gets nothing
// for SilentAfter, and bus.StreamResumed when it delivers again. It reads the shared health
// table, so every replica judges the whole deployment's traffic; each replica's monitor
// publishes on its own in-process bus.
type Monitor struct {
	cfg    MonitorConfig
	silent map[record.Stream]bool
}

// NewMonitor returns a monitor; call Run, or Check from a scheduler.
func NewMonitor(cfg MonitorConfig) *Monitor {
	if cfg.SilentAfter <= 0 {
		cfg.SilentAfter = 30 * time.Minute
	}
	if cfg.Every <= 0 {
		cfg.Every = max(cfg.SilentAfter/10, time.Second)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Monitor{cfg: cfg, silent: map[record.Stream]bool{}}
}

// Run checks every cfg.Every until ctx ends and returns ctx's error.
func (m *Monitor) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.Every)
	defer t.Stop()
	for {
		if err := m.Check(ctx); err != nil && ctx.Err() == nil {
			m.cfg.Logger.ErrorContext(ctx, "streamer: check stream health", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Check reads stream health once and publishes the transitions into and out of silence. It is
// not safe for concurrent use with itself.
func (m *Monitor) Check(ctx context.Context) error {
	hs, err := m.cfg.Store.StreamHealth(ctx)
	if err != nil {
		return err
	}
	now := m.cfg.Now()
	for _, h := range hs {
		quiet := now.Sub(h.LastReceivedAt) >= m.cfg.SilentAfter
		if mt := m.cfg.Metrics; mt != nil {
			v := 0.0
			if quiet {
				v = 1
			}
			mt.silent.WithLabelValues(string(h.Stream)).Set(v)
			mt.lastRecord.WithLabelValues(string(h.Stream)).Set(float64(h.LastReceivedAt.UnixNano()) / 1e9)
		}
		switch {
		case quiet && !m.silent[h.Stream]:
			m.silent[h.Stream] = true
			m.cfg.Logger.WarnContext(ctx, "streamer: stream silent", "stream", h.Stream, "last_received_at", h.LastReceivedAt)
			if m.cfg.Bus != nil {
				m.cfg.Bus.Publish(ctx, bus.StreamSilent{Stream: string(h.Stream), LastReceivedAt: h.LastReceivedAt, Silence: now.Sub(h.LastReceivedAt)})
			}
		case !quiet && m.silent[h.Stream]:
			m.silent[h.Stream] = false
			m.cfg.Logger.InfoContext(ctx, "streamer: stream resumed", "stream", h.Stream)
			if m.cfg.Bus != nil {
				m.cfg.Bus.Publish(ctx, bus.StreamResumed{Stream: string(h.Stream), LastReceivedAt: h.LastReceivedAt})
			}
		}
	}
	return nil
}
