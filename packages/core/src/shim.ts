// Replacing a function on an object and putting it back: shimmer's `wrap` /
// `unwrap`, written for tracewire without shimmer's string markers
// (`__wrapped`, `__original`, `__unwrap`). OpenTelemetry's InstrumentationBase
// unwraps whatever carries those markers before it wraps, so an OTel contrib
// instrumentation registered after tracewire patched http (the preload patches
// first) silently removed tracewire's wrapper. Unmarked, tracewire's wrapper is
// simply wrapped in turn, and both run. The original is kept under a
// Symbol.for key, so another copy of core can still restore it.

const ORIGINAL = Symbol.for('tracewire.original');

/** Sets a property to a function, keeping its enumerability, as shimmer does. */
function setMethod(target: object, name: PropertyKey, value: unknown): void {
  const holder = target as Record<PropertyKey, unknown>;
  const enumerable = holder[name] !== undefined && Object.prototype.propertyIsEnumerable.call(target, name);
  Object.defineProperty(target, name, { configurable: true, enumerable, writable: true, value });
}

/** What `wrap` replaced, if `fn` is a wrapper it made. */
export function originalOf(fn: unknown): unknown {
  return typeof fn === 'function' ? (fn as unknown as Record<symbol, unknown>)[ORIGINAL] : undefined;
}

/**
 * Replaces `target[name]` by `wrapper(original)` and returns the wrapper.
 * Throws (changing nothing) when there is no function to wrap or the wrapper
 * makes none: a patch that fails is reported by the hook and steps aside.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function wrap<T extends object, K extends keyof T>(target: T, name: K, wrapper: (original: any, name: K) => any): any {
  const original = target[name];
  if (typeof original !== 'function') throw new TypeError(`cannot wrap ${String(name)}: it is not a function`);
  const wrapped = wrapper(original, name);
  if (typeof wrapped !== 'function') throw new TypeError(`cannot wrap ${String(name)}: the wrapper is not a function`);
  Object.defineProperty(wrapped, ORIGINAL, { value: original, configurable: true });
  setMethod(target, name, wrapped);
  return wrapped;
}

/** Puts back what `wrap` replaced, when the function there now is one of its wrappers; otherwise does nothing. */
export function unwrap<T extends object>(target: T, name: keyof T): void {
  const original = originalOf(target[name]);
  if (original !== undefined) setMethod(target, name, original);
}

/** The two calls instrumentations use, under the name they had when they were shimmer's. */
export const shimmer = { wrap, unwrap };
