// The patches: thin wrappers that hand what Express does to state.ts (route
// templates, errors) and spans.ts (middleware spans), and otherwise call the
// original with the same `this`, arguments and return value.
//
// Express 4 routes in express/lib/router (index.js exports the router
// prototype, layer.js the Layer class); Express 5 in router@2 (index.js
// exports Router, lib/layer.js Layer). Both have the same shape:
//   Router  use(path?, ...fns) / route(path)  add layers   → describe them
//           handle(req, res, done)             routes      → one level deeper until done
//   Layer   handle_request / handleRequest     runs a handler      → route or mount point
//           handle_error / handleError         runs an error handler → the error passed on
import { log } from '@tracewire/core';
import { describeLayers, LayerInfo, LayerLike } from './layers';
import { usePath } from './route';
import { callWithSpan } from './spans';
import { enterLayer, enterRouter, ExpressRequest, leaveRouter, noteError, RequestState, stateOf, tracedState } from './state';
import { Gate, unwrap, wrap } from './wrap';

type Method = (this: unknown, ...args: unknown[]) => unknown;

interface RouterLike {
  stack?: unknown;
}

const failed = new Set<string>();

/** A step of ours threw: say so once; the request goes on as if we were not there. */
function fail(step: string, error: unknown): void {
  if (failed.has(step)) return;
  failed.add(step);
  log.warn(`@tracewire/express: ${step} failed (${(error as Error)?.message ?? String(error)}); affected requests get no route or middleware spans.`);
}

function wrapAdd(kind: 'use' | 'route') {
  return (original: Method, gate: Gate): Method =>
    function (this: unknown): unknown {
      const stack = (this as RouterLike | undefined)?.stack;
      const from = Array.isArray(stack) ? stack.length : -1;
      const result = Reflect.apply(original, this, arguments);
      if (gate.open && from >= 0) {
        try {
          describeLayers(stack as unknown[], from, kind === 'use' ? usePath(arguments) : arguments[0], kind);
        } catch (error) {
          fail(`describing a ${kind}() layer`, error);
        }
      }
      return result;
    };
}

function wrapHandle(original: Method, gate: Gate): Method {
  return function handle(this: unknown, req: unknown, res: unknown, done: unknown): unknown {
    let state: RequestState | undefined;
    let depth = 0;
    if (gate.open && typeof done === 'function' && req !== null && typeof req === 'object') {
      try {
        state = tracedState(req as ExpressRequest, res);
        if (state !== undefined) depth = enterRouter(state, req as ExpressRequest);
      } catch (error) {
        state = undefined;
        fail('router entry', error);
      }
    }
    if (state === undefined) return Reflect.apply(original, this, arguments);
    const traced = state;
    const leave = function (this: unknown, err?: unknown): unknown {
      try {
        leaveRouter(traced, depth, err);
      } catch (error) {
        fail('router exit', error);
      }
      return Reflect.apply(done as Method, this, arguments);
    };
    if (arguments.length === 3) return Reflect.apply(original, this, [req, res, leave]);
    const args = Array.prototype.slice.call(arguments);
    args[2] = leave;
    return Reflect.apply(original, this, args);
  };
}

/** Layer#handle_request (Express 4) / Layer#handleRequest (router@2): (req, res, next). */
function wrapHandleRequest(original: Method, gate: Gate): Method {
  return function handleRequest(this: unknown, req: unknown): unknown {
    const state = gate.open ? stateOf(req) : undefined;
    const layer = this as LayerLike;
    // A handler declaring four parameters is an error handler: the original skips it.
    if (state === undefined || typeof layer.handle !== 'function' || layer.handle.length > 3) return Reflect.apply(original, this, arguments);
    let info: LayerInfo;
    try {
      info = enterLayer(state, layer, req as ExpressRequest, true);
    } catch (error) {
      fail('layer entry', error);
      return Reflect.apply(original, this, arguments);
    }
    if (!wantsSpan(state, layer, info)) return Reflect.apply(original, this, arguments);
    return callWithSpan(state, layer, info, original, this, arguments, 2, undefined);
  };
}

/** Layer#handle_error (Express 4) / Layer#handleError (router@2): (err, req, res, next). */
function wrapHandleError(original: Method, gate: Gate): Method {
  return function handleError(this: unknown, err: unknown, req: unknown): unknown {
    const state = gate.open ? stateOf(req) : undefined;
    if (state === undefined) return Reflect.apply(original, this, arguments);
    const layer = this as LayerLike;
    let info: LayerInfo | undefined;
    try {
      noteError(state, err);
      // Only a handler declaring four parameters runs; the original passes the error on for the others.
      if (typeof layer.handle === 'function' && layer.handle.length === 4) info = enterLayer(state, layer, req as ExpressRequest, false);
    } catch (error) {
      fail('error handler entry', error);
    }
    if (info === undefined || !wantsSpan(state, layer, info)) return Reflect.apply(original, this, arguments);
    return callWithSpan(state, layer, info, original, this, arguments, 3, err);
  };
}

/** On a tracing middleware function. Symbol.for, so every copy of this package recognises it. */
export const TRACING_MIDDLEWARE = Symbol.for('tracewire.express.middleware');

function wantsSpan(state: RequestState, layer: LayerLike, info: LayerInfo): boolean {
  return state.options?.middlewareSpans === true && info.kind !== 'handler' && (layer.handle as Record<symbol, unknown>)[TRACING_MIDDLEWARE] === undefined;
}

function method(target: object, ...names: string[]): string {
  for (const name of names) if (typeof (target as Record<string, unknown>)[name] === 'function') return name;
  throw new TypeError(`none of ${names.join(', ')} is a function: not a supported Express router`);
}

/** Patches a router prototype: Express 4's `express/lib/router` export, or router@2's `Router.prototype`. */
export function patchRouterPrototype(proto: object): void {
  for (const name of ['use', 'route', 'handle']) method(proto, name);
  wrap(proto, 'use', wrapAdd('use'));
  wrap(proto, 'route', wrapAdd('route'));
  wrap(proto, 'handle', wrapHandle);
}

export function unpatchRouterPrototype(proto: object): void {
  for (const name of ['use', 'route', 'handle']) unwrap(proto, name);
}

/** Patches `Layer.prototype` (Express 4's handle_request/handle_error, router@2's handleRequest/handleError). */
export function patchLayerPrototype(proto: object): void {
  const request = method(proto, 'handleRequest', 'handle_request');
  const error = method(proto, 'handleError', 'handle_error');
  wrap(proto, request, wrapHandleRequest);
  wrap(proto, error, wrapHandleError);
}

export function unpatchLayerPrototype(proto: object): void {
  for (const name of ['handleRequest', 'handle_request', 'handleError', 'handle_error']) unwrap(proto, name);
}
