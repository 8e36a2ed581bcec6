// The middleware tracing() returns. @tracewire/http already made the request's
// SERVER span and runs Express with it active; the patches record the route
// and errors. What is left is per app: its `ignore` (drop the span, run the
// rest untraced), its hooks and header lists, and whether it wants middleware
// spans. The first tracing middleware a request meets decides; any other
// (tracing() in a sub-app, or instrument() on top of tracing()) passes.
import type { ServerResponse } from 'http';
import { log, suppressTracing } from '@tracewire/core';
import { headerValues, ignoreRequest, serverSpanOf, setFrameworkState } from '@tracewire/http';
import { ExpressRequestLike, ResolvedOptions } from './options';
import { TRACING_MIDDLEWARE } from './patch';
import { callHook, ExpressRequest, pushLevel, rawState, RequestState, STATE, tracedState, UNTRACED, userCallbackFailed, watchResponse } from './state';
import { patchRouter, routerOf } from './targets';

export type Next = (err?: unknown) => void;

export interface TracingMiddleware {
  // Express 4's, Express 5's and the users' own request types all fit.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (req: any, res: any, next: Next): void;
  readonly [TRACING_MIDDLEWARE]: ResolvedOptions;
}

export function isTracingMiddleware(fn: unknown): fn is TracingMiddleware {
  return typeof fn === 'function' && (fn as Partial<TracingMiddleware>)[TRACING_MIDDLEWARE] !== undefined;
}

/** Apps whose Express copy this middleware made sure is patched. */
const checkedApps = new WeakSet<object>();

/**
 * When core's hook could not patch Express (bundled, or loaded by another
 * module system), patch it through the app the request belongs to. This
 * request is already being routed: it gets a record starting at the app's
 * root (or none when the app is mounted somewhere unknown), later ones the
 * full treatment.
 */
function fallbackState(req: ExpressRequest, res: unknown): RequestState | undefined {
  const app = req.app;
  if (app !== null && (typeof app === 'function' || typeof app === 'object') && !checkedApps.has(app)) {
    checkedApps.add(app);
    const router = routerOf(app);
    if (router !== undefined) patchRouter(router);
  }
  const state = tracedState(req, res);
  if (state !== undefined && state.parts.length === 0) {
    pushLevel(state, req.baseUrl ? null : '', req.baseUrl ?? '');
  }
  return state;
}

function isIgnored(options: ResolvedOptions, req: ExpressRequestLike): boolean {
  try {
    return options.ignore!(req) === true;
  } catch (error) {
    userCallbackFailed('ignore', error);
    return false;
  }
}

function onRequest(options: ResolvedOptions, state: RequestState, req: ExpressRequestLike): void {
  state.options = options;
  const span = state.span;
  const headers = req.headers;
  for (const [name, attribute] of options.requestHeaders) span.setAttribute(attribute, headerValues(headers[name]));
  callHook(options.requestHook, span, req, 'requestHook');
  if (options.atResponse) watchResponse(state);
}

/** The middleware for `options`, already resolved. */
export function createMiddleware(options: ResolvedOptions): TracingMiddleware {
  function tracewire(req: ExpressRequestLike & ExpressRequest, res: ServerResponse, next: Next): void {
    const existing = rawState(req);
    if (existing === UNTRACED || (existing as RequestState | undefined)?.options !== undefined) return next();
    // No span: tracing is off, or @tracewire/http's own ignoreIncoming left the request alone.
    if (serverSpanOf(req) === undefined) return next();
    if (options.ignore !== undefined && isIgnored(options, req)) {
      ignoreRequest(req);
      setFrameworkState(req, STATE, UNTRACED);
      return suppressTracing(next);
    }
    try {
      const state = (existing as RequestState | undefined) ?? fallbackState(req, res);
      if (state !== undefined) onRequest(options, state, req);
    } catch (error) {
      log.warn(`@tracewire/express: recording a request failed (${(error as Error)?.message}); it runs with its server span only.`);
    }
    next();
  }
  return Object.defineProperty(tracewire, TRACING_MIDDLEWARE, { value: options }) as unknown as TracingMiddleware;
}
