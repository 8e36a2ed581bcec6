// Trace and span ids come from a pool of crypto-random bytes refilled in
// blocks, so an id costs a slice of that pool instead of a syscall.
import type * as cryptoTypes from 'crypto';

// crypto (and the streams it pulls in) is loaded with the first id, not at start-up.
let crypto: typeof cryptoTypes | undefined;

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL_SIZE) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (crypto ??= require('crypto') as typeof cryptoTypes).randomFillSync(pool);
    offset = 0;
  }
  const start = offset;
  offset += bytes;
  let allZero = true;
  for (let i = start; i < offset; i++) {
    if (pool[i] !== 0) {
      allZero = false;
      break;
    }
  }
  // An all-zero id is invalid on the wire; the odds are 2^-64, but be exact.
  // toString('hex') makes one flat string: concatenating per byte would leave
  // a chain of small strings per id in every queued span.
  return allZero ? randomHex(bytes) : pool.toString('hex', start, offset);
}

export function newTraceId(): string {
  return randomHex(16);
}

export function newSpanId(): string {
  return randomHex(8);
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
