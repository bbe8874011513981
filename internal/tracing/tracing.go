// Package tracing sets up optional OpenTelemetry tracing: spans for every API request, every
// call to 1NCE (the client's transport) and every PostgreSQL query, exported over OTLP/HTTP.
// It is off unless an endpoint is configured; off, nothing is wrapped and nothing costs.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/oncefleet/oncefleet/internal/httpmw"
)

// Options configure tracing.
type Options struct {
	// Endpoint is the OTLP/HTTP collector URL (http(s)://host:4318); empty turns tracing off.
	Endpoint string
	// SampleRatio is the share of new traces recorded (0 < r ≤ 1); a request that arrives
	// with a sampled parent is always recorded.
	SampleRatio float64
	// Service and Version name the process in the traces.
	Service, Version string
}

// Tracing is the process's tracer provider and the wrappers built on it.
type Tracing struct {
	provider trace.TracerProvider
	sdk      *sdktrace.TracerProvider // nil when off
	prop     propagation.TextMapPropagator
}

// New sets tracing up; with no endpoint it returns a Tracing whose wrappers change nothing.
func New(ctx context.Context, o Options) (*Tracing, error) {
	if o.Endpoint == "" {
		return &Tracing{provider: noop.NewTracerProvider()}, nil
	}
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("tracing: the OTLP endpoint must be an http(s) URL")
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(o.Endpoint + "/v1/traces")}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(o.Service), semconv.ServiceVersion(o.Version)))
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	ratio := o.SampleRatio
	if ratio <= 0 || ratio > 1 {
		ratio = 1
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(2*time.Second)),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	)
	return &Tracing{provider: tp, sdk: tp, prop: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}, nil
}

// Enabled reports whether spans are recorded.
func (t *Tracing) Enabled() bool { return t.sdk != nil }

// Handler wraps the server's handler: a span per request named by its route pattern,
// continuing a trace the caller started (W3C traceparent).
func (t *Tracing) Handler(h http.Handler) http.Handler {
	if !t.Enabled() {
		return h
	}
	return otelhttp.NewHandler(h, "http.server",
		otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.prop),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if r.Pattern != "" {
				return r.Pattern
			}
			return r.Method
		}))
}

// NameByRoute renames the request's span after the route pattern the mux matched (otelhttp
// names it before routing); mount it between the middleware and the mux.
func (t *Tracing) NameByRoute(h http.Handler) http.Handler {
	if !t.Enabled() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if route := httpmw.Route(r); route != "" {
			trace.SpanFromContext(r.Context()).SetName(route)
		}
	})
}

// Transport wraps an HTTP client transport (the 1NCE client's): a span per exchange, a child
// of the request that caused it.
func (t *Tracing) Transport(rt http.RoundTripper) http.RoundTripper {
	if !t.Enabled() {
		return rt
	}
	return otelhttp.NewTransport(rt, otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.prop),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "1nce " + r.Method }))
}

// QueryTracer returns the PostgreSQL tracer (nil when off).
func (t *Tracing) QueryTracer() pgx.QueryTracer {
	if !t.Enabled() {
		return nil
	}
	return otelpgx.NewTracer(otelpgx.WithTracerProvider(t.provider))
}

// Shutdown exports what is buffered and stops.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.sdk == nil {
		return nil
	}
	return t.sdk.Shutdown(ctx)
}
