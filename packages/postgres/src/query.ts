// The patch: postgres.js's Query class (cjs/src/query.js), a lazy Promise
// subclass. Every user query — tagged template, unsafe, file, inside begin or
// reserve — is one, so its prototype is the one place that sees them all:
//
// - creation: the constructor assigns `this.canceller`; an accessor on the
//   prototype sees that assignment (turning it into the own data property the
//   constructor would have made) and keeps the caller's context. Queries the
//   connection makes for itself (type lookup, session state) get no canceller
//   and stay untraced.
// - execution: `handle()` runs once, on the first then/catch/finally,
//   execute(), forEach() or cursor iteration; a query never run makes no span.
// - outcome: the connection settles a query through its own `resolve` and
//   `reject` properties; wrapping them ends the span just before the caller
//   sees the value or the error, which reach it unchanged. The cursor
//   iterator installs new ones on every step, so its iterator is watched too.
// - building: the connection builds the query's text just before sending it
//   (types-patch.ts sees that and calls queryBuilt with the connection's
//   options): where it goes is then known, for this query and, through the
//   instance's canceller, for the next ones at their start.
import { activeContext, bind, Context, Span } from '@tracewire/core';
import { Connection, knownConnection, ParsedOptions, rememberConnection } from './connection';
import { options } from './options';
import { endQuerySpan, startQuerySpan, traceableContext, warnFailure } from './spans';

/** A postgres.js Query, as far as the patch touches it. */
interface Query {
  executed?: boolean;
  string?: unknown;
  parameters?: unknown;
  canceller?: unknown;
  resolve: (value: unknown) => unknown;
  reject: (error: unknown) => unknown;
}

interface Traced {
  ctx: Context;
  span?: Span;
  connection?: Connection;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;
type Prototype = Record<string | symbol, unknown>;

/** Queries written where tracing is on, until they end. */
const traced = new WeakMap<object, Traced>();

const MARK = Symbol.for('tracewire.postgres.wrapper');

function ownData(target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
}

const ORIGINAL = Symbol('tracewire.postgres.original');

/** The setter that sees the constructor's `this.canceller = …`. */
function setCanceller(this: object, canceller: unknown): void {
  ownData(this, 'canceller', canceller);
  if (typeof canceller !== 'function') return;
  try {
    const ctx = traceableContext(activeContext());
    if (ctx !== undefined && (ctx.span !== undefined || !options.requireParentSpan)) traced.set(this, { ctx });
  } catch (error) {
    warnFailure('noting where a query was written', error);
  }
}
Object.defineProperty(setCanceller, MARK, { value: true });

/** Ends the query's span once (the first outcome wins). */
function finish(query: Query, error: unknown, result?: unknown): void {
  const state = traced.get(query);
  if (state?.span === undefined) return;
  traced.delete(query);
  endQuerySpan(state.span, query, state.connection, error, result);
}

function setConnection(state: Traced, connection: Connection | undefined): void {
  if (connection === undefined || state.connection !== undefined || state.span === undefined) return;
  state.connection = connection;
  if (state.span.isRecording()) state.span.setAttributes(connection.attributes);
}

/**
 * The connection is building `query` with its parsed options: records where
 * it goes on the query's span (started by then) and remembers it for the
 * instance's next queries. Never throws.
 */
export function queryBuilt(query: Query | null | undefined, connectionOptions: ParsedOptions | undefined): void {
  try {
    // Queries postgres.js makes for itself carry no canceller, and are not traced.
    const connection = rememberConnection(query?.canceller, connectionOptions);
    if (connection === undefined) return;
    const state = traced.get(query!);
    if (state !== undefined) setConnection(state, connection);
  } catch (error) {
    warnFailure('recording where a query goes', error);
  }
}

function watchOutcome(query: Query): void {
  const resolve = query.resolve;
  const reject = query.reject;
  query.resolve = function tracedResolve(this: unknown, value: unknown): unknown {
    finish(query, undefined, value);
    return Reflect.apply(resolve, this, arguments);
  };
  query.reject = function tracedReject(this: unknown, error: unknown): unknown {
    finish(query, error);
    return Reflect.apply(reject, this, arguments);
  };
}

function wrapHandle(original: AnyFunction): AnyFunction {
  return function handle(this: Query): unknown {
    if (this.executed !== true) {
      const state = traced.get(this);
      if (state !== undefined && state.span === undefined) {
        try {
          state.span = startQuerySpan(state.ctx);
          setConnection(state, knownConnection(this.canceller));
          watchOutcome(this);
        } catch (error) {
          traced.delete(this);
          warnFailure('starting a query span', error);
        }
      }
    }
    return Reflect.apply(original, this, arguments);
  };
}

/** Row callbacks run from the socket's events: they run in the caller's context instead, as pg's callbacks do. */
function wrapForEach(original: AnyFunction): AnyFunction {
  return function forEach(this: Query, fn: unknown): unknown {
    const args = typeof fn === 'function' && traced.has(this) ? [bind(fn as (...a: never[]) => unknown)] : arguments;
    return Reflect.apply(original, this, args);
  };
}

type Step = IteratorResult<unknown> | Promise<IteratorResult<unknown>>;
interface CursorIterator {
  next(): Step;
  return?(): Step;
}

/** The iterator form of cursor(): the span ends when iteration ends — done, failed, or left early. */
function watchIterator(query: Query, iterator: CursorIterator): CursorIterator {
  const next = iterator.next;
  const leave = iterator.return;
  iterator.next = function tracedNext(this: unknown): Step {
    const step = Reflect.apply(next, this, arguments) as Step;
    if (step instanceof Promise) {
      step.then(
        (result) => result.done === true && finish(query, undefined),
        (error: unknown) => finish(query, error),
      );
    } else if (step?.done === true) {
      finish(query, undefined);
    }
    return step;
  };
  if (typeof leave === 'function') {
    iterator.return = function tracedReturn(this: unknown): Step {
      finish(query, undefined);
      return Reflect.apply(leave, this, arguments) as Step;
    };
  }
  return iterator;
}

function wrapCursor(original: AnyFunction): AnyFunction {
  return function cursor(this: Query, rows: unknown, fn: unknown): unknown {
    let args: ArrayLike<unknown> = arguments;
    if (traced.has(this)) {
      // cursor(fn) and cursor(rows, fn): the batch callback runs from socket events, like forEach's.
      if (typeof rows === 'function') args = [bind(rows as (...a: never[]) => unknown)];
      else if (typeof fn === 'function') args = [rows, bind(fn as (...a: never[]) => unknown)];
    }
    const returned = Reflect.apply(original, this, args) as unknown;
    if (returned === this || !traced.has(this)) return returned;
    const iterable = returned as { [Symbol.asyncIterator]?: () => CursorIterator } | null;
    const makeIterator = iterable?.[Symbol.asyncIterator];
    if (typeof makeIterator !== 'function') return returned;
    const query = this;
    (iterable as { [Symbol.asyncIterator]: () => CursorIterator })[Symbol.asyncIterator] = function (this: unknown): CursorIterator {
      return watchIterator(query, Reflect.apply(makeIterator, this, arguments) as CursorIterator);
    };
    return returned;
  };
}

const METHODS: Readonly<Record<string, (original: AnyFunction) => AnyFunction>> = {
  handle: wrapHandle,
  forEach: wrapForEach,
  cursor: wrapCursor,
};

/** True when `prototype` carries this or another copy's patch. */
function isPatched(prototype: Prototype): boolean {
  return (Object.getOwnPropertyDescriptor(prototype, 'canceller')?.set as { [MARK]?: true } | undefined)?.[MARK] === true;
}

/** Patches Query.prototype in place; throws, changing nothing, if it does not look like postgres.js 3's. */
export function patchQueryPrototype(prototype: unknown): void {
  const target = prototype as Prototype | null;
  if (target === null || typeof target !== 'object') throw new TypeError('postgres.js Query is not a class');
  if (isPatched(target)) return;
  for (const name of Object.keys(METHODS)) {
    if (typeof target[name] !== 'function') throw new TypeError(`postgres.js Query#${name} is not a function`);
  }
  if (Object.prototype.hasOwnProperty.call(target, 'canceller')) throw new TypeError('postgres.js Query#canceller is already defined');
  Object.defineProperty(target, 'canceller', { configurable: true, set: setCanceller });
  for (const name of Object.keys(METHODS)) {
    const original = target[name] as AnyFunction;
    const wrapper = METHODS[name](original);
    Object.defineProperty(wrapper, ORIGINAL, { value: original });
    target[name] = wrapper;
  }
}

/** Restores what patchQueryPrototype changed, if this copy made the change. */
export function unpatchQueryPrototype(prototype: unknown): void {
  const target = prototype as Prototype | null;
  if (target === null || typeof target !== 'object') return;
  if (Object.getOwnPropertyDescriptor(target, 'canceller')?.set === setCanceller) delete target.canceller;
  for (const name of Object.keys(METHODS)) {
    const original = (target[name] as { [ORIGINAL]?: unknown } | undefined)?.[ORIGINAL];
    if (typeof original === 'function') target[name] = original;
  }
}
