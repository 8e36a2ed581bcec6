// What every part of the instrumentation shares, and what two copies of this
// package in one process share: the marks put on requests live under
// Symbol.for keys, so whichever copy saw a request first owns its span and the
// other copy steps aside.
import { applyInContext, Carrier, Context, currentSdk, getTracer, isOwnPropagationHeader, log, recordError, Span, SpanStatusCode } from '@tracewire/core';
import { errorType } from './attributes';
import { SCOPE, VERSION } from './version';

export const tracer = getTracer(SCOPE, VERSION);

/** This copy of the package: records carry it so only their owner ends their span. */
export const OWNER: object = Object.freeze({ scope: SCOPE, version: VERSION });

/** On a server IncomingMessage and its ServerResponse. */
export const SERVER_RECORD = Symbol.for('tracewire.http.server');
/** On a ClientRequest and its response IncomingMessage. */
export const CLIENT_RECORD = Symbol.for('tracewire.http.client');

export interface ServerRecord {
  readonly owner: object;
  readonly span: Span;
  /** Context the request's and response's events run in. */
  ctx: Context;
  /** `{method}` of the span name: the method, or HTTP for an unknown one. */
  readonly methodName: string;
  /** False when the span records nothing (sampled out): skip attribute work. */
  readonly recording: boolean;
  ended: boolean;
  /** A framework said not to trace this request: the span is never ended, so never exported. */
  ignored?: boolean;
  /** Frameworks' own per-request state (see frameworkState); made on first use. Optional: a record an
   *  older copy of this package made has none. */
  frameworks?: Record<symbol, unknown>;
}

export interface ClientRecord {
  readonly owner: object;
  readonly span: Span;
  /** The caller's context: callbacks and listeners run in it, not in the client span. */
  readonly ctx: Context;
  readonly recording: boolean;
  ended: boolean;
  /** The request timed out before it ended: a later error or close is reported as error.type timeout. */
  timedOut: boolean;
  responded: boolean;
}

interface SharedState {
  /** >0 while some copy is inside an outgoing-request wrapper, so a stacked copy does not make a second span. */
  outgoingDepth: number;
  /** undici request → its span record, shared so two copies subscribed to the channels make one span. */
  fetchRecords: WeakMap<object, ClientRecord>;
}

/** Which patches of this copy are in force; a wrapper whose patch is off passes straight through. */
export const active = { http: false, https: false, prototypes: false };

const SHARED_KEY = Symbol.for('tracewire.http.shared');
const holder = globalThis as unknown as Record<symbol, SharedState | undefined>;
export const shared: SharedState = holder[SHARED_KEY] ?? (holder[SHARED_KEY] = { outgoingDepth: 0, fetchRecords: new WeakMap() });

/** True when start() ran and the SDK is not disabled: only then is any instrumentation work done. */
export function tracingOn(): boolean {
  const sdk = currentSdk();
  return sdk !== undefined && sdk.enabled;
}

const failed = new Set<string>();

/** An instrumentation step threw: say so once per step and let the request go on untraced. */
export function fail(step: string, error: unknown, consequence = 'affected requests run untraced'): void {
  if (failed.has(step)) return;
  failed.add(step);
  log.warn(`@tracewire/http: ${step} failed (${(error as Error)?.message ?? String(error)}); ${consequence}.`);
}

/** A user callback (option) threw: say so once; the request is still traced. */
export function userCallbackFailed(name: string, error: unknown): void {
  fail(name, error, `fix the ${name} passed to configureHttp; requests are traced as if it were not set`);
}

/** Calls a user hook; a throwing hook is reported once and otherwise ignored. */
export function callHook<T>(hook: ((span: Span, target: T) => void) | undefined, span: Span, target: T, name: string): void {
  if (hook === undefined) return;
  try {
    hook(span, target);
  } catch (error) {
    userCallbackFailed(name, error);
  }
}

/** Marks a span as failed by `error`: exception event, status ERROR, error.type. */
export function failSpan(span: Span, error: unknown): void {
  recordError(span, error);
  span.setAttribute('error.type', errorType(error));
}

/** Marks a span as failed for a reason that is not an exception (aborted, timeout). */
export function failSpanWith(span: Span, type: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.setAttribute('error.type', type);
}

/** An EventEmitter emit as we wrap it; `this` is whatever emitter class it belongs to. */
export type Emit = (this: never, event: string | symbol, ...args: unknown[]) => boolean;

/**
 * False when emitting `event` on `emitter` runs no listener, so the context it
 * runs in does not matter: EventEmitter's emit then only returns false. 'error'
 * always counts (with no listener, emit throws, and what catches it may look at
 * the context); so does an emitter whose listener table is not the usual one.
 */
export function hasListeners(emitter: object, event: string | symbol): boolean {
  if (event === 'error') return true;
  const events = (emitter as { _events?: unknown })._events;
  return typeof events !== 'object' || events === null || (events as Record<string | symbol, unknown>)[event] !== undefined;
}

/** An emit through `original`: in `ctx` when someone listens to the event; with no listener the
 *  context cannot matter, so none is entered. `listened`: hasListeners, when the caller has it already. */
export function emitIn(
  ctx: Context,
  original: Emit,
  emitter: object,
  args: ArrayLike<unknown>,
  listened = hasListeners(emitter, args[0] as string | symbol),
): boolean {
  return (listened ? applyInContext(ctx, original, emitter, args) : Reflect.apply(original, emitter, args)) as boolean;
}

/**
 * Folds `step` over a request's headers as http.request takes them (an object,
 * a flat [name, value, …] array, or [[name, value], …]) or as undici keeps them
 * (a flat array, or in undici 5 `name: value\r\n` lines). A fold, not a
 * callback with state, so a primitive or lazily made accumulator costs nothing.
 */
function foldHeaders<T>(headers: unknown, step: (acc: T, name: unknown, value: unknown) => T, initial: T): T {
  let acc = initial;
  if (headers === undefined || headers === null) return acc;
  if (typeof headers === 'string') {
    for (const line of headers.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) acc = step(acc, line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
  } else if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers) if (Array.isArray(pair)) acc = step(acc, pair[0], pair[1]);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) acc = step(acc, headers[i], headers[i + 1]);
    }
  } else if (typeof headers === 'object') {
    const source = headers as Record<string, unknown>;
    for (const name of Object.keys(source)) acc = step(acc, name, source[name]);
  }
  return acc;
}

/** Adds one of the request's own headers to `own` (made on the first) if a propagator may write it. */
function addOwn(own: Carrier | undefined, name: unknown, value: unknown): Carrier | undefined {
  if (typeof name !== 'string' || value === undefined || value === null || !isOwnPropagationHeader(name)) return own;
  const lower = name.toLowerCase();
  const text = Array.isArray(value) ? value.map(String) : String(value);
  own ??= {};
  const before = own[lower];
  own[lower] = before === undefined ? text : ([] as string[]).concat(before as string | string[], text);
  return own;
}

/** The headers a request already has that a propagator may write, under lowercase names (repeated ones as
 *  arrays); undefined when there are none. `headers` in any shape foldHeaders reads. */
export function ownPropagationHeaders(headers: unknown): Carrier | undefined {
  return foldHeaders(headers, addOwn, undefined as Carrier | undefined);
}

/** Adds the bytes one header of the request's takes on the wire, unless outgoingHeaders replaces or removes it
 *  (trace context: whatever a propagator writes but baggage). */
function addBytes(bytes: number, name: unknown, value: unknown): number {
  if (typeof name !== 'string' || value === undefined || value === null) return bytes;
  if (isOwnPropagationHeader(name)) {
    const lower = name.toLowerCase();
    if (lower !== 'baggage' && !lower.startsWith('uberctx-')) return bytes;
  }
  if (!Array.isArray(value)) return bytes + name.length + String(value).length + 4;
  for (const item of value) bytes += name.length + String(item).length + 4;
  return bytes;
}

/** What a request's path and the headers it keeps take of its head (outgoingHeaders' `ownBytes`). */
export function requestBytes(path: string, headers: unknown): number {
  return foldHeaders(headers, addBytes, path.length);
}
