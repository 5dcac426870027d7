'use strict';
// The Express application: probes, metrics, per-request span, access log, the API.

const express = require('express');
const client = require('prom-client');
const { context, propagation, trace, SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const logger = require('./logger');
const { apiRouter } = require('./api');
const { notFound, errorHandler } = require('./errors');

const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/** Readiness: not ready while starting, ready once started, not ready again once draining. */
class Lifecycle {
  constructor() {
    this.started = false;
    this.draining = false;
  }

  get ready() {
    return this.started && !this.draining;
  }
}

function createMetrics() {
  const register = new client.Registry();
  client.collectDefaultMetrics({ register });
  const labelNames = ['method', 'route', 'status'];
  return {
    register,
    requests: new client.Counter({ name: 'http_requests_total', help: 'HTTP requests handled.', labelNames, registers: [register] }),
    latency: new client.Histogram({
      name: 'http_request_duration_seconds', help: 'HTTP request latency in seconds.', labelNames, registers: [register],
    }),
  };
}

/**
 * The matched route template (/api/v1/items/:id), never the raw path, so that label
 * cardinality stays bounded. Routers record it in res.locals.route (Express rewrites
 * req.baseUrl on the way out of a router); top-level routes have it in req.route.
 */
function routeOf(req, res) {
  if (res.locals.route) return res.locals.route;
  return req.route ? req.route.path : 'unmatched';
}

function createApp({ lifecycle = new Lifecycle(), metrics = createMetrics() } = {}) {
  const app = express();
  const tracer = trace.getTracer('http');
  app.disable('x-powered-by');

  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(req.method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } }, parent);
    const spanContext = trace.setSpan(parent, span);
    res.on('finish', () => {
      const route = routeOf(req, res);
      const status = res.statusCode;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      metrics.requests.inc({ method: req.method, route, status });
      metrics.latency.observe({ method: req.method, route, status }, seconds);
      span.updateName(`${req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      context.with(spanContext, () => {
        if (!QUIET_ROUTES.has(route)) {
          logger.info('request', { method: req.method, path: req.originalUrl.split('?')[0], route, status, duration_ms: Math.round(seconds * 1e6) / 1e3 });
        }
      });
      span.end();
    });
    context.with(spanContext, next);
  });

  app.get('/healthz', (req, res) => res.json({ status: 'ok' }));
  app.get('/readyz', (req, res) => {
    if (lifecycle.ready) return res.json({ status: 'ready' });
    return res.status(503).json({ status: lifecycle.draining ? 'draining' : 'starting' });
  });
  app.get('/metrics', async (req, res, next) => {
    try {
      res.set('Content-Type', metrics.register.contentType).send(await metrics.register.metrics());
    } catch (err) {
      next(err);
    }
  });

  app.use('/api/v1', express.json({ limit: '1mb' }), apiRouter());
  app.use(notFound);
  app.use(errorHandler);
  return app;
}

module.exports = { createApp, createMetrics, Lifecycle };
