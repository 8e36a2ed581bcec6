// Zero-code tracing: Application.prototype.callback (Koa 2 and 3) is wrapped
// so that the stack Koa composes for a server starts with a tracing
// middleware, unless the app already has one (tracing() or instrument()): then
// the app's own, with its options, is the only one. The app's middleware
// array itself is never changed; Koa composes a copy of it.
import { log, shimmer } from '@tracewire/core';
import { createMiddleware, isTracingMiddleware, TracingMiddleware, TRACING_MIDDLEWARE } from './middleware';
import { unwrapRouterLayers, withMiddlewareSpans } from './middleware-spans';
import { resolveOptions } from './options';

type Callback = (this: KoaApplication, ...args: unknown[]) => unknown;

interface KoaApplication {
  middleware: unknown;
}

interface KoaPrototype {
  callback: Callback & { [PATCHED]?: true };
}

/** On our callback wrapper, so patching twice wraps once. */
const PATCHED = Symbol('tracewire.koa.callback');

let automatic: TracingMiddleware | undefined;

/** The middleware put in front of apps that have none: default options, made once. */
function automaticMiddleware(): TracingMiddleware {
  automatic ??= createMiddleware(resolveOptions(undefined));
  return automatic;
}

/** The stack Koa should compose for `middleware`, or undefined when it is fine as it is. */
export function stackForCallback(middleware: unknown): unknown[] | undefined {
  if (!Array.isArray(middleware)) return undefined;
  const own = middleware.find(isTracingMiddleware);
  const tracing = own ?? automaticMiddleware();
  const stack = own === undefined ? [tracing, ...middleware] : middleware;
  if (tracing[TRACING_MIDDLEWARE].middlewareSpans === true) return withMiddlewareSpans(stack);
  return stack === middleware ? undefined : stack;
}

function wrapCallback(original: Callback): Callback {
  const callback: Callback = function (this: KoaApplication) {
    let stack: unknown[] | undefined;
    try {
      stack = stackForCallback(this?.middleware);
    } catch (error) {
      log.warn(`@tracewire/koa: could not add tracing to a Koa app (${(error as Error)?.message}); it runs with server spans only.`);
    }
    // eslint-disable-next-line prefer-rest-params
    if (stack === undefined) return Reflect.apply(original, this, arguments);
    const own = this.middleware;
    this.middleware = stack;
    try {
      // eslint-disable-next-line prefer-rest-params
      return Reflect.apply(original, this, arguments);
    } finally {
      this.middleware = own;
    }
  };
  Object.defineProperty(callback, PATCHED, { value: true });
  return callback;
}

function prototypeOf(exports: unknown): KoaPrototype {
  const proto = (exports as { prototype?: Partial<KoaPrototype> } | null | undefined)?.prototype;
  if (proto === undefined || proto === null || typeof proto.callback !== 'function') {
    throw new TypeError('this is not a Koa module: its export has no prototype.callback');
  }
  return proto as KoaPrototype;
}

/** Patches a loaded Koa module (what `require('koa')` returned). Idempotent. Tests use it where the module hook cannot see requires. */
export function patchKoa(exports: unknown): void {
  const proto = prototypeOf(exports);
  if (proto.callback[PATCHED] === true) return;
  shimmer.wrap(proto, 'callback', wrapCallback);
}

/** Restores what patchKoa wrapped, and every router layer wrapped for middleware spans. */
export function unpatchKoa(exports: unknown): void {
  const proto = prototypeOf(exports);
  if (proto.callback[PATCHED] === true) shimmer.unwrap(proto, 'callback');
  unwrapRouterLayers();
}
