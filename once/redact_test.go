package once

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestRedactJSON(t *testing.T) {
	cases := map[string]string{
		`{"source_address":"1234","payload":"meet me at 5","udh":"0500","dcs":0}`: `{"dcs":0,"payload":"[REDACTED]","source_address":"1234","udh":"[REDACTED]"}`,
		`{"items":[{"Access_Token":"abc"},{"password":"p","n":1.50}]}`:            `{"items":[{"Access_Token":"[REDACTED]"},{"n":1.50,"password":"[REDACTED]"}]}`,
		`{"grant_type":"client_credentials"}`:                                     `{"grant_type":"client_credentials"}`,
		`[1,2]`:                                                                   `[1,2]`,
		`not json payload=secret`:                                                 `[non-JSON body omitted]`,
		`{"a":1} {"payload":"x"}`:                                                 `[non-JSON body omitted]`,
		``:                                                                        ``,
		`{"nested":{"payload":{"deep":"text"}},"message":"ticket text stays for support"}`: `{"message":"ticket text stays for support","nested":{"payload":"[REDACTED]"}}`,
	}
	for in, want := range cases {
		if got := redactJSON([]byte(in)); got != want {
			t.Errorf("redactJSON(%s) = %s, want %s", in, got, want)
		}
	}
	long := `{"list":"` + strings.Repeat("x", 5000) + `"}`
	if got := redactJSON([]byte(long)); len(got) > maxLoggedBody+20 || !strings.HasSuffix(got, "[truncated]") {
		t.Errorf("long body not truncated: %d bytes", len(got))
	}
}

func TestRedactHeader(t *testing.T) {
	h := http.Header{}
	h.Set("Authorization", "Bearer tok-secret")
	h.Set("Accept", "application/json")
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", slog.Any("h", redactHeader(h)))
	out := buf.String()
	if strings.Contains(out, "tok-secret") || !strings.Contains(out, redacted) || !strings.Contains(out, "application/json") {
		t.Fatal(out)
	}
}

// FuzzRedactJSON: a value under a sensitive key never survives redaction, whatever surrounds
// it, and redaction never panics.
func FuzzRedactJSON(f *testing.F) {
	f.Add(`{"payload":"hello"}`, "payload", "SMS-TEXT-123")
	f.Add(`[{"a":{"b":[1,2,{"c":null}]}}]`, "client_secret", "s3cr3t")
	f.Add(`"just a string"`, "token", "tkn")
	f.Fuzz(func(t *testing.T, doc, key, secret string) {
		_ = redactJSON([]byte(doc))
		if !sensitiveKeys[strings.ToLower(key)] || len(secret) < 4 {
			return
		}
		var base any
		if json.Unmarshal([]byte(doc), &base) != nil {
			base = nil
		}
		wrapped, err := json.Marshal(map[string]any{"doc": base, "inner": map[string]any{key: secret}})
		if err != nil {
			return
		}
		enc, _ := json.Marshal(secret)
		encoded := strings.Trim(string(enc), `"`)
		if strings.Contains(string(doc), encoded) || strings.Contains(key, encoded) || strings.Contains(redacted, encoded) {
			return // the secret also appears outside the sensitive value
		}
		if got := redactJSON(wrapped); strings.Contains(got, encoded) {
			t.Fatalf("secret %q survived: %s", secret, got)
		}
	})
}

func TestLogsAreRedacted(t *testing.T) {
	const smsText = "Your door code is 4711-SECRET"
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusInternalServerError) // a failure logs at warn, with details
			return
		}
		okJSON(w, r)
	})
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newTestClient(t, f, WithLogger(logger))
	if _, err := c.do(testContext(t), getSims(), nil); err != nil {
		t.Fatal(err)
	}
	sms := &request{op: "v1.createSms", gen: GenV1, method: http.MethodPost, path: "/v1/sims/8988228066600000001/sms", unsafe: true,
		body: map[string]any{"source_address": "1234", "payload": smsText}}
	if _, err := c.do(testContext(t), sms, nil); err == nil {
		t.Fatal("want 500")
	}
	out := buf.String()
	basic := base64.StdEncoding.EncodeToString([]byte(testID + ":" + testSecret))
	for _, secret := range []string{testSecret, basic, "tok-1", "4711-SECRET", "door code"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	// The log is useful: it names the operations and shows that headers were redacted.
	for _, want := range []string{`"op":"oauth.token"`, `"op":"v2.getSims"`, `"op":"v1.createSms"`, `"status":500`, `"Authorization":"[REDACTED]"`, `"payload\":\"[REDACTED]\"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}
