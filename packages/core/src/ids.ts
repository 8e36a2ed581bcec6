// Trace and span ids come from a pool of crypto-random bytes refilled in
// blocks, so an id costs a few reads of that pool instead of a syscall. A
// recording span keeps its ids as 32-bit words (four for the trace id, two for
// the span id): no string is made per span; the hex form is built only when
// something asks for it (propagation, spanContext(), the JSON exporters), and
// the protobuf encoder writes the words as bytes.
import type * as cryptoTypes from 'crypto';

// crypto (and the streams it pulls in) is loaded with the first id, not at start-up.
let crypto: typeof cryptoTypes | undefined;

// 64 KiB: ~2700 root spans (trace id + span id) per refill. A refill has a
// fixed cost of a few µs on top of ~0.3 ns a byte: a 4 KiB pool cost ~30 ns a span.
const POOL_WORDS = 16384;
/** Random 32-bit words; read them at the index `takeWords` returns. */
export const idWords = new Int32Array(POOL_WORDS);
let nextWord = 0;
// The first fill is small, so the second comes within the first few dozen
// spans: the refill path has then run (and been seen by the JIT) before the
// hot code is optimized, instead of deoptimizing it thousands of spans later.
const FIRST_FILL = 256;
let poolEnd = 0;

function refill(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  crypto ??= require('crypto') as typeof cryptoTypes;
  if (poolEnd === 0) {
    crypto.randomFillSync(idWords, 0, FIRST_FILL);
    poolEnd = FIRST_FILL;
  } else {
    crypto.randomFillSync(idWords);
    poolEnd = POOL_WORDS;
  }
}

/**
 * Reserves `count` (≤ 6) random words in `idWords` and returns the index of
 * the first. Valid until the next call. Callers re-draw an all-zero id (invalid
 * on the wire; the odds are 2^-64 for a span id).
 */
export function takeWords(count: number): number {
  let at = nextWord;
  if (at + count > poolEnd) {
    refill();
    at = 0;
  }
  nextWord = at + count;
  return at;
}

const HEX_CHARS = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];
/** A hex char's value by char code (below 128; other chars read as 0). Shared with the protobuf encoder. */
export const HEX_VALUE = new Int32Array(128);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[97 + i] = 10 + i;
  HEX_VALUE[65 + i] = 10 + i;
}

const h = (word: number, shift: number): number => HEX_CHARS[(word >>> shift) & 15];

// One String.fromCharCode call makes one flat string: concatenating pieces
// would leave a chain of small strings per id in every span that keeps it.
/** 16 lowercase hex chars of two words (big-endian). */
export function spanIdHex(a: number, b: number): string {
  return String.fromCharCode(
    h(a, 28), h(a, 24), h(a, 20), h(a, 16), h(a, 12), h(a, 8), h(a, 4), h(a, 0),
    h(b, 28), h(b, 24), h(b, 20), h(b, 16), h(b, 12), h(b, 8), h(b, 4), h(b, 0),
  );
}

/** 32 lowercase hex chars of four words (big-endian). */
export function traceIdHex(a: number, b: number, c: number, d: number): string {
  return String.fromCharCode(
    h(a, 28), h(a, 24), h(a, 20), h(a, 16), h(a, 12), h(a, 8), h(a, 4), h(a, 0),
    h(b, 28), h(b, 24), h(b, 20), h(b, 16), h(b, 12), h(b, 8), h(b, 4), h(b, 0),
    h(c, 28), h(c, 24), h(c, 20), h(c, 16), h(c, 12), h(c, 8), h(c, 4), h(c, 0),
    h(d, 28), h(d, 24), h(d, 20), h(d, 16), h(d, 12), h(d, 8), h(d, 4), h(d, 0),
  );
}

/** The word at hex chars [at, at + 8) of `hex` (as int32); non-hex chars read as 0. */
export function hexWord(hex: string, at: number): number {
  let v = 0;
  for (let i = at; i < at + 8; i++) v = (v << 4) | HEX_VALUE[hex.charCodeAt(i) & 0x7f];
  return v;
}

export function newTraceId(): string {
  const i = takeWords(4);
  const w = idWords;
  if ((w[i] | w[i + 1] | w[i + 2] | w[i + 3]) === 0) return newTraceId();
  return traceIdHex(w[i], w[i + 1], w[i + 2], w[i + 3]);
}

export function newSpanId(): string {
  const i = takeWords(2);
  const w = idWords;
  if ((w[i] | w[i + 1]) === 0) return newSpanId();
  return spanIdHex(w[i], w[i + 1]);
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

export function isValidTraceId(id: string): boolean {
  return TRACE_ID.test(id) && id !== ZERO_TRACE;
}

export function isValidSpanId(id: string): boolean {
  return SPAN_ID.test(id) && id !== ZERO_SPAN;
}
