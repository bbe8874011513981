package httpmw

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/oncefleet/oncefleet/internal/fleet"
	"github.com/oncefleet/oncefleet/internal/problem"
)

// Recover turns a panicking handler into a 500 problem+json response (if nothing was sent
// yet) and logs the panic with its stack, once. http.ErrAbortHandler passes through: it is
// net/http's way to abort a response on purpose.
func Recover(logger *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st, r := stateOf(r)
			rec := recorderFor(w)
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler {
					panic(p)
				}
				st.capture(r)
				logger.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
					slog.String("panic", fmt.Sprint(p)),
					slog.String("method", methodLabel(r.Method)),
					slog.String("route", st.routeLabel()),
					slog.String("request_id", st.requestID),
					slog.String("stack", string(debug.Stack())),
				)
				if rec.wroteHeader {
					// Part of a response is out; the client sees a truncated body.
					return
				}
				problem.Write(rec, problem.New(http.StatusInternalServerError, fleet.CodeInternal, "internal error"))
			}()
			next.ServeHTTP(rec, r)
		})
	}
}
