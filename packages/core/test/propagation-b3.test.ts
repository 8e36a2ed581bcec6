import { b3MultiPropagator, b3Propagator, parseB3Single } from '../src/propagation/b3';
import { defaultGetter, defaultSetter } from '../src/propagation/headers';
import type { Carrier, PropagationContext, SpanContext } from '../src/types';

const TRACE = '80f198ee56343ba864fe8b2a57d3eff7';
const TRACE_64 = '64fe8b2a57d3eff7';
const WIDENED_64 = '0000000000000000' + TRACE_64;
const SPAN = 'e457b5a2e4d86bd1';
const PARENT = '05e3ac9a4f6e3b90';
const OTHER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OTHER_SPAN = '00f067aa0ba902b7';

const remote = (traceFlags: number, traceId = TRACE, spanId = SPAN): SpanContext => ({
  traceId,
  spanId,
  traceFlags,
  traceState: undefined,
  isRemote: true,
});

describe('parseB3Single', () => {
  it.each<[string, string, SpanContext]>([
    ['sampled', `${TRACE}-${SPAN}-1`, remote(1)],
    ['not sampled', `${TRACE}-${SPAN}-0`, remote(0)],
    ['debug, read as sampled', `${TRACE}-${SPAN}-d`, remote(1)],
    ['no sampling state (deferred), read as not sampled', `${TRACE}-${SPAN}`, remote(0)],
    ['a parent span id', `${TRACE}-${SPAN}-1-${PARENT}`, remote(1)],
    ['an all-zero parent span id', `${TRACE}-${SPAN}-0-${'0'.repeat(16)}`, remote(0)],
    ['a 64-bit trace id, widened', `${TRACE_64}-${SPAN}-1`, remote(1, WIDENED_64)],
    ['surrounding OWS', ` ${TRACE}-${SPAN}-1\t`, remote(1)],
  ])('reads %s', (_, header, expected) => {
    expect(parseB3Single(header)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['deny (sampling only)', '0'],
    ['accept (sampling only)', '1'],
    ['debug (sampling only)', 'd'],
    ['an uppercase trace id', `${TRACE.toUpperCase()}-${SPAN}-1`],
    ['an uppercase span id', `${TRACE}-${SPAN.toUpperCase()}-1`],
    ['a 20-character trace id', `${TRACE.slice(0, 20)}-${SPAN}-1`],
    ['a 15-character span id', `${TRACE}-${SPAN.slice(1)}-1`],
    ['a 17-character span id', `${TRACE}-${SPAN}a-1`],
    ['an all-zero trace id', `${'0'.repeat(32)}-${SPAN}-1`],
    ['an all-zero 64-bit trace id', `${'0'.repeat(16)}-${SPAN}-1`],
    ['an all-zero span id', `${TRACE}-${'0'.repeat(16)}-1`],
    ['a non-hex trace id', `${TRACE.slice(0, 31)}x-${SPAN}-1`],
    ['an unknown sampling state', `${TRACE}-${SPAN}-x`],
    ['sampling "true"', `${TRACE}-${SPAN}-true`],
    ['a trailing dash', `${TRACE}-${SPAN}-`],
    ['a dash after the sampling state', `${TRACE}-${SPAN}-1-`],
    ['a parent span id without sampling state', `${TRACE}-${SPAN}-${PARENT}`],
    ['a short parent span id', `${TRACE}-${SPAN}-1-${PARENT.slice(1)}`],
    ['a long parent span id', `${TRACE}-${SPAN}-1-${PARENT}0`],
    ['an uppercase parent span id', `${TRACE}-${SPAN}-1-${PARENT.toUpperCase()}`],
    ['an extra field', `${TRACE}-${SPAN}-1-${PARENT}-x`],
    ['no separators', `${TRACE}${SPAN}`],
    ['empty', ''],
  ])('rejects %s', (_, header) => {
    expect(parseB3Single(header)).toBeUndefined();
  });
});

describe('B3 extract (both propagators)', () => {
  const multi = (sampled?: string, flags?: string, traceId = TRACE): Carrier => ({
    'x-b3-traceid': traceId,
    'x-b3-spanid': SPAN,
    ...(sampled === undefined ? {} : { 'x-b3-sampled': sampled }),
    ...(flags === undefined ? {} : { 'x-b3-flags': flags }),
  });

  const cases: Array<[string, Carrier, SpanContext | undefined]> = [
    ['single header', { b3: `${TRACE}-${SPAN}-1` }, remote(1)],
    ['multi: sampled 1', multi('1'), remote(1)],
    ['multi: sampled 0', multi('0'), remote(0)],
    ['multi: sampled true', multi('true'), remote(1)],
    ['multi: sampled false', multi('false'), remote(0)],
    ['multi: no sampled header', multi(), remote(0)],
    ['multi: debug flag', multi(undefined, '1'), remote(1)],
    ['multi: debug flag over sampled 0', multi('0', '1'), remote(1)],
    ['multi: flags other than 1', multi('0', '0'), remote(0)],
    ['multi: 64-bit trace id', multi('1', undefined, TRACE_64), remote(1, WIDENED_64)],
    ['multi: invalid trace id', multi('1', undefined, 'xyz'), undefined],
    ['multi: uppercase trace id', multi('1', undefined, TRACE.toUpperCase()), undefined],
    ['multi: missing span id', { 'x-b3-traceid': TRACE, 'x-b3-sampled': '1' }, undefined],
    ['multi: missing trace id', { 'x-b3-spanid': SPAN }, undefined],
    [
      'both forms: the single header wins',
      { b3: `${TRACE}-${SPAN}-1`, 'x-b3-traceid': OTHER_TRACE, 'x-b3-spanid': OTHER_SPAN, 'x-b3-sampled': '0' },
      remote(1),
    ],
    [
      'an invalid single header: multi is used',
      { b3: 'garbage', 'x-b3-traceid': OTHER_TRACE, 'x-b3-spanid': OTHER_SPAN, 'x-b3-sampled': '1' },
      remote(1, OTHER_TRACE, OTHER_SPAN),
    ],
    ['deny only', { b3: '0' }, undefined],
    ['nothing', {}, undefined],
  ];

  it.each(cases)('%s', (_, carrier, expected) => {
    for (const propagator of [b3Propagator, b3MultiPropagator]) {
      expect(propagator.extract({}, carrier, defaultGetter).spanContext).toEqual(expected);
    }
  });

  it('returns the same context when nothing is found', () => {
    const ctx: PropagationContext = { baggage: new Map() };
    expect(b3Propagator.extract(ctx, { b3: '0' }, defaultGetter)).toBe(ctx);
  });
});

describe('B3 inject', () => {
  const inject = (propagator: typeof b3Propagator, spanContext?: SpanContext): Carrier => {
    const carrier: Carrier = {};
    propagator.inject({ spanContext }, carrier, defaultSetter);
    return carrier;
  };

  it.each<[string, typeof b3Propagator, SpanContext | undefined, Carrier]>([
    ['b3: sampled', b3Propagator, remote(1), { b3: `${TRACE}-${SPAN}-1` }],
    ['b3: not sampled', b3Propagator, remote(0), { b3: `${TRACE}-${SPAN}-0` }],
    ['b3: other flag bits ignored', b3Propagator, remote(2), { b3: `${TRACE}-${SPAN}-0` }],
    ['b3multi: sampled', b3MultiPropagator, remote(1), { 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' }],
    ['b3multi: not sampled', b3MultiPropagator, remote(0), { 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '0' }],
    ['b3: no context', b3Propagator, undefined, {}],
    ['b3multi: no context', b3MultiPropagator, undefined, {}],
    ['b3: invalid ids', b3Propagator, remote(1, 'nope'), {}],
    ['b3multi: invalid ids', b3MultiPropagator, remote(1, TRACE, '0'.repeat(16)), {}],
  ])('%s', (_, propagator, spanContext, expected) => {
    expect(inject(propagator, spanContext)).toEqual(expected);
  });

  it.each([
    ['b3', b3Propagator],
    ['b3multi', b3MultiPropagator],
  ])('%s round-trips through both propagators', (_, propagator) => {
    for (const spanContext of [remote(1), remote(0), remote(1, WIDENED_64)]) {
      const carrier = inject(propagator, spanContext);
      expect(b3Propagator.extract({}, carrier, defaultGetter)).toEqual({ spanContext });
      expect(b3MultiPropagator.extract({}, carrier, defaultGetter)).toEqual({ spanContext });
    }
  });

  it('declares every header it reads or writes', () => {
    const fields = ['b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', 'x-b3-flags'];
    expect(b3Propagator.fields).toEqual(fields);
    expect(b3MultiPropagator.fields).toEqual(fields);
  });
});
