// Malformed and hostile input: every refusal is a 4xx with a one-line message
// naming what was wrong, nothing throws out of the decoders but
// OtlpDecodeError, and the receiver keeps working afterwards.
import { gzipSync } from 'zlib';
import { startViewer, Viewer } from '../src';
import { OtlpDecodeError } from '../src/model';
import { decodeJsonRequest } from '../src/otlp-json';
import { decodeProtoRequest } from '../src/otlp-proto';
import { encodeRequest, pbRequest, post, postProto, Reply } from './helpers';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const valid = pbRequest({
  shop: [
    { traceId: TRACE, spanId: '00f067aa0ba902b7', name: 'GET /', startMs: 0, endMs: 5, attributes: [{ key: 'a', value: { stringValue: 'b' } }] },
    { traceId: TRACE, spanId: '00f067aa0ba902b8', parentSpanId: '00f067aa0ba902b7', name: 'SELECT', startMs: 1, endMs: 2 },
  ],
});
const validBytes = encodeRequest(valid);

/** Deterministic bytes (a linear congruential generator), so a failure reproduces. */
function pseudoRandom(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    out[i] = s >>> 16;
  }
  return out;
}

function expectRefused(reply: Reply, status: number, message: RegExp): void {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(reply.text).toMatch(/^[^\n]+\n$/);
  expect(reply.text).toMatch(message);
}

let viewer: Viewer;
let small: Viewer;
beforeAll(async () => {
  viewer = await startViewer({ otlpPort: 0, httpPort: 0, print: false });
  small = await startViewer({ otlpPort: 0, httpPort: 0, print: false, maxBodyBytes: 64 * 1024 });
});
afterAll(async () => {
  await viewer.close();
  await small.close();
});
afterEach(async () => {
  // Whatever came before, the receiver still accepts a good request.
  viewer.store.clear();
  expect((await postProto(viewer.otlpUrl, valid)).status).toBe(200);
  expect(viewer.store.get(TRACE)?.spans).toHaveLength(2);
});

const PROTO = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

test.each([1, 2, 3, 4, 5, 6, 7, 8])('random bytes (seed %i) → 400', async (seed) => {
  expectRefused(await post(viewer.otlpUrl, pseudoRandom(seed, 64 + seed * 100), PROTO), 400, /^invalid OTLP protobuf: .* at byte \d+$/m);
});

test('truncated protobuf → 400 naming the truncation', async () => {
  for (const cut of [1, 2, 10, validBytes.length - 1]) {
    expectRefused(await post(viewer.otlpUrl, validBytes.subarray(0, cut), PROTO), 400, /^invalid OTLP protobuf: truncated/);
  }
});

test('every truncation of a valid request fails with OtlpDecodeError, and nothing else', () => {
  for (let cut = 1; cut < validBytes.length; cut++) {
    expect(() => decodeProtoRequest(validBytes.subarray(0, cut))).toThrow(OtlpDecodeError);
  }
});

test('byte mutations of a valid request decode or fail with OtlpDecodeError, never anything else', () => {
  for (let seed = 1; seed <= 3000; seed++) {
    const bytes = Buffer.from(validBytes);
    const noise = pseudoRandom(seed, 4);
    bytes[noise.readUInt16LE(0) % bytes.length] = noise[2];
    try {
      decodeProtoRequest(bytes);
    } catch (error) {
      if (!(error instanceof OtlpDecodeError)) throw error;
    }
  }
});

test.each([
  ['a known field with the wrong wire type', Buffer.from([0x08, 0x01]), /ExportTraceServiceRequest.resource_spans: expected wire type length-delimited, got varint at byte 1/],
  ['field number 0', Buffer.from([0x00, 0x01]), /invalid field number 0/],
  ['wire type 7 (unknown field 2)', Buffer.from([0x17]), /unsupported wire type 7 at byte 1/],
  ['an 11-byte varint (unknown field 2)', Buffer.from([0x10, ...new Array(10).fill(0xff), 0x01]), /varint longer than 10 bytes/],
])('protobuf with %s → 400', async (_name, body, message) => {
  expectRefused(await post(viewer.otlpUrl, body, PROTO), 400, message);
});

test('a span with a short trace id → 400 naming the span', async () => {
  const request = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from('abcd', 'hex'), spanId: Buffer.from('00f067aa0ba902b7', 'hex'), name: 'x' }] }] }] };
  expectRefused(await postProto(viewer.otlpUrl, request), 400, /resource_spans\[0\]\.scope_spans\[0\]\.spans\[0\]: trace id must be 16 non-zero bytes \(32 hex digits\), got "abcd"/);
});

test('attribute values nested 33 deep → 400', async () => {
  let value: object = { stringValue: 'bottom' };
  for (let i = 0; i < 33; i++) value = { arrayValue: { values: [value] } };
  const request = pbRequest({ s: [{ traceId: TRACE, spanId: '00f067aa0ba902b9', name: 'deep', startMs: 0, endMs: 1, attributes: [{ key: 'deep', value }] }] });
  expectRefused(await postProto(viewer.otlpUrl, request), 400, /nested deeper than 32 levels/);
});

const deepJsonValue = (levels: number): object => (levels === 0 ? { stringValue: 'bottom' } : { arrayValue: { values: [deepJsonValue(levels - 1)] } });

test.each([
  ['JSON attribute values nested 33 deep', JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'deep', value: deepJsonValue(33) }] } }] }), /nested deeper than 32 levels/],
  ['not JSON at all', 'hello', /^invalid OTLP\/JSON: not JSON \(/],
  ['cut-off JSON', '{"resourceSpans": [', /^invalid OTLP\/JSON: not JSON \(/],
  ['a JSON array', '[]', /^invalid OTLP\/JSON: request: expected an object, got \[\]/],
  ['resourceSpans not an array', '{"resourceSpans": 5}', /resourceSpans: expected an array, got 5/],
  ['a non-hex trace id', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'zz', spanId: '00f067aa0ba902b7' }] }] }] }), /spans\[0\]\.traceId: expected hex digits, got "zz"/],
  ['a time that is not an integer', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: '00f067aa0ba902b7', startTimeUnixNano: '12.5' }] }] }] }), /startTimeUnixNano: expected a 64-bit integer \(string or number\), got "12.5"/],
  ['a kind that is no enum', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: '00f067aa0ba902b7', kind: 'SERVER' }] }] }] }), /spans\[0\]\.kind: expected an enum number, got "SERVER"/],
  ['an attribute that is no object', JSON.stringify({ resourceSpans: [{ resource: { attributes: ['service.name'] } }] }), /resourceSpans\[0\]\.resource\.attributes\[0\]: expected an object/],
])('%s → 400', async (_name, body, message) => {
  expectRefused(await post(viewer.otlpUrl, body, JSON_TYPE), 400, message);
});

test.each([
  ['text/plain', /^unsupported Content-Type "text\/plain": send application\/x-protobuf or application\/json$/m],
  ['application/grpc', /^unsupported Content-Type "application\/grpc"/],
  ['', /^missing Content-Type: send application\/x-protobuf or application\/json$/m],
])('Content-Type "%s" → 415', async (type, message) => {
  expectRefused(await post(viewer.otlpUrl, validBytes, type ? { 'content-type': type } : {}), 415, message);
});

test('an unsupported Content-Encoding → 415', async () => {
  expectRefused(await post(viewer.otlpUrl, validBytes, { ...PROTO, 'content-encoding': 'br' }), 415, /^unsupported Content-Encoding "br": send gzip or no encoding$/m);
});

test('a body that is not gzip although it says so → 400', async () => {
  expectRefused(await post(viewer.otlpUrl, validBytes, { ...PROTO, 'content-encoding': 'gzip' }), 400, /^invalid gzip body: /);
});

test('a body over the default 16 MiB → 413', async () => {
  const body = Buffer.alloc(16 * 1024 * 1024 + 1);
  expectRefused(await post(viewer.otlpUrl, body, PROTO), 413, /^body larger than 16 MiB: send smaller batches/);
});

test('a chunked body growing past the cap → 413', async () => {
  const chunks = Array.from({ length: 20 }, () => Buffer.alloc(8 * 1024));
  expectRefused(await post(small.otlpUrl, chunks, PROTO), 413, /^body larger than 65536 bytes/);
  expect((await postProto(small.otlpUrl, valid)).status).toBe(200);
});

test('a gzip bomb (small body, large when decompressed) → 413', async () => {
  const bomb = gzipSync(Buffer.alloc(1024 * 1024));
  expect(bomb.length).toBeLessThan(64 * 1024);
  expectRefused(await post(small.otlpUrl, bomb, { ...PROTO, 'content-encoding': 'gzip' }), 413, /^decompressed body larger than 65536 bytes/);
});

test('wrong path → 404, wrong method → 405', async () => {
  expectRefused(await post(viewer.otlpUrl.replace('/v1/traces', '/v1/metrics'), validBytes, PROTO), 404, /^not found: \/v1\/metrics; OTLP traces go to POST \/v1\/traces$/m);
  const res = await fetch(viewer.otlpUrl);
  expect(res.status).toBe(405);
  expect(await res.text()).toBe('method GET not allowed: use POST /v1/traces\n');
});

test('JSON numbers too large for a double keep every digit', () => {
  const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE}","spanId":"00f067aa0ba902b7","name":"n: 12345678901234567","startTimeUnixNano":1700000000123456789,"endTimeUnixNano":1700000000123456790,"attributes":[{"key":"k","value":{"intValue":-9223372036854775808}}]}]}]}]}`;
  const [span] = decodeJsonRequest(text);
  expect(span).toMatchObject({ name: 'n: 12345678901234567', startTimeUnixNano: '1700000000123456789', durationMs: 0.000001, attributes: { k: '-9223372036854775808' } });
});
