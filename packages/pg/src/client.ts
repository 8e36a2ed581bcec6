// pg's Client: `query` in every call form and `connect`. The wrappers decide
// whether to trace, start the span, and hand pg the same call with the
// outcome routed through outcome.ts; if anything of ours fails before pg is
// called, pg is called exactly as the app called it.
import { activeContext, applyInContext, Context, Span } from '@tracewire/core';
import { AnyFunction, callbackIn, PlannedCall, promiseForm, traceCall } from './outcome';
import { claimPoolQuery } from './pool-query';
import {
  callContext,
  ConnectionSettings,
  endConnectSpan,
  endQuerySpan,
  startConnectSpan,
  startQuerySpan,
} from './spans';

/** What the wrappers read of a pg Client: its public settings and the Promise constructor pg uses for it. */
interface PgClient extends ConnectionSettings {
  _Promise?: unknown;
}

/** What pg accepts as the first argument of query(): text, a config object, or a submittable (Query, Cursor, QueryStream). */
interface QueryConfig {
  text?: unknown;
  values?: unknown;
  callback?: unknown;
  submit?: unknown;
  /** pg-query-stream keeps its text and values on its (public) cursor. */
  cursor?: { text?: unknown; values?: unknown };
}

/** Submittable methods pg calls from socket events that may run app code (callbacks, 'row'/'end'/'error' listeners). */
const EVENT_HANDLERS = ['handleDataRow', 'handlePortalSuspended'] as const;

function defineOwn(target: object, name: string, value: AnyFunction): void {
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
}

/**
 * Ends the span when the submittable is done and runs its event handling in
 * the caller's context, by wrapping the handler methods pg calls on it (own
 * properties of this object only; no listener is added, so an unhandled
 * 'error' stays unhandled).
 */
function watchSubmittable(submittable: Record<string, unknown>, span: Span, ctx: Context): void {
  const { handleReadyForQuery, handleError } = submittable;
  if (typeof handleReadyForQuery !== 'function' || typeof handleError !== 'function') return;
  defineOwn(submittable, 'handleReadyForQuery', function (this: unknown): unknown {
    // A Query whose row parsing failed turns this into handleError, which ends the span with the error.
    // A Query's results count its rows; a cursor's last result counts only its last batch, so it is not read.
    if (!submittable._canceledDueToError) endQuerySpan(span, undefined, submittable._results);
    return applyInContext(ctx, handleReadyForQuery, this, arguments);
  });
  defineOwn(submittable, 'handleError', function (this: unknown, error: unknown): unknown {
    endQuerySpan(span, error);
    return applyInContext(ctx, handleError, this, arguments);
  });
  for (const name of EVENT_HANDLERS) {
    const handler = submittable[name];
    if (typeof handler !== 'function') continue;
    defineOwn(submittable, name, function (this: unknown): unknown {
      return applyInContext(ctx, handler, this, arguments);
    });
  }
}

/** pg's rule for which callback a query call ends with: the third argument, else a function second, else config.callback. */
function callbackOf(config: unknown, values: unknown, callback: unknown): unknown {
  if (callback) return callback;
  if (typeof values === 'function') return values;
  return typeof config === 'object' ? (config as QueryConfig).callback : undefined;
}

function planQuery(client: PgClient, ctx: Context, config: unknown, values: unknown, callback: unknown): PlannedCall | undefined {
  if (config === null || config === undefined) return undefined;
  const query = (typeof config === 'object' ? config : {}) as QueryConfig;
  const submittable = typeof query.submit === 'function';
  const text = typeof config === 'string' ? config : (query.text ?? (submittable ? query.cursor?.text : undefined));
  const cb = submittable ? undefined : callbackOf(config, values, callback);
  // pg throws for a callback that is not a function: let it, untraced.
  if (cb !== undefined && typeof cb !== 'function') return undefined;
  const parameters = submittable ? (query.values ?? query.cursor?.values) : Array.isArray(values) ? values : query.values;
  const { span } = startQuerySpan(ctx, text, parameters, client);
  if (submittable) {
    watchSubmittable(config as Record<string, unknown>, span, ctx);
    return { span, args: [config, values, callback] };
  }
  const valuesArg = typeof values === 'function' ? undefined : values;
  if (typeof cb === 'function') {
    const traced = callbackIn(ctx, cb, (args) => endQuerySpan(span, args[0], args[1]));
    return { span, args: [config, valuesArg, traced] };
  }
  const { promise, callback: done } = promiseForm(client._Promise, true, (error, result) => endQuerySpan(span, error, result));
  return { span, args: [config, valuesArg, done], promise };
}

export function wrapQuery(original: AnyFunction): AnyFunction {
  return function query(this: PgClient, config: unknown, values: unknown, callback: unknown): unknown {
    const ctx = callContext(activeContext());
    if (ctx === undefined || claimPoolQuery(ctx, this)) return Reflect.apply(original, this, arguments);
    return traceCall(original, this, arguments, 'tracing a query', () => planQuery(this, ctx, config, values, callback), endQuerySpan);
  };
}

function planConnect(client: PgClient, ctx: Context, callback: unknown): PlannedCall | undefined {
  if (callback !== undefined && typeof callback !== 'function') return undefined;
  const span = startConnectSpan(ctx, client);
  if (typeof callback === 'function') {
    return { span, args: [callbackIn(ctx, callback, (args) => endConnectSpan(span, args[0], client))] };
  }
  // pg's promise form of connect resolves with the client itself and does not re-capture the stack.
  const { promise, callback: done } = promiseForm(client._Promise, false, (error) => endConnectSpan(span, error, client), client);
  return { span, args: [done], promise };
}

export function wrapConnect(original: AnyFunction): AnyFunction {
  return function connect(this: PgClient, callback: unknown): unknown {
    const ctx = callContext(activeContext());
    if (ctx === undefined) return Reflect.apply(original, this, arguments);
    return traceCall(original, this, arguments, 'tracing a connect', () => planConnect(this, ctx, callback), endConnectSpan);
  };
}
