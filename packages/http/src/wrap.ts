// shimmer, plus the two things restoring needs that shimmer does not do:
// a method the target only inherits (Server.prototype.emit is EventEmitter's)
// is restored by deleting the own property the wrap added, and a method someone
// else wrapped on top of ours is left alone (ours then passes straight through,
// since every wrapper checks that its patch is still active).
import { shimmer } from '@tracewire/core';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

interface Wrapped {
  readonly target: object;
  readonly name: string;
  readonly own: boolean;
  readonly wrapper: AnyFunction;
}

const wrapped: Wrapped[] = [];

function find(target: object, name: string): number {
  for (let i = 0; i < wrapped.length; i++) if (wrapped[i].target === target && wrapped[i].name === name) return i;
  return -1;
}

/** Wraps `target[name]` once; throws (before changing anything) if it is not a function. */
export function wrap<F extends AnyFunction>(target: object, name: string, makeWrapper: (original: F) => F): void {
  const holder = target as Record<string, unknown>;
  const i = find(target, name);
  if (i >= 0 && holder[name] === wrapped[i].wrapper) return;
  if (typeof holder[name] !== 'function') throw new TypeError(`${name} is not a function`);
  const own = Object.prototype.hasOwnProperty.call(target, name);
  shimmer.wrap(holder, name, makeWrapper as unknown as (original: unknown) => unknown);
  const entry: Wrapped = { target, name, own, wrapper: holder[name] as AnyFunction };
  if (i >= 0) wrapped[i] = entry;
  else wrapped.push(entry);
}

/** Restores what wrap() replaced, if ours is still the outermost wrapper. */
export function unwrap(target: object, name: string): void {
  const i = find(target, name);
  if (i < 0) return;
  const entry = wrapped[i];
  wrapped.splice(i, 1);
  const holder = target as Record<string, unknown>;
  if (holder[name] !== entry.wrapper) return;
  if (entry.own) shimmer.unwrap(holder, name);
  else delete holder[name];
}
