// Times on the tracer's clock are milliseconds since `performance.timeOrigin`,
// the wall-clock instant the process started, so epoch time = timeOrigin +
// clock time. They are read with performance.now(): monotonic, sub-µs. Spans
// keep them split into whole seconds and nanoseconds (two small integers: no
// boxed double per time). Conversion to epoch nanoseconds is done only when a
// span is exported. The global `performance` is first touched when the first
// time is read, not when core loads: it loads perf_hooks (about a millisecond
// of every traced process's start, for one that never makes a span).

/** The clock's origin in epoch time, split as toEpoch splits: whole seconds + nanoseconds (set by begin()). */
export let ORIGIN_SECONDS = 0;
export let ORIGIN_NANOS = 0;
let originMs = Number.NaN;

/** Reads the origin and puts performance.now in place of the first now(). */
function begin(): void {
  const perf = performance;
  // timeOrigin is a float in ms; split it once into whole seconds + nanoseconds
  // so later arithmetic stays exact (ns since epoch exceeds 2^53).
  originMs = perf.timeOrigin;
  ORIGIN_SECONDS = Math.floor(originMs / 1000);
  ORIGIN_NANOS = Math.round((originMs - ORIGIN_SECONDS * 1000) * 1e6);
  now = perf.now.bind(perf);
}

/** Milliseconds on the tracer's clock (monotonic, anchored at timeOrigin). Until the first call this
 *  function; then performance.now itself. (Core's public `now` keeps this one: it stays correct.) */
export let now: () => number = (): number => {
  ready();
  return now();
};

/** Runs begin() if nothing has yet. Every span has a time from now() or fromEpochMillis(), so the encoders that read
 *  ORIGIN_* directly always find it done. */
function ready(): void {
  if (originMs !== originMs) begin();
}

/** Converts a tracer-clock time into epoch [seconds, nanoseconds] with exact integers. */
export function toEpoch(time: number): [number, number] {
  ready();
  const wholeMs = Math.floor(time);
  let nanos = ORIGIN_NANOS + wholeMs * 1e6 + Math.round((time - wholeMs) * 1e6);
  const carry = Math.floor(nanos / 1e9);
  nanos -= carry * 1e9;
  return [ORIGIN_SECONDS + carry, nanos];
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
  ready();
  return epochMs - originMs;
}
