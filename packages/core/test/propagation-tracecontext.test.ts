import { defaultGetter, defaultSetter } from '../src/propagation/headers';
import { traceStateOf } from '../src/trace-state';
import {
  formatTraceParent,
  parseTraceParent,
  parseTraceState,
  traceContextPropagator,
} from '../src/propagation/tracecontext';
import type { Carrier, PropagationContext, SpanContext } from '../src/types';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** An extracted context: its tracestate is the API's TraceState over the header's text. */
const remote = (traceFlags: number, traceState?: string): SpanContext => ({
  traceId: TRACE,
  spanId: SPAN,
  traceFlags,
  traceState: traceStateOf(traceState),
  isRemote: true,
});

describe('parseTraceParent', () => {
  it.each<[string, string, number]>([
    ['sampled', `00-${TRACE}-${SPAN}-01`, 1],
    ['not sampled', `00-${TRACE}-${SPAN}-00`, 0],
    ['sampled with unknown flags (zeroed)', `00-${TRACE}-${SPAN}-09`, 1],
    ['unknown flags only (zeroed)', `00-${TRACE}-${SPAN}-fe`, 0],
    ['all flags', `00-${TRACE}-${SPAN}-ff`, 1],
    ['leading space', ` 00-${TRACE}-${SPAN}-01`, 1],
    ['trailing tab', `00-${TRACE}-${SPAN}-01\t`, 1],
    ['OWS on both sides', `\t 00-${TRACE}-${SPAN}-01 \t`, 1],
    ['future version, 55 characters', `cc-${TRACE}-${SPAN}-01`, 1],
    ['future version with more fields', `cc-${TRACE}-${SPAN}-01-what-the-future-will-be-like`, 1],
    ['future version with a trailing dash', `01-${TRACE}-${SPAN}-00-`, 0],
    ['highest allowed version', `fe-${TRACE}-${SPAN}-01`, 1],
  ])('accepts %s', (_, header, traceFlags) => {
    expect(parseTraceParent(header)).toEqual(remote(traceFlags));
  });

  it.each<[string, string]>([
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with extra fields', `00-${TRACE}-${SPAN}-01-what-the-future-will-be-like`],
    ['version 00 with a trailing dash', `00-${TRACE}-${SPAN}-01-`],
    ['version 00 with one extra character', `00-${TRACE}-${SPAN}-01.`],
    ['version 00 with trailing junk after OWS', `00-${TRACE}-${SPAN}-01 x`],
    ['future version with junk instead of a dash', `cc-${TRACE}-${SPAN}-01.what-the-future-will-be-like`],
    ['future version, too short', `cc-${TRACE}-${SPAN}-0`],
    ['uppercase version', `0A-${TRACE}-${SPAN}-01`],
    ['uppercase trace id', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['uppercase span id', `00-${TRACE}-${SPAN.toUpperCase()}-01`],
    ['uppercase flags', `00-${TRACE}-${SPAN}-0A`],
    ['non-hex version', `0g-${TRACE}-${SPAN}-01`],
    ['non-hex trace id', `00-${TRACE.slice(0, 31)}g-${SPAN}-01`],
    ['non-hex span id', `00-${TRACE}-${SPAN.slice(0, 15)}z-01`],
    ['non-hex flags', `00-${TRACE}-${SPAN}-0.`],
    ['flags with a dot first', `00-${TRACE}-${SPAN}-.0`],
    ['all-zero trace id', `00-${ZERO_TRACE}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${ZERO_SPAN}-01`],
    ['all-zero ids, future version', `cc-${ZERO_TRACE}-${SPAN}-01-x`],
    ['missing first dash', `00${TRACE}-${SPAN}-01x`],
    ['missing second dash', `00-${TRACE}${SPAN}-01x`],
    ['missing third dash', `00-${TRACE}-${SPAN}01x`],
    ['underscores for dashes', `00_${TRACE}_${SPAN}_01`],
    ['trace id one short', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['trace id one long', `00-${TRACE}a-${SPAN}-01`],
    ['span id one short', `00-${TRACE}-${SPAN.slice(1)}-01`],
    ['span id one long', `00-${TRACE}-${SPAN}a-01`],
    ['three-digit flags', `00-${TRACE}-${SPAN}-002`],
    ['one-digit flags', `00-${TRACE}-${SPAN}-1`],
    ['one-digit version', `0-${TRACE}-${SPAN}-01`],
    ['three-digit version', `000-${TRACE}-${SPAN}-01`],
    ['inner whitespace', `00 -${TRACE}-${SPAN}-01`],
    ['two headers joined', `00-${TRACE}-${SPAN}-01,00-${TRACE}-${SPAN}-01`],
    ['two future headers joined', `cc-${TRACE}-${SPAN}-01,cc-${TRACE}-${SPAN}-01`],
    ['empty', ''],
    ['only whitespace', '   '],
    ['junk', 'not a traceparent at all, not at all, no no no no no no no'],
  ])('rejects %s', (_, header) => {
    expect(parseTraceParent(header)).toBeUndefined();
  });
});

describe('formatTraceParent', () => {
  it.each<[number, string]>([
    [0, '00'],
    [1, '01'],
    [2, '00'],
    [3, '01'],
    [0xff, '01'],
  ])('writes version 00 and only the sampled bit of flags %i', (traceFlags, flags) => {
    expect(formatTraceParent({ traceId: TRACE, spanId: SPAN, traceFlags })).toBe(`00-${TRACE}-${SPAN}-${flags}`);
  });
});

// `name=xxx…` of exactly `length` characters.
const member = (name: string, length: number): string => `${name}=${'x'.repeat(length - name.length - 1)}`;
const keyChars = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
const allValueChars = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
  .filter((c) => c !== ',' && c !== '=')
  .join('');
const numbered = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `bar${String(i + 1).padStart(2, '0')}=${i + 1}`);

describe('parseTraceState', () => {
  it.each<[string, string, string | undefined]>([
    ['one member', 'a=1', 'a=1'],
    ['two members', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'],
    ['OWS around members', 'foo=1 \t , \t bar=2, \t baz=3', 'foo=1,bar=2,baz=3'],
    ['OWS with tabs', 'foo=1\t \t,\t \tbar=2,\t \tbaz=3', 'foo=1,bar=2,baz=3'],
    ['leading OWS', '\t foo=1', 'foo=1'],
    ['trailing OWS', 'foo=1 \t', 'foo=1'],
    ['empty header', '', undefined],
    ['empty members only', ' , ,\t,', undefined],
    ['empty members between', 'a=1,,  ,b=2,', 'a=1,b=2'],
    ['leading spaces kept in a value', 'a=  b', 'a=  b'],
    ['every key and value character', `${keyChars}=${allValueChars.trimEnd()}`, `${keyChars}=${allValueChars.trimEnd()}`],
    ['multi-tenant key', `${keyChars}@a-z0-9_-*/=1`, `${keyChars}@a-z0-9_-*/=1`],
    ['tenant starting with a digit', '1tenant@vendor=1', '1tenant@vendor=1'],
    ['key of 256 characters', `${'z'.repeat(256)}=1`, `${'z'.repeat(256)}=1`],
    ['tenant of 241 and system of 14', `${'t'.repeat(241)}@${'v'.repeat(14)}=1`, `${'t'.repeat(241)}@${'v'.repeat(14)}=1`],
    ['value of 256 characters', member('k', 258), member('k', 258)],
  ])('keeps %s', (_, header, expected) => {
    expect(parseTraceState(header)).toBe(expected);
  });

  it.each<[string, string]>([
    ['space before =', 'foo =1'],
    ['uppercase key', 'FOO=1'],
    ['dot in key', 'foo.bar=1'],
    ['key starting with a digit', '1foo=1'],
    ['key starting with _', '_foo=1'],
    ['empty tenant', '@foo=1'],
    ['empty system', 'foo@=1'],
    ['double @', 'foo@@bar=1'],
    ['two @', 'foo@bar@baz=1'],
    ['system starting with a digit', 'foo@1bar=1'],
    ['key of 257 characters', `${'z'.repeat(257)}=1`],
    ['tenant of 242 characters', `${'t'.repeat(242)}@v=1`],
    ['system of 15 characters', `t@${'v'.repeat(15)}=1`],
    ['no =', 'foo'],
    ['empty key', '=1'],
    ['empty value', 'foo='],
    ['blank value', 'foo=   '],
    ['= in value', 'foo=a=b'],
    ['tab in value', 'foo=a\tb'],
    ['DEL in value', 'foo=a\x7f'],
    ['non-ASCII value', 'foo=caf\u00e9'],
    ['value of 257 characters', member('k', 259)],
  ])('drops a member with %s, keeping the others', (_, bad) => {
    expect(parseTraceState(`${bad},bar=2`)).toBe('bar=2');
    expect(parseTraceState(`bar=2,${bad}`)).toBe('bar=2');
  });

  it.each<[string, string, string]>([
    ['repeated key and value', 'foo=1,foo=1', 'foo=1'],
    ['repeated key', 'foo=1,foo=2', 'foo=1'],
    ['repeated key further on', 'foo=1,bar=2,foo=3', 'foo=1,bar=2'],
  ])('keeps the first member of a %s', (_, header, expected) => {
    expect(parseTraceState(header)).toBe(expected);
  });

  it.each<[string, string[], string[]]>([
    ['32 members', numbered(32), numbered(32)],
    ['33 members: the first 32', numbered(33), numbered(32)],
    ['33 members with an invalid one: the 32 valid ones', ['BAD=1', ...numbered(32)], numbered(32)],
    ['40 members', numbered(40), numbered(32)],
  ])('keeps %s', (_, members, expected) => {
    expect(parseTraceState(members.join(','))).toBe(expected.join(','));
  });

  const m = (i: number, length: number): string => member(`m${i}`, length);
  it.each<[string, string[], string[]]>([
    ['exactly 512 characters', [m(1, 100), m(2, 100), m(3, 100), m(4, 100), m(5, 108)], [m(1, 100), m(2, 100), m(3, 100), m(4, 100), m(5, 108)]],
    ['513 characters: the last member goes', [m(1, 100), m(2, 100), m(3, 100), m(4, 100), m(5, 109)], [m(1, 100), m(2, 100), m(3, 100), m(4, 100)]],
    ['a long member goes before shorter later ones', [m(0, 200), m(1, 100), m(2, 100), m(3, 100), m(4, 100)], [m(1, 100), m(2, 100), m(3, 100), m(4, 100)]],
    ['long members go from the right, only as many as needed', [m(1, 100), m(2, 150), m(3, 100), m(4, 150), m(5, 100)], [m(1, 100), m(2, 150), m(3, 100), m(5, 100)]],
    ['after capping at 32 members', Array.from({ length: 40 }, (_, i) => m(i + 10, 20)), Array.from({ length: 24 }, (_, i) => m(i + 10, 20))],
    ['then short members from the right', [m(0, 200), m(1, 100), m(2, 100), m(3, 100), m(4, 100), m(5, 100), m(6, 100)], [m(1, 100), m(2, 100), m(3, 100), m(4, 100), m(5, 100)]],
  ])('truncates to 512 characters: %s', (_, members, expected) => {
    const result = parseTraceState(members.join(',')) as string;
    expect(result).toBe(expected.join(','));
    expect(result.length).toBeLessThanOrEqual(512);
  });

  it('returns the header itself when it is kept unchanged', () => {
    const header = numbered(10).join(',');
    expect(parseTraceState(header)).toBe(header);
  });
});

describe('traceContextPropagator.extract', () => {
  const traceparent = `00-${TRACE}-${SPAN}-01`;
  const extract = (carrier: Carrier, ctx: PropagationContext = {}): PropagationContext =>
    traceContextPropagator.extract(ctx, carrier, defaultGetter);

  it.each<[string, Carrier, SpanContext | undefined]>([
    ['traceparent alone', { traceparent }, remote(1)],
    ['traceparent and tracestate', { traceparent, tracestate: 'foo=1,bar=2' }, remote(1, 'foo=1,bar=2')],
    [
      'several tracestate headers, combined in order',
      { traceparent, tracestate: ['foo=1,bar=2', 'rojo=1,congo=2', 'baz=3'] },
      remote(1, 'foo=1,bar=2,rojo=1,congo=2,baz=3'),
    ],
    ['an empty tracestate header among others', { traceparent, tracestate: ['', 'foo=1'] }, remote(1, 'foo=1')],
    ['an empty tracestate', { traceparent, tracestate: '' }, remote(1)],
    ['a tracestate with no valid member', { traceparent, tracestate: 'FOO=1' }, remote(1)],
    ['tracestate split into 33 members over headers', { traceparent, tracestate: [numbered(30).join(','), 'bar31=31,bar32=32,bar33=33'] }, remote(1, numbered(32).join(','))],
    ['tracestate without traceparent', { tracestate: 'foo=1' }, undefined],
    ['an invalid traceparent with tracestate', { traceparent: `ff-${TRACE}-${SPAN}-01`, tracestate: 'foo=1' }, undefined],
    ['two traceparent headers', { traceparent: [traceparent, traceparent] }, undefined],
    ['a traceparent that is a number', { traceparent: 42 }, undefined],
    ['a wrongly named header', { 'trace-parent': traceparent }, undefined],
  ])('reads %s', (_, carrier, expected) => {
    expect(extract(carrier).spanContext).toEqual(expected);
  });

  it('returns the same context when nothing valid is found', () => {
    const ctx: PropagationContext = { spanContext: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 } };
    expect(extract({ traceparent: 'junk', tracestate: 'foo=1' }, ctx)).toBe(ctx);
  });

  it('keeps baggage already in the context', () => {
    const baggage = new Map([['k', { value: 'v' }]]);
    expect(extract({ traceparent }, { baggage })).toEqual({ baggage, spanContext: remote(1) });
  });
});

describe('traceContextPropagator.inject', () => {
  const inject = (spanContext: SpanContext | undefined): Carrier => {
    const carrier: Carrier = {};
    traceContextPropagator.inject({ spanContext }, carrier, defaultSetter);
    return carrier;
  };
  const ctx = (over: Partial<SpanContext>): SpanContext => ({ traceId: TRACE, spanId: SPAN, traceFlags: 1, ...over });

  it.each<[string, SpanContext | undefined, Carrier]>([
    ['a sampled context', ctx({}), { traceparent: `00-${TRACE}-${SPAN}-01` }],
    ['an unsampled context', ctx({ traceFlags: 0 }), { traceparent: `00-${TRACE}-${SPAN}-00` }],
    ['unknown flags, zeroed', ctx({ traceFlags: 0xfe }), { traceparent: `00-${TRACE}-${SPAN}-00` }],
    ['a tracestate', ctx({ traceState: 'foo=1,bar=2' }), { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'foo=1,bar=2' }],
    ['a hand-made tracestate, cleaned', ctx({ traceState: ' foo=1 ,BAD=2,\r\nx' }), { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'foo=1' }],
    ['an empty tracestate: no header', ctx({ traceState: '' }), { traceparent: `00-${TRACE}-${SPAN}-01` }],
    ['an invalid tracestate: no header', ctx({ traceState: 'a\r\nb' }), { traceparent: `00-${TRACE}-${SPAN}-01` }],
    ['no span context: nothing', undefined, {}],
    ['an uppercase trace id: nothing', ctx({ traceId: TRACE.toUpperCase() }), {}],
    ['an all-zero trace id: nothing', ctx({ traceId: ZERO_TRACE }), {}],
    ['an all-zero span id: nothing', ctx({ spanId: ZERO_SPAN }), {}],
    ['a short span id: nothing', ctx({ spanId: 'abc' }), {}],
  ])('writes %s', (_, spanContext, expected) => {
    expect(inject(spanContext)).toEqual(expected);
  });

  it.each<[string, SpanContext]>([
    ['sampled', remote(1)],
    ['unsampled', remote(0)],
    ['with tracestate', remote(1, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')],
  ])('round-trips a %s context', (_, spanContext) => {
    const carrier = inject(spanContext);
    expect(traceContextPropagator.extract({}, carrier, defaultGetter)).toEqual({ spanContext });
  });

  it('declares its fields', () => {
    expect(traceContextPropagator.fields).toEqual(['traceparent', 'tracestate']);
  });
});
