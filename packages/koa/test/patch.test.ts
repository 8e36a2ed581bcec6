// Zero-code tracing through the Koa patch, applied here to the loaded Koa
// modules directly (Jest's loader hides requires from the module hook; the
// child-process tests cover the hook): apps with no tracing code, apps that
// also call tracing() or instrument(), middleware spans, and unpatching.
import request from 'supertest';
import { ReadableSpan, SpanKind } from '@tracewire/core';
import { instrument, koaInstrumentation, patchKoa, tracing, unpatchKoa } from '../src';
import { KOAS, KoaModule, MATRIX, Middleware, nextServerSpan, onlyServerSpan, RouterModule, ROUTERS, serve, traceEachTest } from './helpers';

const traced = traceEachTest();
const originalCallbacks = new Map(KOAS.map(([, Koa]) => [Koa, Koa.prototype.callback]));

beforeAll(() => {
  for (const [, Koa] of KOAS) patchKoa(Koa);
});

afterAll(() => {
  for (const [, Koa] of KOAS) unpatchKoa(Koa);
});

const appSpans = (spans: readonly ReadableSpan[]) => spans.filter((s) => s.kind !== SpanKind.CLIENT);

function users(Router: RouterModule) {
  const r = new Router({ prefix: '/api' });
  r.get('/users/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  return r;
}

async function get(app: { listen: KoaModule['prototype']['listen'] }, path: string): Promise<ReadableSpan[]> {
  const running = await serve(app as KoaModule['prototype']);
  try {
    const res = await request(running.url).get(path);
    expect(res.status).toBe(200);
    return appSpans(await nextServerSpan(traced.exporter));
  } finally {
    await running.close();
  }
}

test('the instrumentation definition patches Koa 2 and 3', () => {
  expect(koaInstrumentation.modules).toEqual([expect.objectContaining({ module: 'koa', versions: '>=2 <4' })]);
  for (const [, Koa] of KOAS) expect(Koa.prototype.callback).not.toBe(originalCallbacks.get(Koa));
});

test('patching twice wraps once', () => {
  for (const [, Koa] of KOAS) {
    const once = Koa.prototype.callback;
    patchKoa(Koa);
    expect(Koa.prototype.callback).toBe(once);
  }
});

describe.each(MATRIX)('%s', (_name, Koa, Router) => {
  test('an app with no tracing code gets its route, and its middleware array is left as it was', async () => {
    const app = new Koa();
    const router = users(Router);
    app.use(router.routes());
    const before = [...app.middleware];
    const spans = await get(app, '/api/users/1');
    expect(onlyServerSpan(spans).name).toBe('GET /api/users/:id');
    expect(spans).toHaveLength(1);
    expect(app.middleware).toEqual(before);
  });

  test('with tracing() too: one server span, recorded once, with the app\'s own options', async () => {
    const requestHook = jest.fn();
    const app = new Koa();
    app.use(tracing({ requestHook }));
    app.use(users(Router).routes());
    const spans = await get(app, '/api/users/2');
    expect(onlyServerSpan(spans).name).toBe('GET /api/users/:id');
    expect(requestHook).toHaveBeenCalledTimes(1);
  });

  test('tracing() twice: the request is recorded once', async () => {
    const requestHook = jest.fn();
    const app = new Koa();
    app.use(tracing({ requestHook }));
    app.use(tracing({ requestHook }));
    app.use(users(Router).routes());
    await get(app, '/api/users/3');
    expect(requestHook).toHaveBeenCalledTimes(1);
  });

  test('instrument(app) puts the middleware first, once', async () => {
    const requestHook = jest.fn();
    const app = new Koa();
    const first: Middleware = (_ctx, next) => next();
    app.use(first);
    app.use(users(Router).routes());
    expect(instrument(instrument(app, { requestHook }), { requestHook })).toBe(app);
    expect(app.middleware).toHaveLength(3);
    expect(app.middleware[1]).toBe(first);
    const spans = await get(app, '/api/users/4');
    expect(onlyServerSpan(spans).name).toBe('GET /api/users/:id');
    expect(requestHook).toHaveBeenCalledTimes(1);
  });

  test('middlewareSpans: one INTERNAL span per middleware and router layer, nested, named as OpenTelemetry names them', async () => {
    const app = new Koa();
    app.use(tracing({ middlewareSpans: true }));
    app.use(async function logger(_ctx, next) {
      await next();
    });
    app.use((_ctx, next) => next());
    app.use(users(Router).routes());
    const spans = await get(app, '/api/users/5');
    const server = onlyServerSpan(spans);
    expect(server.name).toBe('GET /api/users/:id');
    const byName = new Map(spans.map((s) => [s.name, s]));
    const logger = byName.get('middleware - logger')!;
    const anonymous = byName.get('middleware - anonymous')!;
    const route = byName.get('router - /api/users/:id')!;
    expect(spans.map((s) => s.name).sort()).toEqual(['GET /api/users/:id', 'middleware - anonymous', 'middleware - logger', 'router - /api/users/:id']);
    expect(logger.kind).toBe(SpanKind.INTERNAL);
    expect(logger.attributes).toEqual({ 'koa.type': 'middleware', 'koa.name': 'logger' });
    expect(route.attributes).toEqual({ 'koa.type': 'router', 'koa.name': '/api/users/:id', 'http.route': '/api/users/:id' });
    expect([logger.parentSpanId, anonymous.parentSpanId, route.parentSpanId]).toEqual([server.spanId, logger.spanId, anonymous.spanId]);
  });

  test('without middlewareSpans, router layers wrapped for another app make no spans', async () => {
    const router = users(Router);
    const spansOn = new Koa();
    spansOn.use(tracing({ middlewareSpans: true }));
    spansOn.use(router.routes());
    spansOn.callback();
    const app = new Koa();
    app.use(tracing());
    app.use(router.routes());
    const spans = await get(app, '/api/users/6');
    expect(spans.map((s) => s.name)).toEqual(['GET /api/users/:id']);
  });
});

test('unpatch restores the original callback and every wrapped router layer', () => {
  const [, Router] = ROUTERS[0];
  const handler: Middleware = (ctx) => {
    ctx.body = 'x';
  };
  const router = new Router();
  router.get('/x', handler);
  const layer = router.stack[0] as { stack: Middleware[] };
  for (const [, Koa] of KOAS) {
    const app = new Koa();
    app.use(tracing({ middlewareSpans: true }));
    app.use(router.routes());
    app.callback();
    expect(layer.stack[0]).not.toBe(handler);
    unpatchKoa(Koa);
    expect(Koa.prototype.callback).toBe(originalCallbacks.get(Koa));
    expect(layer.stack[0]).toBe(handler);
    unpatchKoa(Koa);
    expect(Koa.prototype.callback).toBe(originalCallbacks.get(Koa));
    patchKoa(Koa);
  }
});

test('patchKoa refuses what is not Koa, before changing anything', () => {
  expect(() => patchKoa({})).toThrow(/not a Koa module/);
  expect(() => patchKoa(undefined)).toThrow(/not a Koa module/);
});
