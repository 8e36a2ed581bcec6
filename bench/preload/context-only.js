'use strict';
// Ablation variant for instructions.js: no spans at all, only what every
// AsyncLocalStorage-based tracer pays on Node 20 — one store, entered around
// each incoming request, which turns on async_hooks for the whole process
// (a JavaScript hook on every promise and async resource made from then on).
const { AsyncLocalStorage } = require('node:async_hooks');
const http = require('node:http');

const storage = new AsyncLocalStorage();
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event) {
  if (event !== 'request') return Reflect.apply(emit, this, arguments);
  return storage.run({ request: arguments[1] }, Reflect.apply, emit, this, arguments);
};
