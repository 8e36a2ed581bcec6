// The OTel API's `context.bind(ctx, emitter)`: every listener added to that
// emitter from then on runs in `ctx`, and removing the listener the caller
// holds removes the bound one. OTel-API instrumentations (their http one,
// for instance) bind request and response emitters this way.
import { EventEmitter } from 'events';
import { bind, Context } from '../context';

const ADDERS = ['addListener', 'on', 'once', 'prependListener', 'prependOnceListener'] as const;
const REMOVERS = ['removeListener', 'off'] as const;

/** On a bound emitter: event → (the caller's listener → the listener actually added). */
const BOUND = Symbol('tracewire.boundListeners');

type Listener = (...args: unknown[]) => unknown;
type Method = (this: EventEmitter, event: string | symbol, listener?: Listener) => unknown;
type Bound = EventEmitter & { [BOUND]?: Map<string | symbol, WeakMap<Listener, Listener>> };

/** `once` adds through `on` in Node's EventEmitter: the inner call must add the listener it is given as is. */
let adding = false;

function listenersOf(emitter: Bound, event: string | symbol): WeakMap<Listener, Listener> {
  const map = (emitter[BOUND] ??= new Map());
  let listeners = map.get(event);
  if (listeners === undefined) map.set(event, (listeners = new WeakMap()));
  return listeners;
}

function adder(emitter: Bound, original: Method, ctx: Context): Method {
  return function (this: EventEmitter, event, listener) {
    if (adding || typeof listener !== 'function') return Reflect.apply(original, this, arguments);
    const bound = bind(listener, ctx);
    listenersOf(emitter, event).set(listener, bound);
    adding = true;
    try {
      return Reflect.apply(original, this, [event, bound]);
    } finally {
      adding = false;
    }
  };
}

function remover(emitter: Bound, original: Method): Method {
  return function (this: EventEmitter, event, listener) {
    const bound = typeof listener === 'function' ? emitter[BOUND]?.get(event)?.get(listener) : undefined;
    return Reflect.apply(original, this, bound === undefined ? arguments : [event, bound]);
  };
}

/** Binds `emitter`'s future listeners to `ctx` (once per emitter: the first bind wins, as with the OTel SDK). */
export function bindEmitter<E extends EventEmitter>(emitter: E, ctx: Context): E {
  const target = emitter as Bound;
  if (target[BOUND] !== undefined) return emitter;
  target[BOUND] = new Map();
  const methods = target as unknown as Record<string, Method | undefined>;
  for (const name of ADDERS) {
    const original = methods[name];
    if (typeof original === 'function') methods[name] = adder(target, original, ctx);
  }
  for (const name of REMOVERS) {
    const original = methods[name];
    if (typeof original === 'function') methods[name] = remover(target, original);
  }
  const removeAll = methods.removeAllListeners;
  if (typeof removeAll === 'function') {
    methods.removeAllListeners = function (this: EventEmitter, event?: string | symbol) {
      if (arguments.length === 0) target[BOUND] = new Map();
      else target[BOUND]!.delete(event!);
      return Reflect.apply(removeAll, this, arguments);
    } as Method;
  }
  return emitter;
}
