package once

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestAPIErrorShapes(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		body       string
		code, msg  string
		isNotFound bool
	}{
		{"v1", 404, `{"statusCode":404,"errorCode":"SimNotFound","message":"SIM not found"}`, "SimNotFound", "SIM not found", true},
		{"v2", 500, `{"error_code":1000,"error_token":"InternalServerError","message":"boom"}`, "InternalServerError", "boom", false},
		{"v2 numeric only", 409, `{"error_code":1004,"message":"conflict"}`, "1004", "conflict", false},
		{"html", 502, `<html>Bad Gateway</html>`, "", "Bad Gateway", false},
		{"empty", 404, ``, "", "Not Found", true},
	}
	for _, tc := range cases {
		h := http.Header{}
		h.Set("X-Amzn-Requestid", "rid-1")
		e := newAPIError("v2.getSim", tc.status, h, []byte(tc.body))
		if e.Code != tc.code || e.Message != tc.msg || e.RequestID != "rid-1" || e.Status != tc.status || e.Op != "v2.getSim" {
			t.Errorf("%s: %+v", tc.name, e)
		}
		wrapped := fmt.Errorf("fleet sync: %w", e)
		if errors.Is(wrapped, ErrNotFound) != tc.isNotFound {
			t.Errorf("%s: Is(ErrNotFound) = %v", tc.name, !tc.isNotFound)
		}
		var ae *APIError
		if !errors.As(wrapped, &ae) {
			t.Errorf("%s: As failed", tc.name)
		}
	}
}

func TestTypedErrorsMatch(t *testing.T) {
	rl := fmt.Errorf("x: %w", &RateLimitError{RetryAfter: 3 * time.Second, API: &APIError{Op: "v2.getSims", Status: 429}})
	var got *RateLimitError
	var ae *APIError
	if !errors.As(rl, &got) || got.RetryAfter != 3*time.Second || !errors.As(rl, &ae) || ae.Status != 429 {
		t.Fatalf("rate limit error does not unwrap: %v", rl)
	}
	ue := fmt.Errorf("x: %w", &UnsupportedError{Op: "v1.getSimUsage", Gen: GenV1, Reason: "test"})
	if !errors.Is(ue, ErrUnsupported) || errors.Is(ue, ErrNotFound) {
		t.Fatal("UnsupportedError matching")
	}
	if !errors.Is(&APIError{Status: 401}, ErrAuth) || errors.Is(&APIError{Status: 500}, ErrAuth) {
		t.Fatal("401 should match ErrAuth")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		retryAfter, reset string
		want              time.Duration
		ok                bool
	}{
		{"3", "", 3 * time.Second, true},
		{" 0 ", "", 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), "", 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), "", 0, true},
		{"", "5", 5 * time.Second, true},
		{"", "2.5", 2500 * time.Millisecond, true},
		{"", fmt.Sprint(now.Add(7 * time.Second).Unix()), 7 * time.Second, true},
		{"", fmt.Sprint(now.Add(1500 * time.Millisecond).UnixMilli()), 1500 * time.Millisecond, true},
		{"soon", "", 0, false},
		{"-4", "", 0, false},
		{"", "NaN", 0, false},
		{"", "", 0, false},
		{"99999999999", "", maxRetryAfterHeader, true},
		{"2", "100", 2 * time.Second, true}, // Retry-After wins
	}
	for _, tc := range cases {
		h := http.Header{}
		if tc.retryAfter != "" {
			h.Set("Retry-After", tc.retryAfter)
		}
		if tc.reset != "" {
			h.Set("X-Rate-Limit-Reset", tc.reset)
		}
		got, ok := parseRetryAfter(h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Retry-After %q reset %q: got %s %v, want %s %v", tc.retryAfter, tc.reset, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	f.Add("3", "")
	f.Add("", "1764072000")
	f.Add("Wed, 25 Nov 2026 12:00:00 GMT", "1e308")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, retryAfter, reset string) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		h.Set("X-Rate-Limit-Reset", reset)
		d, ok := parseRetryAfter(h, now)
		if d < 0 || d > maxRetryAfterHeader {
			t.Fatalf("wait %s out of [0, %s]", d, maxRetryAfterHeader)
		}
		if !ok && d != 0 {
			t.Fatalf("not ok but wait %s", d)
		}
	})
}

func FuzzAPIError(f *testing.F) {
	f.Add(404, []byte(`{"statusCode":404,"errorCode":"SimNotFound","message":"SIM not found"}`))
	f.Add(500, []byte(`{"error_code":1000,"error_token":"InternalServerError","message":"boom"}`))
	f.Add(403, []byte(`{"message":"Missing Authentication Token"}`))
	f.Add(409, []byte(`{"error_code":"x"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := newAPIError("op", status, http.Header{}, body)
		if e.Status != status || e.Op != "op" {
			t.Fatalf("%+v", e)
		}
		_ = e.Error()
		if errors.Is(e, ErrNotFound) != (status == 404) {
			t.Fatal("ErrNotFound mismatch")
		}
	})
}
