'use strict';
// OpenTelemetry tracing from the standard OTEL_* variables. Load before anything else.
// Spans are exported over OTLP/HTTP only when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. register() installs the W3C trace-context
// propagator and an AsyncLocalStorage context manager, so the active span follows a request.

const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node');
const { defaultResource, resourceFromAttributes, detectResources, envDetector } = require('@opentelemetry/resources');
const config = require('./config');

function setupTracing() {
  const spanProcessors = [];
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  }
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': config.serviceName }))
    .merge(detectResources({ detectors: [envDetector] })); // OTEL_RESOURCE_ATTRIBUTES
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  provider.register();
  return provider;
}

module.exports = { setupTracing };
