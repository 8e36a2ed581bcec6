// The per-request work. @tracewire/http already made the request's SERVER span
// and runs Koa's handler with it active, so the middleware only adds what Koa
// knows: the route template once routing is done, the error a middleware
// threw, the user's hooks and headers. It rethrows every error unchanged, so
// Koa's own error handling (ctx.onerror, the app's 'error' event, the response)
// is exactly what it would be without tracing.
import type { IncomingMessage } from 'http';
import { log, recordError, Span, suppressTracing } from '@tracewire/core';
import { frameworkState, headerValues, ignoreRequest, serverSpanOf, setFrameworkState, setRoute } from '@tracewire/http';
import { KoaContext, ResolvedOptions } from './options';
import { routeTemplate } from './route';
import { isServerError } from './status';

/** On a tracing middleware function: its options. Symbol.for, so every copy of this package recognises it. */
export const TRACING_MIDDLEWARE = Symbol.for('tracewire.koa.middleware');
/** A traced request's record (in @tracewire/http's per-request framework state, not on the request
 *  object: a property added to every request costs a hidden-class change each time): set by the
 *  first tracing middleware it meets, so no other one records it again. */
export const REQUEST_RECORD = Symbol.for('tracewire.koa.request');

/** What middleware-span wrappers read from a request's record. */
export interface RequestRecord {
  readonly middlewareSpans: boolean;
}

export type Next = () => Promise<unknown>;

export interface TracingMiddleware {
  // Koa's and the routers' context types all have these fields; `any` keeps app.use() happy for each.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (ctx: any, next: Next): Promise<unknown>;
  readonly [TRACING_MIDDLEWARE]: ResolvedOptions;
}

/** What the routers leave on the context. */
interface RoutedContext extends KoaContext {
  _matchedRoute?: unknown;
  matched?: unknown;
}

const UNTRACED: RequestRecord = Object.freeze({ middlewareSpans: false });

export function isTracingMiddleware(fn: unknown): fn is TracingMiddleware {
  return typeof fn === 'function' && (fn as Partial<TracingMiddleware>)[TRACING_MIDDLEWARE] !== undefined;
}

/** The request's record, if some tracing middleware has seen it. */
export function requestRecordOf(ctx: unknown): RequestRecord | undefined {
  const req = (ctx as { req?: unknown } | null | undefined)?.req;
  return req !== null && typeof req === 'object' ? (frameworkState(req as IncomingMessage, REQUEST_RECORD) as RequestRecord | undefined) : undefined;
}

function userCallbackFailed(name: string, error: unknown): void {
  log.warn(`@tracewire/koa: the ${name} passed to tracing() threw (${(error as Error)?.message ?? String(error)}); fix it, requests are traced as if it were not set.`);
}

function isIgnored(options: ResolvedOptions, ctx: KoaContext): boolean {
  if (options.ignore === undefined) return false;
  try {
    return options.ignore(ctx) === true;
  } catch (error) {
    userCallbackFailed('ignore', error);
    return false;
  }
}

function callHook(hook: ((span: Span, ctx: KoaContext) => void) | undefined, span: Span, ctx: KoaContext, name: string): void {
  if (hook === undefined) return;
  try {
    hook(span, ctx);
  } catch (error) {
    userCallbackFailed(name, error);
  }
}

function onRequest(options: ResolvedOptions, span: Span, ctx: KoaContext): void {
  const headers = ctx.req.headers;
  for (const [name, attribute] of options.requestHeaders) span.setAttribute(attribute, headerValues(headers[name]));
  callHook(options.requestHook, span, ctx, 'requestHook');
  if (options.responseHook === undefined && options.responseHeaders.length === 0) return;
  // When the response is done its status and headers are final (Koa's error
  // handler runs after this middleware returns); the server span ends right
  // after the response's own listeners ran. 'close' alone: the client left first.
  const res = ctx.res;
  const sent = (): void => {
    res.removeListener('finish', sent);
    res.removeListener('close', sent);
    for (const [name, attribute] of options.responseHeaders) span.setAttribute(attribute, headerValues(res.getHeader(name)));
    callHook(options.responseHook, span, ctx, 'responseHook');
  };
  res.on('finish', sent);
  res.on('close', sent);
}

function recordRoute(ctx: RoutedContext): void {
  const route = routeTemplate(ctx._matchedRoute, ctx.matched, ctx.method);
  if (route !== undefined) setRoute(ctx.req, route);
}

/** The middleware tracing() returns; `options` are already resolved. */
export function createMiddleware(options: ResolvedOptions): TracingMiddleware {
  const traced: RequestRecord = Object.freeze({ middlewareSpans: options.middlewareSpans });

  const settled = (ctx: RoutedContext, span: Span, error: unknown, failed: boolean): void => {
    try {
      recordRoute(ctx);
      // A 4xx (ctx.throw(404)) is the client's mistake, not a failure of this server.
      if (failed && isServerError(error)) recordError(span, error);
    } catch (err) {
      log.warn(`@tracewire/koa: recording the end of a request failed (${(err as Error)?.message}); its span may lack a route or error.`);
    }
  };

  function tracewire(ctx: RoutedContext, next: Next): Promise<unknown> {
    const req = ctx?.req as IncomingMessage | undefined;
    if (req === null || typeof req !== 'object') return next();
    const span = serverSpanOf(req);
    // Not traced by @tracewire/http (tracing off, or its ignoreIncoming): nothing to add to.
    // Seen by another tracing middleware already: it records the request.
    if (span === undefined || frameworkState(req, REQUEST_RECORD) !== undefined) return next();
    if (isIgnored(options, ctx)) {
      setFrameworkState(req, REQUEST_RECORD, UNTRACED);
      ignoreRequest(req);
      return suppressTracing(next);
    }
    setFrameworkState(req, REQUEST_RECORD, traced);
    if (!span.isRecording()) return next();
    try {
      onRequest(options, span, ctx);
    } catch (error) {
      log.warn(`@tracewire/koa: recording a request failed (${(error as Error)?.message}); it runs with its server span only.`);
    }
    // Promise.resolve: a composer other than Koa's may hand a next() that returns no promise.
    return Promise.resolve(next()).then(
      (value) => {
        settled(ctx, span, undefined, false);
        return value;
      },
      (error: unknown) => {
        settled(ctx, span, error, true);
        throw error;
      },
    );
  }

  return Object.defineProperty(tracewire, TRACING_MIDDLEWARE, { value: options }) as unknown as TracingMiddleware;
}
