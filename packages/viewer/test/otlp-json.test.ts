// OTLP/JSON, end to end over HTTP: hex ids, 64-bit integers as strings or
// numbers, enums as integers (or names), bytes as base64, gzip.
import { gzipSync } from 'zlib';
import { startViewer, Viewer } from '../src';
import { post } from './helpers';

const TRACE = '5b8efff798038103d269b633813fc60c';

const request = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }], droppedAttributesCount: 0 },
      scopeSpans: [
        {
          scope: { name: 'manual', version: '2.0.0' },
          spans: [
            {
              traceId: TRACE.toUpperCase(),
              spanId: 'EEE19B7EC3C1B174',
              parentSpanId: '',
              name: 'GET /checkout',
              kind: 2,
              startTimeUnixNano: '1700000000123456789',
              endTimeUnixNano: 1700000000200000000,
              attributes: [
                { key: 'str', value: { stringValue: 'x' } },
                { key: 'bool', value: { boolValue: false } },
                { key: 'int.string', value: { intValue: '-12' } },
                { key: 'int.number', value: { intValue: 12 } },
                { key: 'int.big', value: { intValue: '9223372036854775807' } },
                { key: 'double', value: { doubleValue: 1.5 } },
                { key: 'double.nan', value: { doubleValue: 'NaN' } },
                { key: 'double.string', value: { doubleValue: '2.25' } },
                { key: 'bytes', value: { bytesValue: 'AAEC+v8=' } },
                { key: 'array', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }] } } },
                { key: 'kvlist', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }] } } },
                { key: 'empty', value: {} },
                { key: 'no-value' },
              ],
              events: [{ timeUnixNano: '1700000000150000000', name: 'authenticated', attributes: [{ key: 'user.id', value: { intValue: '7' } }] }],
              links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', attributes: [] }],
              status: { code: 2, message: 'payment declined' },
              flags: 257,
              unknownFutureField: { anything: [1, 2] },
            },
            {
              trace_id: TRACE,
              span_id: '00f067aa0ba902b7',
              parent_span_id: 'eee19b7ec3c1b174',
              name: 'snake case and enum names',
              kind: 'SPAN_KIND_CLIENT',
              start_time_unix_nano: '1700000000130000000',
              end_time_unix_nano: '1700000000140000000',
              status: { code: 'STATUS_CODE_OK' },
            },
          ],
        },
      ],
    },
  ],
};

let viewer: Viewer;
beforeAll(async () => {
  viewer = await startViewer({ otlpPort: 0, httpPort: 0, print: false });
});
afterAll(() => viewer.close());
beforeEach(() => viewer.store.clear());

function check(): void {
  const spans = viewer.store.get(TRACE)?.spans ?? [];
  expect(spans.map((s) => s.spanId)).toEqual(['eee19b7ec3c1b174', '00f067aa0ba902b7']);
  const [root, child] = spans;
  expect(root).toMatchObject({
    traceId: TRACE,
    parentSpanId: '',
    name: 'GET /checkout',
    kind: 2,
    startTimeUnixNano: '1700000000123456789',
    endTimeUnixNano: '1700000000200000000',
    durationMs: 76.543211,
    flags: 257,
    status: { code: 2, message: 'payment declined' },
    service: 'checkout',
    scope: { name: 'manual', version: '2.0.0', attributes: {} },
  });
  expect(root.attributes).toEqual({
    'str': 'x',
    'bool': false,
    'int.string': -12,
    'int.number': 12,
    'int.big': '9223372036854775807',
    'double': 1.5,
    'double.nan': NaN,
    'double.string': 2.25,
    'bytes': 'AAEC+v8=',
    'array': ['a', 2],
    'kvlist': { k: true },
    'empty': null,
    'no-value': null,
  });
  expect(root.events).toEqual([{ timeUnixNano: '1700000000150000000', name: 'authenticated', attributes: { 'user.id': 7 }, droppedAttributesCount: 0 }]);
  expect(root.links).toMatchObject([{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' }]);
  expect(child).toMatchObject({ parentSpanId: 'eee19b7ec3c1b174', kind: 3, status: { code: 1 }, durationMs: 10 });
}

test('OTLP/JSON decodes exactly and answers {}', async () => {
  const reply = await post(viewer.otlpUrl, JSON.stringify(request), { 'content-type': 'application/json' });
  expect(reply).toMatchObject({ status: 200, text: '{}' });
  expect(reply.headers['content-type']).toBe('application/json');
  check();
});

test('gzip-compressed OTLP/JSON decodes the same', async () => {
  const reply = await post(viewer.otlpUrl, gzipSync(JSON.stringify(request)), { 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'gzip' });
  expect(reply.status).toBe(200);
  check();
});

test('an empty object is a valid request with no spans', async () => {
  expect((await post(viewer.otlpUrl, '{}', { 'content-type': 'application/json' })).status).toBe(200);
  expect(viewer.store.spanCount).toBe(0);
});
