// Zipkin v2 JSON: the mapping the OTel specification defines, and delivery to
// a real HTTP endpoint.
import * as http from 'http';
import { AddressInfo } from 'net';
import { toEpoch } from '../src/clock';
import { toZipkinSpans, ZipkinExporter, zipkinExporterOptionsFromEnv } from '../src/export/zipkin';
import { ExportResult, ExportResultCode, SpanKind, SpanStatusCode } from '../src/types';
import { testResource, testSpan } from './helpers/spans';

const micros = (time: number): number => {
  const [s, ns] = toEpoch(time);
  return s * 1e6 + Math.floor(ns / 1000);
};

describe('toZipkinSpans', () => {
  test('a server span', () => {
    const span = testSpan({ parentSpanId: '00f067aa0ba902b7', parentIsRemote: true });
    expect(toZipkinSpans([span], testResource)).toEqual([
      {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        id: 'b7ad6b7169203331',
        parentId: '00f067aa0ba902b7',
        name: 'GET /users/:id',
        kind: 'SERVER',
        timestamp: micros(span.startTime),
        duration: micros(span.endTime) - micros(span.startTime),
        localEndpoint: { serviceName: 'checkout' },
        tags: {
          'service.version': '1.2.3',
          'process.pid': '4242',
          'http.request.method': 'GET',
          'url.path': '/users/42',
          'url.scheme': 'http',
          'http.route': '/users/:id',
          'http.response.status_code': '200',
          'server.address': 'api.example.com',
          'server.port': '8080',
          'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64)',
          'otel.scope.name': '@tracewire/http',
          'otel.scope.version': '0.1.0',
        },
      },
    ]);
  });

  test('tags: arrays as JSON, booleans lower case, status and dropped counts', () => {
    const [z] = toZipkinSpans(
      [
        testSpan({
          attributes: { list: ['a', 'b'], nums: [1, 2.5], flag: false, error: false },
          status: { code: SpanStatusCode.ERROR, message: 'boom' },
          droppedAttributesCount: 1,
          droppedEventsCount: 2,
          droppedLinksCount: 3,
        }),
      ],
      { attributes: {} },
    );
    expect(z.tags).toEqual({
      list: '["a","b"]',
      nums: '[1,2.5]',
      flag: 'false',
      'otel.scope.name': '@tracewire/http',
      'otel.scope.version': '0.1.0',
      'otel.dropped_attributes_count': '1',
      'otel.dropped_events_count': '2',
      'otel.dropped_links_count': '3',
      'otel.status_code': 'ERROR',
      error: 'boom',
    });
    expect(z.localEndpoint).toEqual({ serviceName: 'unknown_service:node' });
  });

  test('an OK span has no error tag (not even a false one)', () => {
    const [z] = toZipkinSpans([testSpan({ attributes: { error: 'false' }, status: { code: SpanStatusCode.OK } })], testResource);
    expect(z.tags?.['otel.status_code']).toBe('OK');
    expect(z.tags).not.toHaveProperty('error');
  });

  test('internal spans have no kind; client spans name the remote side', () => {
    const [internal, client, byIp] = toZipkinSpans(
      [
        testSpan({ kind: SpanKind.INTERNAL }),
        testSpan({ kind: SpanKind.CLIENT, attributes: { 'peer.service': 'auth', 'server.address': 'auth.internal', 'server.port': 443 } }),
        testSpan({ kind: SpanKind.PRODUCER, attributes: { 'network.peer.address': '10.0.0.7', 'network.peer.port': 5672 } }),
      ],
      testResource,
    );
    expect(internal).not.toHaveProperty('kind');
    expect(internal).not.toHaveProperty('remoteEndpoint');
    expect(client.remoteEndpoint).toEqual({ serviceName: 'auth', port: 443 });
    expect(byIp).toMatchObject({ kind: 'PRODUCER', remoteEndpoint: { ipv4: '10.0.0.7', port: 5672 } });
  });

  test('events become annotations, attributes JSON-encoded', () => {
    const [z] = toZipkinSpans(
      [
        testSpan({
          events: [
            { name: 'retry', time: 1005, droppedAttributesCount: 0 },
            { name: 'exception', time: 1006.5, attributes: { 'exception.message': 'boom' }, droppedAttributesCount: 0 },
          ],
        }),
      ],
      testResource,
    );
    expect(z.annotations).toEqual([
      { timestamp: micros(1005), value: 'retry' },
      { timestamp: micros(1006.5), value: '"exception": {"exception.message":"boom"}' },
    ]);
  });

  test('a sub-microsecond span lasts 1 µs (0 means "unknown" to Zipkin)', () => {
    const [z] = toZipkinSpans([testSpan({ startTime: 5, endTime: 5.0001 })], testResource);
    expect(z.duration).toBe(1);
  });
});

describe('ZipkinExporter', () => {
  test('POSTs the JSON array to the endpoint', async () => {
    const received: Array<{ url?: string; type?: string; body: unknown }> = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ url: req.url, type: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString()) });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const exporter = new ZipkinExporter({ url: `http://127.0.0.1:${port}/api/v2/spans`, timeoutMillis: 2000 });
    try {
      const result = await new Promise<ExportResult>((resolve) => exporter.export([testSpan()], testResource, resolve));
      expect(result).toEqual({ code: ExportResultCode.SUCCESS });
      expect(received).toEqual([{ url: '/api/v2/spans', type: 'application/json', body: toZipkinSpans([testSpan()], testResource) }]);
      expect(exporter.stats).toEqual({ exportedSpans: 1, failedSpans: 0, retries: 0 });
    } finally {
      await exporter.shutdown();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('zipkinExporterOptionsFromEnv', () => {
  test('defaults', () => {
    expect(zipkinExporterOptionsFromEnv({})).toEqual({ options: { url: 'http://localhost:9411/api/v2/spans', timeoutMillis: 10000 }, warnings: [] });
  });

  test('endpoint and timeout', () => {
    const { options, warnings } = zipkinExporterOptionsFromEnv({
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://zipkin:9411/api/v2/spans',
      OTEL_EXPORTER_ZIPKIN_TIMEOUT: '2500',
    });
    expect(options).toEqual({ url: 'http://zipkin:9411/api/v2/spans', timeoutMillis: 2500 });
    expect(warnings).toEqual([]);
  });

  test('invalid values fall back with warnings', () => {
    const { options, warnings } = zipkinExporterOptionsFromEnv({ OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'zipkin', OTEL_EXPORTER_ZIPKIN_TIMEOUT: '0' });
    expect(options).toEqual({ url: 'http://localhost:9411/api/v2/spans', timeoutMillis: 10000 });
    expect(warnings).toEqual([
      'OTEL_EXPORTER_ZIPKIN_ENDPOINT="zipkin" is not an http(s) URL; using http://localhost:9411/api/v2/spans.',
      'OTEL_EXPORTER_ZIPKIN_TIMEOUT="0" is not a positive number of milliseconds; using 10000.',
    ]);
  });
});
