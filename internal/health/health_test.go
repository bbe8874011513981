package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestEndpoints(t *testing.T) {
	dbErr := error(nil)
	h := New("test", 0, map[string]Pinger{
		"database": PingFunc(func(context.Context) error { return dbErr }),
		"cache":    PingFunc(func(context.Context) error { return nil }),
	})
	mux := http.NewServeMux()
	h.Register(mux)
	get := func(path string) (int, Report) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		var rep Report
		_ = json.Unmarshal(rec.Body.Bytes(), &rep)
		return rec.Code, rep
	}
	if code, _ := get("/health/live"); code != 200 {
		t.Errorf("live = %d", code)
	}
	code, rep := get("/health/ready")
	if code != 200 || rep.Status != "ok" || rep.Checks["database"] != "ok" {
		t.Errorf("ready = %d %+v", code, rep)
	}
	dbErr = errors.New("postgres: ping: connection refused")
	code, rep = get("/health/ready")
	if code != 503 || len(rep.Failed) != 1 || rep.Failed[0] != "database" || rep.Checks["cache"] != "ok" {
		t.Errorf("ready with db down = %d %+v", code, rep)
	}
	code, rep = get("/health")
	if code != 503 || rep.Version != "test" {
		t.Errorf("health = %d %+v", code, rep)
	}
}

func TestHungDependencyFailsWithinTimeout(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	h := New("test", 20*time.Millisecond, map[string]Pinger{
		// Ignores its context, like a driver stuck in a dial: the probe must still answer.
		"hung": PingFunc(func(context.Context) error { <-block; return nil }),
		// Answers "fine" only after the deadline: too slow counts as down.
		"late": PingFunc(func(ctx context.Context) error { <-ctx.Done(); return nil }),
		"db":   PingFunc(func(context.Context) error { return nil }),
	})
	rep := h.Check(context.Background())
	if rep.Status != "unavailable" || len(rep.Failed) != 2 || rep.Checks["db"] != "ok" {
		t.Fatalf("report = %+v, want hung and late failed, db ok", rep)
	}
	for _, name := range []string{"hung", "late"} {
		if !strings.HasPrefix(rep.Checks[name], "timeout") {
			t.Errorf("%s = %q, want a timeout", name, rep.Checks[name])
		}
	}
}

func TestAdvisoryChecksNeverFailReadiness(t *testing.T) {
	h := New("v", time.Second, map[string]Pinger{"database": PingFunc(func(context.Context) error { return nil })})
	h.Advise("1nce", PingFunc(func(context.Context) error { return errors.New("circuit open") }))
	rep := h.Check(context.Background())
	if rep.Status != "ok" || rep.Advisory["1nce"] != "circuit open" || len(rep.Failed) != 0 {
		t.Fatalf("report = %+v", rep)
	}
}
