// The public types against the real Koa typings: what a TypeScript user writes
// compiles, with and without a context type. ts-jest only transpiles (isolatedModules):
// `npx tsc -p packages/koa/test` checks it; at run time it shows the calls work.
import Koa from 'koa';
import { disableInstrumentation } from '@tracewire/core';
import { httpInstrumentation } from '@tracewire/http';
import { instrument, koaInstrumentation, tracing } from '../src';

// tracing() turns on the http instrumentation, which patches node:http — one module shared by
// every test file of this Jest worker: restore it, or later files call into this torn-down one.
afterAll(() => {
  disableInstrumentation(koaInstrumentation);
  disableInstrumentation(httpInstrumentation);
});

test('tracing() and instrument() fit Koa apps, hooks see the context type asked for', () => {
  const app = new Koa<{ user?: string }>();
  app.use(tracing());
  app.use(
    tracing({
      ignore: ['/health', /^\/internal\//, (ctx) => ctx.path === '/x'],
      requestHook: (span, ctx) => span.setAttribute('app.user', String(ctx.state.user)),
    }),
  );
  app.use(tracing<Koa.ParameterizedContext<{ user?: string }>>({ responseHook: (span, ctx) => span.setAttribute('app.user', ctx.state.user ?? '') }));
  expect(instrument(app)).toBe(app);
});
