// Zero code, end to end: real child processes started with a small preload
// (core.start() + http and Koa through core's module hook, from the compiled
// dist/), running apps that have no tracing code, for Koa 2 (the `koa2` alias:
// the hook matches the package's own package.json name) and Koa 3 with both
// routers. Spans travel as OTLP/protobuf to a receiver that decodes them with
// the official definitions.
import * as path from 'path';
import axios from 'axios';
import request from 'supertest';
import { ReceivedSpan } from '../../core/test/helpers/otlp-receiver';
import { useFixtureApps } from '../../core/test/helpers/fixture-apps';
import { sleep } from './helpers';

const FIXTURES = path.join(__dirname, 'fixtures');
const PRELOAD = path.join(FIXTURES, 'preload.js');
const SERVER = path.join(FIXTURES, 'server.js');
const SERVER_KIND = 2;
const CLIENT_KIND = 3;
const INTERNAL_KIND = 1;
const apps = useFixtureApps({
  cwd: FIXTURES,
  preload: PRELOAD,
  script: SERVER,
  serviceName: 'koa-fixture',
  dist: path.join(__dirname, '..', 'dist', 'index.js'),
});
const startApp = apps.start;
const receiverOf = apps.receiver;

/** Drives the app with axios and supertest and returns every span it exported, once the stream went quiet. */
async function exercise(url: string): Promise<ReceivedSpan[]> {
  const ok = await axios.get(`${url}/api/v1/users/7`);
  expect(ok.data).toEqual({ id: '7' });
  const boom = await request(url).get('/api/v1/boom');
  expect(boom.status).toBe(500);
  expect(boom.text).toBe('Internal Server Error');
  await receiverOf().waitForSpans(2, 10000);
  // Long enough for a duplicate span to follow if there were one.
  await sleep(200);
  return receiverOf().spans.slice();
}

function expectRoutedSpans(spans: ReceivedSpan[]): void {
  expect(spans.map((s) => [s.kind, s.name]).sort()).toEqual([
    [SERVER_KIND, 'GET /api/v1/boom'],
    [SERVER_KIND, 'GET /api/v1/users/:id'],
  ]);
  const ok = spans.find((s) => s.name === 'GET /api/v1/users/:id')!;
  expect(ok.attributes['http.route']).toBe('/api/v1/users/:id');
  expect(ok.scope.name).toBe('@tracewire/http');
  expect(ok.resource['service.name']).toBe('koa-fixture');
  const boom = spans.find((s) => s.name === 'GET /api/v1/boom')!;
  expect(boom.status.code).toBe(2);
  expect(boom.events.find((e) => e.name === 'exception')?.attributes['exception.message']).toBe('boom');
}

describe.each([
  ['koa 2 (koa2 alias)', 'koa2'],
  ['koa 3', 'koa'],
])('%s under the preload', (_name, koa) => {
  test.each([['@koa/router'], ['koa-router']])('with %s and no tracing code: one routed server span per request', async (router) => {
    const url = await startApp({ KOA: koa, ROUTER: router });
    expectRoutedSpans(await exercise(url));
  });

  test('with tracing() as well: still one span per request, recorded by the app\'s own middleware', async () => {
    const url = await startApp({ KOA: koa, ROUTER: '@koa/router', TRACING: '1' });
    const spans = await exercise(url);
    expectRoutedSpans(spans);
    for (const span of spans) expect(span.attributes['app.hook']).toBe('tracing()');
  });
});

test('an ES module app (import Koa from \'koa\') under the preload', async () => {
  const url = await startApp({}, { script: path.join(FIXTURES, 'server.mjs') });
  expect((await axios.get(`${url}/esm/items/3`)).data).toEqual({ id: '3' });
  const [span] = await receiverOf().waitForSpans(1, 10000);
  expect(span.name).toBe('GET /esm/items/:id');
});

describe.each([
  ['koa 2 (koa2 alias)', 'koa2'],
  ['koa 3', 'koa'],
])('%s with the middleware line alone, no preload', (_name, koa) => {
  test('tracing() starts the SDK and turns on http: an outgoing call is a child of the request, and the callee\'s span its child', async () => {
    const url = await startApp({ KOA: koa, ROUTER: 'koa-router', TRACING: '1' }, { preload: false });
    expect((await axios.get(`${url}/api/v1/proxy`)).data).toEqual({ id: '9' });
    const spans = await receiverOf().waitForSpans(3, 10000);
    const outer = spans.find((s) => s.name === 'GET /api/v1/proxy')!;
    const client = spans.find((s) => s.kind === CLIENT_KIND)!;
    const inner = spans.find((s) => s.name === 'GET /api/v1/users/:id')!;
    expect([outer.kind, inner.kind]).toEqual([SERVER_KIND, SERVER_KIND]);
    expect(client.parentSpanId).toBe(outer.spanId);
    expect(inner.parentSpanId).toBe(client.spanId);
    expect(new Set([outer.traceId, client.traceId, inner.traceId]).size).toBe(1);
  });

  test('middlewareSpans in a real process: tracing() patched Koa itself through the module hook', async () => {
    const url = await startApp({ KOA: koa, ROUTER: '@koa/router', TRACING: 'spans' }, { preload: false });
    await axios.get(`${url}/api/v1/users/1`);
    await receiverOf().waitForSpans(2, 10000);
    await sleep(100);
    const names = receiverOf().spans.map((s) => [s.kind, s.name]);
    expect(names).toContainEqual([SERVER_KIND, 'GET /api/v1/users/:id']);
    expect(names).toContainEqual([INTERNAL_KIND, 'router - /api/v1/users/:id']);
  });
});
