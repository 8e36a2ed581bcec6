// One server span per request, named after the full route template, for Koa 2
// and 3 with @koa/router and koa-router: params, prefixes, nested routers,
// router.use(), several methods, and 404s that invent no route. Driven by
// supertest and axios against real servers on 127.0.0.1.
import axios from 'axios';
import request from 'supertest';
import { tracing } from '../src';
import { KoaModule, MATRIX, nextServerSpan, onlyServerSpan, RouterModule, Running, serve, traceEachTest } from './helpers';

const traced = traceEachTest();

function routedApp(Koa: KoaModule, Router: RouterModule) {
  const app = new Koa();
  app.use(tracing());

  const root = new Router();
  root.get('/', (ctx) => { ctx.body = 'home'; });
  root.get('/users/:id', (ctx) => { ctx.body = { id: ctx.params.id }; });
  root.put('/users/:id', (ctx) => { ctx.body = { updated: ctx.params.id }; });
  root.post('/users', (ctx) => { ctx.status = 201; ctx.body = { created: true }; });
  root.get('/multi', (ctx) => { ctx.body = 'get'; });
  root.post('/multi', (ctx) => { ctx.body = 'post'; });
  root.all('/any/:x', (ctx) => { ctx.body = ctx.method; });

  const api = new Router({ prefix: '/api' });
  api.get('/', (ctx) => { ctx.body = 'api root'; });
  api.get('/items/:itemId', (ctx) => { ctx.body = { item: ctx.params.itemId }; });

  const things = new Router();
  things.get('/things/:thingId', (ctx) => { ctx.body = { thing: ctx.params.thingId }; });
  const parent = new Router();
  parent.use(async (ctx, next) => { ctx.set('x-parent', '1'); await next(); });
  parent.use('/nested', things.routes());

  const members = new Router();
  members.get('/members/:memberId', (ctx) => { ctx.body = ctx.params; });
  const v1 = new Router({ prefix: '/v1' });
  v1.use('/orgs/:orgId', members.routes());

  const secure = new Router({ prefix: '/secure' });
  secure.use(async (ctx, next) => {
    if (ctx.get('x-token') !== 'ok') { ctx.status = 401; return; }
    await next();
  });
  secure.get('/data/:id', (ctx) => { ctx.body = 'secret'; });

  for (const router of [root, api, parent, v1, secure]) app.use(router.routes());
  return app;
}

// [method, path, expected http.route (undefined: none), expected status]
const ROUTES: Array<[string, string, string | undefined, number]> = [
  ['GET', '/', '/', 200],
  ['GET', '/users/42', '/users/:id', 200],
  ['HEAD', '/users/42', '/users/:id', 200],
  ['PUT', '/users/7', '/users/:id', 200],
  ['POST', '/users', '/users', 201],
  ['GET', '/multi', '/multi', 200],
  ['POST', '/multi', '/multi', 200],
  ['DELETE', '/multi', undefined, 404],
  ['PATCH', '/any/1', '/any/:x', 200],
  ['GET', '/api/items/9', '/api/items/:itemId', 200],
  ['GET', '/api', '/api', 200],
  ['GET', '/nested/things/3', '/nested/things/:thingId', 200],
  ['GET', '/v1/orgs/5/members/6', '/v1/orgs/:orgId/members/:memberId', 200],
  ['GET', '/secure/data/1', '/secure/data/:id', 401],
  ['GET', '/nope', undefined, 404],
  ['GET', '/users', undefined, 404],
  ['GET', '/nested', undefined, 404],
];

describe.each(MATRIX)('%s', (_name, Koa, Router) => {
  let running: Running;

  beforeAll(async () => {
    running = await serve(routedApp(Koa, Router));
  });

  afterAll(() => running.close());

  test.each(ROUTES)('%s %s → http.route %s', async (method, path, route, status) => {
    const viaSupertest = () => request(running.url)[method.toLowerCase() as 'get'](path);
    const viaAxios = () => axios.request({ method, url: running.url + path, validateStatus: () => true });
    for (const send of [viaSupertest, viaAxios]) {
      traced.exporter.reset();
      expect((await send()).status).toBe(status);
      const span = onlyServerSpan(await nextServerSpan(traced.exporter));
      expect(span.attributes['http.route']).toBe(route);
      expect(span.name).toBe(route === undefined ? method : `${method} ${route}`);
      expect(span.attributes['http.response.status_code']).toBe(status);
    }
  });

  test('router.use() middleware still runs and the route is the handler\'s', async () => {
    const res = await request(running.url).get('/nested/things/8');
    expect(res.headers['x-parent']).toBe('1');
    expect(res.body).toEqual({ thing: '8' });
    const span = onlyServerSpan(await nextServerSpan(traced.exporter));
    expect(span.name).toBe('GET /nested/things/:thingId');
  });
});
