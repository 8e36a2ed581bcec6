// Opt-in spans per middleware (tracing({ middlewareSpans: true })), named as
// OpenTelemetry's Koa instrumentation names them: `middleware - <function
// name>` for app middleware, `router - <layer path>` for each function of a
// router layer, with `koa.type` and `koa.name`. Each span covers its
// middleware and everything downstream of it, and is active while it runs.
//
// App middleware is wrapped in the stack Koa composes when it builds its
// callback (the app's own array is left as it is). Router layers are composed
// per request from `layer.stack`, so their functions are wrapped in place; the
// wrappers make spans only for requests whose tracing middleware asked for
// them, and unpatching puts the originals back.
import { Attributes, getTracer, SpanOptions } from '@tracewire/core';
import { isTracingMiddleware, requestRecordOf } from './middleware';
import { templateOf } from './route';
import { SCOPE, VERSION } from './version';

const tracer = getTracer(SCOPE, VERSION);

/** On a wrapper: the function it wraps. Symbol.for, so a second copy of this package does not wrap twice. */
const ORIGINAL = Symbol.for('tracewire.koa.original');

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;
type Wrapper = AnyFunction & { [ORIGINAL]?: AnyFunction };

interface RouterLike {
  stack?: unknown;
}

interface LayerLike {
  path?: unknown;
  methods?: unknown;
  stack?: unknown;
}

const wrappedLayers: Array<{ stack: unknown[]; wrapper: AnyFunction; original: AnyFunction }> = [];

function spanWrapper(fn: AnyFunction, name: string, attributes: Attributes): Wrapper {
  const options: SpanOptions = { attributes };
  const wrapper = function (this: unknown, ctx: unknown): unknown {
    const record = requestRecordOf(ctx);
    // eslint-disable-next-line prefer-rest-params
    if (record === undefined || !record.middlewareSpans) return Reflect.apply(fn, this, arguments);
    // eslint-disable-next-line prefer-rest-params, @typescript-eslint/no-this-alias
    const self = this, args = arguments;
    return tracer.span(name, options, () => Reflect.apply(fn, self, args));
  };
  Object.defineProperty(wrapper, 'name', { value: fn.name });
  Object.defineProperty(wrapper, ORIGINAL, { value: fn });
  return wrapper;
}

/** The name Koa's own debug output gives a middleware. */
export function middlewareName(fn: AnyFunction & { _name?: unknown }): string {
  if (typeof fn._name === 'string' && fn._name.length > 0) return fn._name;
  return fn.name.length > 0 ? fn.name : 'anonymous';
}

function wrapRouterLayers(router: RouterLike): void {
  if (!Array.isArray(router.stack)) return;
  for (const layer of router.stack as LayerLike[]) {
    const stack = layer?.stack;
    if (!Array.isArray(stack)) continue;
    const path = templateOf(layer.path) ?? '';
    const isRoute = Array.isArray(layer.methods) && layer.methods.length > 0;
    const attributes: Attributes = { 'koa.type': 'router', 'koa.name': path, 'http.route': isRoute ? path : undefined };
    for (let i = 0; i < stack.length; i++) {
      const fn = stack[i] as Wrapper;
      if (typeof fn !== 'function' || fn[ORIGINAL] !== undefined) continue;
      const wrapper = spanWrapper(fn, `router - ${path}`, attributes);
      stack[i] = wrapper;
      wrappedLayers.push({ stack, wrapper, original: fn });
    }
  }
}

/** `stack` with every middleware wrapped in a span; a router's dispatch is left alone and its layers are wrapped instead. */
export function withMiddlewareSpans(stack: readonly unknown[]): unknown[] {
  return stack.map((fn) => {
    if (typeof fn !== 'function' || isTracingMiddleware(fn) || (fn as Wrapper)[ORIGINAL] !== undefined) return fn;
    const router = (fn as { router?: unknown }).router;
    if (router !== null && typeof router === 'object') {
      wrapRouterLayers(router);
      return fn;
    }
    const name = middlewareName(fn);
    return spanWrapper(fn, `middleware - ${name}`, { 'koa.type': 'middleware', 'koa.name': name });
  });
}

/** Puts back every router-layer function wrapped so far (those nobody replaced since). */
export function unwrapRouterLayers(): void {
  for (const { stack, wrapper, original } of wrappedLayers.splice(0)) {
    const i = stack.indexOf(wrapper);
    if (i >= 0) stack[i] = original;
  }
}
