// The OTLP/HTTP exporter against real receivers on 127.0.0.1: healthy, down,
// slow, failing, throttling.
import http = require('http'); // the module object itself (not an import * copy), which shimmer patches
import { execFile } from 'child_process';
import * as diagnosticsChannel from 'diagnostics_channel';
import { AddressInfo } from 'net';
import * as path from 'path';
import { shimmer } from '../src/shim';
import { contextWithSpan, isSuppressed, ROOT_CONTEXT, withContext } from '../src/context';
import { NonRecordingSpan } from '../src/span';
import { OtlpHttpExporter, OtlpHttpExporterOptions, otlpExporterOptionsFromEnv } from '../src/export/otlp-http';
import { backoffMillis, parseRetryAfter, unreachableMessage } from '../src/export/transport';
import { ExportResult, ExportResultCode, ReadableSpan } from '../src/types';
import { OtlpReceiver, startOtlpReceiver } from './helpers/otlp-receiver';
import { testResource, testSpan } from './helpers/spans';

function exportOnce(exporter: OtlpHttpExporter, spans: ReadableSpan[] = [testSpan()]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, testResource, resolve));
}

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('OtlpHttpExporter', () => {
  let receiver: OtlpReceiver;
  const exporters: OtlpHttpExporter[] = [];

  function exporter(options: Partial<OtlpHttpExporterOptions> = {}): OtlpHttpExporter {
    const created = new OtlpHttpExporter({
      url: receiver.url,
      protocol: 'http/protobuf',
      headers: {},
      timeoutMillis: 5000,
      compression: 'none',
      initialBackoffMillis: 10,
      maxBackoffMillis: 50,
      ...options,
    });
    exporters.push(created);
    return created;
  }

  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });

  afterEach(async () => {
    await Promise.all(exporters.splice(0).map((e) => e.shutdown()));
    await receiver.close();
  });

  test('http/protobuf: spans arrive decoded, with the configured headers', async () => {
    const e = exporter({ headers: { 'x-api-key': 'secret-1', authorization: 'Bearer abc' } });
    const result = await exportOnce(e, [testSpan(), testSpan({ spanId: '1111111111111111', name: 'second' })]);
    expect(result).toEqual({ code: ExportResultCode.SUCCESS });
    expect(receiver.spans.map((s) => s.name)).toEqual(['GET /users/:id', 'second']);
    expect(receiver.spans[0]).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', kind: 2, scope: { name: '@tracewire/http' } });
    expect(receiver.spans[0].resource['service.name']).toBe('checkout');
    const { headers } = receiver.requests[0];
    expect(headers).toMatchObject({
      'content-type': 'application/x-protobuf',
      'x-api-key': 'secret-1',
      authorization: 'Bearer abc',
    });
    expect(headers['user-agent']).toMatch(/^tracewire\//);
    expect(headers['content-encoding']).toBeUndefined();
    expect(receiver.requests[0].path).toBe('/v1/traces');
    expect(e.stats).toEqual({ exportedSpans: 2, failedSpans: 0, retries: 0 });
  });

  test('http/json: the same spans arrive', async () => {
    const e = exporter({ protocol: 'http/json' });
    expect(await exportOnce(e)).toEqual({ code: ExportResultCode.SUCCESS });
    expect(receiver.requests[0].headers['content-type']).toBe('application/json');
    expect(receiver.spans[0]).toMatchObject({ name: 'GET /users/:id', spanId: 'b7ad6b7169203331', parentSpanId: '' });
  });

  test.each(['http/protobuf', 'http/json'] as const)('gzip (%s): the receiver gunzips and decodes', async (protocol) => {
    const e = exporter({ protocol, compression: 'gzip' });
    expect(await exportOnce(e)).toEqual({ code: ExportResultCode.SUCCESS });
    const [request] = receiver.requests;
    expect(request.headers['content-encoding']).toBe('gzip');
    expect([...request.rawBody.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(receiver.spans[0].attributes['http.route']).toBe('/users/:id');
  });

  test('a 500 fails at once: no retry, spans counted as failed', async () => {
    receiver.respond = () => ({ status: 500, headers: { 'content-type': 'text/plain' }, body: 'collector exploded' });
    const e = exporter();
    const result = await exportOnce(e);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toMatch(/HTTP 500.*collector exploded/);
    expect(result.error?.message).toContain(`http://127.0.0.1:`);
    expect(receiver.requests).toHaveLength(1);
    expect(e.stats).toEqual({ exportedSpans: 0, failedSpans: 1, retries: 0 });
  });

  test('a 400 is final too', async () => {
    receiver.respond = () => ({ status: 400 });
    const e = exporter();
    expect((await exportOnce(e)).code).toBe(ExportResultCode.FAILED);
    expect(receiver.requests).toHaveLength(1);
  });

  test('503 with Retry-After (seconds) is retried after the delay the server asked for', async () => {
    receiver.respond = (_req, index) => (index === 0 ? { status: 503, headers: { 'retry-after': '1' } } : undefined);
    const e = exporter();
    const started = Date.now();
    expect(await exportOnce(e)).toEqual({ code: ExportResultCode.SUCCESS });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(receiver.requests.map((r) => r.status)).toEqual([503, 200]);
    expect(receiver.spans).toHaveLength(1); // once, though sent twice
    expect(e.stats).toEqual({ exportedSpans: 1, failedSpans: 0, retries: 1 });
  });

  test('429 with Retry-After (HTTP date) is retried no earlier than that date', async () => {
    let retryAt = 0;
    receiver.respond = (_req, index) => {
      if (index > 0) return undefined;
      // HTTP dates have whole seconds: the next whole second at least 1 s away.
      retryAt = Math.ceil((Date.now() + 1000) / 1000) * 1000;
      return { status: 429, headers: { 'retry-after': new Date(retryAt).toUTCString() } };
    };
    const e = exporter();
    expect(await exportOnce(e)).toEqual({ code: ExportResultCode.SUCCESS });
    expect(Date.now()).toBeGreaterThanOrEqual(retryAt - 20);
    expect(receiver.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  test('502 and 504 are retried with backoff; the retries are counted', async () => {
    receiver.respond = (_req, index) => (index === 0 ? { status: 502 } : index === 1 ? { status: 504 } : undefined);
    const e = exporter();
    expect(await exportOnce(e)).toEqual({ code: ExportResultCode.SUCCESS });
    expect(receiver.requests.map((r) => r.status)).toEqual([502, 504, 200]);
    expect(e.stats.retries).toBe(2);
  });

  test('retries are bounded by maxRetries', async () => {
    receiver.respond = () => ({ status: 503 });
    const e = exporter({ maxRetries: 2 });
    const result = await exportOnce(e);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toMatch(/HTTP 503.*gave up after 3 attempts/);
    expect(receiver.requests).toHaveLength(3);
    expect(e.stats).toEqual({ exportedSpans: 0, failedSpans: 1, retries: 2 });
  });

  test('a Retry-After beyond the export timeout fails now instead of waiting', async () => {
    receiver.respond = () => ({ status: 503, headers: { 'retry-after': '120' } });
    const e = exporter({ timeoutMillis: 2000 });
    const started = Date.now();
    const result = await exportOnce(e);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toContain('export timeout of 2000 ms');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(receiver.requests).toHaveLength(1);
  });

  test('a receiver that is down: retried within the timeout, then FAILED (never a throw)', async () => {
    const e = exporter({ url: `http://127.0.0.1:${await deadPort()}/v1/traces`, timeoutMillis: 400 });
    const started = Date.now();
    const result = await exportOnce(e);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(e.stats.failedSpans).toBe(1);
    expect(e.stats.retries).toBeGreaterThan(0);
  });

  test('a receiver slower than the timeout: FAILED when the timeout is up', async () => {
    receiver.respond = () => ({ status: 200, delayMs: 3000 });
    const e = exporter({ timeoutMillis: 300 });
    const started = Date.now();
    const result = await exportOnce(e);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toMatch(/no response within \d+ ms/);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
  });

  test('a partial_success answer is a success', async () => {
    // ExportTraceServiceResponse{ partial_success: { rejected_spans: 1, error_message: "dup" } }
    const body = Buffer.from([0x0a, 0x07, 0x08, 0x01, 0x12, 0x03, 0x64, 0x75, 0x70]);
    receiver.respond = () => ({ status: 200, body });
    expect(await exportOnce(exporter())).toEqual({ code: ExportResultCode.SUCCESS });
  });

  test('shutdown stops a pending retry and resolves; later exports fail at once', async () => {
    receiver.respond = () => ({ status: 503, headers: { 'retry-after': '3' } });
    const e = exporter({ timeoutMillis: 10000 });
    const pending = exportOnce(e);
    await receiver.waitForRequests(1);
    const started = Date.now();
    await e.shutdown();
    const result = await pending;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toContain('shut down');
    expect((await exportOnce(e)).error?.message).toBe('exporter is shut down');
    expect(receiver.requests).toHaveLength(1);
  });

  test('an empty batch succeeds without a request', async () => {
    expect(await exportOnce(exporter(), [])).toEqual({ code: ExportResultCode.SUCCESS });
    expect(receiver.requests).toHaveLength(0);
  });

  test('its requests are not traced: node:http is not used at all, and its socket work runs with tracing suppressed', async () => {
    let patchedCalls = 0;
    // What the http instrumentation (and, here, a second vendor's) does once core is loaded.
    const instrument = (original: typeof http.request): typeof http.request =>
      function (this: unknown, ...args: unknown[]) {
        patchedCalls++;
        return Reflect.apply(original, this, args);
      } as typeof original;
    shimmer.wrap(http, 'request', instrument);
    shimmer.wrap(http, 'request', instrument);
    const httpRequests: boolean[] = [];
    const onRequest = (): void => {
      httpRequests.push(isSuppressed());
    };
    const suppressedAtConnect: boolean[] = [];
    const onSocket = (): void => {
      suppressedAtConnect.push(isSuppressed());
    };
    diagnosticsChannel.subscribe('http.client.request.start', onRequest);
    diagnosticsChannel.subscribe('net.client.socket', onSocket);
    try {
      // Exported from inside a traced request's context, as a batch timer set in span.end() would.
      const traced = contextWithSpan(ROOT_CONTEXT, new NonRecordingSpan({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }));
      expect(await withContext(traced, () => exportOnce(exporter()))).toEqual({ code: ExportResultCode.SUCCESS });
    } finally {
      shimmer.unwrap(http, 'request');
      shimmer.unwrap(http, 'request');
      diagnosticsChannel.unsubscribe('http.client.request.start', onRequest);
      diagnosticsChannel.unsubscribe('net.client.socket', onSocket);
    }
    expect(patchedCalls).toBe(0);
    expect(httpRequests).toEqual([]);
    expect(suppressedAtConnect).toEqual([true]);
  });
});

describe('an exporter to a dead endpoint in a real process', () => {
  test('never throws and leaves nothing that keeps the process alive', async () => {
    const port = await deadPort();
    // The child runs the TypeScript sources through TypeScript's transpiler, so it
    // tests this checkout, not a possibly stale build.
    const script = `
      const ts = require('typescript');
      const fs = require('fs');
      require.extensions['.ts'] = (m, file) => m._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'),
        { fileName: file, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText, file);
      const { OtlpHttpExporter } = require(${JSON.stringify(path.join(__dirname, '../src/export/otlp-http.ts'))});
      const exporter = new OtlpHttpExporter({ url: 'http://127.0.0.1:${port}/v1/traces', protocol: 'http/protobuf',
        headers: {}, timeoutMillis: 60000, compression: 'gzip', initialBackoffMillis: 30000, maxBackoffMillis: 30000 });
      const span = { name: 's', kind: 0, traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1,
        parentIsRemote: false, startTime: 1, endTime: 2, attributes: {}, droppedAttributesCount: 0, events: [],
        droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 0 }, scope: { name: 't' } };
      // Core defers builtins: loading the exporter must not load node:http.
      console.log('http loaded early:', process.moduleLoadList.includes('NativeModule http'));
      for (let i = 0; i < 3; i++) exporter.export([span], { attributes: {} }, (r) => console.log('result', r.code));
      console.log('exported');
    `;
    const started = Date.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['-e', script], { cwd: path.join(__dirname, '../../..'), timeout: 20000 }, (error, out, err) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout: out, stderr: err }),
      );
      child.stdin?.end();
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('http loaded early: false');
    expect(stdout).toContain('exported');
    // Its retries wait 30 s each on unref'ed timers: the process must not wait for them.
    expect(Date.now() - started).toBeLessThan(10000);
  });
});

describe('otlpExporterOptionsFromEnv', () => {
  test('defaults', () => {
    expect(otlpExporterOptionsFromEnv({})).toEqual({
      options: { url: 'http://localhost:4318/v1/traces', protocol: 'http/protobuf', headers: {}, timeoutMillis: 10000, compression: 'none' },
      warnings: [],
    });
  });

  test.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'http://collector:4318/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, 'http://collector:4318/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector/otlp/' }, 'https://collector/otlp/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom' }, 'http://traces:9999/custom'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:2/x/' }, 'http://b:2/x/'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }, 'http://localhost:4318/v1/traces'],
  ])('endpoint %j → %s', (env, url) => {
    const { options, warnings } = otlpExporterOptionsFromEnv(env);
    expect(options.url).toBe(url);
    expect(warnings).toEqual([]);
  });

  test.each([
    ['http://collector:4318/v1/traces', true],
    ['http://collector:4318/v1/traces/', true],
    ['http://collector:4318/otlp/v1/traces', true],
    ['http://collector:4318/v1/tracesx', false],
    ['http://collector:4318/v1', false],
  ])('OTEL_EXPORTER_OTLP_ENDPOINT=%s: warned that /v1/traces is appended twice: %s', (base, warned) => {
    const { options, warnings } = otlpExporterOptionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: base });
    expect(options.url).toBe(base.replace(/\/$/, '') + '/v1/traces');
    expect(warnings).toEqual(warned ? [expect.stringMatching(/already ends in \/v1\/traces.*Drop the suffix, or set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT/)] : []);
  });

  test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ending in /v1/traces is used as is, without a warning', () => {
    expect(otlpExporterOptionsFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toMatchObject({ options: { url: 'http://c:4318/v1/traces' }, warnings: [] });
  });

  test('headers: k=v pairs, trimmed, percent-decoded; traces-specific wins', () => {
    const { options, warnings } = otlpExporterOptionsFromEnv({
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key = one, x-tenant=acme%20corp,Authorization=Basic%20YWxhZGRpbjpvcGVuc2VzYW1l',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'api-key=two',
    });
    expect(options.headers).toEqual({ 'api-key': 'two', 'x-tenant': 'acme corp', authorization: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' });
    expect(warnings).toEqual([]);
  });

  test('traces-specific timeout, protocol and compression win over the generic ones', () => {
    const { options } = otlpExporterOptionsFromEnv({
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'GZIP',
    });
    expect(options).toMatchObject({ timeoutMillis: 2500, protocol: 'http/json', compression: 'gzip' });
  });

  test.each([
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, { protocol: 'http/protobuf' }, /OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported.*http\/protobuf/],
    [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' }, { protocol: 'http/protobuf' }, /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="thrift" is not a known protocol/],
    [{ OTEL_EXPORTER_OTLP_TIMEOUT: 'soon' }, { timeoutMillis: 10000 }, /OTEL_EXPORTER_OTLP_TIMEOUT="soon" is not a positive number/],
    [{ OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '-5' }, { timeoutMillis: 10000 }, /OTEL_EXPORTER_OTLP_TRACES_TIMEOUT="-5"/],
    [{ OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli' }, { compression: 'none' }, /OTEL_EXPORTER_OTLP_COMPRESSION="brotli" is not supported \(use gzip or none\)/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, { url: 'http://localhost:4318/v1/traces' }, /OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318" is not an http\(s\) URL/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, { url: 'http://localhost:4318/v1/traces' }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT/],
    [{ OTEL_EXPORTER_OTLP_HEADERS: 'novalue,=x,ok=1' }, { headers: { ok: '1' } }, /member "novalue" is not key=value/],
    [{ OTEL_EXPORTER_OTLP_HEADERS: 'bad=%zz,ok=1' }, { headers: { ok: '1' } }, /member "bad" is not a valid header/],
    [{ OTEL_EXPORTER_OTLP_HEADERS: 'x-evil=a%0D%0Ab,ok=1' }, { headers: { ok: '1' } }, /member "x-evil" is not a valid header/],
  ])('%j → falls back with a warning', (env, expected, warning) => {
    const { options, warnings } = otlpExporterOptionsFromEnv(env);
    expect(options).toMatchObject(expected);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatch(warning);
  });
});

describe('retry timing', () => {
  test.each([
    ['3', 3000],
    [' 0 ', 0],
    ['Wed, 21 Oct 2015 07:28:10 GMT', 2000],
    ['Wed, 21 Oct 2015 07:28:00 GMT', 0], // in the past
    ['soon', undefined],
    ['-1', undefined],
    [undefined, undefined],
  ])('Retry-After %j → %j ms', (value, expected) => {
    expect(parseRetryAfter(value, Date.parse('Wed, 21 Oct 2015 07:28:08 GMT'))).toBe(expected);
  });

  test('backoff doubles up to the maximum, with jitter in [half, full]', () => {
    const policy = { maxRetries: 5, initialBackoffMillis: 100, maxBackoffMillis: 500 };
    expect([0, 1, 2, 3, 4].map((i) => backoffMillis(i, policy, 1))).toEqual([100, 200, 400, 500, 500]);
    expect([0, 1, 2, 3, 4].map((i) => backoffMillis(i, policy, 0))).toEqual([50, 100, 200, 250, 250]);
  });
});

describe('unreachableMessage', () => {
  const url = new URL('https://user:secret@collector.example:4318/v1/traces?token=abc');
  test.each([
    [{ code: 'ECONNREFUSED' }, 'OTEL_EXPORTER_OTLP_ENDPOINT', 'nothing accepts connections at https://collector.example:4318/v1/traces (connection refused): spans will be dropped until a collector listens there; set OTEL_EXPORTER_OTLP_ENDPOINT to your collector\'s address, or OTEL_TRACES_EXPORTER=none to stop exporting.'],
    [{ code: 'ENOTFOUND' }, 'OTEL_EXPORTER_ZIPKIN_ENDPOINT', 'nothing accepts connections at https://collector.example:4318/v1/traces (ENOTFOUND): spans will be dropped until a collector listens there; set OTEL_EXPORTER_ZIPKIN_ENDPOINT to your collector\'s address, or OTEL_TRACES_EXPORTER=none to stop exporting.'],
    [{}, undefined, 'nothing accepts connections at https://collector.example:4318/v1/traces (boom): spans will be dropped until a collector listens there; point the exporter at your collector\'s address, or OTEL_TRACES_EXPORTER=none to stop exporting.'],
  ])('%j, %s (never the credentials or query)', (fields, variable, expected) => {
    expect(unreachableMessage(url, Object.assign(new Error('boom'), fields), variable)).toBe(expected);
  });
});
