import { defaultGetter, defaultSetter } from '../src/propagation/headers';
import { jaegerPropagator, parseUberTraceId } from '../src/propagation/jaeger';
import type { Baggage, BaggageEntry, Carrier, PropagationContext, SpanContext } from '../src/types';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const PARENT = 'b7ad6b7169203331';

const remote = (traceFlags: number, traceId = TRACE, spanId = SPAN): SpanContext => ({
  traceId,
  spanId,
  traceFlags,
  traceState: undefined,
  isRemote: true,
});
const v = (value: string): BaggageEntry => ({ value, metadata: undefined });
const entries = (baggage: Baggage | undefined): Record<string, BaggageEntry> => Object.fromEntries(baggage ?? []);

describe('parseUberTraceId', () => {
  it.each<[string, string, SpanContext]>([
    ['sampled', `${TRACE}:${SPAN}:0:1`, remote(1)],
    ['two-digit flags', `${TRACE}:${SPAN}:0:01`, remote(1)],
    ['not sampled', `${TRACE}:${SPAN}:0:00`, remote(0)],
    ['debug and sampled', `${TRACE}:${SPAN}:0:3`, remote(1)],
    ['debug only', `${TRACE}:${SPAN}:0:2`, remote(0)],
    ['a parent span id (ignored)', `${TRACE}:${SPAN}:${PARENT}:1`, remote(1)],
    ['%3A separators', `${TRACE}%3A${SPAN}%3A0%3A1`, remote(1)],
    ['%3a separators', `${TRACE}%3a${SPAN}%3a0%3a1`, remote(1)],
    ['mixed separators', `${TRACE}%3A${SPAN}:0%3a1`, remote(1)],
    ['a 64-bit trace id', `${TRACE.slice(16)}:${SPAN}:0:1`, remote(1, TRACE.slice(16).padStart(32, '0'))],
    ['short ids (leading zeros dropped)', 'abc:def:0:1', remote(1, 'abc'.padStart(32, '0'), 'def'.padStart(16, '0'))],
    ['a short span id', `${TRACE}:${SPAN.slice(2)}:0:1`, remote(1)],
    ['uppercase hex', `${TRACE.toUpperCase()}:${SPAN.toUpperCase()}:0:1`, remote(1)],
    ['surrounding OWS', ` ${TRACE}:${SPAN}:0:1\t`, remote(1)],
  ])('reads %s', (_, header, expected) => {
    expect(parseUberTraceId(header)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['three fields', `${TRACE}:${SPAN}:1`],
    ['five fields', `${TRACE}:${SPAN}:0:1:x`],
    ['an all-zero trace id', `0:${SPAN}:0:1`],
    ['an all-zero span id', `${TRACE}:0000:0:1`],
    ['a 33-digit trace id', `${TRACE}1:${SPAN}:0:1`],
    ['a 17-digit span id', `${TRACE}:${SPAN}1:0:1`],
    ['a 17-digit parent span id', `${TRACE}:${SPAN}:${PARENT}1:1`],
    ['three-digit flags', `${TRACE}:${SPAN}:0:001`],
    ['non-hex flags', `${TRACE}:${SPAN}:0:g`],
    ['empty flags', `${TRACE}:${SPAN}:0:`],
    ['an empty span id', `${TRACE}::0:1`],
    ['an empty parent', `${TRACE}:${SPAN}::1`],
    ['other escapes', `${TRACE}%2F${SPAN}%3A0%3A1`],
    ['a negative-looking id', `-1:${SPAN}:0:1`],
    ['inner spaces', `${TRACE}: ${SPAN}:0:1`],
    ['empty', ''],
    ['junk', 'uber'],
  ])('rejects %s', (_, header) => {
    expect(parseUberTraceId(header)).toBeUndefined();
  });
});

describe('jaegerPropagator.extract', () => {
  const extract = (carrier: Carrier, ctx: PropagationContext = {}): PropagationContext =>
    jaegerPropagator.extract(ctx, carrier, defaultGetter);

  it('reads the trace and uberctx baggage', () => {
    const result = extract({
      'uber-trace-id': `${TRACE}:${SPAN}:0:1`,
      'uberctx-user': 'alice',
      'uberctx-name': 'J%20Doe',
      'uberctx-form': 'a+b%2Bc',
      other: 'x',
    });
    expect(result.spanContext).toEqual(remote(1));
    expect(entries(result.baggage)).toEqual({ user: v('alice'), name: v('J Doe'), form: v('a b+c') });
  });

  it.each<[string, Carrier, Record<string, BaggageEntry>]>([
    ['baggage without a trace id', { 'uberctx-k': 'v' }, { k: v('v') }],
    ['a mixed-case prefix', { 'UberCtx-k': 'v' }, { k: v('v') }],
    ['a bare prefix (no key)', { 'uberctx-': 'v' }, {}],
    ['a key that is not a token', { 'uberctx-a b': 'v' }, {}],
    ['a non-ASCII value', { 'uberctx-k': 'caf\u00e9' }, {}],
    ['a control character in a value', { 'uberctx-k': 'a\nb' }, {}],
    ['a repeated header, joined', { 'uberctx-k': ['a', 'b'] }, { k: v('a,b') }],
    ['a number', { 'uberctx-k': 5 }, {}],
    ['a value over 4096 bytes', { 'uberctx-k': 'x'.repeat(4095) }, {}],
    ['a bad escape, kept', { 'uberctx-k': '100%' }, { k: v('100%') }],
  ])('reads %s', (_, carrier, expected) => {
    expect(entries(extract(carrier).baggage)).toEqual(expected);
  });

  it('keeps at most 180 baggage items', () => {
    const carrier: Carrier = {};
    for (let i = 0; i < 200; i++) carrier[`uberctx-k${i}`] = String(i);
    expect(extract(carrier).baggage?.size).toBe(180);
  });

  it('keeps at most 8192 bytes of baggage', () => {
    const carrier: Carrier = {};
    for (let i = 0; i < 5; i++) carrier[`uberctx-k${i}`] = 'x'.repeat(3000);
    expect(extract(carrier).baggage?.size).toBe(2);
  });

  it('merges into existing baggage and keeps the existing span context when it finds none', () => {
    const spanContext: SpanContext = { traceId: TRACE, spanId: SPAN, traceFlags: 1 };
    const baggage = new Map([['a', v('1')], ['k', v('old')]]);
    const result = extract({ 'uberctx-k': 'new' }, { spanContext, baggage });
    expect(result.spanContext).toBe(spanContext);
    expect(entries(result.baggage)).toEqual({ a: v('1'), k: v('new') });
    expect(entries(baggage)).toEqual({ a: v('1'), k: v('old') });
  });

  it('returns the same context when nothing is found', () => {
    const ctx: PropagationContext = {};
    expect(extract({ 'uber-trace-id': 'junk', 'uberctx-': 'x' }, ctx)).toBe(ctx);
  });
});

describe('jaegerPropagator.inject', () => {
  const inject = (ctx: PropagationContext): Carrier => {
    const carrier: Carrier = {};
    jaegerPropagator.inject(ctx, carrier, defaultSetter);
    return carrier;
  };

  it.each<[string, PropagationContext, Carrier]>([
    ['a sampled context', { spanContext: remote(1) }, { 'uber-trace-id': `${TRACE}:${SPAN}:0:01` }],
    ['an unsampled context', { spanContext: remote(0) }, { 'uber-trace-id': `${TRACE}:${SPAN}:0:00` }],
    ['invalid ids: nothing', { spanContext: remote(1, 'abc') }, {}],
    ['nothing', {}, {}],
    [
      'baggage, encoded',
      { baggage: new Map([['user', v('alice')], ['name', v('J Doe+1')], ['bad key', v('x')]]) },
      { 'uberctx-user': 'alice', 'uberctx-name': 'J%20Doe%2B1' },
    ],
    ['an oversized baggage value: skipped', { baggage: new Map([['k', v('x'.repeat(5000))]]) }, {}],
  ])('writes %s', (_, ctx, expected) => {
    expect(inject(ctx)).toEqual(expected);
  });

  it('round-trips a context with baggage', () => {
    const ctx: PropagationContext = {
      spanContext: remote(1),
      baggage: new Map([['user', v('alice')], ['odd', v('a b+c%d \u00e9')]]),
    };
    expect(jaegerPropagator.extract({}, inject(ctx), defaultGetter)).toEqual(ctx);
  });

  it('declares its field', () => {
    expect(jaegerPropagator.fields).toEqual(['uber-trace-id']);
  });
});
