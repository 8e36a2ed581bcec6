// How a traced call learns its outcome without changing what the caller sees.
// pg answers a call from its socket's events, so a callback would run in
// whatever context the socket was opened in (another request's): the caller's
// callback is bound to the caller's context at call time. When the caller
// passed no callback, the wrapper calls pg's callback form and returns a
// promise made exactly the way pg makes its own (the client's or pool's
// Promise constructor, the same settling, the same stack re-capture), so the
// caller gets the same kind of promise with the same value or the same error
// object, and no handler of ours is ever attached to it (which would hide an
// unhandled rejection).
import { applyInContext, Context, Span } from '@tracewire/core';
import { warnFailure } from './spans';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type AnyFunction = Function;
export type NodeCallback = (this: unknown, error: unknown, ...values: unknown[]) => unknown;

/**
 * The caller's callback, wrapped: `observe` sees its arguments first (a
 * failure there is logged, never passed on), then the callback runs in `ctx`
 * with its own `this`, arguments and return value.
 */
export function callbackIn(ctx: Context, callback: AnyFunction, observe: (args: IArguments) => void): NodeCallback {
  return function tracedCallback(this: unknown): unknown {
    try {
      observe(arguments);
    } catch (error) {
      warnFailure('recording a result', error);
    }
    return applyInContext(ctx, callback, this, arguments);
  };
}

export interface PromiseForm {
  /** What the wrapper returns: the promise pg would have returned. */
  readonly promise: unknown;
  /** What pg gets as the callback: `observe` sees the outcome, then the promise settles as pg settles its own. */
  readonly callback: NodeCallback;
}

/**
 * For a call made without a callback: a promise made as pg makes it —
 * `new PromiseConstructor(…)`, a truthy error rejects, else it resolves with
 * the callback's value (or `resolveWith`); for queries and pool checkouts
 * (captureStack) followed by pg's `.catch` that re-captures the error's stack
 * so it leads back to the caller.
 */
export function promiseForm(
  PromiseConstructor: unknown,
  captureStack: boolean,
  observe: (error: unknown, value: unknown) => void,
  resolveWith?: unknown,
): PromiseForm {
  const P = (typeof PromiseConstructor === 'function' ? PromiseConstructor : Promise) as PromiseConstructor;
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  let promise: Promise<unknown> = new P((res, rej) => {
    resolve = res;
    reject = rej;
  });
  if (captureStack) {
    promise = promise.catch((error: Error) => {
      Error.captureStackTrace(error);
      throw error;
    });
  }
  const callback = (error: unknown, value?: unknown): void => {
    try {
      observe(error, value);
    } catch (failure) {
      warnFailure('recording a result', failure);
    }
    if (error) reject(error);
    else resolve(resolveWith === undefined ? value : resolveWith);
  };
  return { promise, callback };
}

/** A traced call, ready to hand to the original. */
export interface PlannedCall {
  readonly span: Span;
  /** The arguments the original gets: the caller's, with the callback replaced by ours. */
  readonly args: unknown[];
  /** Returned instead of what the original returns: the promise of the promise form. */
  readonly promise?: unknown;
  /** The context the original runs in, when it is not the caller's. */
  readonly runCtx?: Context;
}

/**
 * The body every wrapper shares: plan the traced call (our code: if it fails,
 * that is logged and the original runs exactly as the app called it), then
 * call the original as planned; a synchronous throw of the original ends the
 * span (through `end`) and reaches the caller unchanged.
 */
export function traceCall(
  original: AnyFunction,
  thisArg: unknown,
  args: IArguments,
  step: string,
  plan: () => PlannedCall | undefined,
  end: (span: Span, error: unknown) => void,
): unknown {
  let planned: PlannedCall | undefined;
  try {
    planned = plan();
  } catch (error) {
    warnFailure(step, error);
  }
  if (planned === undefined) return Reflect.apply(original, thisArg, args);
  let returned: unknown;
  try {
    returned = planned.runCtx === undefined ? Reflect.apply(original, thisArg, planned.args) : applyInContext(planned.runCtx, original, thisArg, planned.args);
  } catch (error) {
    end(planned.span, error);
    throw error;
  }
  return planned.promise ?? returned;
}
