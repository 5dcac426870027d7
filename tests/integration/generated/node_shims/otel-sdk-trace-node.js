'use strict';
// SHIM of @opentelemetry/sdk-trace-node (see README.md).
process.stderr.write('SHIM: @opentelemetry/sdk-trace-node is a test stand-in, not the real package\n');

class BatchSpanProcessor { constructor(exporter) { this.exporter = exporter; } }
class NodeTracerProvider {
  constructor({ resource, spanProcessors = [] } = {}) { this.resource = resource; this.spanProcessors = spanProcessors; }
  register() {}
  async shutdown() {}
}
module.exports = { NodeTracerProvider, BatchSpanProcessor };
