package once

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
)

// redacted replaces every secret the client would otherwise log.
const redacted = "[REDACTED]"

// sensitiveHeaders never reach a log with their value.
var sensitiveHeaders = map[string]bool{
	"Authorization":       true,
	"Proxy-Authorization": true,
	"Cookie":              true,
	"Set-Cookie":          true,
}

// sensitiveKeys are JSON keys whose values are redacted in logged bodies, compared
// case-insensitively: credentials and tokens, SMS content (payload, udh) and support ticket
// text, which are the customer's data.
var sensitiveKeys = map[string]bool{
	"payload":       true,
	"udh":           true,
	"text":          true,
	"access_token":  true,
	"refresh_token": true,
	"id_token":      true,
	"token":         true,
	"client_secret": true,
	"password":      true,
	"secret":        true,
	"authorization": true,
}

// maxLoggedBody bounds a logged body so a bulk request cannot flood the log.
const maxLoggedBody = 2048

// redactHeader returns h as a log attribute value with sensitive headers redacted.
func redactHeader(h http.Header) slog.Value {
	attrs := make([]slog.Attr, 0, len(h))
	for k, vs := range h {
		v := strings.Join(vs, ", ")
		if sensitiveHeaders[http.CanonicalHeaderKey(k)] {
			v = redacted
		}
		attrs = append(attrs, slog.String(k, v))
	}
	return slog.GroupValue(attrs...)
}

// redactJSON returns body with the values of sensitive keys replaced, compacted and truncated
// for logging. A body that is not JSON is not logged at all (it could be anything); the
// result then only says how long it was.
func redactJSON(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || dec.More() {
		return "[non-JSON body omitted]"
	}
	v = redactValue(v)
	out, err := json.Marshal(v)
	if err != nil {
		return "[unloggable body omitted]"
	}
	if len(out) > maxLoggedBody {
		return string(out[:maxLoggedBody]) + "…[truncated]"
	}
	return string(out)
}

func redactValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if sensitiveKeys[strings.ToLower(k)] {
				t[k] = redacted
				continue
			}
			t[k] = redactValue(x)
		}
	case []any:
		for i, x := range t {
			t[i] = redactValue(x)
		}
	}
	return v
}
