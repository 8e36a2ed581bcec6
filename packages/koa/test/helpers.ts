// Shared by the Koa tests: both Koa majors and both routers as loaded modules,
// a started SDK with an in-memory exporter, apps on 127.0.0.1, and span lookups.
import type { Server } from 'http';
import type { InMemoryExporter } from '@tracewire/core';
import { Running, serve as serveApp, serverSpansEnded, startSdk as startNamedSdk, traceEachTest as traceTestFile } from '../../http/test/framework-helpers';

export { onlyServerSpan, serverSpans, sleep } from '../../http/test/framework-helpers';
export type { Running } from '../../http/test/framework-helpers';

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

export const startSdk = (): ReturnType<typeof startNamedSdk> => startNamedSdk('koa-test');

/** For a test file: the SDK and http tracing on around its tests, the exporter emptied before each one. */
export function traceEachTest(): { exporter: InMemoryExporter } {
  return traceTestFile('koa-test');
}

export function serve(app: KoaApp): Promise<Running> {
  return serveApp(app);
}

/** Waits until the exporter holds `count` SERVER spans (they end last, when the response is finished). */
export const nextServerSpan = serverSpansEnded;
