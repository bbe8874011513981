package oncesim

import (
	"context"
	"net/http"
	"strings"
)

// wire assembles the handler: the fault injector around the API, the admin endpoint beside it
// (never faulted), and the Data Streamer emitter fed by the activity subscription.
func (s *Simulator) wire() error {
	fi := NewFaultInjector(s.opts.Faults, s.opts.Seed)
	if err := fi.Set(s.opts.Faults); err != nil {
		return err
	}
	fi.SetRevoker(s.RevokeTokens)
	s.faults = fi
	api := fi.Wrap(http.HandlerFunc(s.api))
	admin := AdminHandler(fi, s)
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_sim/") {
			admin.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
	if s.opts.Streamer != nil {
		em, err := NewEmitter(*s.opts.Streamer, s.opts.Seed)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := em.Run(ctx); err != nil {
				s.opts.Logger.Error("oncesim: Data Streamer emitter stopped", "err", err)
			}
		}()
		s.emitter = em
		s.stopEmitter = func() { cancel(); <-done }
		s.Subscribe(em.Publish)
	}
	return nil
}

// Faults returns the fault injector in front of the API, to change faults at run time (the
// admin endpoint /_sim/faults does the same over HTTP).
func (s *Simulator) Faults() *FaultInjector { return s.faults }

// Emitter returns the Data Streamer emitter, or nil when Options.Streamer was not set.
func (s *Simulator) Emitter() *Emitter { return s.emitter }
