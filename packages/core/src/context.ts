// The active context (current span, baggage, suppression) travels with async
// work through one AsyncLocalStorage. It is kept on a global symbol so that two
// copies of @tracewire/core in one process (e.g. the preload's and the app's)
// still see one context and one tracer.
import { AsyncLocalStorage } from 'async_hooks';
import type { Span } from './span';
import type { Baggage } from './types';

export interface Context {
  readonly span?: Span;
  readonly baggage?: Baggage;
  /** Set while tracewire does its own I/O (exports): nothing inside is traced. */
  readonly suppressed?: boolean;
}

export const ROOT_CONTEXT: Context = Object.freeze({});

interface Shared {
  storage: AsyncLocalStorage<Context>;
}

const KEY = Symbol.for('tracewire.context');
const holder = globalThis as unknown as Record<symbol, Shared | undefined>;
const shared: Shared = holder[KEY] ?? (holder[KEY] = { storage: new AsyncLocalStorage<Context>() });
const storage = shared.storage;

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
  return { span, baggage: ctx.baggage, suppressed: ctx.suppressed };
}

export function contextWithBaggage(ctx: Context, baggage: Baggage | undefined): Context {
  return { span: ctx.span, baggage, suppressed: ctx.suppressed };
}

export function isSuppressed(ctx: Context = activeContext()): boolean {
  return ctx.suppressed === true;
}

/** Runs `fn` so that nothing it does, synchronously or later, makes spans. */
export function suppressTracing<T>(fn: () => T): T {
  const ctx = activeContext();
  return storage.run({ span: ctx.span, baggage: ctx.baggage, suppressed: true }, fn);
}

/**
 * Runs `fn` so that nothing it does is traced, like suppressTracing, but
 * without entering a context when none is active: the first context entered
 * turns on async context tracking for the whole process (a cost on every
 * promise and async resource from then on), which tracewire's own I/O should
 * not cause. With no active context there is no span for anything to be a
 * child of, and tracewire's instrumentations never see the exporter's sockets.
 */
export function untraced<T>(fn: () => T): T {
  const ctx = storage.getStore();
  if (ctx === undefined || ctx.suppressed === true) return fn();
  return storage.run({ span: ctx.span, baggage: ctx.baggage, suppressed: true }, fn);
}

/** Returns `fn` bound to the context active now (or `ctx`), for callbacks run
 *  later from somewhere else (socket events, pools, queues). */
export function bind<F extends (...args: never[]) => unknown>(fn: F, ctx: Context = activeContext()): F {
  if (typeof fn !== 'function') return fn;
  const bound = function (this: unknown, ...args: unknown[]): unknown {
    return storage.run(ctx, Reflect.apply, fn, this, args);
  };
  return bound as unknown as F;
}
