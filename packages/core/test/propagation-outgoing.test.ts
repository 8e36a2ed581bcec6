// What tracing adds to an outgoing request: the app's own headers kept or
// merged, and the byte budget over all propagators.
import { Context, contextWithBaggage, contextWithSpan, ROOT_CONTEXT } from '../src/context';
import { configurePropagation, isOwnPropagationHeader, outgoingHeaders, outgoingParent } from '../src/propagation-api';
import {
  addedBytes,
  carriesTrace,
  fitBudget,
  headerText,
  isPropagationHeader,
  keepOwnHeaders,
  mergeBaggageHeader,
  OUTGOING_HEADER_BUDGET,
  REQUEST_HEAD_LIMIT,
} from '../src/propagation/outgoing';
import { NonRecordingSpan } from '../src/span';
import type { Baggage, Carrier } from '../src/types';

const TRACE_A = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_A = '00f067aa0ba902b7';
const TRACE_B = '80f198ee56343ba864fe8b2a57d3eff7';
const SPAN_B = 'e457b5a2e4d86bd1';

function spanIn(traceId: string, spanId: string, ctx: Context = ROOT_CONTEXT): Context {
  return contextWithSpan(ctx, new NonRecordingSpan({ traceId, spanId, traceFlags: 1, isRemote: false }));
}

function baggageOf(entries: Record<string, string>): Baggage {
  return new Map(Object.entries(entries).map(([key, value]) => [key, { value }]));
}

/** `count` entries k000, k001… whose values are `size` characters. */
function bigBaggage(count: number, size: number): Baggage {
  return new Map(Array.from({ length: count }, (_, i) => [`k${String(i).padStart(3, '0')}`, { value: 'v'.repeat(size) }]));
}

describe('headerText', () => {
  it.each<[string | string[] | number | undefined, string | undefined]>([
    [undefined, undefined],
    ['a=1', 'a=1'],
    [['a=1', 'b=2'], 'a=1,b=2'],
    [42, '42'],
  ])('%j → %j', (value, expected) => expect(headerText(value)).toBe(expected));
});

describe('mergeBaggageHeader', () => {
  it.each<[string, string, string, string]>([
    ['the app wins per key, the context fills in', 'tenant=42', 'tenant=evil,role=admin', 'tenant=42,role=admin'],
    ['the app value is kept as written', ' tenant = 42 ;p ', 'role=admin', 'tenant = 42 ;p,role=admin'],
    ['an empty value with properties', 'flag=;p=1', 'flag=x,b=2', 'flag=;p=1,b=2'],
    ['several app headers joined', 'a=1,b=2', 'b=x,c=3,a=y', 'a=1,b=2,c=3'],
    ['an empty app value: the context only', ' ', 'a=1', 'a=1'],
    ['nothing to add', 'a=1', 'a=2', 'a=1'],
    ['an app value that is not valid baggage is left alone: an empty member', 'a=1,,', 'b=2', 'a=1,,'],
    ['… a control character', 'a=\x01', 'b=2', 'a=\x01'],
    ['… a key that is not a token', 'a b=1', 'b=2', 'a b=1'],
    ['… 181 members', Array(181).fill('a=1').join(','), 'b=2', Array(181).fill('a=1').join(',')],
  ])('%s', (_, own, ours, expected) => expect(mergeBaggageHeader(own, ours)).toBe(expected));

  it('stays within 8192 bytes, skipping members that do not fit', () => {
    const own = 'a=' + 'x'.repeat(8180);
    expect(mergeBaggageHeader(own, `big=${'y'.repeat(20)},s=1`)).toBe(own + ',s=1');
  });

  it('stays within 180 members', () => {
    const own = Array.from({ length: 179 }, (_, i) => `o${i}=1`).join(',');
    expect(mergeBaggageHeader(own, 'x=1,y=2')).toBe(own + ',x=1');
  });
});

describe('keepOwnHeaders', () => {
  it.each<[string, Carrier, Carrier, Carrier]>([
    ['baggage is merged', { baggage: 'tenant=42' }, { traceparent: 'tp', baggage: 'tenant=evil,role=admin' }, { traceparent: 'tp', baggage: 'tenant=42,role=admin' }],
    ['repeated app baggage headers', { baggage: ['a=1', 'b=2'] }, { baggage: 'b=3,c=4' }, { baggage: 'a=1,b=2,c=4' }],
    ['nothing to add: the app header stays alone', { baggage: 'a=1' }, { traceparent: 'tp', baggage: 'a=2' }, { traceparent: 'tp' }],
    ["the app's uberctx items win", { 'uberctx-tenant': '42' }, { 'uber-trace-id': 'u', 'uberctx-tenant': 'evil', 'uberctx-role': 'admin' }, { 'uber-trace-id': 'u', 'uberctx-role': 'admin' }],
    ['trace context stays ours', { traceparent: 'app', tracestate: 'app=1', b3: 'app' }, { traceparent: 'ours', tracestate: 'o=1', b3: 'ours' }, { traceparent: 'ours', tracestate: 'o=1', b3: 'ours' }],
    ['own trace context we do not write is removed', { tracestate: 'app=1', 'x-b3-flags': '1' }, { traceparent: 'ours', b3: 'ours' }, { traceparent: 'ours', b3: 'ours', tracestate: undefined, 'x-b3-flags': undefined }],
    ['app baggage with no context baggage', { baggage: 'a=1' }, { traceparent: 'tp' }, { traceparent: 'tp' }],
  ])('%s', (_, own, carrier, expected) => {
    keepOwnHeaders(carrier, own);
    expect(carrier).toEqual(expected);
  });
});

describe('addedBytes', () => {
  it.each<[string, Carrier, Carrier | undefined, number]>([
    ['name: value CRLF per header', { traceparent: 'x'.repeat(55), baggage: 'a=1' }, undefined, 11 + 2 + 55 + 2 + 7 + 2 + 3 + 2],
    ['a merged baggage adds what follows the app value', { baggage: 'tenant=42,role=admin' }, { baggage: ' tenant=42 ' }, 11],
    ['other app headers do not change the count', { traceparent: 'tp' }, { traceparent: 'app-value' }, 11 + 2 + 2 + 2],
    ['nothing', {}, undefined, 0],
  ])('%s', (_, carrier, own, expected) => expect(addedBytes(carrier, own)).toBe(expected));
});

describe('isPropagationHeader and carriesTrace', () => {
  const fields = new Set(['traceparent', 'tracestate', 'baggage', 'uber-trace-id']);
  it.each<[string, boolean]>([
    ['traceparent', true],
    ['baggage', true],
    ['uberctx-tenant', true],
    ['uberctx-', false],
    ['content-type', false],
    ['b3', false],
  ])('isPropagationHeader(%s) = %s', (name, expected) => expect(isPropagationHeader(fields, name)).toBe(expected));

  it.each<[Carrier, boolean]>([
    [{ traceparent: 'x' }, true],
    [{ 'uber-trace-id': 'x' }, true],
    [{ b3: 'x' }, true],
    [{ baggage: 'x', tracestate: 'x', 'uberctx-a': 'x' }, false],
    [{}, false],
  ])('carriesTrace(%j) = %s', (own, expected) => expect(carriesTrace(own)).toBe(expected));
});

describe('fitBudget', () => {
  it('keeps a carrier within the budget as it is', () => {
    const carrier: Carrier = { traceparent: 'tp', baggage: 'a=1' };
    fitBudget(carrier, undefined, ['a'], 100);
    expect(carrier).toEqual({ traceparent: 'tp', baggage: 'a=1' });
  });

  it('keeps or leaves out each entry in both forms, in order, skipping one too large for what is left', () => {
    const carrier: Carrier = {
      traceparent: 't'.repeat(55),
      baggage: `a=${'1'.repeat(10)},big=${'2'.repeat(40)},c=3`,
      'uberctx-a': '1'.repeat(10),
      'uberctx-big': '2'.repeat(40),
      'uberctx-c': '3',
    };
    // traceparent: 70 bytes; a: 23 (the baggage header with its first member) + 23 (its item); big: 45 + 55; c: 4 + 14.
    fitBudget(carrier, undefined, ['a', 'big', 'c'], 70 + 46 + 18);
    expect(carrier).toEqual({ traceparent: 't'.repeat(55), baggage: `a=${'1'.repeat(10)},c=3`, 'uberctx-a': '1'.repeat(10), 'uberctx-c': '3' });
    expect(addedBytes(carrier, undefined)).toBe(70 + 46 + 18);
  });

  it('leaves all baggage out, never trace context', () => {
    const carrier: Carrier = { traceparent: 't'.repeat(55), tracestate: 's=1', baggage: 'a=1', 'uberctx-a': '1' };
    fitBudget(carrier, undefined, ['a'], 10);
    expect(carrier).toEqual({ traceparent: 't'.repeat(55), tracestate: 's=1' });
  });

  it("does not count the app's own baggage members, and keeps them", () => {
    const own: Carrier = { baggage: 'mine=' + 'm'.repeat(100) };
    const carrier: Carrier = { traceparent: 'tp', baggage: `${own.baggage},a=1,b=${'2'.repeat(50)}` };
    // traceparent: 17 bytes; ',a=1': 4.
    fitBudget(carrier, own, ['a', 'b'], 17 + 4);
    expect(carrier).toEqual({ traceparent: 'tp', baggage: `${own.baggage},a=1` });
    fitBudget(carrier, own, ['a', 'b'], 17);
    expect(carrier).toEqual({ traceparent: 'tp' });
  });
});

describe('with the configured propagators', () => {
  afterEach(() => configurePropagation(undefined));

  it('isOwnPropagationHeader follows the configuration', () => {
    configurePropagation('tracecontext,baggage');
    expect(['traceparent', 'tracestate', 'baggage', 'b3', 'uberctx-a'].map(isOwnPropagationHeader)).toEqual([true, true, true, false, true]);
    expect(['TraceParent', 'BAGGAGE', 'UberCtx-A', 'Accept', 'trace', 'uberctx-', '', 'éclair'].map(isOwnPropagationHeader)).toEqual([true, true, true, false, false, false, false, false]);
    configurePropagation('b3multi');
    expect(['traceparent', 'x-b3-traceid', 'b3'].map(isOwnPropagationHeader)).toEqual([false, true, true]);
  });

  describe('outgoingParent', () => {
    const active = spanIn(TRACE_A, SPAN_A);
    it.each<[string, Carrier | undefined, string | undefined, string | undefined]>([
      ['no own headers: the active span', undefined, TRACE_A, SPAN_A],
      ['own baggage only: the active span', { baggage: 'a=1' }, TRACE_A, SPAN_A],
      ['a traceparent of another trace: that span', { traceparent: `00-${TRACE_B}-${SPAN_B}-01` }, TRACE_B, SPAN_B],
      ['a traceparent of the active trace (a proxy forwarding): the active span', { traceparent: `00-${TRACE_A}-${SPAN_B}-01` }, TRACE_A, SPAN_A],
      ['an invalid traceparent: the active span', { traceparent: 'junk' }, TRACE_A, SPAN_A],
    ])('%s', (_, own, traceId, spanId) => {
      const parent = outgoingParent(active, own).span?.spanContext();
      expect([parent?.traceId, parent?.spanId]).toEqual([traceId, spanId]);
    });

    it('with no active span, an own traceparent is the parent; baggage stays the context one', () => {
      const ctx = contextWithBaggage(ROOT_CONTEXT, baggageOf({ a: '1' }));
      const parent = outgoingParent(ctx, { traceparent: `00-${TRACE_B}-${SPAN_B}-01`, tracestate: 'v=1' });
      expect(parent.span?.spanContext()).toMatchObject({ traceId: TRACE_B, spanId: SPAN_B, isRemote: true });
      expect(parent.span?.spanContext().traceState?.get('v')).toBe('1');
      expect(parent.baggage).toBe(ctx.baggage);
    });

    it('reads the own header in the configured format', () => {
      configurePropagation('b3');
      expect(outgoingParent(active, { b3: `${TRACE_B}-${SPAN_B}-1` }).span?.spanContext().traceId).toBe(TRACE_B);
      expect(outgoingParent(active, { traceparent: `00-${TRACE_B}-${SPAN_B}-01` }).span?.spanContext().traceId).toBe(TRACE_A);
    });
  });

  describe('outgoingHeaders', () => {
    it('writes what inject writes when the request has no headers of its own', () => {
      const ctx = contextWithBaggage(spanIn(TRACE_A, SPAN_A), baggageOf({ tenant: 'evil', role: 'admin' }));
      expect(outgoingHeaders(ctx, undefined)).toEqual({ traceparent: `00-${TRACE_A}-${SPAN_A}-01`, baggage: 'tenant=evil,role=admin' });
    });

    it("merges the request's own baggage, its entries first", () => {
      const ctx = contextWithBaggage(spanIn(TRACE_A, SPAN_A), baggageOf({ tenant: 'evil', role: 'admin' }));
      expect(outgoingHeaders(ctx, { baggage: 'tenant=42' })).toEqual({ traceparent: `00-${TRACE_A}-${SPAN_A}-01`, baggage: 'tenant=42,role=admin' });
    });

    it.each<[string, string[]]>([
      ['tracecontext,baggage', ['traceparent']],
      ['jaeger,baggage', ['uber-trace-id']],
      ['tracecontext,baggage,b3,b3multi,jaeger', ['traceparent', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', 'uber-trace-id']],
    ])('%s: 8 KB of baggage adds at most the budget, trace context whole', (propagators, traceHeaders) => {
      configurePropagation(propagators);
      const ctx = contextWithBaggage(spanIn(TRACE_A, SPAN_A), bigBaggage(180, 39));
      const headers = outgoingHeaders(ctx, undefined);
      expect(addedBytes(headers, undefined)).toBeLessThanOrEqual(OUTGOING_HEADER_BUDGET);
      // Filled until the next entry does not fit: one costs 44 bytes in `baggage`, 55 more as an uberctx item.
      expect(addedBytes(headers, undefined)).toBeGreaterThan(OUTGOING_HEADER_BUDGET - (propagators.includes('jaeger') ? 99 : 44));
      for (const name of traceHeaders) expect(headers[name]).toBeDefined();
      // Kept from the first entry on, and the same entries in every form.
      const members = headerText(headers.baggage)!.split(',').map((m) => m.slice(0, m.indexOf('=')));
      expect(members).toEqual([...ctx.baggage!.keys()].slice(0, members.length));
      const items = Object.keys(headers).filter((n) => n.startsWith('uberctx-')).map((n) => n.slice(8));
      expect(items).toEqual(propagators.includes('jaeger') ? members : []);
    });

    it('adds no more than keeps the request head within 16 KiB', () => {
      const ctx = contextWithBaggage(spanIn(TRACE_A, SPAN_A), bigBaggage(180, 39));
      const ownBytes = REQUEST_HEAD_LIMIT - 3000;
      const headers = outgoingHeaders(ctx, undefined, ownBytes);
      expect(addedBytes(headers, undefined)).toBeLessThanOrEqual(3000);
      expect(addedBytes(headers, undefined)).toBeGreaterThan(3000 - 44);
      // Full: trace context still goes out, baggage does not.
      expect(outgoingHeaders(ctx, undefined, REQUEST_HEAD_LIMIT)).toEqual({ traceparent: `00-${TRACE_A}-${SPAN_A}-01` });
    });

    it("does not count the request's own baggage against the budget", () => {
      const ctx = contextWithBaggage(spanIn(TRACE_A, SPAN_A), bigBaggage(180, 39));
      const own: Carrier = { baggage: 'mine=' + 'm'.repeat(4000) };
      const headers = outgoingHeaders(ctx, own);
      expect(headerText(headers.baggage)!.startsWith(`${own.baggage},k000=`)).toBe(true);
      // The merged header stays within what a receiver reads (8192), the tighter bound here.
      expect(headerText(headers.baggage)!.length).toBeLessThanOrEqual(8192);
      expect(addedBytes(headers, own)).toBeLessThanOrEqual(OUTGOING_HEADER_BUDGET);
    });
  });
});
