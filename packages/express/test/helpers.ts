// Shared by the Express tests: both Express majors as loaded modules (patched
// directly: under Jest, core's module hook never sees a require), a started
// SDK with an in-memory exporter, apps on 127.0.0.1, and span lookups.
import type { Server } from 'http';
import { InMemoryExporter, log, ReadableSpan, SpanKind } from '@tracewire/core';
import { Running, serve as serveApp, serverSpansEnded, startSdk as startNamedSdk, traceEachTest as traceTestFile } from '../../http/test/framework-helpers';
import { patchExpress } from '../src';

export { onlyServerSpan, serverSpans, sleep } from '../../http/test/framework-helpers';
export type { Running } from '../../http/test/framework-helpers';

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
export type Handler = (...args: any[]) => any;

/** The part of Express 4 and 5 apps and routers the tests use. */
export interface Router {
  stack: any[];
  use(...args: any[]): Router;
  route(path: any): { get(...fns: Handler[]): any; post(...fns: Handler[]): any };
  get(path: any, ...fns: Handler[]): Router;
  post(path: any, ...fns: Handler[]): Router;
  all(path: any, ...fns: Handler[]): Router;
  param(name: string, fn: Handler): Router;
}

export interface App extends Router {
  (req: any, res: any, next?: Handler): void;
  set(name: string, value: unknown): App;
  listen(port: number, host: string, cb: () => void): Server;
}

/** An app's router stack: Express 4 keeps it on `app._router` (its `app.router` getter throws), Express 5 on `app.router`. */
export function stackOf(app: App): any[] {
  const a = app as any;
  return a._router !== undefined ? a._router.stack : a.router.stack;
}

export interface ExpressModule {
  (): App;
  Router(options?: { mergeParams?: boolean; strict?: boolean; caseSensitive?: boolean }): Router;
  json(): Handler;
}

export const express4 = require('express4') as ExpressModule;
export const express5 = require('express') as ExpressModule;

export const EXPRESSES: Array<[string, ExpressModule]> = [
  ['express 4', express4],
  ['express 5', express5],
];

/** Patches both majors for the whole test file (what the preload does through core's hook). */
export function patchBoth(): void {
  patchExpress(express4);
  patchExpress(express5);
}

export const startSdk = (): ReturnType<typeof startNamedSdk> => startNamedSdk('express-test');

/** For a test file: Express patched, SDK and http tracing on around its tests, the exporter emptied before each one. */
export function traceEachTest(): { exporter: InMemoryExporter } {
  return traceTestFile('express-test', patchBoth);
}

export function serve(app: App): Promise<Running> {
  return serveApp(app as unknown as Parameters<typeof serveApp>[0]);
}

/** What the app under test made: everything but the CLIENT spans of the test's own supertest/axios requests. */
export function appSpans(spans: readonly ReadableSpan[]): ReadableSpan[] {
  return spans.filter((s) => s.kind !== SpanKind.CLIENT);
}

/** Waits until the exporter holds `count` SERVER spans (they end last, when the response is finished); returns the app's spans. */
export async function serverSpansSettled(exporter: InMemoryExporter, count = 1): Promise<ReadableSpan[]> {
  return appSpans(await serverSpansEnded(exporter, count));
}

/** Runs `fn` with tracewire's warnings captured (and kept off the test output). */
export async function withWarnings(fn: (warnings: string[]) => Promise<void> | void): Promise<void> {
  const warnings: string[] = [];
  const spy = jest.spyOn(log, 'warn').mockImplementation((message: unknown) => {
    warnings.push(String(message));
  });
  try {
    await fn(warnings);
  } finally {
    spy.mockRestore();
  }
}
