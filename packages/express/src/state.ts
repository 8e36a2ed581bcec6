// What one traced request carries while Express routes it: the template of
// each router level it is in (pushed when a router starts handling it, popped
// when that router hands it back), the last error a handler passed on, and
// the options of the app's tracing middleware. Kept on the request under a
// Symbol.for key, so two copies of this package share one record.
import type { IncomingMessage, ServerResponse } from 'http';
import { log, recordError, Span } from '@tracewire/core';
import { frameworkState, headerValues, serverSpanOf, setFrameworkState, setRoute } from '@tracewire/http';
import { JoinedRoute, LayerInfo, LayerLike, layerInfo, templateOf } from './layers';
import type { ResolvedOptions } from './options';
import { joinRoute, pathnameOf } from './route';

/** Key of a request's RequestState (or UNTRACED) in @tracewire/http's per-request framework state,
 *  never a property of the request: Express gives each request object a hidden class of its own,
 *  and every property added to it after that copies the class. Symbol.for, so every copy of this
 *  package finds the same state. */
export const STATE = Symbol.for('tracewire.express.request');

/** On a request a tracing middleware decided not to trace (its `ignore`): every patch steps aside. */
export const UNTRACED = Object.freeze({ untraced: true as const });

export interface RequestState {
  readonly span: Span;
  readonly res: ServerResponse | undefined;
  /** Template of each router level's mount point, outermost first; null when it cannot be known. */
  parts: Array<string | null>;
  /** req.baseUrl as each level started: what a use() layer strips is the rest of req.baseUrl. */
  bases: string[];
  /** Template of the use() layer entered last: the mount point of the router it may call. */
  mount: string | null | undefined;
  /** The last route recorded (full template). */
  route: string | undefined;
  /** An error a handler passed on and no handler has recovered from yet. */
  error: unknown;
  /** The app's tracing middleware's options, once it ran. */
  options: ResolvedOptions | undefined;
  /** True once the response listeners are on. */
  watching: boolean;
  /** Ends of the middleware spans still open. */
  open: Set<() => void> | undefined;
  /** The error last recorded on a middleware span: the layers it then passes through did not raise it. */
  spanError: unknown;
}

export interface ExpressRequest extends IncomingMessage {
  baseUrl?: string;
  originalUrl?: string;
  app?: unknown;
}

/** What the request's key holds: its RequestState, UNTRACED, or undefined. */
export function rawState(req: ExpressRequest): RequestState | typeof UNTRACED | undefined {
  return frameworkState(req, STATE) as RequestState | typeof UNTRACED | undefined;
}

/** The request's record, or undefined when it is not traced (no recording server span, or ignored). */
export function stateOf(req: unknown): RequestState | undefined {
  if (req === null || typeof req !== 'object') return undefined;
  const state = rawState(req as ExpressRequest);
  return state === undefined || state === UNTRACED ? undefined : (state as RequestState);
}

/** The record of a request @tracewire/http traces with a recording span, made on first need. */
export function tracedState(req: ExpressRequest, res: unknown): RequestState | undefined {
  const existing = rawState(req);
  if (existing !== undefined) return existing === UNTRACED ? undefined : (existing as RequestState);
  const span = serverSpanOf(req);
  if (span === undefined || !span.isRecording()) return undefined;
  const state: RequestState = {
    span,
    res: res !== null && typeof res === 'object' ? (res as ServerResponse) : undefined,
    parts: [],
    bases: [],
    mount: undefined,
    route: undefined,
    error: undefined,
    options: undefined,
    watching: false,
    open: undefined,
    spanError: undefined,
  };
  return setFrameworkState(req, STATE, state) ? state : undefined;
}

/** Adds a router level; returns the new depth. The first level makes arrays of one (a push onto
 *  an empty array would make room for 17). */
export function pushLevel(state: RequestState, part: string | null, base: string): number {
  if (state.parts.length === 0) {
    state.parts = [part];
    state.bases = [base];
    return 1;
  }
  state.bases.push(base);
  return state.parts.push(part);
}

/** A router starts handling the request: one level deeper, mounted where the last use() layer matched. */
export function enterRouter(state: RequestState, req: ExpressRequest): number {
  const depth = pushLevel(state, state.mount === undefined ? '' : state.mount, typeof req.baseUrl === 'string' ? req.baseUrl : '');
  state.mount = undefined;
  return depth;
}

/** The router at `depth` hands the request back (to its parent, or to the final handler). */
export function leaveRouter(state: RequestState, depth: number, err: unknown): void {
  state.parts.length = depth - 1;
  state.bases.length = depth - 1;
  state.mount = undefined;
  noteError(state, err);
}

/** `next('route')` and `next('router')` are routing, not errors. */
export function isError(err: unknown): boolean {
  return Boolean(err) && err !== 'route' && err !== 'router';
}

/** A handler passed `err` on: it is recorded if the response ends up a server error. */
export function noteError(state: RequestState, err: unknown): void {
  if (!isError(err)) return;
  state.error = err;
  watchResponse(state);
}

/**
 * A layer's handler is about to run for the request: a route records its full
 * template on the server span, a use() layer remembers its mount point.
 * Returns the layer's description.
 */
export function enterLayer(state: RequestState, layer: LayerLike, req: ExpressRequest, recovered: boolean): LayerInfo {
  // A request handler only runs when no error is pending: whatever went before was handled.
  if (recovered) state.error = undefined;
  const info = layerInfo(layer);
  if (info.kind === 'handler') return info;
  if (info.kind === 'route') {
    state.mount = undefined;
    const route = routeHere(state, info, info.template !== undefined ? info.template : templateOf(layer, info, () => (typeof req.url === 'string' ? pathnameOf(req.url) : undefined)));
    if (route === undefined) return info;
    state.route = route;
    setRoute(req, route);
    return info;
  }
  state.mount = templateOf(layer, info, () => mountedText(state, req));
  return info;
}

/** What the use() layer being entered stripped from the path: req.baseUrl past the level's own. */
function mountedText(state: RequestState, req: ExpressRequest): string | undefined {
  const base = state.bases.length > 0 ? state.bases[state.bases.length - 1] : '';
  const now = req.baseUrl;
  return typeof now === 'string' && now.startsWith(base) ? now.slice(base.length) : undefined;
}

function sameParts(a: readonly (string | null)[], b: readonly (string | null)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * templateHere for a route layer, remembered on its description: a route is
 * almost always reached under the same mount templates, so the full template
 * is joined once rather than per request.
 */
function routeHere(state: RequestState, info: LayerInfo, last: string | null | undefined): string | undefined {
  if (last === null) return undefined;
  const joined = info.joined;
  if (joined !== undefined && joined.last === last && sameParts(joined.parts, state.parts)) return joined.route;
  const route = templateHere(state, last);
  if (route !== undefined && !Object.isFrozen(info)) info.joined = { parts: state.parts.slice(), last, route };
  return route;
}

/** The full template of where the request is now, plus `last`; undefined when some part is unknown. */
export function templateHere(state: RequestState, last: string | null | undefined): string | undefined {
  if (last === null || state.parts.includes(null)) return undefined;
  return joinRoute(last === undefined ? (state.parts as string[]) : [...(state.parts as string[]), last]);
}

const failedCallbacks = new Set<string>();

/** A user callback (option) threw: said once per option; the request goes on as if it were not set. */
export function userCallbackFailed(name: string, error: unknown): void {
  if (failedCallbacks.has(name)) return;
  failedCallbacks.add(name);
  log.warn(`@tracewire/express: the ${name} passed to tracing() threw (${(error as Error)?.message ?? String(error)}); fix it, requests are traced as if it were not set.`);
}

export function callHook<T>(hook: ((span: Span, target: T) => void) | undefined, span: Span, target: T, name: string): void {
  if (hook === undefined) return;
  try {
    hook(span, target);
  } catch (error) {
    userCallbackFailed(name, error);
  }
}

/** The response is done (finished, or its connection closed first); the server span ends right after. */
function settle(state: RequestState, res: ServerResponse): void {
  if (state.open !== undefined) for (const end of [...state.open]) end();
  // 4xx is the client's mistake: an error the app answered with one is not a failure of this server.
  if (state.error !== undefined && res.statusCode >= 500) recordError(state.span, state.error);
  const options = state.options;
  if (options === undefined) return;
  for (const [name, attribute] of options.responseHeaders) state.span.setAttribute(attribute, headerValues(res.getHeader(name)));
  callHook(options.responseHook, state.span, res, 'responseHook');
}

/**
 * Listens for the end of the response, once per request and only when there is
 * something to do then. @tracewire/http ends the server span after the
 * response's own listeners ran, so what settle() adds lands on it.
 */
export function watchResponse(state: RequestState): void {
  const res = state.res;
  if (state.watching || res === undefined || res.writableFinished) return;
  state.watching = true;
  const done = (): void => {
    res.removeListener('finish', done);
    res.removeListener('close', done);
    try {
      settle(state, res);
    } catch (error) {
      log.warn(`@tracewire/express: recording the end of a request failed (${(error as Error)?.message}); its span may lack an error or hook attributes.`);
    }
  };
  res.on('finish', done);
  res.on('close', done);
}
