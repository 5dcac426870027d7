'use strict';
// Endpoint tests: probes, metrics, the example API, the error shape, trace ids in logs.

const test = require('node:test');
const assert = require('node:assert/strict');
const { setupTracing } = require('../src/tracing');

setupTracing();

const { createApp, Lifecycle } = require('../src/app');
const logger = require('../src/logger');

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

async function withServer(lifecycle, fn) {
  const server = createApp({ lifecycle }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    await fn(`http://127.0.0.1:${server.address().port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

function started() {
  const lifecycle = new Lifecycle();
  lifecycle.started = true;
  return lifecycle;
}

test('healthz answers ok', () => withServer(started(), async (base) => {
  const res = await fetch(`${base}/healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
}));

test('readyz is 503 while starting and while draining', () => {
  const lifecycle = new Lifecycle();
  return withServer(lifecycle, async (base) => {
    assert.equal((await fetch(`${base}/readyz`)).status, 503);
    lifecycle.started = true;
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    lifecycle.draining = true;
    const res = await fetch(`${base}/readyz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'draining' });
  });
});

test('metrics count requests by route and status', () => withServer(started(), async (base) => {
  await fetch(`${base}/api/v1/items/12345`);
  const body = await (await fetch(`${base}/metrics`)).text();
  assert.match(body, /http_requests_total\{method="GET",route="\/api\/v1\/items\/:id",status="404"\} 1/);
  const bucket = body.split('\n').find((l) => l.startsWith('http_request_duration_seconds_bucket{') && l.includes('le="0.005"'));
  assert.ok(bucket && bucket.includes('route="/api/v1/items/:id"') && bucket.includes('status="404"'), body);
}));

test('create then get an item', () => withServer(started(), async (base) => {
  const created = await fetch(`${base}/api/v1/items`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'widget', quantity: 3 }),
  });
  assert.equal(created.status, 201);
  const item = await created.json();
  assert.equal(item.name, 'widget');
  assert.deepEqual(await (await fetch(`${base}/api/v1/items/${item.id}`)).json(), item);
}));

test('errors have one shape', () => withServer(started(), async (base) => {
  const cases = [
    ['GET', '/api/v1/items/999999', undefined, 404, 'not_found'],
    ['GET', '/api/v1/nothing-here', undefined, 404, 'not_found'],
    ['POST', '/api/v1/items', '{"name":""}', 422, 'invalid_request'],
    ['POST', '/api/v1/items', 'not json', 400, 'bad_request'],
    ['DELETE', '/api/v1/items', undefined, 405, 'method_not_allowed'],
  ];
  for (const [method, path, body, status, code] of cases) {
    const res = await fetch(`${base}${path}`, { method, body, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, status, `${method} ${path}`);
    const { error } = await res.json();
    assert.equal(error.code, code, `${method} ${path}`);
    assert.ok(error.message, `${method} ${path} has a message`);
  }
}));

test('the access log line carries the incoming trace id', () => withServer(started(), async (base) => {
  const lines = [];
  const previous = logger.setSink((line) => lines.push(JSON.parse(line)));
  try {
    await fetch(`${base}/api/v1/items`, { headers: { traceparent: TRACEPARENT } });
    // The line is written when the response finishes, which may be just after the client has it.
    for (let i = 0; i < 100 && !lines.some((l) => l.message === 'request'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    logger.setSink(previous);
  }
  const access = lines.filter((l) => l.message === 'request');
  assert.equal(access.length, 1, JSON.stringify(lines));
  assert.equal(access[0].trace_id, TRACE_ID);
  assert.equal(access[0].span_id.length, 16);
}));
