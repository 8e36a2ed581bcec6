// Headers are untrusted: no input may throw, grow without bound, or take long,
// and whatever is extracted must be safe to inject into an outgoing request.
import { validateHeaderName, validateHeaderValue } from 'http';
import { performance } from 'perf_hooks';
import { b3MultiPropagator, b3Propagator, parseB3Single } from '../src/propagation/b3';
import { baggagePropagator, parseBaggage } from '../src/propagation/baggage';
import { CompositePropagator } from '../src/propagation/composite';
import { defaultGetter, defaultSetter } from '../src/propagation/headers';
import { jaegerPropagator, parseUberTraceId } from '../src/propagation/jaeger';
import { parseTraceParent, parseTraceState, traceContextPropagator } from '../src/propagation/tracecontext';
import type { Baggage, Carrier, PropagationContext, TextMapPropagator } from '../src/types';

const all = new CompositePropagator([traceContextPropagator, baggagePropagator, b3Propagator, b3MultiPropagator, jaegerPropagator]);
const propagators: Array<[string, TextMapPropagator]> = [
  ['tracecontext', traceContextPropagator],
  ['baggage', baggagePropagator],
  ['b3', b3Propagator],
  ['b3multi', b3MultiPropagator],
  ['jaeger', jaegerPropagator],
  ['composite', all],
];
// A valid value per header; junk is made by flipping a few of its characters.
const VALID: Record<string, string> = {
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
  baggage: 'a=1;p=2,b=%E2%9C%93,c=%zz',
  b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90',
  'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
  'x-b3-spanid': 'e457b5a2e4d86bd1',
  'x-b3-sampled': '1',
  'x-b3-flags': '1',
  'uber-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736%3A00f067aa0ba902b7:0:1',
  'uberctx-k': 'v%20x',
};
const NAMES = Object.keys(VALID);

// Deterministic PRNG (mulberry32) so a failure can be replayed.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['0', '1', 'a', 'f', 'F', 'd', '-', ':', '%', '3', 'A', ',', ';', '=', '@', ' ', '\t', '\r\n', '+', 'é', '\uD800', '\u{1F600}', 'z', '"', '\\', '\x00'];

function junkString(next: () => number, valid: string): string {
  if (next() < 0.5) {
    const chars = [...valid];
    const flips = Math.floor(next() * 3);
    for (let i = 0; i < flips; i++) chars[Math.floor(next() * chars.length)] = ALPHABET[Math.floor(next() * ALPHABET.length)];
    return chars.join('');
  }
  const length = Math.floor(next() * 120);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(next() * ALPHABET.length)];
  return out;
}

function junkValue(next: () => number, valid: string): unknown {
  const kind = next();
  if (kind < 0.6) return junkString(next, valid);
  if (kind < 0.75) return [junkString(next, valid), junkString(next, valid)];
  if (kind < 0.8) return Math.floor(next() * 1e6);
  if (kind < 0.85) return [1, null];
  if (kind < 0.9) return { nested: junkString(next, valid) };
  if (kind < 0.95) return null;
  return undefined;
}

function junkCarrier(next: () => number): Carrier {
  const carrier: Record<string, unknown> = {};
  for (const name of NAMES) if (next() < 0.7) carrier[name] = junkValue(next, VALID[name]);
  return carrier as Carrier;
}

function checkExtracted({ spanContext }: PropagationContext): void {
  if (spanContext === undefined) return;
  expect(spanContext.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(spanContext.traceId).not.toBe('0'.repeat(32));
  expect(spanContext.spanId).toMatch(/^[0-9a-f]{16}$/);
  expect(spanContext.spanId).not.toBe('0'.repeat(16));
  expect(spanContext.isRemote).toBe(true);
}

// Node's http module throws on a bad header name or value; inject must never
// hand it one, whatever the context holds.
function checkInjected(propagator: TextMapPropagator, ctx: PropagationContext): Carrier {
  const out: Carrier = {};
  propagator.inject(ctx, out, defaultSetter);
  for (const [name, value] of Object.entries(out)) {
    expect(typeof value).toBe('string');
    expect(() => validateHeaderName(name)).not.toThrow();
    expect(() => validateHeaderValue(name, value as string)).not.toThrow();
  }
  return out;
}

describe('random junk', () => {
  it.each(propagators)('%s never throws and extracts only safe contexts', (_, propagator) => {
    const next = random(0x5eed);
    let found = 0;
    for (let i = 0; i < 3000; i++) {
      const extracted = propagator.extract({}, junkCarrier(next), defaultGetter);
      checkExtracted(extracted);
      checkInjected(propagator, extracted);
      if (extracted.spanContext !== undefined || extracted.baggage !== undefined) found++;
    }
    // The near-valid inputs must sometimes survive, or this tests nothing.
    expect(found).toBeGreaterThan(10);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a string', 'traceparent'],
    ['an array', ['traceparent']],
    ['a carrier of numbers', Object.fromEntries(NAMES.map((n) => [n, 1]))],
    ['a carrier of nested arrays', Object.fromEntries(NAMES.map((n) => [n, [['x']]]))],
    ['a carrier of objects', Object.fromEntries(NAMES.map((n) => [n, { toString: () => 'x' }]))],
  ])('no propagator throws on %s as the carrier', (_, carrier) => {
    for (const [, propagator] of propagators) {
      expect(() => propagator.extract({}, carrier as Carrier, defaultGetter)).not.toThrow();
    }
  });

  it.each([
    ['parseTraceParent', parseTraceParent],
    ['parseTraceState', parseTraceState],
    ['parseBaggage', parseBaggage],
    ['parseB3Single', parseB3Single],
    ['parseUberTraceId', parseUberTraceId],
  ] as Array<[string, (header: string) => unknown]>)('%s never throws on junk', (_, parse) => {
    const next = random(42);
    for (let i = 0; i < 5000; i++) {
      const valid = VALID[NAMES[i % NAMES.length]];
      expect(() => parse(junkString(next, valid))).not.toThrow();
    }
  });
});

describe('huge input', () => {
  const MEGABYTE = 1 << 20;
  const huge: Record<string, string> = {
    traceparent: `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01${'-'.repeat(MEGABYTE)}`,
    tracestate: 'a=1,'.repeat(MEGABYTE / 4),
    baggage: 'k=v,'.repeat(MEGABYTE / 4),
    b3: '1'.repeat(MEGABYTE),
    'x-b3-traceid': 'a'.repeat(MEGABYTE),
    'x-b3-spanid': 'b'.repeat(MEGABYTE),
    'uber-trace-id': ':'.repeat(MEGABYTE),
    'uberctx-k': '%'.repeat(MEGABYTE),
  };

  it.each(propagators)('%s ignores 1 MB headers, quickly', (_, propagator) => {
    const ctx: PropagationContext = {};
    const start = performance.now();
    const result = propagator.extract(ctx, huge, defaultGetter);
    expect(performance.now() - start).toBeLessThan(50);
    expect(result).toBe(ctx);
  });

  it('ignores a 1 MB header made of many small repeated headers', () => {
    const carrier: Carrier = { baggage: new Array(MEGABYTE / 4).fill('k=v'), tracestate: new Array(MEGABYTE).fill('') };
    expect(defaultGetter.get(carrier, 'baggage')).toBeUndefined();
    expect(defaultGetter.get(carrier, 'tracestate')).toBeUndefined();
  });

  // The getter bounds what propagators see; the parsers must still be linear
  // if called directly.
  it.each<[string, (header: string) => unknown, string]>([
    ['parseTraceParent', parseTraceParent, 'cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-' + 'x'.repeat(MEGABYTE)],
    ['parseTraceState, valid members', parseTraceState, 'a=1,'.repeat(MEGABYTE / 4)],
    ['parseTraceState, no =', parseTraceState, 'a,'.repeat(MEGABYTE / 2)],
    ['parseTraceState, long members', parseTraceState, 'x'.repeat(MEGABYTE)],
    ['parseBaggage, no =', parseBaggage, 'k,'.repeat(MEGABYTE / 2)],
    ['parseBaggage, one long member', parseBaggage, 'k=' + '%'.repeat(MEGABYTE)],
    ['parseB3Single', parseB3Single, '-'.repeat(MEGABYTE)],
    ['parseUberTraceId', parseUberTraceId, '%3A'.repeat(MEGABYTE / 3)],
  ])('%s handles 1 MB in linear time', (_, parse, header) => {
    const start = performance.now();
    parse(header);
    expect(performance.now() - start).toBeLessThan(500);
  });
});

describe('hostile contexts on inject', () => {
  const baggage: Baggage = new Map([
    ['k', { value: 'line\r\nbreak \uD800 \u0000' }],
    ['bad\r\nkey', { value: 'v' }],
    ['m', { value: 'v', metadata: 'p\r\n=1' }],
  ]);
  const ctx: PropagationContext = {
    spanContext: {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      traceState: 'ok=1,evil=\r\nx: y,bad\u0000=1',
    },
    baggage,
  };

  it.each(propagators)('%s writes only valid header names and values', (_, propagator) => {
    expect(Object.keys(checkInjected(propagator, ctx)).length).toBeGreaterThan(0);
  });
});
