'use strict';
// SHIM of @opentelemetry/api (see README.md): context on AsyncLocalStorage, W3C traceparent
// extraction, spans that carry ids and are never exported.
process.stderr.write('SHIM: @opentelemetry/api is a test stand-in, not the real package\n');

const { AsyncLocalStorage } = require('node:async_hooks');
const { randomBytes } = require('node:crypto');

const storage = new AsyncLocalStorage();
const SPAN = Symbol('span');
const ROOT = new Map();

const context = {
  active: () => storage.getStore() || ROOT,
  with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.apply(thisArg, args)),
};

class Span {
  constructor(name, sc) { this.name = name; this.sc = sc; this.attributes = {}; }
  spanContext() { return this.sc; }
  setAttributes(a) { Object.assign(this.attributes, a); return this; }
  setAttribute(k, v) { this.attributes[k] = v; return this; }
  setStatus(s) { this.status = s; return this; }
  updateName(n) { this.name = n; return this; }
  end() { this.ended = true; }
  isRecording() { return !this.ended; }
}

const getSpan = (ctx) => ctx.get(SPAN);
const setSpan = (ctx, span) => new Map(ctx).set(SPAN, span);

const trace = {
  getTracer: () => ({
    startSpan(name, _opts, ctx = context.active()) {
      const parent = getSpan(ctx);
      const traceId = parent ? parent.spanContext().traceId : randomBytes(16).toString('hex');
      return new Span(name, { traceId, spanId: randomBytes(8).toString('hex'), traceFlags: 1 });
    },
  }),
  getActiveSpan: () => getSpan(context.active()),
  getSpan,
  setSpan,
};

const propagation = {
  extract(ctx, headers) {
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(headers.traceparent || '');
    if (!m || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) return ctx;
    return setSpan(ctx, new Span('remote', { traceId: m[1], spanId: m[2], traceFlags: parseInt(m[3], 16), isRemote: true }));
  },
};

module.exports = { context, trace, propagation, SpanKind: { SERVER: 1 }, SpanStatusCode: { UNSET: 0, OK: 1, ERROR: 2 } };
