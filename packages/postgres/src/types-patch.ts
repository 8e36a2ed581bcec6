// The second patch: `stringify` in postgres.js's cjs/src/types.js. The
// connection (cjs/src/connection.js) builds every query it sends with
// `stringify(query, string, value, parameters, types, options)`, passing its
// parsed options: the one call that sees a Query together with where it goes.
// connection.js takes `stringify` out of the exports object when it loads, so
// the exports object is patched in place as types.js finishes loading (core's
// hook), before connection.js reads it. A copy of postgres.js loaded before
// tracing was enabled keeps the original: its instances' attributes come from
// instrumentPostgres(postgres, sql) instead.
import { queryBuilt } from './query';
import type { ParsedOptions } from './connection';

/** cjs/src/types.js's exports, as far as the patch touches them. */
export interface TypesModule {
  stringify?: unknown;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

const MARK = Symbol.for('tracewire.postgres.wrapper');
const ORIGINAL = Symbol('tracewire.postgres.original');

interface Wrapper extends AnyFunction {
  [ORIGINAL]: AnyFunction;
}

/**
 * Wrappers taken out again (unpatch): connection.js may still hold one, which
 * then only passes through until the same original is patched again, when the
 * same wrapper goes back in (so connection.js's copy comes back to life too).
 */
const retired = new WeakSet<AnyFunction>();
const wrappers = new WeakMap<AnyFunction, Wrapper>();

function wrapStringify(original: AnyFunction): Wrapper {
  const wrapper = function stringify(this: unknown, query: unknown, string: unknown, value: unknown, parameters: unknown, types: unknown, options: unknown): unknown {
    // queryBuilt never throws; what stringify returns or throws is the original's.
    if (!retired.has(wrapper)) queryBuilt(query as Parameters<typeof queryBuilt>[0], options as ParsedOptions | undefined);
    return Reflect.apply(original, this, arguments);
  } as unknown as Wrapper;
  Object.defineProperty(wrapper, MARK, { value: true });
  Object.defineProperty(wrapper, ORIGINAL, { value: original });
  Object.defineProperty(wrapper, 'length', { value: original.length });
  return wrapper;
}

/** Wraps types.js's `stringify` in place; throws, changing nothing, if it is not postgres.js 3's. Idempotent. */
export function patchTypes(exports: TypesModule | null | undefined): void {
  const current = exports?.stringify as (AnyFunction & { [MARK]?: true }) | undefined;
  if (typeof current !== 'function') throw new TypeError('postgres.js types.stringify is not a function');
  if (current[MARK] === true) return;
  let wrapper = wrappers.get(current);
  if (wrapper === undefined) {
    wrapper = wrapStringify(current);
    wrappers.set(current, wrapper);
  }
  retired.delete(wrapper);
  exports!.stringify = wrapper;
}

/** Restores what patchTypes wrapped, if this copy wrapped it. */
export function unpatchTypes(exports: TypesModule | null | undefined): void {
  const current = exports?.stringify as Partial<Wrapper> | undefined;
  const original = current?.[ORIGINAL];
  if (typeof original !== 'function') return;
  retired.add(current as AnyFunction);
  exports!.stringify = original;
}
