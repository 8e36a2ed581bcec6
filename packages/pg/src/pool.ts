// pg-pool's Pool (pg.Pool extends it): `query` (one span for checkout, query
// and release) and `connect` (a span for the caller's wait, so an exhausted
// pool shows as long pg-pool.connect spans; a checkout an idle client serves
// at once makes none).
import { activeContext, Context, contextWithSpan, NOOP_SPAN, Span } from '@tracewire/core';
import { AnyFunction, callbackIn, PlannedCall, promiseForm, traceCall } from './outcome';
import { markPoolQuery } from './pool-query';
import {
  callContext,
  ConnectionSettings,
  endConnectSpan,
  endQuerySpan,
  PoolCounters,
  startPoolConnectSpan,
  startQuerySpan,
} from './spans';

interface PgPool extends PoolCounters {
  Promise?: unknown;
  options?: PoolCounters['options'] & ConnectionSettings;
}

/** The context pg-pool runs in: the new span's, unless no span was made (requireParentSpan without a parent). */
function runContext(ctx: Context, span: Span): Context {
  return span === NOOP_SPAN ? ctx : contextWithSpan(ctx, span);
}

function planQuery(pool: PgPool, ctx: Context, text: unknown, values: unknown, callback: unknown): PlannedCall | undefined {
  // pg-pool's own normalisation: (text, callback) means no values.
  if (typeof values === 'function') {
    callback = values;
    values = undefined;
  }
  if (callback !== undefined && typeof callback !== 'function') return undefined;
  const config = (text !== null && typeof text === 'object' ? text : {}) as { text?: unknown; values?: unknown };
  const queryText = typeof text === 'string' ? text : config.text;
  const { span, hasSummary } = startQuerySpan(ctx, queryText, Array.isArray(values) ? values : config.values, pool.options);
  const runCtx = runContext(ctx, span);
  if (runCtx !== ctx) markPoolQuery(runCtx, span, hasSummary);
  if (typeof callback === 'function') {
    return { span, runCtx, args: [text, values, callbackIn(ctx, callback, (a) => endQuerySpan(span, a[0], a[1]))] };
  }
  const { promise, callback: done } = promiseForm(pool.Promise, true, (error, result) => endQuerySpan(span, error, result));
  return { span, runCtx, args: [text, values, done], promise };
}

export function wrapPoolQuery(original: AnyFunction): AnyFunction {
  return function query(this: PgPool, text: unknown, values: unknown, callback: unknown): unknown {
    const ctx = callContext(activeContext());
    // A function as the text is an error pg-pool reports itself.
    if (ctx === undefined || typeof text === 'function') return Reflect.apply(original, this, arguments);
    return traceCall(original, this, arguments, 'tracing a pool query', () => planQuery(this, ctx, text, values, callback), endQuerySpan);
  };
}

function planConnect(pool: PgPool, ctx: Context, callback: unknown): PlannedCall | undefined {
  if (callback !== undefined && typeof callback !== 'function') return undefined;
  const span = startPoolConnectSpan(ctx, pool);
  // A new connection's pg.connect span is a child of the wait.
  const runCtx = runContext(ctx, span);
  if (typeof callback === 'function') {
    return {
      span,
      runCtx,
      args: [callbackIn(ctx, callback, (a) => endConnectSpan(span, a[0], a[1] as ConnectionSettings | undefined))],
    };
  }
  const { promise, callback: done } = promiseForm(pool.Promise, true, (error, client) => endConnectSpan(span, error, client as ConnectionSettings | undefined));
  return { span, runCtx, args: [done], promise };
}

/** An idle client is handed over at once, with no I/O: a span for that would only be noise. */
function checkoutIsImmediate(pool: PgPool): boolean {
  return typeof pool.idleCount === 'number' && pool.idleCount > 0 && !(typeof pool.waitingCount === 'number' && pool.waitingCount > 0);
}

export function wrapPoolConnect(original: AnyFunction): AnyFunction {
  return function connect(this: PgPool, callback: unknown): unknown {
    const ctx = callContext(activeContext());
    if (ctx === undefined || checkoutIsImmediate(this)) return Reflect.apply(original, this, arguments);
    return traceCall(original, this, arguments, 'tracing a pool connect', () => planConnect(this, ctx, callback), endConnectSpan);
  };
}
