// Times on the tracer's clock are milliseconds since `performance.timeOrigin`,
// the wall-clock instant the process started, so epoch time = timeOrigin +
// clock time. They are read with performance.now(): monotonic, sub-µs. Spans
// keep them split into whole seconds and nanoseconds (two small integers: no
// boxed double per time). Conversion to epoch nanoseconds is done only when a
// span is exported. The global `performance` is used: requiring perf_hooks
// would cost start-up time.

/** Milliseconds on the tracer's clock (monotonic, anchored at timeOrigin). */
export const now: () => number = performance.now.bind(performance);

// timeOrigin is a float in ms; split it once into whole seconds + nanoseconds
// so later arithmetic stays exact (ns since epoch exceeds 2^53).
const originMs = performance.timeOrigin;
const originSeconds = Math.floor(originMs / 1000);
const originNanos = Math.round((originMs - originSeconds * 1000) * 1e6);

/** The clock's origin in epoch time, split as toEpoch splits: whole seconds + nanoseconds. */
export const ORIGIN_SECONDS = originSeconds;
export const ORIGIN_NANOS = originNanos;

/** Converts a tracer-clock time into epoch [seconds, nanoseconds] with exact integers. */
export function toEpoch(time: number): [number, number] {
  const wholeMs = Math.floor(time);
  let nanos = originNanos + wholeMs * 1e6 + Math.round((time - wholeMs) * 1e6);
  const carry = Math.floor(nanos / 1e9);
  nanos -= carry * 1e9;
  return [originSeconds + carry, nanos];
}

/** Epoch nanoseconds as a decimal string (what OTLP/JSON and tests want). */
export function toEpochNanosString(time: number): string {
  const [s, ns] = toEpoch(time);
  return s === 0 ? String(ns) : s + String(ns).padStart(9, '0');
}

/** Epoch nanoseconds as bigint (exact). */
export function toEpochNanos(time: number): bigint {
  const [s, ns] = toEpoch(time);
  return BigInt(s) * 1_000_000_000n + BigInt(ns);
}

/** Converts epoch milliseconds (Date.now()-style input from users) to tracer-clock time. */
export function fromEpochMillis(epochMs: number): number {
  return epochMs - originMs;
}
