// Shared by the framework packages' tests (Express, Koa): a started SDK with an
// in-memory exporter, http tracing on around a test file, apps on 127.0.0.1,
// and SERVER span lookups.
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { disableInstrumentation, enableInstrumentation, InMemoryExporter, ReadableSpan, Sdk, SpanKind, start } from '@tracewire/core';
import { httpInstrumentation } from '@tracewire/http';

export function startSdk(serviceName: string): { sdk: Sdk; exporter: InMemoryExporter } {
  const exporter = new InMemoryExporter();
  const sdk = start({ exporter, processor: 'simple', flushOnExit: false, env: { OTEL_SERVICE_NAME: serviceName } });
  return { sdk, exporter };
}

/** For a test file: `setup` first, then the SDK and http tracing on around its tests, the exporter emptied before each one. */
export function traceEachTest(serviceName: string, setup: () => void = () => {}): { exporter: InMemoryExporter } {
  const traced = {} as { sdk: Sdk; exporter: InMemoryExporter };
  beforeAll(() => {
    setup();
    Object.assign(traced, startSdk(serviceName));
    enableInstrumentation(httpInstrumentation);
  });
  afterAll(async () => {
    disableInstrumentation(httpInstrumentation);
    await traced.sdk.shutdown();
  });
  beforeEach(() => traced.exporter.reset());
  return traced;
}

export interface Running {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts `app` (anything with Express's or Koa's `listen`) on an ephemeral port of 127.0.0.1. */
export function serve(app: { listen(port: number, host: string, ready: () => void): Server }): Promise<Running> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

export function serverSpans(spans: readonly ReadableSpan[]): ReadableSpan[] {
  return spans.filter((s) => s.kind === SpanKind.SERVER);
}

/** The one SERVER span among `spans`; fails listing them when there is not exactly one. */
export function onlyServerSpan(spans: readonly ReadableSpan[]): ReadableSpan {
  const found = serverSpans(spans);
  if (found.length !== 1) throw new Error(`expected one SERVER span, got ${found.length}: ${spans.map((s) => `${s.name}/${s.kind}`).join(', ')}`);
  return found[0];
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (up to 2 s) until the exporter holds `count` SERVER spans (they end last, when the response is finished); returns every span. */
export async function serverSpansEnded(exporter: InMemoryExporter, count = 1): Promise<ReadableSpan[]> {
  for (let i = 0; i < 400 && serverSpans(exporter.spans).length < count; i++) await sleep(5);
  return exporter.spans.slice();
}
