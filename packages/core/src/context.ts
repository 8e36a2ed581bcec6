// The active context (current span, baggage, suppression) travels with async
// work through one AsyncLocalStorage. It is kept on a global symbol so that two
// copies of @tracewire/core in one process (e.g. the preload's and the app's)
// still see one context and one tracer.
import { AsyncLocalStorage } from 'async_hooks';
import type { Span } from './span';
import type { Baggage } from './types';

/** The keys `@opentelemetry/api` (and the OTel SDK's core) use for what a tracewire context holds. */
export const OTEL_SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
export const OTEL_BAGGAGE_KEY = Symbol.for('OpenTelemetry Baggage Key');
export const OTEL_SUPPRESS_KEY = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** Converts between tracewire's Baggage and the OTel API's (set by the bridge, otel/baggage.ts, when loaded). */
export interface BaggageViews {
  toOtel(baggage: Baggage): unknown;
  fromOtel(value: unknown): Baggage | undefined;
}

/**
 * The context that travels with async work: the active span, baggage, whether
 * tracing is suppressed, and any other value code put there through the
 * `@opentelemetry/api` (its `Context` interface is implemented here, so the
 * bridge hands these objects to OTel-API code as they are). Immutable.
 */
export class Context {
  declare readonly span: Span | undefined;
  declare readonly baggage: Baggage | undefined;
  /** Set while tracewire (or an OTel SDK's exporter) does its own I/O: nothing inside is traced. */
  declare readonly suppressed: boolean | undefined;
  /** @internal Values under other keys (OTel-API code's own), or undefined. */
  declare readonly _values: ReadonlyMap<symbol, unknown> | undefined;

  constructor(span?: Span, baggage?: Baggage, suppressed?: boolean, values?: ReadonlyMap<symbol, unknown>) {
    this.span = span;
    this.baggage = baggage;
    this.suppressed = suppressed;
    this._values = values;
  }

  /** `@opentelemetry/api` Context: the value under `key`. */
  getValue(key: symbol): unknown {
    if (key === OTEL_SPAN_KEY) return this.span;
    if (key === OTEL_BAGGAGE_KEY) return this.baggage === undefined || shared.baggage === undefined ? undefined : shared.baggage.toOtel(this.baggage);
    if (key === OTEL_SUPPRESS_KEY) return this.suppressed === true ? true : undefined;
    return this._values === undefined ? undefined : this._values.get(key);
  }

  /** `@opentelemetry/api` Context: a new context with `value` under `key`. */
  setValue(key: symbol, value: unknown): Context {
    if (key === OTEL_SPAN_KEY) return new Context(isSpanLike(value) ? value : undefined, this.baggage, this.suppressed, this._values);
    if (key === OTEL_BAGGAGE_KEY) return new Context(this.span, shared.baggage?.fromOtel(value), this.suppressed, this._values);
    if (key === OTEL_SUPPRESS_KEY) return new Context(this.span, this.baggage, value === true ? true : undefined, this._values);
    const values = new Map(this._values);
    values.set(key, value);
    return new Context(this.span, this.baggage, this.suppressed, values);
  }

  /** `@opentelemetry/api` Context: a new context without a value under `key`. */
  deleteValue(key: symbol): Context {
    if (key === OTEL_SPAN_KEY || key === OTEL_BAGGAGE_KEY || key === OTEL_SUPPRESS_KEY) return this.setValue(key, undefined);
    if (this._values === undefined || !this._values.has(key)) return this;
    const values = new Map(this._values);
    values.delete(key);
    return new Context(this.span, this.baggage, this.suppressed, values.size === 0 ? undefined : values);
  }
}

function isSpanLike(value: unknown): value is Span {
  return value !== null && typeof value === 'object' && typeof (value as Span).spanContext === 'function';
}

export const ROOT_CONTEXT: Context = Object.freeze(new Context());

/**
 * Another OpenTelemetry SDK's context manager, when one owned the
 * `@opentelemetry/api` globals before tracewire (set by otel/register.ts):
 * its suppress-tracing key is honoured, and tracewire's own I/O sets it.
 */
export interface ForeignContext {
  suppressed(): boolean;
  runSuppressed<T>(fn: () => T): T;
}

interface Shared {
  storage: AsyncLocalStorage<Context>;
  /** The OTel API sees tracewire's context: tracewire's own I/O must then always enter a suppressed one. */
  bridged: boolean;
  foreign: ForeignContext | undefined;
  baggage: BaggageViews | undefined;
}

const KEY = Symbol.for('tracewire.context');
const holder = globalThis as unknown as Record<symbol, Shared | undefined>;
const shared: Shared = holder[KEY] ?? (holder[KEY] = { storage: new AsyncLocalStorage<Context>(), bridged: false, foreign: undefined, baggage: undefined });
const storage = shared.storage;

/** For the OTel bridge (otel/register.ts): the process-wide switches above. */
export function contextBridgeState(): Pick<Shared, 'bridged' | 'foreign' | 'baggage'> {
  return shared;
}

/**
 * A context of this class from any object shaped like one: a context made by
 * code that built `{ span, baggage }` itself, or an OTel-API Context (the API's
 * ROOT_CONTEXT and what derives from it), whose span, baggage, suppression and
 * (when it keeps them in the API's own Map) other values are carried over.
 */
export function toContext(value: unknown): Context {
  if (value instanceof Context) return value;
  if (value === null || typeof value !== 'object') return ROOT_CONTEXT;
  const otel = value as { getValue?: unknown; _currentContext?: unknown };
  if (typeof otel.getValue === 'function') {
    const get = (key: symbol): unknown => (otel.getValue as (key: symbol) => unknown).call(value, key);
    const span = get(OTEL_SPAN_KEY);
    let values: Map<symbol, unknown> | undefined;
    if (otel._currentContext instanceof Map) {
      for (const [key, v] of otel._currentContext as Map<unknown, unknown>) {
        if (typeof key !== 'symbol' || key === OTEL_SPAN_KEY || key === OTEL_BAGGAGE_KEY || key === OTEL_SUPPRESS_KEY) continue;
        (values ??= new Map()).set(key, v);
      }
    }
    return new Context(isSpanLike(span) ? span : undefined, shared.baggage?.fromOtel(get(OTEL_BAGGAGE_KEY)), get(OTEL_SUPPRESS_KEY) === true ? true : undefined, values);
  }
  const plain = value as { span?: unknown; baggage?: Baggage; suppressed?: unknown };
  return new Context(isSpanLike(plain.span) ? plain.span : undefined, plain.baggage instanceof Map ? plain.baggage : undefined, plain.suppressed === true ? true : undefined);
}

export function activeContext(): Context {
  return storage.getStore() ?? ROOT_CONTEXT;
}

export function activeSpan(): Span | undefined {
  return storage.getStore()?.span;
}

/** Runs `fn` with `ctx` active; what it starts (sync or async) sees `ctx`. */
export function withContext<A extends unknown[], R>(ctx: Context, fn: (...args: A) => R, ...args: A): R {
  return storage.run(ctx, fn, ...args);
}

/**
 * `fn.apply(self, args)` with `ctx` active: what the instrumentations' wrappers
 * call per emit, callback or patched call. One store switch (the storage skips
 * it when `ctx` is already active), no closure, no rest/spread copy of `args`.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function applyInContext(ctx: Context, fn: Function, self: unknown, args: ArrayLike<unknown>): unknown {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  return storage.run(ctx, Reflect.apply as (fn: Function, self: unknown, args: ArrayLike<unknown>) => unknown, fn, self, args);
}

export function contextWithSpan(ctx: Context, span: Span): Context {
  return new Context(span, ctx.baggage, ctx.suppressed, ctx._values);
}

export function contextWithBaggage(ctx: Context, baggage: Baggage | undefined): Context {
  return new Context(ctx.span, baggage, ctx.suppressed, ctx._values);
}

/** `ctx` with tracing suppressed. */
export function suppressedContext(ctx: Context): Context {
  return ctx.suppressed === true ? ctx : new Context(ctx.span, ctx.baggage, true, ctx._values);
}

/** True when nothing may be traced in `ctx`: tracewire's or, beside another OTel SDK, that SDK's suppression. */
export function isSuppressed(ctx: Context = activeContext()): boolean {
  return ctx.suppressed === true || (shared.foreign !== undefined && shared.foreign.suppressed());
}

/** Runs `fn` so that nothing it does, synchronously or later, makes spans. */
export function suppressTracing<T>(fn: () => T): T {
  return storage.run(suppressedContext(activeContext()), fn);
}

/**
 * Runs `fn` so that nothing it does is traced, like suppressTracing, but
 * without entering a context when none is active: the first context entered
 * turns on async context tracking for the whole process (a cost on every
 * promise and async resource from then on), which tracewire's own I/O should
 * not cause. With no active context there is no span for anything to be a
 * child of, and tracewire's instrumentations never see the exporter's sockets
 * — unless OTel-API instrumentations read this context too (the bridge is
 * registered), or another OTel SDK owns the API's context (its suppression is
 * set as well).
 */
export function untraced<T>(fn: () => T): T {
  if (shared.foreign !== undefined) return shared.foreign.runSuppressed(() => untracedHere(fn));
  return untracedHere(fn);
}

function untracedHere<T>(fn: () => T): T {
  const ctx = storage.getStore();
  // Code using @opentelemetry/api sees this context (its http instrumentation, say): it must see suppression even with no span.
  if (ctx === undefined) return shared.bridged ? storage.run(SUPPRESSED_ROOT, fn) : fn();
  if (ctx.suppressed === true) return fn();
  return storage.run(suppressedContext(ctx), fn);
}

const SUPPRESSED_ROOT: Context = Object.freeze(new Context(undefined, undefined, true));

/** Returns `fn` bound to the context active now (or `ctx`), for callbacks run
 *  later from somewhere else (socket events, pools, queues). */
export function bind<F extends (...args: never[]) => unknown>(fn: F, ctx: Context = activeContext()): F {
  if (typeof fn !== 'function') return fn;
  const bound = function (this: unknown, ...args: unknown[]): unknown {
    return storage.run(ctx, Reflect.apply, fn, this, args);
  };
  return bound as unknown as F;
}
