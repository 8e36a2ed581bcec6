// The request's context inside handlers, and the options: ignore, hooks,
// header capture.
import { EventEmitter } from 'events';
import request from 'supertest';
import { ReadableSpan, SpanKind, trace } from '@tracewire/core';
import { serverSpanOf } from '@tracewire/http';
import { tracing, TracingOptions } from '../src';
import { KoaModule, MATRIX, nextServerSpan, onlyServerSpan, RouterModule, Running, serve, sleep, traceEachTest } from './helpers';

const traced = traceEachTest();

function app(Koa: KoaModule, Router: RouterModule, options?: TracingOptions) {
  const koa = new Koa();
  koa.use(tracing(options));
  koa.use(async (ctx, next) => {
    ctx.state.activeInMiddleware = trace.activeSpan() === serverSpanOf(ctx.req);
    await next();
  });
  const r = new Router();
  r.get('/work', async (ctx) => {
    const server = serverSpanOf(ctx.req);
    const activeInHandler = trace.activeSpan() === server;
    await sleep(1);
    trace.startSpan('after-await').end();
    await new Promise<void>((resolve) => setTimeout(() => {
      trace.startSpan('in-timer').end();
      resolve();
    }, 1));
    const emitter = new EventEmitter();
    const heard = new Promise<void>((resolve) => emitter.on('ping', () => {
      trace.startSpan('in-emitter').end();
      resolve();
    }));
    setImmediate(() => emitter.emit('ping'));
    await heard;
    ctx.set('x-powered', 'koa');
    ctx.set('set-cookie', 'session=secret');
    ctx.body = { activeInHandler, activeInMiddleware: ctx.state.activeInMiddleware };
  });
  r.get('/health', (ctx) => {
    trace.startSpan('health-check-work').end();
    ctx.body = 'ok';
  });
  r.get('/internal/metrics', (ctx) => {
    trace.startSpan('metrics-work').end();
    ctx.body = 'm';
  });
  r.get('/boom', () => {
    throw new Error('boom');
  });
  koa.on('error', () => {});
  koa.use(r.routes());
  return koa;
}

const named = (spans: readonly ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
/** The test client's own CLIENT spans (http is instrumented in this process) are not the app's. */
const appSpans = (spans: readonly ReadableSpan[]) => spans.filter((s) => s.kind !== SpanKind.CLIENT);

describe.each(MATRIX)('%s', (_name, Koa, Router) => {
  describe('context', () => {
    let running: Running;
    beforeAll(async () => {
      running = await serve(app(Koa, Router));
    });
    afterAll(() => running.close());

    test('the server span is active in middleware and handlers; spans started there are its children across await, timers and emitters', async () => {
      const res = await request(running.url).get('/work');
      expect(res.body).toEqual({ activeInHandler: true, activeInMiddleware: true });
      const spans = await nextServerSpan(traced.exporter);
      const server = onlyServerSpan(spans);
      expect(server.name).toBe('GET /work');
      for (const name of ['after-await', 'in-timer', 'in-emitter']) {
        const [child] = named(spans, name);
        expect({ name, parent: child?.parentSpanId, trace: child?.traceId }).toEqual({ name, parent: server.spanId, trace: server.traceId });
      }
      // One span per request by default: no middleware spans.
      expect(spans.filter((s) => s.kind === SpanKind.INTERNAL).map((s) => s.name).sort()).toEqual(['after-await', 'in-emitter', 'in-timer']);
    });
  });

  describe('ignore', () => {
    let running: Running;
    const requestHook = jest.fn();
    beforeAll(async () => {
      running = await serve(app(Koa, Router, { ignore: ['/health', /^\/internal\//, (ctx) => ctx.req.headers['x-skip'] === '1'], requestHook }));
    });
    afterAll(() => running.close());
    beforeEach(() => requestHook.mockClear());

    test.each([
      ['a path', '/health', {}],
      ['a RegExp', '/internal/metrics', {}],
      ['a predicate', '/work', { 'x-skip': '1' }],
    ])('by %s: no span at all, not even the server span; no hooks', async (_how, path, headers) => {
      const res = await request(running.url).get(path).set(headers);
      expect(res.status).toBe(200);
      // Waits as long as a traced request would take to show its server span.
      const spans = appSpans(await nextServerSpan(traced.exporter));
      expect(spans).toHaveLength(0);
      expect(requestHook).not.toHaveBeenCalled();
    });

    test('other requests are traced as usual', async () => {
      await request(running.url).get('/work');
      const spans = appSpans(await nextServerSpan(traced.exporter));
      expect(onlyServerSpan(spans).name).toBe('GET /work');
      expect(spans).toHaveLength(4);
      expect(requestHook).toHaveBeenCalledTimes(1);
    });
  });

  describe('hooks and headers', () => {
    let running: Running;
    const seen: string[] = [];
    beforeAll(async () => {
      running = await serve(
        app(Koa, Router, {
          requestHook: (span, ctx) => {
            seen.push(`request ${ctx.path}`);
            span.setAttribute('app.tenant', String(ctx.req.headers['x-tenant']));
          },
          responseHook: (span, ctx) => {
            seen.push(`response ${ctx.path}`);
            span.setAttribute('app.final_status', ctx.status);
          },
          captureRequestHeaders: ['X-Request-Id', 'Authorization', 'Cookie'],
          captureResponseHeaders: ['X-Powered', 'Set-Cookie'],
        }),
      );
    });
    afterAll(() => running.close());
    beforeEach(() => (seen.length = 0));

    test('hooks see the span and the context; the response hook sees the final status', async () => {
      await request(running.url).get('/boom').set('x-tenant', 'acme');
      const span = onlyServerSpan(await nextServerSpan(traced.exporter));
      expect(seen).toEqual(['request /boom', 'response /boom']);
      expect(span.attributes['app.tenant']).toBe('acme');
      // Koa's error handler set 500 after the middleware returned.
      expect(span.attributes['app.final_status']).toBe(500);
    });

    test('allow-listed headers are recorded; Authorization, Cookie and Set-Cookie are not by default', async () => {
      await request(running.url).get('/work').set({ 'x-request-id': 'r-1', authorization: 'Bearer t', cookie: 'a=b' });
      const span = onlyServerSpan(await nextServerSpan(traced.exporter));
      expect(span.attributes['http.request.header.x-request-id']).toEqual(['r-1']);
      expect(span.attributes['http.response.header.x-powered']).toEqual(['koa']);
      const keys = Object.keys(span.attributes);
      for (const secret of ['authorization', 'cookie']) expect(keys).not.toContain(`http.request.header.${secret}`);
      expect(keys).not.toContain('http.response.header.set-cookie');
    });
  });

  test('sensitive headers are recorded when allowed explicitly', async () => {
    const running = await serve(app(Koa, Router, { captureRequestHeaders: ['authorization'], captureResponseHeaders: ['set-cookie'], allowSensitiveHeaders: true }));
    try {
      await request(running.url).get('/work').set('authorization', 'Bearer t');
      const span = onlyServerSpan(await nextServerSpan(traced.exporter));
      expect(span.attributes['http.request.header.authorization']).toEqual(['Bearer t']);
      expect(span.attributes['http.response.header.set-cookie']).toEqual(['session=secret']);
    } finally {
      await running.close();
    }
  });

  test('hooks and ignore predicates that throw leave the request and its span alone', async () => {
    const boom = () => {
      throw new Error('user bug');
    };
    const running = await serve(app(Koa, Router, { ignore: boom, requestHook: boom, responseHook: boom }));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const res = await request(running.url).get('/work');
      expect(res.status).toBe(200);
      expect(onlyServerSpan(await nextServerSpan(traced.exporter)).name).toBe('GET /work');
    } finally {
      stderr.mockRestore();
      await running.close();
    }
  });
});
