package httpmw

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// AccessLog logs one line per request: method, route pattern, status, duration, bytes and
// request id. It logs neither the raw path, the query nor any header: those can carry API
// keys, tokens and personal data. Server errors are logged at Error, the rest at Info.
func AccessLog(logger *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st, r := stateOf(r)
			rec := recorderFor(w)
			start := time.Now()
			defer func() {
				st.capture(r)
				status := rec.statusCode()
				level := slog.LevelInfo
				if status >= 500 {
					level = slog.LevelError
				}
				logger.LogAttrs(r.Context(), level, "http request",
					slog.String("method", methodLabel(r.Method)),
					slog.String("route", st.routeLabel()),
					slog.Int("status", status),
					slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
					slog.Int64("bytes", rec.bytes),
					slog.String("request_id", st.requestID),
				)
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// LogHandler wraps h so that every record logged with a request's context carries its
// request_id: a handler's own log lines correlate with the access log line.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		has := false
		r.Attrs(func(a slog.Attr) bool {
			has = a.Key == "request_id"
			return !has
		})
		if !has {
			r.AddAttrs(slog.String("request_id", id))
		}
	}
	return l.Handler.Handle(ctx, r)
}

func (l logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(attrs)}
}

func (l logHandler) WithGroup(name string) slog.Handler { return logHandler{l.Handler.WithGroup(name)} }
