// Both OTLP encodings, checked by decoding with the official opentelemetry-proto
// definitions (not with our own code): what we write is what a collector reads.
import { toEpochNanosString } from '../src/clock';
import { encodeOtlpJson } from '../src/export/otlp-json';
import { contextWithSpan, getTracer, InMemoryExporter, NonRecordingSpan, ROOT_CONTEXT, Sdk, start, withContext } from '@tracewire/core';
import { encodeOtlpProto, encodeOtlpProtoReusable, releaseOtlpProto } from '../src/export/otlp-proto';
import { AttributeValue, InstrumentationScope, ReadableSpan, SpanKind, SpanStatusCode } from '../src/types';
import { decodeOtlpJsonRequest, decodeOtlpProtoRequest, flattenRequest, PbSpan, ReceivedSpan } from './helpers/otlp-receiver';
import { HTTP_SCOPE, testResource, testSpan } from './helpers/spans';

const PG_SCOPE: InstrumentationScope = { name: '@tracewire/pg', version: '0.1.0' };
// Equal to HTTP_SCOPE but another object: must land in the same ScopeSpans.
const HTTP_SCOPE_COPY: InstrumentationScope = { name: '@tracewire/http', version: '0.1.0' };
const MANUAL_SCOPE: InstrumentationScope = { name: 'manual' };

const LONG = 'x'.repeat(300);
const HUGE = 'y'.repeat(20000); // needs a three-byte length: exercises moving a written message

const everyAttribute = {
  'str': 'hello',
  'str.empty': '',
  'str.unicode': 'héllo wörld — 日本語 🌍',
  'str.lone-surrogate': 'a\ud800b',
  'str.long': LONG,
  'str.huge': HUGE,
  'bool.true': true,
  'bool.false': false,
  'int.zero': 0,
  'int.small': 42,
  'int.negative': -7,
  'int.large': 2 ** 40 + 3,
  'int.large-negative': -(2 ** 52) + 1,
  'int.max-safe': Number.MAX_SAFE_INTEGER,
  'int.31-bit-boundary': 2 ** 31,
  'double': 0.5,
  'double.negative': -1.25,
  'double.unsafe-integer': 2 ** 60,
  'double.infinity': Infinity,
  'array.string': ['a', '', 'ü', null, undefined],
  'array.number': [1, 2.5, -3],
  'array.bool': [true, false],
  'array.empty': [],
  'skipped': undefined,
};

const root = testSpan({ name: 'GET /users/:id' });
const child = testSpan({
  name: 'SELECT users ünïcödé',
  kind: SpanKind.CLIENT,
  spanId: '00f067aa0ba902b7',
  parentSpanId: 'b7ad6b7169203331',
  parentIsRemote: false,
  traceFlags: 0,
  startTime: 1001.000001,
  endTime: 1002.999999,
  attributes: everyAttribute,
  droppedAttributesCount: 3,
  events: [
    { name: 'exception', time: 1002.5, attributes: { 'exception.message': 'boom', 'exception.type': 'Error' }, droppedAttributesCount: 1 },
    { name: 'no-attributes', time: 1002.75, droppedAttributesCount: 0 },
  ],
  droppedEventsCount: 4,
  links: [
    { context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '53995c3f42cd8ad8', traceFlags: 1, traceState: 'rojo=00f067aa0ba902b7', isRemote: true }, attributes: { 'link.kind': 'batch' }, droppedAttributesCount: 2 },
    { context: { traceId: '5bf92f3577b34da6a3ce929d0e0e4736', spanId: '63995c3f42cd8ad8', traceFlags: 0 } },
  ],
  droppedLinksCount: 5,
  status: { code: SpanStatusCode.ERROR, message: 'connection reset — ünïcödé' },
  scope: PG_SCOPE,
});
const remoteChild = testSpan({
  name: '',
  kind: SpanKind.CONSUMER,
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: 'a3ce929d0e0e4736',
  parentSpanId: '00f067aa0ba902b7',
  parentIsRemote: true,
  traceState: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
  attributes: {},
  status: { code: SpanStatusCode.OK },
  scope: HTTP_SCOPE_COPY,
});
const producer = testSpan({ kind: SpanKind.PRODUCER, spanId: '1111111111111111', scope: MANUAL_SCOPE, startTime: 0, endTime: 365 * 86400000 + 0.000001 });
const internal = testSpan({ kind: SpanKind.INTERNAL, spanId: '2222222222222222', scope: PG_SCOPE });
const spans: ReadableSpan[] = [root, child, remoteChild, producer, internal];

function bySpanId(list: ReceivedSpan[], id: string): ReceivedSpan {
  const found = list.find((s) => s.spanId === id);
  if (!found) throw new Error(`no span ${id}`);
  return found;
}

describe('OTLP/protobuf encoding', () => {
  const decoded = decodeOtlpProtoRequest(encodeOtlpProto(spans, testResource));
  const flat = flattenRequest(decoded);

  test('one ResourceSpans with the resource attributes', () => {
    expect(decoded.resourceSpans).toHaveLength(1);
    expect(flat[0].resource).toEqual({ 'service.name': 'checkout', 'service.version': '1.2.3', 'process.pid': 4242 });
  });

  test('spans grouped by scope name+version, in order of first appearance', () => {
    const scopes = decoded.resourceSpans[0].scopeSpans.map((ss) => ({
      name: ss.scope?.name ?? '',
      version: ss.scope?.version ?? '',
      spans: ss.spans.map((s) => Buffer.from(s.spanId).toString('hex')),
    }));
    expect(scopes).toEqual([
      { name: '@tracewire/http', version: '0.1.0', spans: [root.spanId, remoteChild.spanId] },
      { name: '@tracewire/pg', version: '0.1.0', spans: [child.spanId, internal.spanId] },
      { name: 'manual', version: '', spans: [producer.spanId] },
    ]);
  });

  test('ids, parent, trace state, name, kind and flags', () => {
    expect(bySpanId(flat, root.spanId)).toMatchObject({
      traceId: root.traceId,
      parentSpanId: '',
      traceState: '',
      name: 'GET /users/:id',
      kind: 2,
      flags: 0x101, // sampled, parent known not remote (there is none)
    });
    expect(bySpanId(flat, child.spanId)).toMatchObject({ parentSpanId: root.spanId, name: 'SELECT users ünïcödé', kind: 3, flags: 0x100 });
    expect(bySpanId(flat, remoteChild.spanId)).toMatchObject({
      traceId: remoteChild.traceId,
      parentSpanId: '00f067aa0ba902b7',
      traceState: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
      name: '',
      kind: 5,
      flags: 0x301,
    });
    expect(bySpanId(flat, producer.spanId).kind).toBe(4);
    expect(bySpanId(flat, internal.spanId).kind).toBe(1);
  });

  test('times are exact epoch nanoseconds', () => {
    for (const span of spans) {
      const got = bySpanId(flat, span.spanId);
      expect(got.startTimeUnixNano).toBe(toEpochNanosString(span.startTime));
      expect(got.endTimeUnixNano).toBe(toEpochNanosString(span.endTime));
    }
    const events = bySpanId(flat, child.spanId).events;
    expect(events.map((e) => e.timeUnixNano)).toEqual([toEpochNanosString(1002.5), toEpochNanosString(1002.75)]);
  });

  test('fixed64 times stay exact across the range (no BigInt in the encoder)', () => {
    // Deterministic spread from before the clock's origin... to centuries ahead, with sub-µs fractions.
    const times = Array.from({ length: 500 }, (_, i) => ((i * 7919) % 500) * 1e9 * 7.3 + i * 0.000731 + 0.5);
    const many = times.map((t, i) => testSpan({ spanId: (i + 1).toString(16).padStart(16, '0'), startTime: t, endTime: t + i }));
    const got = flattenRequest(decodeOtlpProtoRequest(encodeOtlpProto(many, testResource)));
    expect(got.map((s) => s.startTimeUnixNano)).toEqual(times.map(toEpochNanosString));
    expect(got.map((s) => s.endTimeUnixNano)).toEqual(times.map((t, i) => toEpochNanosString(t + i)));
  });

  test('every attribute type', () => {
    const { 'skipped': _skipped, ...expected } = everyAttribute;
    expect(bySpanId(flat, child.spanId).attributes).toEqual({
      ...expected,
      'str.lone-surrogate': 'a\ufffdb',
      'array.string': ['a', '', 'ü', null, null],
    });
    expect(Object.keys(bySpanId(flat, root.spanId).attributes)).toHaveLength(8);
  });

  test('integers are int_value and the rest double_value, as OTel JS does', () => {
    const pb = decoded.resourceSpans[0].scopeSpans[1].spans[0] as PbSpan;
    const oneOf = (key: string): string | undefined => pb.attributes.find((kv) => kv.key === key)?.value?.value;
    for (const key of ['int.zero', 'int.small', 'int.negative', 'int.large', 'int.large-negative', 'int.max-safe', 'int.31-bit-boundary']) {
      expect([key, oneOf(key)]).toEqual([key, 'intValue']);
    }
    for (const key of ['double', 'double.negative', 'double.unsafe-integer', 'double.infinity']) {
      expect([key, oneOf(key)]).toEqual([key, 'doubleValue']);
    }
    // '' and false are still present values, not absent ones.
    expect(oneOf('str.empty')).toBe('stringValue');
    expect(oneOf('bool.false')).toBe('boolValue');
    const numbers = pb.attributes.find((kv) => kv.key === 'array.number')?.value?.arrayValue?.values.map((v) => v.value);
    expect(numbers).toEqual(['intValue', 'doubleValue', 'intValue']);
  });

  test('events, links, dropped counts and status', () => {
    const got = bySpanId(flat, child.spanId);
    expect(got.events).toEqual([
      { name: 'exception', timeUnixNano: toEpochNanosString(1002.5), attributes: { 'exception.message': 'boom', 'exception.type': 'Error' }, droppedAttributesCount: 1 },
      { name: 'no-attributes', timeUnixNano: toEpochNanosString(1002.75), attributes: {}, droppedAttributesCount: 0 },
    ]);
    expect(got.links).toEqual([
      { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '53995c3f42cd8ad8', traceState: 'rojo=00f067aa0ba902b7', flags: 0x301, attributes: { 'link.kind': 'batch' }, droppedAttributesCount: 2 },
      { traceId: '5bf92f3577b34da6a3ce929d0e0e4736', spanId: '63995c3f42cd8ad8', traceState: '', flags: 0x100, attributes: {}, droppedAttributesCount: 0 },
    ]);
    expect(got).toMatchObject({ droppedAttributesCount: 3, droppedEventsCount: 4, droppedLinksCount: 5 });
    expect(got.status).toEqual({ code: 2, message: 'connection reset — ünïcödé' });
    expect(bySpanId(flat, remoteChild.spanId).status).toEqual({ code: 1, message: '' });
    expect(bySpanId(flat, root.spanId).status).toEqual({ code: 0, message: '' });
  });

  test('a batch larger than 2 MiB (four-byte lengths) decodes', () => {
    const big = Array.from({ length: 120 }, (_, i) => testSpan({ spanId: (i + 1).toString(16).padStart(16, '0'), attributes: { huge: HUGE } }));
    const got = flattenRequest(decodeOtlpProtoRequest(encodeOtlpProto(big, testResource)));
    expect(got).toHaveLength(120);
    expect(got.every((s) => s.attributes.huge === HUGE)).toBe(true);
    expect(got[119].spanId).toBe('0000000000000078');
  });

  test('no spans: an empty ResourceSpans', () => {
    const empty = decodeOtlpProtoRequest(encodeOtlpProto([], testResource));
    expect(empty.resourceSpans[0].scopeSpans).toEqual([]);
  });
});

describe('OTLP/JSON encoding', () => {
  const text = encodeOtlpJson(spans, testResource);
  const json = JSON.parse(text);

  test('decodes with the official definitions to the same spans as protobuf', () => {
    const fromJson = flattenRequest(decodeOtlpJsonRequest(text));
    const fromProto = flattenRequest(decodeOtlpProtoRequest(encodeOtlpProto(spans, testResource)));
    // Two known differences of representation, not of data: proto3 JSON spells
    // non-finite doubles as strings (protobufjs's fromObject keeps them so), and
    // JSON escapes a lone surrogate ("\ud800") where UTF-8 must replace it.
    const comparable = (list: ReceivedSpan[]): ReceivedSpan[] =>
      list.map((s) => ({
        ...s,
        attributes: { ...s.attributes, 'double.infinity': String(s.attributes['double.infinity']), 'str.lone-surrogate': null },
      }));
    expect(comparable(fromJson)).toEqual(comparable(fromProto));
    expect(text).toContain('"a\\ud800b"');
  });

  test('follows the OTLP/JSON mapping: hex ids, integer enums, int64 as strings, camelCase', () => {
    const scopeSpans = json.resourceSpans[0].scopeSpans;
    expect(scopeSpans.map((ss: { scope: unknown }) => ss.scope)).toEqual([
      { name: '@tracewire/http', version: '0.1.0' },
      { name: '@tracewire/pg', version: '0.1.0' },
      { name: 'manual' },
    ]);
    const s = scopeSpans[1].spans[0];
    expect(s).toMatchObject({
      traceId: child.traceId,
      spanId: child.spanId,
      parentSpanId: root.spanId,
      flags: 0x100,
      kind: 3,
      startTimeUnixNano: toEpochNanosString(child.startTime),
      endTimeUnixNano: toEpochNanosString(child.endTime),
      droppedAttributesCount: 3,
      droppedEventsCount: 4,
      droppedLinksCount: 5,
      status: { code: 2, message: 'connection reset — ünïcödé' },
    });
    expect(s.events[0]).toEqual({
      timeUnixNano: toEpochNanosString(1002.5),
      name: 'exception',
      attributes: [
        { key: 'exception.message', value: { stringValue: 'boom' } },
        { key: 'exception.type', value: { stringValue: 'Error' } },
      ],
      droppedAttributesCount: 1,
    });
    expect(s.links[0]).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '53995c3f42cd8ad8',
      traceState: 'rojo=00f067aa0ba902b7',
      attributes: [{ key: 'link.kind', value: { stringValue: 'batch' } }],
      droppedAttributesCount: 2,
      flags: 0x301,
    });
    expect(s.links[1]).not.toHaveProperty('droppedAttributesCount');
    const value = (key: string): unknown => s.attributes.find((kv: { key: string }) => kv.key === key)?.value;
    expect(value('int.large')).toEqual({ intValue: String(2 ** 40 + 3) });
    expect(value('int.negative')).toEqual({ intValue: '-7' });
    expect(value('double')).toEqual({ doubleValue: 0.5 });
    expect(value('double.infinity')).toEqual({ doubleValue: 'Infinity' });
    expect(value('bool.false')).toEqual({ boolValue: false });
    expect(value('str.empty')).toEqual({ stringValue: '' });
    expect(value('array.string')).toEqual({
      arrayValue: { values: [{ stringValue: 'a' }, { stringValue: '' }, { stringValue: 'ü' }, {}, {}] },
    });
    expect(value('skipped')).toBeUndefined();
  });

  test('absent optional fields are left out', () => {
    const rootJson = json.resourceSpans[0].scopeSpans[0].spans[0];
    expect(rootJson).not.toHaveProperty('parentSpanId');
    expect(rootJson).not.toHaveProperty('traceState');
    expect(rootJson).not.toHaveProperty('droppedAttributesCount');
    expect(rootJson.status).toEqual({ code: 0 });
  });
});

describe('spans of this tracer (RecordingSpan: ids as words, split times, inline attributes)', () => {
  const memory = new InMemoryExporter();
  let sdk: Sdk;
  let recorded: ReadableSpan[];

  /** The same span as a plain object, read through the public ReadableSpan fields. */
  const plain = (s: ReadableSpan): ReadableSpan => ({
    name: s.name, kind: s.kind, traceId: s.traceId, spanId: s.spanId, traceFlags: s.traceFlags, traceState: s.traceState,
    parentSpanId: s.parentSpanId, parentIsRemote: s.parentIsRemote, startTime: s.startTime, endTime: s.endTime,
    attributes: s.attributes, droppedAttributesCount: s.droppedAttributesCount, events: s.events, droppedEventsCount: s.droppedEventsCount,
    links: s.links, droppedLinksCount: s.droppedLinksCount, status: s.status, scope: s.scope,
  });

  beforeAll(() => {
    sdk = start({ exporter: memory, processor: 'simple', flushOnExit: false, env: { OTEL_ATTRIBUTE_COUNT_LIMIT: '2000', OTEL_SPAN_EVENT_COUNT_LIMIT: '1', OTEL_SPAN_LINK_COUNT_LIMIT: '1' } });
    const tracer = getTracer('@tracewire/encode-test', '1.0.0');
    const other = getTracer('other');
    const root = tracer.startSpan('GET /users/:id', { kind: SpanKind.SERVER });
    root.setAttribute('http.request.method', 'GET').setAttribute('url.path', '/users/42').setAttribute('http.response.status_code', 200);
    root.end();
    const child = withContext(contextWithSpan(ROOT_CONTEXT, root), () => tracer.startSpan('SELECT ünïcödé', { kind: SpanKind.CLIENT }));
    const values: Array<[string, AttributeValue]> = [
      ['int.0', 0], ['int.127', 127], ['int.128', 128], ['int.16383', 16383], ['int.16384', 16384], ['port', 35136], ['int.2^28-1', 2 ** 28 - 1], ['int.2^28', 2 ** 28], ['int.-1', -1], ['int.2^31', 2 ** 31],
      ['double', 1.5], ['nan', NaN], ['inf', -Infinity], ['true', true], ['false', false], ['empty', ''], ['ascii', 'plain value'],
      ['ünïcödé.key', 'välue — 日本語 🌍'], ['lone', 'a\ud800b'], ['long.value', 'v'.repeat(300)], [`long.key.${'k'.repeat(80)}`, 'x'],
      ['array', ['a', 'b']], ['numbers', [1, 2.5]], ['value.126', 'w'.repeat(126)],
    ];
    for (const [key, value] of values) child.setAttribute(key, value);
    child.addEvent('exception', { 'exception.message': 'boom' }).addEvent('dropped');
    child.addLink({ context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '53995c3f42cd8ad8', traceFlags: 1, isRemote: true }, attributes: { l: 1 } });
    child.addLink({ context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '53995c3f42cd8ad9', traceFlags: 1 } });
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'connection reset' });
    child.end();
    const remote = new NonRecordingSpan({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, traceState: 'rojo=00f067aa0ba902b7', isRemote: true });
    const consumer = withContext(contextWithSpan(ROOT_CONTEXT, remote), () => other.startSpan('', { kind: SpanKind.CONSUMER, startTime: performance.timeOrigin - 1234.5678 }));
    consumer.setStatus({ code: SpanStatusCode.OK });
    consumer.end(performance.timeOrigin + 1.000001);
    const crowded = other.startSpan('crowded');
    // More distinct keys than the encoder's key cache holds.
    for (let i = 0; i < 1500; i++) crowded.setAttribute(`key.${i}`, i);
    crowded.end();
    recorded = [...memory.spans];
  });

  afterAll(async () => {
    await sdk.shutdown();
  });

  test('they are RecordingSpans (the fast path is the one tested)', () => {
    expect(recorded.map((s) => s.constructor.name)).toEqual(['RecordingSpan', 'RecordingSpan', 'RecordingSpan', 'RecordingSpan']);
  });

  test('the bytes are exactly those of the same spans as plain objects', () => {
    const fast = Buffer.from(encodeOtlpProto(recorded, testResource));
    const generic = Buffer.from(encodeOtlpProto(recorded.map(plain), testResource));
    expect(fast.equals(generic)).toBe(true);
    // And twice in a row (caches warm) the same again.
    expect(Buffer.from(encodeOtlpProto(recorded, testResource)).equals(generic)).toBe(true);
  });

  test('they decode with the official definitions', () => {
    const got = flattenRequest(decodeOtlpProtoRequest(encodeOtlpProto(recorded, testResource)));
    const [root, child, consumer, crowded] = got;
    expect(root).toMatchObject({ name: 'GET /users/:id', kind: 2, parentSpanId: '', attributes: { 'http.request.method': 'GET', 'url.path': '/users/42', 'http.response.status_code': 200 } });
    expect(child).toMatchObject({ name: 'SELECT ünïcödé', kind: 3, traceId: root.traceId, parentSpanId: root.spanId, status: { code: 2, message: 'connection reset' } });
    expect(child.attributes).toMatchObject({ 'int.16384': 16384, port: 35136, 'int.2^28-1': 2 ** 28 - 1, 'int.2^28': 2 ** 28, 'int.-1': -1, 'ünïcödé.key': 'välue — 日本語 🌍', lone: 'a\ufffdb', 'value.126': 'w'.repeat(126) });
    expect(child.events.map((e) => e.name)).toEqual(['exception']);
    expect(child.links).toHaveLength(1);
    expect(consumer).toMatchObject({ name: '', kind: 5, traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: 'b7ad6b7169203331', traceState: 'rojo=00f067aa0ba902b7', status: { code: 1 } });
    // timeOrigin - 1234.5678 as a double epoch time is only exact to ~0.25 µs.
    expect(consumer.startTimeUnixNano).toBe(toEpochNanosString(recorded[2].startTime));
    expect(Math.abs(recorded[2].startTime + 1234.5678)).toBeLessThan(0.001);
    expect(consumer.endTimeUnixNano).toBe(toEpochNanosString(recorded[2].endTime));
    expect(Object.keys(crowded.attributes)).toHaveLength(1500);
    expect(crowded.attributes['key.1499']).toBe(1499);
  });

  test('the reusable variant writes the same bytes, into memory given back and used again', () => {
    const batch = recorded.slice(0, 3);
    const expected = Buffer.from(encodeOtlpProto(batch, testResource));
    // Batches of a similar size: the buffer size estimate settles.
    for (let i = 0; i < 5; i++) releaseOtlpProto(encodeOtlpProtoReusable(batch, testResource));
    const first = encodeOtlpProtoReusable(batch, testResource);
    expect(Buffer.from(first).equals(expected)).toBe(true);
    const memoryUsed = first.buffer;
    releaseOtlpProto(first);
    const second = encodeOtlpProtoReusable(batch, testResource);
    expect(second.buffer).toBe(memoryUsed);
    expect(Buffer.from(second).equals(expected)).toBe(true);
    releaseOtlpProto(second);
    // Giving back something it did not lend is a no-op.
    expect(() => releaseOtlpProto(Buffer.alloc(10))).not.toThrow();
  });
});

describe('attribute values that repeat from span to span (the encoder copies a KeyValue it wrote twice in a row)', () => {
  // One key, its value over consecutive spans: repeats, changes, alternates,
  // changes type, and a value that is not short (written the long way).
  const sequence: AttributeValue[] = ['GET', 'GET', 'GET', 'POST', 'POST', 'GET', 'GET', 200, 200, '200', '200', 201, 35136, 35136, 35140, 2 ** 28 - 1, 2 ** 28 - 1, 2 ** 28, 2 ** 28, true, true, false, '', '', 'ü', 'ü', 'x'.repeat(200), 'x'.repeat(200), 'GET'];

  const spansFor = (key: string, inEvent: boolean): ReadableSpan[] =>
    sequence.map((value, i) =>
      testSpan({
        spanId: (0x1000000000000000 + i).toString(16),
        // The key first (an inline attribute of a RecordingSpan) and among others; in an event too (another tag byte).
        attributes: { [key]: value, 'url.path': `/items/${i}`, 'server.port': 8080 },
        events: inEvent ? [{ name: 'e', time: 1001, attributes: { [key]: value }, droppedAttributesCount: 0 }] : [],
      }),
    );

  test.each([false, true])('each span decodes with its own values (also in events: %s)', (inEvent) => {
    const key = `repeat.test.${inEvent ? 'event' : 'span'}`;
    const spans = spansFor(key, inEvent);
    // One batch, then each span on its own (the cache lives across batches), then the batch again.
    const batches = [spans, ...spans.map((s) => [s]), spans];
    for (const batch of batches) {
      const got = flattenRequest(decodeOtlpProtoRequest(encodeOtlpProto(batch, testResource)));
      expect(got.map((s) => s.attributes[key])).toEqual(batch.map((s) => s.attributes[key]));
      expect(got.map((s) => s.attributes['url.path'])).toEqual(batch.map((s) => s.attributes['url.path']));
      if (inEvent) expect(got.map((s) => s.events[0].attributes[key])).toEqual(batch.map((s) => s.attributes[key]));
    }
  });

  test('recording spans of this tracer (inline and overflow attributes) decode with their own values', async () => {
    const memory = new InMemoryExporter();
    const sdk = start({ exporter: memory, processor: 'simple', flushOnExit: false });
    try {
      const tracer = getTracer('@tracewire/repeat-test');
      for (const value of sequence) {
        const span = tracer.startSpan('GET /items/:id', { kind: SpanKind.SERVER });
        span.setAttribute('repeat.inline', value);
        for (let i = 0; i < 4; i++) span.setAttribute(`filler.${i}`, i);
        span.setAttribute('repeat.overflow', value);
        span.end();
      }
      const recorded = [...memory.spans];
      const got = flattenRequest(decodeOtlpProtoRequest(encodeOtlpProto(recorded, testResource)));
      expect(got.map((s) => s.attributes['repeat.inline'])).toEqual(sequence);
      expect(got.map((s) => s.attributes['repeat.overflow'])).toEqual(sequence);
    } finally {
      await sdk.shutdown();
    }
  });

  test('keys looked up by their position in the span: orders that change, keys past the positions, long keys', async () => {
    // The encoder remembers the key last seen at each attribute position of a recording span (the first 35);
    // a span with its keys in another order, more keys than positions, or keys too long to cache must still
    // decode to exactly its own attributes, in one batch and a span at a time.
    const memory = new InMemoryExporter();
    const sdk = start({ exporter: memory, processor: 'simple', flushOnExit: false });
    try {
      const tracer = getTracer('@tracewire/position-test');
      const keys = Array.from({ length: 40 }, (_, i) => `pos.${i}`);
      const orders = [keys, [...keys].reverse(), keys, keys.slice(0, 10), [...keys.slice(5), ...keys.slice(0, 5)], keys, [`long.${'k'.repeat(80)}`, ...keys]];
      const expected: Array<Record<string, AttributeValue>> = [];
      orders.forEach((order, n) => {
        const span = tracer.startSpan(`span ${n}`);
        const attrs: Record<string, AttributeValue> = {};
        order.forEach((key, i) => {
          const value = i % 3 === 0 ? `${key}=${n}` : i % 3 === 1 ? i * 1000 + n : n % 2 === 0;
          span.setAttribute(key, value);
          attrs[key] = value;
        });
        span.end();
        expected.push(attrs);
      });
      const recorded = [...memory.spans];
      for (const batch of [recorded, ...recorded.map((s) => [s]), recorded]) {
        const got = flattenRequest(decodeOtlpProtoRequest(encodeOtlpProto(batch, testResource)));
        expect(got.map((s) => s.attributes)).toEqual(batch.map((s) => expected[recorded.indexOf(s)]));
      }
    } finally {
      await sdk.shutdown();
    }
  });
});
