// Wrapping a prototype's method with core's shimmer, once, and undoing it.
// A wrapper carries a Symbol.for mark, so a second copy of this package in
// the process (or a second patch of the same prototype) sees the method is
// already traced and leaves it alone; only the copy that wrapped unwraps.
import { shimmer } from '@tracewire/core';
import type { AnyFunction } from './outcome';

const MARK = Symbol.for('tracewire.pg.wrapper');
const ours = new WeakSet<AnyFunction>();

type Holder = Record<string | symbol, unknown>;

/** Wraps `target[name]` unless a tracewire wrapper is already there; throws (changing nothing) if it is not a function. */
export function wrapMethod<F extends AnyFunction>(target: object, name: string, makeWrapper: (original: F) => F): void {
  const holder = target as Holder;
  const current = holder[name];
  if (typeof current !== 'function') throw new TypeError(`${name} is not a function`);
  if ((current as unknown as Holder)[MARK] === true) return;
  shimmer.wrap(holder, name, (original: unknown) => {
    const wrapper = makeWrapper(original as F);
    Object.defineProperty(wrapper, MARK, { value: true });
    ours.add(wrapper);
    return wrapper;
  });
}

/** Restores what wrapMethod replaced, if this copy's wrapper is still the one in place. */
export function unwrapMethod(target: object, name: string): void {
  const holder = target as Holder;
  const current = holder[name];
  if (typeof current === 'function' && ours.has(current)) shimmer.unwrap(holder, name);
}

