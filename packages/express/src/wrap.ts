// shimmer, plus what patching the same prototype from several places needs:
// the hook, instrument(app) and the middleware's fallback may all reach one
// Express copy, and a second copy of this package may too. A wrapper carries a
// Symbol.for mark, so a method already wrapped by any copy is left alone; an
// unwrap restores the original only if ours is still the outermost wrapper,
// and otherwise turns ours into a pass-through (its gate closes).
import { shimmer } from '@tracewire/core';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

const MARK = Symbol.for('tracewire.express.wrapper');

/** Open while the patch is in force; a wrapper whose gate is closed calls its original straight away. */
export interface Gate {
  open: boolean;
}

interface Entry {
  readonly target: object;
  readonly name: string;
  readonly wrapper: AnyFunction;
  readonly gate: Gate;
}

const entries: Entry[] = [];

function find(target: object, name: string): number {
  for (let i = 0; i < entries.length; i++) if (entries[i].target === target && entries[i].name === name) return i;
  return -1;
}

/** Wraps `target[name]` unless it is wrapped already; throws (changing nothing) if it is not a function. */
export function wrap<F extends AnyFunction>(target: object, name: string, makeWrapper: (original: F, gate: Gate) => F): void {
  const holder = target as Record<string, unknown>;
  const current = holder[name];
  if (typeof current !== 'function') throw new TypeError(`${name} is not a function`);
  if ((current as unknown as Record<symbol, unknown>)[MARK] === true) return;
  const gate: Gate = { open: true };
  shimmer.wrap(holder, name, (original: unknown) => {
    const wrapper = makeWrapper(original as F, gate);
    Object.defineProperty(wrapper, MARK, { value: true });
    return wrapper;
  });
  entries.push({ target, name, wrapper: holder[name] as AnyFunction, gate });
}

/** Restores what wrap() replaced. */
export function unwrap(target: object, name: string): void {
  const i = find(target, name);
  if (i < 0) return;
  const entry = entries[i];
  entries.splice(i, 1);
  entry.gate.open = false;
  const holder = target as Record<string, unknown>;
  if (holder[name] === entry.wrapper) shimmer.unwrap(holder, name);
}

/** Restores everything this copy wrapped (disabling the instrumentation). */
export function unwrapAll(): void {
  for (let i = entries.length - 1; i >= 0; i--) unwrap(entries[i].target, entries[i].name);
}
