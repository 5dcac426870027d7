'use strict';
// Example versioned API: a small in-memory collection of items under /api/v1.

const express = require('express');
const { ApiError, methodNotAllowed } = require('./errors');

/** Replace with a real database. */
class Store {
  constructor() {
    this.items = new Map();
    this.nextId = 1;
  }

  list() {
    return [...this.items.values()];
  }

  get(id) {
    return this.items.get(id);
  }

  add({ name, quantity }) {
    const item = { id: this.nextId++, name, quantity };
    this.items.set(item.id, item);
    return item;
  }
}

function validate(body) {
  const problems = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return [{ location: 'body', message: 'must be a JSON object' }];
  }
  if (typeof body.name !== 'string' || body.name.length < 1 || body.name.length > 100) {
    problems.push({ location: 'body.name', message: 'must be a string of 1 to 100 characters' });
  }
  const quantity = body.quantity ?? 0;
  if (!Number.isInteger(quantity) || quantity < 0) {
    problems.push({ location: 'body.quantity', message: 'must be a non-negative integer' });
  }
  return problems;
}

/** Records the full route template (with the mount path) while it is known, for metrics and spans. */
function recordRoute(req, res, next) {
  res.locals.route = `${req.baseUrl}${req.route.path}`;
  next();
}

function apiRouter() {
  const store = new Store();
  const router = express.Router();

  router.route('/items')
    .all(recordRoute)
    .get((req, res) => res.json({ items: store.list() }))
    .post((req, res) => {
      const problems = validate(req.body);
      if (problems.length > 0) throw new ApiError(422, 'invalid_request', 'the request is not valid', problems);
      res.status(201).json(store.add({ name: req.body.name, quantity: req.body.quantity ?? 0 }));
    })
    .all(methodNotAllowed);

  router.route('/items/:id')
    .all(recordRoute)
    .get((req, res) => {
      const item = /^\d+$/.test(req.params.id) ? store.get(Number(req.params.id)) : undefined;
      if (!item) throw new ApiError(404, 'not_found', `item ${req.params.id} does not exist`);
      res.json(item);
    })
    .all(methodNotAllowed);

  return router;
}

module.exports = { apiRouter };
