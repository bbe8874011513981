package app

import (
	"net/http"
	"time"

	"github.com/oncefleet/oncefleet/internal/alerts"
	"github.com/oncefleet/oncefleet/once"
)

// openAlerts builds the alert engine before the 1NCE client (which reports its answers to the
// engine for the 1NCE error-rate rules); buildControl gives it the control plane for the rules'
// actions and subscribes it to the bus.
func (a *App) openAlerts() error {
	as := a.cfg.AlertSettings
	e, err := alerts.New(alerts.Options{Store: a.store, Logger: a.log.With("component", "alerts"), Registerer: a.registry,
		DeliveryRetention: a.cfg.JobSettings.RetentionAlerts,
		GroupQuiet:        as.GroupWindow, GroupMax: as.GroupMax, Attempts: as.Attempts, Backoff: as.RetryBackoff, MaxBackoff: as.RetryMaxBackoff,
		Sender: &alerts.Sender{HTTP: &http.Client{Timeout: as.SendTimeout}, Now: time.Now, SMTPTimeout: as.SendTimeout}})
	if err != nil {
		return err
	}
	a.alerts = e
	return nil
}

// startAlerts connects the engine to the control plane and the bus and runs it.
func (a *App) startAlerts() {
	a.alerts.SetActions(a.control)
	unsubscribe := a.bus.Subscribe(a.alerts.OnEvent)
	a.closers = append(a.closers, func() error { unsubscribe(); return nil })
	a.background = append(a.background, a.alerts.Run)
}

// observeUpstream adds the engine's count of 1NCE answers to the client's hooks.
func (a *App) observeUpstream(h once.Hooks) once.Hooks {
	next := h.Request
	h.Request = func(ri once.RequestInfo) {
		if next != nil {
			next(ri)
		}
		if a.alerts != nil {
			a.alerts.ObserveUpstream(ri)
		}
	}
	return h
}
