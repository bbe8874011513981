package tracing_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/oncefleet/oncefleet/internal/apptest"
	"github.com/oncefleet/oncefleet/internal/config"
	"github.com/oncefleet/oncefleet/internal/fleet"
)

// collector is an OTLP/HTTP receiver started in the test.
type collector struct {
	mu    sync.Mutex
	spans map[string][]string // trace id (hex) → span names
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				id := string(sp.TraceId)
				c.spans[id] = append(c.spans[id], sp.Name)
			}
		}
	}
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(nil)
}

func TestOneTraceAcrossAPIUpstreamAndDatabase(t *testing.T) {
	col := &collector{spans: map[string][]string{}}
	srv := httptest.NewServer(col)
	defer srv.Close()
	e := apptest.Start(t, apptest.Options{Backend: apptest.Postgres, Configure: func(c *config.Config) { c.OTLPEndpoint = srv.URL }})
	res := e.Do(apptest.Request{Method: http.MethodGet, Path: "/api/v1/sims/8988280666000000001?fresh=true", Role: fleet.RoleViewer})
	if res.Status != 200 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	e.Stop() // flushes the exporter
	col.mu.Lock()
	defer col.mu.Unlock()
	for _, names := range col.spans {
		joined := strings.Join(names, "|")
		if strings.Contains(joined, "GET /api/v1/sims/{iccid}") && strings.Contains(joined, "1nce GET") && strings.Contains(joined, "SELECT") {
			return
		}
	}
	t.Fatalf("no trace holds the request, the 1NCE call and a query: %v", col.spans)
}
