// OTLP http/protobuf, end to end: requests encoded with the official
// opentelemetry-proto definitions, POSTed to the real receiver over HTTP,
// checked field by field in the store.
import { gzipSync } from 'zlib';
import { startViewer, Viewer } from '../src';
import { ViewerSpan } from '../src/model';
import { encodeRequest, post, postProto } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pb = require('@opentelemetry/otlp-transformer/build/src/generated/root.js').opentelemetry.proto;

const TRACE = '5b8efff798038103d269b633813fc60c';
const ROOT = 'eee19b7ec3c1b174';
const CHILD = 'eee19b7ec3c1b173';
const LINKED_TRACE = '0af7651916cd43dd8448eb211c80319c';
const id = (hex: string) => Buffer.from(hex, 'hex');

const everyValue = [
  { key: 'str', value: { stringValue: 'héllo — 日本語 🌍' } },
  { key: 'str.empty', value: { stringValue: '' } },
  { key: 'bool.true', value: { boolValue: true } },
  { key: 'bool.false', value: { boolValue: false } },
  { key: 'int.zero', value: { intValue: 0 } },
  { key: 'int.small', value: { intValue: 42 } },
  { key: 'int.negative', value: { intValue: -7 } },
  { key: 'int.max-safe', value: { intValue: String(Number.MAX_SAFE_INTEGER) } },
  { key: 'int.beyond-safe', value: { intValue: '9007199254740993' } },
  { key: 'int.min', value: { intValue: '-9223372036854775808' } },
  { key: 'int.max', value: { intValue: '9223372036854775807' } },
  { key: 'double', value: { doubleValue: 0.5 } },
  { key: 'double.negative', value: { doubleValue: -1.25 } },
  { key: 'double.infinity', value: { doubleValue: Infinity } },
  { key: 'bytes', value: { bytesValue: Buffer.from([0, 1, 2, 250, 255]) } },
  { key: 'empty', value: {} },
  {
    key: 'array',
    value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }, { boolValue: true }, { doubleValue: 2.5 }, { arrayValue: { values: [] } }] } },
  },
  {
    key: 'kvlist',
    value: {
      kvlistValue: {
        values: [
          { key: 'inner', value: { stringValue: 'x' } },
          { key: 'nested', value: { kvlistValue: { values: [{ key: 'deep', value: { intValue: 3 } }] } } },
          { key: '__proto__', value: { stringValue: 'just a key' } },
        ],
      },
    },
  },
];

const expectedValues = {
  'str': 'héllo — 日本語 🌍',
  'str.empty': '',
  'bool.true': true,
  'bool.false': false,
  'int.zero': 0,
  'int.small': 42,
  'int.negative': -7,
  'int.max-safe': Number.MAX_SAFE_INTEGER,
  'int.beyond-safe': '9007199254740993',
  'int.min': '-9223372036854775808',
  'int.max': '9223372036854775807',
  'double': 0.5,
  'double.negative': -1.25,
  'double.infinity': Infinity,
  'bytes': Buffer.from([0, 1, 2, 250, 255]).toString('base64'),
  'empty': null,
  'array': ['a', 1, true, 2.5, []],
  'kvlist': { inner: 'x', nested: { deep: 3 }, ['__proto__']: 'just a key' },
};

const request = {
  resourceSpans: [
    {
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: 'checkout' } },
          { key: 'service.version', value: { stringValue: '1.2.3' } },
          { key: 'process.pid', value: { intValue: 4242 } },
        ],
        droppedAttributesCount: 1,
      },
      scopeSpans: [
        {
          scope: { name: '@tracewire/http', version: '0.1.0', attributes: [{ key: 'scope.attr', value: { boolValue: true } }] },
          spans: [
            {
              traceId: id(TRACE),
              spanId: id(ROOT),
              traceState: 'vendor=abc',
              flags: 0x101,
              name: 'GET /users/:id',
              kind: 2,
              startTimeUnixNano: '1700000000123456789',
              endTimeUnixNano: '1700000000135802468',
              attributes: everyValue,
              droppedAttributesCount: 2,
              events: [
                { timeUnixNano: '1700000000130000001', name: 'exception', attributes: [{ key: 'exception.type', value: { stringValue: 'TypeError' } }], droppedAttributesCount: 1 },
                { timeUnixNano: '1700000000131000000', name: 'bare' },
              ],
              droppedEventsCount: 3,
              links: [{ traceId: id(LINKED_TRACE), spanId: id('b7ad6b7169203331'), traceState: 'k=v', attributes: [{ key: 'link.kind', value: { stringValue: 'follows' } }], droppedAttributesCount: 4, flags: 1 }],
              droppedLinksCount: 5,
              status: { code: 2, message: 'user 42 exploded' },
            },
          ],
        },
        {
          scope: { name: 'manual' },
          spans: [0, 1, 3, 4, 5].map((kind, i) => ({
            traceId: id(TRACE),
            spanId: id(`00000000000000a${i}`),
            parentSpanId: id(ROOT),
            name: `kind ${kind}`,
            kind,
            startTimeUnixNano: '1700000000124000000',
            endTimeUnixNano: '1700000000125000000',
            status: { code: kind === 1 ? 1 : 0 },
          })),
        },
      ],
    },
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'users-db' } }] },
      scopeSpans: [{ spans: [{ traceId: id(TRACE), spanId: id(CHILD), parentSpanId: id(ROOT), name: 'SELECT users', kind: 3, startTimeUnixNano: '1700000000125000000', endTimeUnixNano: '1700000000125000000' }] }],
    },
  ],
};

let viewer: Viewer;
beforeAll(async () => {
  viewer = await startViewer({ otlpPort: 0, httpPort: 0, print: false });
});
afterAll(() => viewer.close());
beforeEach(() => viewer.store.clear());

function span(spanId: string): ViewerSpan {
  const found = viewer.store.get(TRACE)?.spans.find((s) => s.spanId === spanId);
  if (!found) throw new Error(`span ${spanId} not in the store`);
  return found;
}

function checkAll(): void {
  expect(viewer.store.get(TRACE)?.spans).toHaveLength(7);
  const root = span(ROOT);
  expect(root).toMatchObject({
    traceId: TRACE,
    spanId: ROOT,
    parentSpanId: '',
    traceState: 'vendor=abc',
    flags: 0x101,
    name: 'GET /users/:id',
    kind: 2,
    startTimeUnixNano: '1700000000123456789',
    endTimeUnixNano: '1700000000135802468',
    durationMs: 12.345679,
    droppedAttributesCount: 2,
    droppedEventsCount: 3,
    droppedLinksCount: 5,
    status: { code: 2, message: 'user 42 exploded' },
    service: 'checkout',
  });
  expect(root.attributes).toEqual(expectedValues);
  expect(Object.getPrototypeOf(root.attributes.kvlist)).toBe(Object.prototype);
  expect(root.events).toEqual([
    { timeUnixNano: '1700000000130000001', name: 'exception', attributes: { 'exception.type': 'TypeError' }, droppedAttributesCount: 1 },
    { timeUnixNano: '1700000000131000000', name: 'bare', attributes: {}, droppedAttributesCount: 0 },
  ]);
  expect(root.links).toEqual([
    { traceId: LINKED_TRACE, spanId: 'b7ad6b7169203331', traceState: 'k=v', attributes: { 'link.kind': 'follows' }, droppedAttributesCount: 4, flags: 1 },
  ]);
  expect(root.resource).toEqual({ attributes: { 'service.name': 'checkout', 'service.version': '1.2.3', 'process.pid': 4242 }, droppedAttributesCount: 1 });
  expect(root.scope).toEqual({ name: '@tracewire/http', version: '0.1.0', attributes: { 'scope.attr': true } });

  expect([0, 1, 2, 3, 4].map((i) => span(`00000000000000a${i}`).kind)).toEqual([0, 1, 3, 4, 5]);
  expect(span('00000000000000a1').status).toEqual({ code: 1, message: '' });
  expect(span('00000000000000a0')).toMatchObject({ parentSpanId: ROOT, scope: { name: 'manual', version: '' }, service: 'checkout' });
  expect(span(CHILD)).toMatchObject({ service: 'users-db', kind: 3, durationMs: 0, attributes: {}, events: [], links: [], status: { code: 0, message: '' } });
}

test('a request with every field and attribute type decodes exactly', async () => {
  const reply = await postProto(viewer.otlpUrl, request);
  expect(reply).toMatchObject({ status: 200, text: '' });
  expect(reply.headers['content-type']).toBe('application/x-protobuf');
  // The empty body is a valid ExportTraceServiceResponse.
  expect(pb.collector.trace.v1.ExportTraceServiceResponse.decode(Buffer.from(reply.text)).partialSuccess).toBeFalsy();
  checkAll();
});

test('gzip-compressed protobuf decodes the same', async () => {
  const reply = await post(viewer.otlpUrl, gzipSync(encodeRequest(request)), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
  expect(reply.status).toBe(200);
  checkAll();
});

test('a body sent in many small chunks decodes the same', async () => {
  const body = encodeRequest(request);
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += 7) chunks.push(body.subarray(i, i + 7));
  expect((await post(viewer.otlpUrl, chunks, { 'content-type': 'application/x-protobuf; charset=binary' })).status).toBe(200);
  checkAll();
});

/** A length-delimited field: tag, length, payload. */
function lenField(field: number, payload: Buffer): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return Buffer.from(out);
  };
  return Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);
}

test('unknown fields of every wire type are skipped, and the resource may follow its spans', async () => {
  const Span = pb.trace.v1.Span;
  const spanBytes = Buffer.from(Span.encode(Span.fromObject({ traceId: id(TRACE), spanId: id(ROOT), name: 'from the future', startTimeUnixNano: '1', endTimeUnixNano: '2' })).finish());
  const unknown = Buffer.from([
    0xa0, 0x06, 0x96, 0x01, // field 100, varint
    0xa1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, // field 100, fixed64
    0xa2, 0x06, 3, 0x61, 0x62, 0x63, // field 100, length-delimited
    0xa5, 0x06, 1, 2, 3, 4, // field 100, fixed32
  ]);
  const scopeSpans = lenField(2, Buffer.concat([unknown, spanBytes, unknown]));
  const Resource = pb.resource.v1.Resource;
  const resource = lenField(1, Buffer.from(Resource.encode(Resource.fromObject({ attributes: [{ key: 'service.name', value: { stringValue: 'late-resource' } }] })).finish()));
  const body = lenField(1, Buffer.concat([lenField(2, scopeSpans), unknown, resource]));
  expect((await post(viewer.otlpUrl, Buffer.concat([unknown, body]), { 'content-type': 'application/x-protobuf' })).status).toBe(200);
  expect(span(ROOT)).toMatchObject({ name: 'from the future', service: 'late-resource', startTimeUnixNano: '1', endTimeUnixNano: '2' });
});

test('an empty request is a valid request with no spans', async () => {
  expect((await post(viewer.otlpUrl, Buffer.alloc(0), { 'content-type': 'application/x-protobuf' })).status).toBe(200);
  expect(viewer.store.spanCount).toBe(0);
});
