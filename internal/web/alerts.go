package web

import "github.com/oncefleet/oncefleet/internal/bus"

// alertEvent turns an alert of the alert engine into a live event; none until alerts land.
func alertEvent(bus.Event) (name string, data any, ok bool) { return "", nil, false }
