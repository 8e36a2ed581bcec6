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
import { activeContext, bind, Context, Span } from '@tracewire/core';
import { endQuerySpan, startQuerySpan, traceableContext, warnFailure } from './spans';

/** A postgres.js Query, as far as the patch touches it. */
interface Query {
  executed?: boolean;
  string?: unknown;
  resolve: (value: unknown) => unknown;
  reject: (error: unknown) => unknown;
}

interface Traced {
  ctx: Context;
  span?: Span;
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
    if (ctx !== undefined) traced.set(this, { ctx });
  } catch (error) {
    warnFailure('noting where a query was written', error);
  }
}
Object.defineProperty(setCanceller, MARK, { value: true });

/** Ends the query's span once (the first outcome wins). */
function finish(query: Query, error: unknown, result?: unknown): void {
  const state = traced.get(query);
  const span = state?.span;
  if (span === undefined) return;
  traced.delete(query);
  endQuerySpan(span, query, error, result);
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
