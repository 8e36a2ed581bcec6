// Times on the tracer's clock are milliseconds since `performance.timeOrigin`,
// the wall-clock instant the process started, so epoch time = timeOrigin +
// clock time. They are read with process.hrtime(): the same monotonic, ns
// clock (libuv's) that performance.now() reads, but about 200 fewer
// instructions a call on Node 20 (performance.now() checks its receiver
// through a wrapped validator on every call), and it gives seconds and
// nanoseconds apart, as spans keep them: two small integers, no boxed double
// per time and no float rounding per span. Conversion to epoch nanoseconds is
// done only when a span is exported. The global `performance` is first
// touched when the first time is read, not when core loads: it loads
// perf_hooks (about a millisecond of every traced process's start, for one
// that never makes a span).

/** The clock's origin in epoch time, split as toEpoch splits: whole seconds + nanoseconds (set by begin()). */
export let ORIGIN_SECONDS = 0;
export let ORIGIN_NANOS = 0;
let originMs = Number.NaN;
/** process.hrtime() at the clock's origin, split (set by begin()). */
let hrOriginS = 0;
let hrOriginNs = 0;
// Taken when core loads: a test's fake timers installed later leave spans on the real clock.
const hrtime = process.hrtime;

/** Sandwiches of performance.now() between two hrtime readings tried when the clock starts; the tightest is kept. */
const ANCHOR_TRIES = 5;

/**
 * Reads the origin. process.hrtime() has no fixed origin of its own: the
 * origin's hrtime is read back from performance.now() (ms since timeOrigin,
 * on the same clock), between two hrtime readings, so the error is half
 * their gap. The first performance.now() of a process can take many µs
 * (and any reading can be preempted), so of a few tries the one with the
 * smallest gap counts (tens of ns).
 */
function begin(): void {
  const perf = performance;
  // timeOrigin is a float in ms; split it once into whole seconds + nanoseconds
  // so later arithmetic stays exact (ns since epoch exceeds 2^53).
  originMs = perf.timeOrigin;
  ORIGIN_SECONDS = Math.floor(originMs / 1000);
  ORIGIN_NANOS = Math.round((originMs - ORIGIN_SECONDS * 1000) * 1e6);
  let bestGapNs = Infinity;
  for (let i = 0; i < ANCHOR_TRIES; i++) {
    const before = hrtime();
    const since = perf.now();
    const after = hrtime();
    // All split: hrtime's ns exceed 2^53 after 104 days of uptime.
    const gapNs = (after[0] - before[0]) * 1e9 + (after[1] - before[1]);
    if (gapNs >= bestGapNs) continue;
    bestGapNs = gapNs;
    // The midpoint of the two readings, minus the time since the origin.
    const sinceS = Math.floor(since / 1000);
    const s = before[0] - sinceS;
    const ns = before[1] + Math.round(gapNs / 2) - Math.round((since - sinceS * 1000) * 1e6);
    const carry = Math.floor(ns / 1e9);
    hrOriginS = s + carry;
    hrOriginNs = ns - carry * 1e9;
  }
}

/** Whole seconds and nanoseconds (0 ≤ ns < 1e9) on the tracer clock, as read by the last tick(). */
export let tickSeconds = 0;
export let tickNanos = 0;

/** Reads the clock into tickSeconds / tickNanos: what a span's start and end use, without a float in between. */
export function tick(): void {
  ready();
  const t = hrtime();
  let s = t[0] - hrOriginS;
  let ns = t[1] - hrOriginNs;
  if (ns < 0) {
    ns += 1e9;
    s -= 1;
  }
  // `| 0`: small integers (seconds since the process started; ns < 1e9) keep span fields unboxed.
  tickSeconds = s | 0;
  tickNanos = ns | 0;
}

/**
 * Puts an explicit time (epoch milliseconds) into tickSeconds / tickNanos, as
 * tick() puts the current one: split from the epoch split of the origin, so
 * export adds ORIGIN_* back and gets exactly the nanoseconds the input says
 * (a detour through a float of tracer-clock ms rounds twice and can be 1 ns off).
 */
export function tickAt(epochMs: number): void {
  ready();
  const epochS = Math.floor(epochMs / 1000);
  const nanos = Math.round((epochMs - epochS * 1000) * 1e6) - ORIGIN_NANOS;
  const carry = Math.floor(nanos / 1e9);
  // `| 0` as in tick(); a non-finite input reads as the origin.
  tickSeconds = (epochS - ORIGIN_SECONDS + carry) | 0;
  tickNanos = (nanos - carry * 1e9) | 0;
}

/** Milliseconds on the tracer's clock (monotonic, anchored at timeOrigin). */
export function now(): number {
  tick();
  return tickSeconds * 1000 + tickNanos / 1e6;
}

/** Runs begin() if nothing has yet. Every span has a time from tick(), now() or fromEpochMillis(), so the encoders
 *  that read ORIGIN_* directly always find it done. */
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

/** Puts an epoch HrTime ([seconds, nanoseconds], the OTel API's form) into tickSeconds / tickNanos, exactly. */
export function tickAtHr(epochS: number, nanos: number): void {
  ready();
  const ns = Math.round(nanos) - ORIGIN_NANOS;
  const carry = Math.floor(ns / 1e9);
  tickSeconds = (Math.floor(epochS) - ORIGIN_SECONDS + carry) | 0;
  tickNanos = (ns - carry * 1e9) | 0;
}

/**
 * Below this a number given as a time is milliseconds since the process's
 * time origin (performance.now(), which OTel-API code passes), above it epoch
 * milliseconds: no process runs for 3 years, and no span starts before 1973.
 * (The OTel SDK draws the line at the time origin, which misreads an epoch
 * time from before the process started, such as a queued message's.)
 */
const PERFORMANCE_TIME_BELOW = 1e11;

/** Puts a time given as a number (epoch or performance.now() ms), a Date or an epoch HrTime into tickSeconds / tickNanos. */
export function tickAtInput(time: number | Date | readonly [number, number]): void {
  if (typeof time === 'number') {
    if (time < PERFORMANCE_TIME_BELOW) {
      ready();
      tickAt(originMs + time);
    } else tickAt(time);
  } else if (time instanceof Date) tickAt(time.getTime());
  else tickAtHr(time[0], time[1]);
}
