// Wrapping a method with core's shimmer, once, and undoing it exactly. A
// wrapper carries a Symbol.for mark, so a second copy of this package in the
// process (or a second patch of the same prototype) leaves the method wrapped
// once; only the copy that wrapped unwraps. A method the target inherited
// (winston's Logger gets write from its stream base class) is wrapped as an
// own property and unwrapped by deleting it, so the prototype chain is as it was.
import { shimmer } from '@tracewire/core';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type AnyFunction = Function;
type Holder = Record<string | symbol, unknown>;

const MARK = Symbol.for('tracewire.logs.wrapper');
/** This copy's wrappers, each with whether the method it replaced was inherited. */
const ours = new WeakMap<AnyFunction, boolean>();

/** Wraps `target[key]` unless a tracewire wrapper is already there; throws (changing nothing) if it is not a function. */
export function wrapMethod(target: object, key: string | symbol, makeWrapper: (original: AnyFunction) => AnyFunction): void {
  const holder = target as Holder;
  const current = holder[key];
  if (typeof current !== 'function') throw new TypeError(`${String(key)} is not a function`);
  if ((current as unknown as Holder)[MARK] === true) return;
  const inherited = !Object.prototype.hasOwnProperty.call(target, key);
  shimmer.wrap(holder, key, (original: unknown) => {
    const wrapper = makeWrapper(original as AnyFunction);
    Object.defineProperty(wrapper, MARK, { value: true });
    ours.set(wrapper, inherited);
    return wrapper;
  });
}

/** Restores what wrapMethod replaced, if this copy's wrapper is still the target's own method. */
export function unwrapMethod(target: object, key: string | symbol): void {
  const current: unknown = Object.getOwnPropertyDescriptor(target, key)?.value;
  if (typeof current !== 'function' || !ours.has(current)) return;
  if (ours.get(current) === true) delete (target as Holder)[key];
  else shimmer.unwrap(target as Holder, key);
}
