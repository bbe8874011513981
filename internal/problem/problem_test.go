package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

func TestError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantDetail string
	}{
		{"not found", fmt.Errorf("get: %w", fleet.Errorf(fleet.CodeNotFound, "sim 1 not found")), 404, "not_found", "sim 1 not found"},
		{"invalid field", fleet.Invalid("iccid", "must be 19-20 digits"), 400, "invalid", "must be 19-20 digits"},
		{"internal hides cause", errors.New("dial tcp 10.0.0.1: password=x"), 500, "internal", "internal error"},
		{"upstream", fleet.Errorf(fleet.CodeUpstream, "1NCE failed"), 502, "upstream_error", "1NCE failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.Header().Set("X-Request-Id", "req-1")
			Error(rec, tt.err)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if ct := rec.Header().Get("Content-Type"); ct != ContentType {
				t.Errorf("content type = %q", ct)
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Code != tt.wantCode || p.Detail != tt.wantDetail || p.RequestID != "req-1" || p.Status != tt.wantStatus {
				t.Errorf("problem = %+v", p)
			}
		})
	}
	if Status(fleet.CodeTooLarge) != http.StatusRequestEntityTooLarge {
		t.Error("too_large must be 413")
	}
}
