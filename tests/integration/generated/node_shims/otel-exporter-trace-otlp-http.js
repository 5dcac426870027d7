'use strict';
// SHIM of @opentelemetry/exporter-trace-otlp-http (see README.md): cannot export.
class OTLPTraceExporter {
  constructor() { throw new Error('SHIM: the OTLP exporter is not available in this test build'); }
}
module.exports = { OTLPTraceExporter };
