// Package otlptracehttp is a STAND-IN used only by msv's tests: Debian packages the
// OpenTelemetry Go API and SDK but not the OTLP exporter, and no module proxy is reachable.
// The tests never set OTEL_EXPORTER_OTLP_ENDPOINT, so New is never called; it fails loudly if it is.
package otlptracehttp

import (
	"context"
	"errors"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func New(ctx context.Context) (sdktrace.SpanExporter, error) {
	return nil, errors.New("STAND-IN: the OTLP exporter is not available in this test build")
}
