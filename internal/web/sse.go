package web

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/oncefleet/oncefleet/internal/bus"
)

// liveEvent is one message of the event stream: its SSE event name and JSON data.
type liveEvent struct {
	Name string
	Data []byte
	// Job is the bulk job a "job" event is about (streams may watch one job).
	Job string
}

// clientQueue is how many events a slow browser may be behind before it misses some: live
// updates are hints (the page can always be reloaded), never a reason to block the bus.
const clientQueue = 64

// heartbeat keeps idle streams open through proxies that close silent connections.
const heartbeat = 25 * time.Second

// hub fans the bus's events out to the open event streams.
type hub struct {
	mu          sync.Mutex
	clients     map[*client]struct{}
	done        chan struct{}
	closed      bool
	unsubscribe func()
}

type client struct {
	ch  chan liveEvent
	job string // only this job's progress ("" every job)
}

func newHub() *hub { return &hub{clients: map[*client]struct{}{}, done: make(chan struct{})} }

// publish turns a bus event into a live event for the browsers (runs on the bus's goroutine).
func (h *hub) publish(_ context.Context, e bus.Event) {
	var ev liveEvent
	var v any
	switch e := e.(type) {
	case bus.BulkProgress:
		done := e.Succeeded + e.Failed
		v = map[string]any{"id": e.ID, "kind": e.JobKind, "state": e.State, "total": e.Total, "succeeded": e.Succeeded, "failed": e.Failed, "done": done}
		ev = liveEvent{Name: "job", Job: e.ID}
	case bus.SIMChanged:
		v = map[string]any{"iccid": e.ICCID, "field": e.Field, "old": e.Old, "new": e.New, "at": e.At}
		ev.Name = "sim"
	case bus.SIMEvent:
		m := map[string]any{"iccid": e.ICCID, "field": "event", "new": e.Type, "at": e.At, "description": e.Description}
		if e.Online != nil {
			m["online"] = *e.Online
		}
		v, ev.Name = m, "sim"
	case bus.ConnectivityLost:
		v, ev.Name = map[string]any{"iccid": e.ICCID, "field": "online", "new": "false", "at": e.At}, "sim"
	case bus.ConnectivityRestored:
		v, ev.Name = map[string]any{"iccid": e.ICCID, "field": "online", "new": "true", "at": e.At}, "sim"
	default:
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	ev.Data = data
	h.send(ev)
}

// send queues ev for every client that wants it, dropping it for clients that are behind.
func (h *hub) send(ev liveEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if c.job != "" && ev.Name == "job" && ev.Job != c.job {
			continue
		}
		select {
		case c.ch <- ev:
		default:
		}
	}
}

func (h *hub) add(job string) (*client, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false
	}
	c := &client{ch: make(chan liveEvent, clientQueue), job: job}
	h.clients[c] = struct{}{}
	return c, true
}

func (h *hub) remove(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
}

// count is the number of open streams.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// close ends every stream and refuses new ones.
func (h *hub) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.done)
	unsubscribe := h.unsubscribe
	h.mu.Unlock()
	// Outside the lock: the bus may be delivering to publish, which takes it.
	if unsubscribe != nil {
		unsubscribe()
	}
}

// stream is GET /events: Server-Sent Events for the signed-in browser until it leaves or
// the server shuts down. ?job=<id> limits job progress to one job.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, _ viewer) {
	job := r.URL.Query().Get("job")
	if len(job) > 64 {
		job = ""
	}
	c, ok := s.events.add(job)
	if !ok {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.events.remove(c)
	rc := http.NewResponseController(w)
	// The server's write timeout is for requests, not for a stream that lasts as long as a
	// page is open; each write below sets its own deadline instead.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// Tell the browser how long to wait before reconnecting, and that the stream is open.
	if !write([]byte("retry: 3000\n: open\n\n")) {
		return
	}
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.events.done:
			_ = write([]byte("event: bye\ndata: {}\n\n"))
			return
		case <-t.C:
			if !write([]byte(": ping\n\n")) {
				return
			}
		case ev := <-c.ch:
			msg := make([]byte, 0, len(ev.Data)+32)
			msg = append(msg, "event: "...)
			msg = append(msg, ev.Name...)
			msg = append(msg, "\ndata: "...)
			msg = append(msg, ev.Data...)
			msg = append(msg, "\n\n"...)
			if !write(msg) {
				return
			}
		}
	}
}
