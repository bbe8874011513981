package spectest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestOperationsInScope(t *testing.T) {
	c := Load(t)
	count := map[Spec]int{}
	for _, op := range c.Operations() {
		count[op.Spec]++
	}
	want := map[Spec]int{Auth: 1, SimV1: 23, SimV2: 13, Orders: 3, Products: 1, Support: 2}
	for s, n := range want {
		if count[s] != n {
			t.Errorf("%s: %d operations, want %d", s, count[s], n)
		}
	}
}

func TestValidateRequest(t *testing.T) {
	c := Load(t)
	tests := []struct {
		name, method, target, body, auth string
		wantOp                           string
		wantErr                          bool
	}{
		{"v1 list", "GET", "/management-api/v1/sims?page=1&pageSize=10", "", "Bearer x", "GET /v1/sims", false},
		{"v2 list", "GET", "/management-api/v2/sims", "", "Bearer x", "GET /v2/sims", false},
		{"token", "POST", "/management-api/oauth/token", `{"grant_type":"client_credentials"}`, "Basic eDp5", "POST /oauth/token", false},
		{"token without basic", "POST", "/management-api/oauth/token", `{"grant_type":"client_credentials"}`, "", "POST /oauth/token", true},
		{"bearer missing", "GET", "/management-api/v1/sims", "", "", "GET /v1/sims", true},
		{"unknown path", "GET", "/management-api/v9/nothing", "", "Bearer x", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			op, err := c.ValidateRequest(context.Background(), req, "/management-api")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if op.Key() != tt.wantOp && tt.wantOp != "" {
				t.Errorf("op = %q, want %q", op.Key(), tt.wantOp)
			}
		})
	}
}

func TestValidateResponse(t *testing.T) {
	c := Load(t)
	req := httptest.NewRequest("POST", "/oauth/token", nil)
	good := `{"status_code":200,"access_token":"abc","token_type":"bearer","expires_in":3600,"userId":"u","scope":"all"}`
	h := http.Header{"Content-Type": {"application/json"}}
	if err := c.ValidateResponse(context.Background(), req, "", 200, h, []byte(good)); err != nil {
		t.Errorf("valid token response rejected: %v", err)
	}
	if err := c.ValidateResponse(context.Background(), req, "", 200, h, []byte(`{"expires_in":"soon"}`)); err == nil {
		t.Error("invalid token response accepted")
	}
	if err := c.ValidateResponse(context.Background(), req, "", 429, http.Header{}, nil); err != nil {
		t.Errorf("429 should be accepted on any path: %v", err)
	}
}

func TestUndocumented400(t *testing.T) {
	c := Load(t)
	req := httptest.NewRequest("GET", "/v2/sims?pageSize=500", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	if err := c.ValidateResponse(context.Background(), req, "", 400, h, []byte(`{"statusCode":400,"errorCode":"BadRequest","message":"pageSize must be at most 100"}`)); err != nil {
		t.Errorf("1NCE-shaped undocumented 400 rejected: %v", err)
	}
	if err := c.ValidateResponse(context.Background(), req, "", 400, h, []byte(`<html>bad</html>`)); err == nil {
		t.Error("undocumented 400 with a non-1NCE body accepted")
	}
}

func TestRequired(t *testing.T) {
	for _, tc := range []struct {
		ci, dir string
		want    bool
	}{
		{"", "", false},
		{"false", "", false},
		{"true", "", true},
		{"1", "", true},
		{"", "/somewhere", true},
	} {
		t.Setenv("CI", tc.ci)
		t.Setenv(EnvDir, tc.dir)
		if got := Required(); got != tc.want {
			t.Errorf("CI=%q %s=%q: Required() = %v, want %v", tc.ci, EnvDir, tc.dir, got, tc.want)
		}
	}
}

func TestMissingFilesAreErrMissing(t *testing.T) {
	if err := checkDir(t.TempDir()); !errors.Is(err, ErrMissing) {
		t.Errorf("checkDir(empty) = %v, want ErrMissing", err)
	}
}

// TestNilContractValidatesNothing pins what Optional's nil result promises: the handler runs
// unwrapped and nothing is reported.
func TestNilContractValidatesNothing(t *testing.T) {
	var c *Contract
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	rec := httptest.NewRecorder()
	c.Middleware(t, "", next).ServeHTTP(rec, httptest.NewRequest("GET", "/v9/nothing", nil))
	if rec.Code != http.StatusTeapot {
		t.Errorf("status = %d, want the handler's 418", rec.Code)
	}
	req := httptest.NewRequest("GET", "/v9/nothing", nil)
	if _, err := c.ValidateRequest(context.Background(), req, ""); err != nil {
		t.Errorf("ValidateRequest: %v", err)
	}
	if err := c.ValidateResponse(context.Background(), req, "", 200, http.Header{}, nil); err != nil {
		t.Errorf("ValidateResponse: %v", err)
	}
}
