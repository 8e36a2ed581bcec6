// Shared by the Koa tests: both Koa majors and both routers as loaded modules,
// a started SDK with an in-memory exporter, apps on 127.0.0.1, and span lookups.
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { disableInstrumentation, enableInstrumentation, InMemoryExporter, ReadableSpan, Sdk, SpanKind, start } from '@tracewire/core';
import { httpInstrumentation } from '@tracewire/http';

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
export type Middleware = (ctx: any, next: () => Promise<unknown>) => unknown;

export interface KoaApp {
  middleware: Middleware[];
  silent?: boolean;
  use(fn: Middleware): KoaApp;
  callback(): (req: unknown, res: unknown) => unknown;
  listen(port: number, host: string, cb: () => void): Server;
  on(event: 'error', listener: (err: any, ctx: any) => void): KoaApp;
}

export interface KoaRouter {
  stack: unknown[];
  get(path: string, ...fns: Middleware[]): KoaRouter;
  post(path: string, ...fns: Middleware[]): KoaRouter;
  put(path: string, ...fns: Middleware[]): KoaRouter;
  all(path: string, ...fns: Middleware[]): KoaRouter;
  use(...args: Array<string | Middleware>): KoaRouter;
  routes(): Middleware;
}

export type KoaModule = (new () => KoaApp) & { prototype: KoaApp };
export type RouterModule = new (options?: { prefix?: string }) => KoaRouter;

export const KOAS: Array<[string, KoaModule]> = [
  ['koa 2', require('koa2') as KoaModule],
  ['koa 3', require('koa') as KoaModule],
];

export const ROUTERS: Array<[string, RouterModule]> = [
  ['@koa/router', (require('@koa/router') as { Router: RouterModule }).Router],
  ['koa-router', require('koa-router') as RouterModule],
];

/** Every Koa major with every router: the matrix most tests run over. */
export const MATRIX: Array<[string, KoaModule, RouterModule]> = KOAS.flatMap(([k, koa]) =>
  ROUTERS.map(([r, router]): [string, KoaModule, RouterModule] => [`${k} + ${r}`, koa, router]),
);

export function startSdk(): { sdk: Sdk; exporter: InMemoryExporter } {
  const exporter = new InMemoryExporter();
  const sdk = start({ exporter, processor: 'simple', flushOnExit: false, env: { OTEL_SERVICE_NAME: 'koa-test' } });
  return { sdk, exporter };
}

/** For a test file: the SDK and http tracing on around its tests, the exporter emptied before each one. */
export function traceEachTest(): { exporter: InMemoryExporter } {
  const traced = {} as { sdk: Sdk; exporter: InMemoryExporter };
  beforeAll(() => {
    Object.assign(traced, startSdk());
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

export function serve(app: KoaApp): Promise<Running> {
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

/** Waits until the exporter holds a SERVER span (they end last, when the response is finished). */
export async function nextServerSpan(exporter: InMemoryExporter, count = 1): Promise<ReadableSpan[]> {
  for (let i = 0; i < 200 && serverSpans(exporter.spans).length < count; i++) await sleep(5);
  return exporter.spans.slice();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
