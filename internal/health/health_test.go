package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestEndpoints(t *testing.T) {
	dbErr := error(nil)
	h := New("test", 0, map[string]Pinger{
		"database": PingFunc(func(context.Context) error { return dbErr }),
		"cache":    PingFunc(func(context.Context) error { return nil }),
		"slow": PingFunc(func(ctx context.Context) error {
			<-ctx.Done() // a hung dependency must not hang the probe: the timeout ends it
			return nil
		}),
	})
	h.timeout = 1 // nanosecond: the slow check's context is already done
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
