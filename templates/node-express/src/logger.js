'use strict';
// One JSON object per line on stdout, with the active span's trace_id and span_id.
// A few lines over JSON.stringify; no logging library is needed for this.

const { trace } = require('@opentelemetry/api');

let sink = (line) => process.stdout.write(line);

function log(level, message, fields = {}) {
  const entry = { time: new Date().toISOString(), level, message, ...fields };
  const span = trace.getActiveSpan();
  if (span) {
    const { traceId, spanId } = span.spanContext();
    entry.trace_id = traceId;
    entry.span_id = spanId;
  }
  sink(JSON.stringify(entry) + '\n');
}

module.exports = {
  info: (message, fields) => log('info', message, fields),
  error: (message, fields) => log('error', message, fields),
  /** Redirects log lines (tests); returns the previous sink. */
  setSink(fn) {
    const previous = sink;
    sink = fn;
    return previous;
  },
};
