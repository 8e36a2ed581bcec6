// Every string a span keeps is within its limit (attribute values and status
// messages: OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT; names and keys: 1024), and the
// byte estimate the queue's budget uses counts each of them. That the kept
// strings are copies, not views of the originals, is measured on the heap in
// memory.test.ts.
import { InMemoryExporter, ReadableSpan, Sdk, Span, SpanStatusCode, start, trace } from '@tracewire/core';
import { spanBytes, truncated } from '../src/span';

const VALUE_LIMIT = 8;
/** Span names, event names and attribute keys (documented in the README). */
const NAME_LIMIT = 1024;
const context = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '53995c3f42cd8ad8', traceFlags: 1 };

let exporter: InMemoryExporter;
let sdk: Sdk;

beforeEach(() => {
  exporter = new InMemoryExporter();
  sdk = start({ exporter, processor: 'simple', flushOnExit: false, env: { OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: String(VALUE_LIMIT) } });
});

afterEach(async () => {
  await sdk.shutdown();
});

/** Ends a span that `act` filled and returns what was exported. */
function recorded(act: (span: Span) => void, name = 'limits'): ReadableSpan {
  exporter.reset();
  const span = trace.startSpan(name);
  act(span);
  span.end();
  return exporter.spans[0];
}

describe('truncated', () => {
  it.each([
    ['ascii', 'abcdef', 3, 'abc'],
    ['to nothing', 'abc', 0, ''],
    ['two-byte text', 'ééééé', 2, 'éé'],
    ['a pair cut in half loses its first half', 'a\u{1F600}b', 2, 'a'],
    ['a whole pair is kept', 'a\u{1F600}b', 3, 'a\u{1F600}'],
    ['only half a pair fits', '\u{1F600}\u{1F600}', 1, ''],
    ['a lone high surrogate at the cut goes too', 'a\ud83dzz', 2, 'a'],
    ['a lone low surrogate stays (it was lone already)', 'a\ude00zz', 2, 'a\ude00'],
    ['a long string', 'x'.repeat(20000) + 'y', 8192, 'x'.repeat(8192)],
    ['a concatenation', 'invalid payload: ' + 'z'.repeat(100), 20, 'invalid payload: zzz'],
    ['a slice of a longer string', 'q'.repeat(50).slice(10), 15, 'q'.repeat(15)],
  ])('%s', (_what, text, limit, expected) => {
    expect(truncated(text, limit)).toBe(expected);
  });
});

describe('what a span keeps is within its limit', () => {
  const ERROR = SpanStatusCode.ERROR;
  // [where, the call that stores `text`, where the exported span has it, the limit]
  const places: Array<[string, (span: Span, text: string) => void, (span: ReadableSpan) => unknown, number]> = [
    ['an attribute value', (s, t) => s.setAttribute('k', t), (r) => r.attributes.k, VALUE_LIMIT],
    ['an element of a string array', (s, t) => s.setAttribute('k', ['ok', t]), (r) => (r.attributes.k as string[])[1], VALUE_LIMIT],
    ['a value through setAttributes', (s, t) => s.setAttributes({ k: t }), (r) => r.attributes.k, VALUE_LIMIT],
    ['the status message', (s, t) => s.setStatus({ code: ERROR, message: t }), (r) => r.status.message, VALUE_LIMIT],
    ['an event attribute value', (s, t) => s.addEvent('e', { k: t }), (r) => r.events[0].attributes?.k, VALUE_LIMIT],
    ['a link attribute value', (s, t) => s.addLink({ context, attributes: { k: t } }), (r) => r.links[0].attributes?.k, VALUE_LIMIT],
    ['a recorded exception\'s message', (s, t) => s.recordException(new Error(t)), (r) => r.events[0].attributes?.['exception.message'], VALUE_LIMIT],
    ['the span name (updateName)', (s, t) => s.updateName(t), (r) => r.name, NAME_LIMIT],
    ['an event name', (s, t) => s.addEvent(t), (r) => r.events[0].name, NAME_LIMIT],
    ['an attribute key', (s, t) => s.setAttribute(t, 1), (r) => Object.keys(r.attributes)[0], NAME_LIMIT],
    ['an event attribute key', (s, t) => s.addEvent('e', { [t]: 1 }), (r) => Object.keys(r.events[0].attributes ?? {})[0], NAME_LIMIT],
    ['a link attribute key', (s, t) => s.addLink({ context, attributes: { [t]: 1 } }), (r) => Object.keys(r.links[0].attributes ?? {})[0], NAME_LIMIT],
  ];

  it.each(places)('%s is cut to its limit', (_where, store, read, limit) => {
    const text = 'a'.repeat(limit) + 'bcd';
    expect(read(recorded((span) => store(span, text)))).toBe('a'.repeat(limit));
  });

  it.each(places)('%s within its limit is kept as it is', (_where, store, read, limit) => {
    const text = 'é'.repeat(limit);
    expect(read(recorded((span) => store(span, text)))).toBe(text);
  });

  it('the span name given to startSpan and trace.span', () => {
    const long = 'n'.repeat(NAME_LIMIT + 10);
    expect(recorded(() => undefined, long).name).toBe('n'.repeat(NAME_LIMIT));
    exporter.reset();
    trace.span(long, () => undefined);
    expect(exporter.spans[0].name).toBe('n'.repeat(NAME_LIMIT));
  });

  it('an error thrown in trace.span: its message in the status and the exception event', () => {
    exporter.reset();
    expect(() => trace.span('failing', () => {
      throw new Error('invalid payload: ' + 'x'.repeat(1000));
    })).toThrow(/invalid payload/);
    const [span] = exporter.spans;
    expect(span.status).toEqual({ code: ERROR, message: 'invalid ' });
    expect(span.events[0].attributes?.['exception.message']).toBe('invalid ');
    expect((span.events[0].attributes?.['exception.stacktrace'] as string).length).toBe(VALUE_LIMIT);
  });

  it('two keys the same up to the limit are one attribute, the last value wins', () => {
    const prefix = 'k'.repeat(NAME_LIMIT);
    const span = recorded((s) => s.setAttribute(prefix + 'one', 1).setAttribute(prefix + 'two', 2));
    expect(span.attributes).toEqual({ [prefix]: 2 });
  });
});

describe('spanBytes, the estimate the queue budget counts', () => {
  /** spanBytes of a span `act` filled, less that of an empty span with an empty name. */
  const added = (act: (span: Span) => void, name = ''): number => spanBytes(recorded(act, name)) - spanBytes(recorded(() => undefined, ''));

  it.each([
    ['the name: its characters', () => undefined, 'n'.repeat(100), 100],
    ['a string attribute: 16 + key + value', (s: Span) => s.setAttribute('key', 'vvvvv'), '', 16 + 3 + 5],
    ['a number attribute: 16 + key', (s: Span) => s.setAttribute('key', 5), '', 16 + 3],
    ['a string array: 8 + characters an element', (s: Span) => s.setAttribute('k', ['ab', 'cde']), '', 16 + 1 + (8 + 2) + (8 + 3)],
    ['a number array: 8 an element', (s: Span) => s.setAttribute('k', [1, 2, 3]), '', 16 + 1 + 3 * 8],
    ['attributes past the three inline ones', (s: Span) => s.setAttributes({ a: 'x', b: 'x', c: 'x', d: 'x', e: 'x' }), '', 5 * (16 + 1 + 1)],
    ['the status message', (s: Span) => s.setStatus({ code: SpanStatusCode.ERROR, message: 'mmmmm' }), '', 5],
    ['an event: 128 + name + attributes', (s: Span) => s.addEvent('ev', { k: 'abc' }), '', 128 + 2 + (16 + 1 + 3)],
    ['a link: 128 + attributes', (s: Span) => s.addLink({ context, attributes: { k: 'abc' } }), '', 128 + (16 + 1 + 3)],
    ['truncated values count as kept', (s: Span) => s.setAttribute('k', 'v'.repeat(1000)), '', 16 + 1 + VALUE_LIMIT],
  ])('%s', (_what, act, name, bytes) => {
    expect(added(act, name)).toBe(bytes);
  });

  it('a span of ours is about 256 bytes before its strings', () => {
    expect(spanBytes(recorded(() => undefined, ''))).toBe(256);
  });

  it('any other ReadableSpan is estimated the same way, through its interface', () => {
    const ours = recorded((s) => {
      s.setAttributes({ a: 'x', b: ['yy', 'z'], c: 3, d: 'dddd' });
      s.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
      s.addEvent('ev', { k: 'abc' });
      s.addLink({ context, attributes: { k: 'abc' } });
    }, 'span name');
    const plain: ReadableSpan = {
      name: ours.name, kind: ours.kind, traceId: ours.traceId, spanId: ours.spanId, traceFlags: ours.traceFlags,
      traceState: undefined, parentSpanId: undefined, parentIsRemote: false, startTime: ours.startTime, endTime: ours.endTime,
      attributes: ours.attributes, droppedAttributesCount: 0, events: ours.events, droppedEventsCount: 0,
      links: ours.links, droppedLinksCount: 0, status: ours.status, scope: ours.scope,
    };
    expect(spanBytes(plain)).toBe(spanBytes(ours));
  });
});
