'use strict';
// Entry point: `node src/server.js`. Tracing is set up before Express is loaded.
//
// On SIGTERM (or Ctrl-C) /readyz turns 503 at once while requests are still served for
// SHUTDOWN_DELAY_SECONDS, so that load balancers stop routing here; then the server stops
// accepting, lets in-flight requests finish and exits. A second signal skips the drain.

const { setupTracing } = require('./tracing');

const provider = setupTracing();

const config = require('./config');
const logger = require('./logger');
const { createApp, Lifecycle } = require('./app');

const lifecycle = new Lifecycle();
const server = createApp({ lifecycle }).listen(config.port, config.host, () => {
  lifecycle.started = true; // start-up work (connections, caches) goes before this line
  logger.info('ready', { service: config.serviceName, port: server.address().port });
});
server.on('error', (err) => {
  logger.error('cannot listen', { error: err.message });
  process.exit(1);
});

let drainTimer;
let stopping = false;
function stop() {
  clearTimeout(drainTimer);
  if (stopping) return;
  stopping = true;
  server.close(async () => {
    await provider.shutdown().catch(() => {});
    logger.info('exited');
    process.exit(0);
  });
  server.closeIdleConnections(); // keep-alive sockets would otherwise hold close() open
  setTimeout(() => {
    logger.error('in-flight requests did not finish in 30 s, exiting');
    process.exit(1);
  }, 30_000).unref();
}

function onSignal(signal) {
  if (lifecycle.draining) return stop();
  lifecycle.draining = true;
  logger.info('shutdown requested, draining', { signal, drain_seconds: config.drainSeconds });
  drainTimer = setTimeout(stop, config.drainSeconds * 1000);
}

process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
