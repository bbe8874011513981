package health

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLocalURL(t *testing.T) {
	for addr, want := range map[string]string{
		"0.0.0.0:8080":   "http://127.0.0.1:8080/health/live",
		"[::]:8080":      "http://127.0.0.1:8080/health/live",
		":9000":          "http://127.0.0.1:9000/health/live",
		"127.0.0.1:8080": "http://127.0.0.1:8080/health/live",
		"[::1]:8080":     "http://[::1]:8080/health/live",
		"api.local:80":   "http://api.local:80/health/live",
	} {
		got, err := LocalURL(addr, "/health/live")
		if err != nil || got != want {
			t.Errorf("LocalURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := LocalURL("no-port", "/"); err == nil {
		t.Error("LocalURL accepted an address without a port")
	}
}

func TestProbe(t *testing.T) {
	dbErr := error(nil)
	h := New("test", 0, map[string]Pinger{"database": PingFunc(func(context.Context) error { return dbErr })})
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := t.Context()
	if err := Probe(ctx, srv.Client(), srv.URL+"/health/ready"); err != nil {
		t.Errorf("healthy server: %v", err)
	}
	dbErr = errors.New("connection refused")
	err := Probe(ctx, srv.Client(), srv.URL+"/health/ready")
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "database") {
		t.Errorf("failing dependency: %v, want the 503 naming database", err)
	}
	srv.Close()
	if err := Probe(ctx, srv.Client(), srv.URL+"/health/live"); err == nil {
		t.Error("a stopped server passed the probe")
	}
}
