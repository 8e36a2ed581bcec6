import { b3MultiPropagator, b3Propagator } from '../src/propagation/b3';
import { baggagePropagator } from '../src/propagation/baggage';
import { CompositePropagator, propagatorsFromEnv } from '../src/propagation/composite';
import { defaultGetter, defaultSetter } from '../src/propagation/headers';
import { jaegerPropagator } from '../src/propagation/jaeger';
import { traceContextPropagator } from '../src/propagation/tracecontext';
import type { Carrier, PropagationContext, TextMapPropagator } from '../src/types';

const TRACE_A = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_A = '00f067aa0ba902b7';
const TRACE_B = '80f198ee56343ba864fe8b2a57d3eff7';
const SPAN_B = 'e457b5a2e4d86bd1';

const ctx: PropagationContext = {
  spanContext: { traceId: TRACE_A, spanId: SPAN_A, traceFlags: 1 },
  baggage: new Map([['user', { value: 'alice' }]]),
};

function headersWritten(propagator: TextMapPropagator): string[] {
  const carrier: Carrier = {};
  propagator.inject(ctx, carrier, defaultSetter);
  return Object.keys(carrier).sort();
}

describe('propagatorsFromEnv', () => {
  const W3C = ['baggage', 'traceparent'];
  it.each<[string, string | undefined, string[], number]>([
    ['unset: the default', undefined, W3C, 0],
    ['empty: the default', '', W3C, 0],
    ['blank: the default', ' , ', W3C, 0],
    ['tracecontext,baggage', 'tracecontext,baggage', W3C, 0],
    ['mixed case and spaces', ' TraceContext , BAGGAGE ', W3C, 0],
    ['tracecontext alone', 'tracecontext', ['traceparent'], 0],
    ['baggage alone', 'baggage', ['baggage'], 0],
    ['b3', 'b3', ['b3'], 0],
    ['b3multi', 'b3multi', ['x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid'], 0],
    ['jaeger', 'jaeger', ['uber-trace-id', 'uberctx-user'], 0],
    ['everything', 'tracecontext,baggage,b3,b3multi,jaeger', ['b3', 'baggage', 'traceparent', 'uber-trace-id', 'uberctx-user', 'x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid'], 0],
    ['a repeated name, counted once', 'tracecontext,tracecontext', ['traceparent'], 0],
    ['none', 'none', [], 0],
    ['none with others', 'none,tracecontext', [], 1],
    ['an unknown name among known ones', 'xray,tracecontext', ['traceparent'], 1],
    ['only unknown names', 'xray,ottrace', [], 3],
  ])('%s', (_, value, written, warningCount) => {
    const warnings: string[] = [];
    const propagator = propagatorsFromEnv(value, (message) => warnings.push(message));
    expect(headersWritten(propagator)).toEqual(written);
    expect(warnings).toHaveLength(warningCount);
  });

  it('names the unknown propagator and the known ones in its warning', () => {
    const warnings: string[] = [];
    propagatorsFromEnv('tracecontext,XRay', (message) => warnings.push(message));
    expect(warnings).toEqual([
      'OTEL_PROPAGATORS: unknown propagator "xray" ignored; known: tracecontext, baggage, b3, b3multi, jaeger, none.',
    ]);
  });

  it.each<[string, TextMapPropagator]>([
    ['tracecontext', traceContextPropagator],
    ['baggage', baggagePropagator],
    ['b3', b3Propagator],
    ['b3multi', b3MultiPropagator],
    ['jaeger', jaegerPropagator],
  ])('returns the %s propagator itself when it is the only one', (name, propagator) => {
    expect(propagatorsFromEnv(name, () => undefined)).toBe(propagator);
  });
});

describe('CompositePropagator', () => {
  const carrier: Carrier = {
    traceparent: `00-${TRACE_A}-${SPAN_A}-01`,
    b3: `${TRACE_B}-${SPAN_B}-0`,
    baggage: 'a=1,b=2',
    'uberctx-b': '3',
  };

  it.each<[string, TextMapPropagator[], string]>([
    ['tracecontext then b3: b3 wins', [traceContextPropagator, b3Propagator], TRACE_B],
    ['b3 then tracecontext: tracecontext wins', [b3Propagator, traceContextPropagator], TRACE_A],
    ['a later propagator that finds nothing keeps the earlier result', [traceContextPropagator, jaegerPropagator], TRACE_A],
  ])('extract in order, %s', (_, propagators, traceId) => {
    const result = new CompositePropagator(propagators).extract({}, carrier, defaultGetter);
    expect(result.spanContext?.traceId).toBe(traceId);
  });

  it('merges baggage from every propagator, later values winning', () => {
    const result = new CompositePropagator([baggagePropagator, jaegerPropagator]).extract({}, carrier, defaultGetter);
    expect(Object.fromEntries(result.baggage ?? [])).toEqual({
      a: { value: '1', metadata: undefined },
      b: { value: '3', metadata: undefined },
    });
  });

  it('lists each field once', () => {
    const composite = new CompositePropagator([traceContextPropagator, b3Propagator, b3MultiPropagator, baggagePropagator]);
    expect(composite.fields).toEqual(['traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', 'x-b3-flags', 'baggage']);
  });

  it('does nothing when empty', () => {
    const empty = new CompositePropagator([]);
    const start: PropagationContext = {};
    expect(empty.extract(start, carrier, defaultGetter)).toBe(start);
    expect(headersWritten(empty)).toEqual([]);
    expect(empty.fields).toEqual([]);
  });

  it('is not affected by later changes to the array it was given', () => {
    const list = [traceContextPropagator];
    const composite = new CompositePropagator(list);
    list.push(b3Propagator);
    expect(headersWritten(composite)).toEqual(['traceparent']);
  });
});
