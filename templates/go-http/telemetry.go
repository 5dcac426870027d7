package main

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// setupTracing installs the global tracer provider and the W3C trace-context propagator.
// Spans are exported over OTLP/HTTP only when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; the exporter reads the other OTEL_* variables.
func setupTracing(ctx context.Context, name string) (func(), error) {
	res, err := resource.New(ctx,
		resource.WithFromEnv(), // OTEL_RESOURCE_ATTRIBUTES
		resource.WithAttributes(attribute.String("service.name", name)),
	)
	if err != nil {
		return nil, err
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
		exporter, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdktrace.WithBatcher(exporter))
	}
	provider := sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(provider)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = provider.Shutdown(ctx)
	}, nil
}

// jsonLogger writes one JSON object per line, with the trace_id and span_id of the span in
// ctx. Written by hand (a few lines over encoding/json) so the service builds on Go releases
// without log/slog as well; swap in slog.NewJSONHandler if you target Go 1.21+ only.
type jsonLogger struct {
	mu  sync.Mutex
	enc *json.Encoder
}

var logger = &jsonLogger{enc: json.NewEncoder(os.Stdout)}

func (l *jsonLogger) Info(ctx context.Context, msg string, fields map[string]any) {
	l.log(ctx, "info", msg, fields)
}

func (l *jsonLogger) Error(ctx context.Context, msg string, fields map[string]any) {
	l.log(ctx, "error", msg, fields)
}

func (l *jsonLogger) log(ctx context.Context, level, msg string, fields map[string]any) {
	entry := make(map[string]any, len(fields)+5)
	for k, v := range fields {
		entry[k] = v
	}
	entry["time"] = time.Now().UTC().Format(time.RFC3339Nano)
	entry["level"] = level
	entry["message"] = msg
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		entry["trace_id"] = sc.TraceID().String()
		entry["span_id"] = sc.SpanID().String()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.enc.Encode(entry)
}
