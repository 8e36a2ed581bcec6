// Shared by the http tests: a started SDK with an in-memory exporter, real
// servers on 127.0.0.1, and a plain client that reads whole responses.
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import * as net from 'net';
import * as path from 'path';
import { disableInstrumentation, enableInstrumentation, InMemoryExporter, ReadableSpan, Sdk, SpanKind, start } from '@tracewire/core';
import { configureHttp, httpInstrumentation } from '../src';

export const TLS = {
  key: fs.readFileSync(path.join(__dirname, 'fixtures', 'key.pem')),
  cert: fs.readFileSync(path.join(__dirname, 'fixtures', 'cert.pem')),
};

export function startSdk(): { sdk: Sdk; exporter: InMemoryExporter } {
  const exporter = new InMemoryExporter();
  const sdk = start({ exporter, processor: 'simple', flushOnExit: false, env: { OTEL_SERVICE_NAME: 'http-test' } });
  return { sdk, exporter };
}

export interface Tracing {
  sdk: Sdk;
  exporter: InMemoryExporter;
}

/** For a test file: SDK started and instrumentation on around all its tests; spans and options reset before each. */
export function useTracing(): Tracing {
  const tracing = {} as Tracing;
  beforeAll(() => {
    Object.assign(tracing, startSdk());
    enableInstrumentation(httpInstrumentation);
  });
  afterAll(async () => {
    disableInstrumentation(httpInstrumentation);
    await tracing.sdk.shutdown();
  });
  beforeEach(() => {
    tracing.exporter.reset();
    configureHttp({});
  });
  return tracing;
}

export interface Running {
  server: http.Server | https.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export function listen(handler: http.RequestListener, secure = false): Promise<Running> {
  const server = secure ? https.createServer(TLS, handler) : http.createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        server,
        port,
        url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

export interface Received {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Reads a whole response. */
export function collect(res: http.IncomingMessage): Promise<Received> {
  return new Promise((resolve, reject) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    res.on('error', reject);
  });
}

/** Sends a request with http.request(options) and resolves with the whole response. */
export function send(options: https.RequestOptions & { body?: string }, module: typeof http | typeof https = http): Promise<Received> {
  return new Promise((resolve, reject) => {
    const req = module.request(options, (res) => collect(res).then(resolve, reject));
    req.on('error', reject);
    req.end(options.body);
  });
}

export function only(spans: readonly ReadableSpan[], kind: SpanKind): ReadableSpan {
  const found = spans.filter((s) => s.kind === kind);
  if (found.length !== 1) throw new Error(`expected one span of kind ${kind}, got ${found.length}: ${spans.map((s) => `${s.name}/${s.kind}`).join(', ')}`);
  return found[0];
}

export function traceparentOf(span: ReadableSpan): string {
  return `00-${span.traceId}-${span.spanId}-0${span.traceFlags}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
