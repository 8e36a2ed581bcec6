// tracing(options): ignore, requestHook/responseHook, header allow-lists,
// middlewareSpans; and one decision per request when an app has more than one
// tracing middleware.
import axios from 'axios';
import request from 'supertest';
import { SpanKind, SpanStatusCode, trace } from '@tracewire/core';
import { instrument, tracing, TracingOptions } from '../src';
import { App, appSpans, EXPRESSES, express4, express5, ExpressModule, onlyServerSpan, Running, serve, serverSpans, serverSpansSettled, sleep, stackOf, traceEachTest, withWarnings } from './helpers';

const traced = traceEachTest();

type Next = (err?: unknown) => void;
type Req = { params: Record<string, string>; path: string };
type Res = { json(b: unknown): void; send(b?: unknown): void; setHeader(n: string, v: string | string[]): void; status(n: number): Res };

const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

async function start(app: App): Promise<Running> {
  const r = await serve(app);
  running.push(r);
  return r;
}

function appWith(express: ExpressModule, options: TracingOptions): App {
  const app = express();
  app.use(tracing(options));
  app.get('/health', (_req: unknown, res: Res) => res.send('ok'));
  app.get('/users/:id', (req: Req, res: Res) => {
    res.setHeader('set-cookie', ['session=secret']);
    res.setHeader('x-served-by', 'users');
    res.json({ id: req.params.id });
  });
  return app;
}

describe.each(EXPRESSES)('%s', (_name, express) => {
  describe('ignore', () => {
    test.each<[string, TracingOptions['ignore']]>([
      ['a path', '/health'],
      ['a RegExp', /^\/heal/],
      ['a predicate', (req) => req.path === '/health'],
      ['a list', ['/other', /^\/health$/]],
    ])('%s: no span for the request, nothing downstream traced, other requests traced', async (_how, ignore) => {
      const app = express();
      app.use(tracing({ ignore }));
      let inner: { isRecording(): boolean } | undefined;
      app.get('/health', async (_req: unknown, res: Res) => {
        inner = trace.startSpan('inside an ignored request');
        (inner as unknown as { end(): void }).end();
        // An outgoing call from an ignored request makes no client span and sends no trace context.
        const callee = await axios.get(`${r.url}/users/1`, { headers: { 'x-from': 'health' } });
        res.send(callee.data);
      });
      app.get('/users/:id', (req: Req, res: Res) => res.json({ id: req.params.id }));
      const r = await start(app);
      expect((await request(r.url).get('/health')).body).toEqual({ id: '1' });
      expect(inner?.isRecording()).toBe(false);
      expect((await request(r.url).get('/users/2')).status).toBe(200);
      await serverSpansSettled(traced.exporter, 2);
      await sleep(30);
      const spans = appSpans(traced.exporter.spans);
      // Only the two /users requests: the callee's is a root span (nothing was injected), the test's a child of its client span.
      expect(spans.map((s) => [s.name, s.attributes['url.path'], s.parentSpanId === undefined])).toEqual([
        ['GET /users/:id', '/users/1', true],
        ['GET /users/:id', '/users/2', false],
      ]);
      expect(traced.exporter.spans.filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(2);
    });
  });

  describe('hooks', () => {
    test('requestHook gets the Express request, responseHook the finished response; both on the server span', async () => {
      const r = await start(
        appWith(express, {
          requestHook: (span, req) => span.setAttribute('app.path', req.path),
          responseHook: (span, res) => {
            span.setAttribute('app.status', res.statusCode);
            span.setAttribute('app.served_by', String(res.getHeader('x-served-by')));
          },
        }),
      );
      await axios.get(`${r.url}/users/5?q=1`);
      const span = onlyServerSpan(await serverSpansSettled(traced.exporter));
      expect(span.attributes['app.path']).toBe('/users/5');
      expect(span.attributes['app.status']).toBe(200);
      expect(span.attributes['app.served_by']).toBe('users');
    });
  });

  describe('header capture', () => {
    test('allow-listed headers are recorded; Authorization, Cookie and Set-Cookie never by default', async () => {
      const r = await start(
        appWith(express, {
          captureRequestHeaders: ['X-Request-Id', 'authorization', 'cookie'],
          captureResponseHeaders: ['x-served-by', 'set-cookie'],
        }),
      );
      await request(r.url).get('/users/1').set('x-request-id', 'r-1').set('authorization', 'Bearer t').set('cookie', 'a=b');
      const span = onlyServerSpan(await serverSpansSettled(traced.exporter));
      expect(span.attributes['http.request.header.x-request-id']).toEqual(['r-1']);
      expect(span.attributes['http.response.header.x-served-by']).toEqual(['users']);
      for (const key of ['http.request.header.authorization', 'http.request.header.cookie', 'http.response.header.set-cookie']) {
        expect(span.attributes[key]).toBeUndefined();
      }
    });

    test('allowSensitiveHeaders opts in', async () => {
      const r = await start(appWith(express, { captureRequestHeaders: ['authorization'], captureResponseHeaders: ['set-cookie'], allowSensitiveHeaders: true }));
      await request(r.url).get('/users/1').set('authorization', 'Bearer t');
      const span = onlyServerSpan(await serverSpansSettled(traced.exporter));
      expect(span.attributes['http.request.header.authorization']).toEqual(['Bearer t']);
      expect(span.attributes['http.response.header.set-cookie']).toEqual(['session=secret']);
    });
  });

  describe('middlewareSpans', () => {
    function spansApp(middlewareSpans: boolean): App {
      const app = express();
      app.use(tracing({ middlewareSpans }));
      app.use(function auth(_req: unknown, _res: unknown, next: Next) {
        setTimeout(() => next(), 2);
      });
      const api = express.Router();
      api.get('/users/:id', (req: Req, res: Res) => res.json({ id: req.params.id, active: (trace.activeSpan() as unknown as { name: string }).name }));
      api.get('/fail', (_req: unknown, _res: unknown, next: Next) => next(new TypeError('nope')));
      app.use('/api', api);
      app.use(function onError(err: Error, _req: unknown, res: Res, _next: Next) {
        res.status(500).json({ error: err.message });
      });
      return app;
    }

    test('off by default: the server span only', async () => {
      const r = await start(spansApp(false));
      const res = await request(r.url).get('/api/users/1');
      expect(res.body.active).toBe('GET /api/users/:id');
      await serverSpansSettled(traced.exporter);
      await sleep(20);
      expect(appSpans(traced.exporter.spans).map((s) => s.name)).toEqual(['GET /api/users/:id']);
    });

    test('on: one INTERNAL span per middleware, router and route, siblings under their parent, ended before the server span', async () => {
      const r = await start(spansApp(true));
      const res = await request(r.url).get('/api/users/1');
      expect(res.body.active).toBe('request handler - /api/users/:id');
      const spans = await serverSpansSettled(traced.exporter);
      const server = onlyServerSpan(spans);
      const byName = new Map(spans.map((s) => [s.name, s]));
      expect(spans.map((s) => s.name).sort()).toEqual(['GET /api/users/:id', 'middleware - auth', 'request handler - /api/users/:id', 'router - /api']);
      const auth = byName.get('middleware - auth')!;
      const router = byName.get('router - /api')!;
      const handler = byName.get('request handler - /api/users/:id')!;
      expect([auth.kind, router.kind, handler.kind]).toEqual([SpanKind.INTERNAL, SpanKind.INTERNAL, SpanKind.INTERNAL]);
      expect(auth.parentSpanId).toBe(server.spanId);
      // auth passed the request on: the router is its sibling, not its child.
      expect(router.parentSpanId).toBe(server.spanId);
      expect(handler.parentSpanId).toBe(router.spanId);
      expect(auth.attributes).toMatchObject({ 'express.type': 'middleware', 'express.name': 'auth' });
      expect(router.attributes).toMatchObject({ 'express.type': 'router', 'express.name': '/api' });
      expect(handler.attributes).toMatchObject({ 'express.type': 'request_handler', 'express.name': '/api/users/:id', 'http.route': '/api/users/:id' });
      // auth ends when it calls next (after its timer), not at the end of the request.
      expect(auth.endTime).toBeLessThanOrEqual(router.startTime);
      for (const s of [auth, router, handler]) expect(s.endTime).toBeLessThanOrEqual(server.endTime);
    });

    test('on: the layer that raised an error carries it; the error handler gets its own span', async () => {
      const r = await start(spansApp(true));
      expect((await request(r.url).get('/api/fail')).status).toBe(500);
      const spans = await serverSpansSettled(traced.exporter);
      const handler = spans.find((s) => s.name === 'request handler - /api/fail')!;
      expect(handler.status.code).toBe(SpanStatusCode.ERROR);
      expect(handler.attributes['error.type']).toBe('TypeError');
      const onError = spans.find((s) => s.name === 'middleware - onError')!;
      expect(onError.status.code).toBe(SpanStatusCode.UNSET);
      expect(onError.events).toHaveLength(0);
      // The router passed the error on (not its own): no error on it.
      expect(spans.find((s) => s.name === 'router - /api')!.status.code).toBe(SpanStatusCode.UNSET);
    });
  });

  describe('several tracing middlewares on one request', () => {
    test('a sub-app with its own tracing(): the outer one decides, one span, one set of hooks', async () => {
      const app = express();
      app.use(tracing({ requestHook: (span) => span.setAttribute('decided.by', 'outer') }));
      const admin = express();
      admin.use(tracing({ requestHook: (span) => span.setAttribute('decided.by', 'inner'), middlewareSpans: true }));
      admin.get('/users/:id', (_req: unknown, res: Res) => res.send('admin'));
      app.use('/admin', admin);
      const r = await start(app);
      expect((await request(r.url).get('/admin/users/1')).text).toBe('admin');
      const spans = await serverSpansSettled(traced.exporter);
      await sleep(20);
      const span = onlyServerSpan(traced.exporter.spans);
      expect(appSpans(traced.exporter.spans)).toHaveLength(1);
      expect(span.name).toBe('GET /admin/users/:id');
      expect(span.attributes['decided.by']).toBe('outer');
    });

    test('instrument(app) on an app that has tracing() adds nothing', async () => {
      const app = appWith(express, {});
      const count = stackOf(app).length;
      instrument(app);
      expect(stackOf(app)).toHaveLength(count);
      const r = await start(app);
      await request(r.url).get('/users/3');
      expect(onlyServerSpan(await serverSpansSettled(traced.exporter)).name).toBe('GET /users/:id');
    });
  });
});

describe('user callbacks that throw (said once per process and option, not per request)', () => {
  test('an ignore predicate: the requests are traced', () =>
    withWarnings(async (warnings) => {
      const r = await start(appWith(express5, { ignore: () => { throw new Error('oops'); } }));
      for (const path of ['/health', '/health']) expect((await request(r.url).get(path)).text).toBe('ok');
      expect(serverSpans(await serverSpansSettled(traced.exporter, 2)).map((s) => s.name)).toEqual(['GET /health', 'GET /health']);
      expect(warnings).toEqual([expect.stringMatching(/the ignore passed to tracing\(\) threw \(oops\)/)]);
    }));

  test('requestHook and responseHook: the requests and their spans are unaffected', () =>
    withWarnings(async (warnings) => {
      const boom = (): void => {
        throw new Error('hook bug');
      };
      const r = await start(appWith(express4, { requestHook: boom, responseHook: boom }));
      for (const id of ['1', '2']) expect((await request(r.url).get(`/users/${id}`)).body).toEqual({ id });
      const spans = serverSpans(await serverSpansSettled(traced.exporter, 2));
      expect(spans.map((s) => [s.name, s.status.code])).toEqual([
        ['GET /users/:id', SpanStatusCode.UNSET],
        ['GET /users/:id', SpanStatusCode.UNSET],
      ]);
      expect(warnings).toEqual([expect.stringContaining('requestHook'), expect.stringContaining('responseHook')]);
    }));
});
