package web

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/bus"
	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/store/sqlite"
)

// waitFor polls cond until it holds; the deadline only stops a hung test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// streamServer serves the event stream of s and counts the handlers still running.
func streamServer(t *testing.T, s *Server) (*httptest.Server, *sync.WaitGroup) {
	var running sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		running.Add(1)
		defer running.Done()
		s.stream(w, r, viewer{})
	}))
	t.Cleanup(srv.Close)
	return srv, &running
}

func readEvent(t *testing.T, r *bufio.Reader) (name, data string) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read stream: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "" && name != "":
			return name, data
		}
	}
}

func TestStreamDeliversAndEndsOnDisconnect(t *testing.T) {
	s := &Server{events: newHub()}
	srv, running := streamServer(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events?job=j1", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	waitFor(t, "the stream to register", func() bool { return s.events.count() == 1 })
	r := bufio.NewReader(res.Body)
	// Another job's progress is not for this stream; a SIM change is for everyone.
	s.events.publish(context.Background(), bus.BulkProgress{ID: "other", State: "running", Total: 2})
	s.events.publish(context.Background(), bus.SIMChanged{ICCID: "8988", Field: "status", Old: "Enabled", New: "Disabled"})
	s.events.publish(context.Background(), bus.BulkProgress{ID: "j1", State: "done", Total: 2, Succeeded: 1, Failed: 1})
	for _, want := range []struct{ name, contains string }{{"sim", `"new":"Disabled"`}, {"job", `"id":"j1"`}} {
		name, data := readEvent(t, r)
		if name != want.name || !strings.Contains(data, want.contains) {
			t.Fatalf("event %s %s, want %s containing %s", name, data, want.name, want.contains)
		}
	}
	cancel()
	// The handler notices the client left and unregisters: no goroutine stays behind.
	waitFor(t, "the handler to end", func() bool { return s.events.count() == 0 })
	running.Wait()
}

func TestStreamEndsOnShutdown(t *testing.T) {
	s := &Server{events: newHub()}
	srv, running := streamServer(t, s)
	var bodies []*http.Response
	for range 3 {
		res, err := http.Get(srv.URL + "/events")
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, res)
	}
	waitFor(t, "three streams", func() bool { return s.events.count() == 3 })
	s.Shutdown()
	for _, res := range bodies {
		name, _ := readEvent(t, bufio.NewReader(res.Body))
		if name != "bye" {
			t.Fatalf("last event %q, want bye", name)
		}
		res.Body.Close()
	}
	done := make(chan struct{})
	go func() { running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("stream handlers still running after Shutdown")
	}
	// After shutdown, new streams are refused rather than left open.
	res, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("stream after shutdown: %d", res.StatusCode)
	}
	s.Shutdown() // idempotent
}

func TestSlowClientDoesNotBlockPublish(t *testing.T) {
	h := newHub()
	c, _ := h.add("")
	// Nobody reads c: publishing far past its queue must neither block nor grow it.
	for i := range clientQueue * 4 {
		h.publish(context.Background(), bus.BulkProgress{ID: "j", Succeeded: i})
	}
	if len(c.ch) != clientQueue {
		t.Fatalf("queue holds %d, want %d", len(c.ch), clientQueue)
	}
	h.remove(c)
	h.close()
}

// Alerts raised while no browser listened are no news once one does: the page it loads counts
// them already. Alerts fired after it opened are, in order, even before the next look.
func TestPollAlertsAnnouncesOnlyWhatFiredWhileWatched(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "web.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	raise := func(iccid string) int64 {
		a := &fleet.Alert{Kind: fleet.AlertStatusChanged, ICCID: iccid, DedupKey: "test:" + iccid, Message: "changed"}
		if _, err := st.InsertAlert(ctx, a, 0); err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	s := &Server{events: newHub(), cfg: Config{Store: st}, log: slog.New(slog.DiscardHandler)}
	raise("8988280666000000001")
	s.pollAlerts(ctx) // nobody listens
	raise("8988280666000000002")
	s.pollAlerts(ctx)

	srv, _ := streamServer(t, s)
	res, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	waitFor(t, "the stream to register", func() bool { return s.events.count() == 1 })
	id := raise("8988280666000000003") // fired after the page opened, before the next look: news
	s.pollAlerts(ctx)
	id2 := raise("8988280666000000004")
	s.pollAlerts(ctx)
	rd := bufio.NewReader(res.Body)
	for _, want := range []int64{id, id2} {
		name, data := readEvent(t, rd)
		if name != "alert" || !strings.Contains(data, fmt.Sprintf(`"id":%d`, want)) {
			t.Fatalf("event %s %s, want the alert %d (and none from before the page opened)", name, data, want)
		}
	}
}
