'use strict';
// One JSON error shape for every failure: {"error": {"code", "message", "details"?}}.

const logger = require('./logger');

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

function sendError(res, status, code, message, details) {
  const error = { code, message };
  if (details !== undefined) error.details = details;
  res.status(status).json({ error });
}

function notFound(req, res) {
  sendError(res, 404, 'not_found', `no route for ${req.path}`);
}

function methodNotAllowed(req, res) {
  sendError(res, 405, 'method_not_allowed', `${req.method} is not allowed on ${req.baseUrl}${req.route.path}`);
}

// Express recognizes an error handler by its four parameters.
// eslint-disable-next-line no-unused-vars
function errorHandler(err, req, res, next) {
  if (err instanceof ApiError) return sendError(res, err.status, err.code, err.message, err.details);
  if (err.type === 'entity.parse.failed') return sendError(res, 400, 'bad_request', 'the body is not valid JSON');
  if (err.type === 'entity.too.large') return sendError(res, 413, 'too_large', 'the body is too large');
  logger.error('unhandled error', { error: err.message, stack: err.stack });
  return sendError(res, 500, 'internal', 'internal server error');
}

module.exports = { ApiError, sendError, notFound, methodNotAllowed, errorHandler };
