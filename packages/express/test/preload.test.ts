// Zero code, end to end: real child processes started with a small preload
// (core.start() + http and Express through core's module hook, from the
// compiled dist/), running apps that have no tracing code, for Express 4 (the
// `express4` alias: the hook matches the package's own package.json name) and
// Express 5 (router@2). Spans travel as OTLP/protobuf to a receiver that
// decodes them with the official definitions.
import * as path from 'path';
import axios from 'axios';
import request from 'supertest';
import { ReceivedSpan } from '../../core/test/helpers/otlp-receiver';
import { useFixtureApps } from '../../core/test/helpers/fixture-apps';
import { getDatabase } from '../../pg/test/helpers/database';
import { sleep } from './helpers';

const FIXTURES = path.join(__dirname, 'fixtures');
const PRELOAD = path.join(FIXTURES, 'preload.js');
const SERVER = path.join(FIXTURES, 'server.js');
const INTERNAL_KIND = 1;
const SERVER_KIND = 2;
const CLIENT_KIND = 3;
const apps = useFixtureApps({
  cwd: FIXTURES,
  preload: PRELOAD,
  script: SERVER,
  serviceName: 'express-fixture',
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
  expect(boom.text).toContain('Internal Server Error');
  const missing = await request(url).get('/api/v1/nope');
  expect(missing.status).toBe(404);
  await receiverOf().waitForSpans(3, 10000);
  // Long enough for a duplicate span to follow if there were one.
  await sleep(200);
  return receiverOf().spans.slice();
}

function expectRoutedSpans(spans: ReceivedSpan[]): void {
  expect(spans.map((s) => [s.kind, s.name]).sort()).toEqual([
    [SERVER_KIND, 'GET'],
    [SERVER_KIND, 'GET /api/v1/boom'],
    [SERVER_KIND, 'GET /api/v1/users/:id'],
  ]);
  const ok = spans.find((s) => s.name === 'GET /api/v1/users/:id')!;
  expect(ok.attributes['http.route']).toBe('/api/v1/users/:id');
  expect(ok.scope.name).toBe('@tracewire/http');
  expect(ok.resource['service.name']).toBe('express-fixture');
  const boom = spans.find((s) => s.name === 'GET /api/v1/boom')!;
  expect(boom.status.code).toBe(2);
  expect(boom.attributes['error.type']).toBe('Error');
  expect(boom.events.filter((e) => e.name === 'exception').map((e) => e.attributes['exception.message'])).toEqual(['boom']);
  const missing = spans.find((s) => s.name === 'GET')!;
  expect(missing.attributes['http.route']).toBeUndefined();
  expect(missing.attributes['http.response.status_code']).toBe(404);
}

describe.each([
  ['express 4 (express4 alias)', 'express4'],
  ['express 5 (router@2)', 'express'],
])('%s', (_name, expressModule) => {
  test('under the preload, no tracing code: one routed server span per request', async () => {
    const url = await startApp({ EXPRESS: expressModule });
    expectRoutedSpans(await exercise(url));
  });

  test('under the preload with tracing() as well: still one span per request, decided by the app\'s own middleware', async () => {
    const url = await startApp({ EXPRESS: expressModule, TRACING: '1' });
    const spans = await exercise(url);
    expectRoutedSpans(spans);
    for (const span of spans) expect(span.attributes['app.hook']).toBe('tracing()');
  });

  test('tracing() alone, no preload: it starts the SDK and turns on http; an outgoing call is a child of the request, the callee\'s span its child', async () => {
    const url = await startApp({ EXPRESS: expressModule, TRACING: '1' }, { preload: false });
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

  test('tracing() alone also turns on @tracewire/pg: the query is a child of the request', async () => {
    const db = await getDatabase();
    try {
      const { connectionString, host, port, user, database } = db.config;
      const env: Record<string, string> = connectionString
        ? { DATABASE_URL: connectionString }
        : { PGHOST: String(host ?? ''), PGPORT: String(port ?? ''), PGUSER: String(user ?? ''), PGDATABASE: String(database ?? '') };
      const url = await startApp({ EXPRESS: expressModule, TRACING: '1', ...env }, { preload: false });
      expect((await axios.get(`${url}/api/v1/db`)).data).toEqual({ one: 1 });
      await receiverOf().waitForSpans(2, 10000);
      await sleep(200);
      const server = receiverOf().spans.find((s) => s.kind === SERVER_KIND)!;
      expect(server.name).toBe('GET /api/v1/db');
      const query = receiverOf().spans.find((s) => s.attributes['db.query.text'] !== undefined)!;
      expect(query.attributes['db.system.name']).toBe('postgresql');
      expect(query.parentSpanId).toBe(server.spanId);
      expect(query.traceId).toBe(server.traceId);
    } finally {
      await db.close();
    }
  });

  test('tracing() alone also turns on @tracewire/postgres: the postgres.js query is a child of the request', async () => {
    const db = await getDatabase();
    try {
      const { connectionString, host, port, user, database } = db.config;
      const env: Record<string, string> = connectionString
        ? { DATABASE_URL: connectionString }
        : { PGHOST: String(host ?? ''), PGPORT: String(port ?? ''), PGUSER: String(user ?? ''), PGDATABASE: String(database ?? '') };
      const url = await startApp({ EXPRESS: expressModule, TRACING: '1', ...env }, { preload: false });
      expect((await axios.get(`${url}/api/v1/pgjs`)).data).toEqual({ two: 2 });
      await receiverOf().waitForSpans(2, 10000);
      await sleep(200);
      const server = receiverOf().spans.find((s) => s.kind === SERVER_KIND)!;
      expect(server.name).toBe('GET /api/v1/pgjs');
      const query = receiverOf().spans.find((s) => s.attributes['db.query.text'] !== undefined)!;
      expect(query.attributes['db.system.name']).toBe('postgresql');
      expect(query.attributes['db.query.text']).toBe('SELECT $1::int AS two');
      expect(query.parentSpanId).toBe(server.spanId);
      expect(query.traceId).toBe(server.traceId);
    } finally {
      await db.close();
    }
  });

  test('instrument(app) on the finished app, no preload', async () => {
    const url = await startApp({ EXPRESS: expressModule, INSTRUMENT: '1' }, { preload: false });
    expectRoutedSpans(await exercise(url));
  });

  test('middlewareSpans in a real process', async () => {
    const url = await startApp({ EXPRESS: expressModule, TRACING: 'spans' }, { preload: false });
    await axios.get(`${url}/api/v1/users/1`);
    await receiverOf().waitForSpans(3, 10000);
    await sleep(100);
    const names = receiverOf().spans.map((s) => [s.kind, s.name]);
    expect(names).toContainEqual([SERVER_KIND, 'GET /api/v1/users/:id']);
    expect(names).toContainEqual([INTERNAL_KIND, 'router - /api']);
    expect(names).toContainEqual([INTERNAL_KIND, 'router - /api/v1']);
    expect(names).toContainEqual([INTERNAL_KIND, 'request handler - /api/v1/users/:id']);
  });
});

test('an ES module app (import express from \'express\') under the preload', async () => {
  const url = await startApp({}, { script: path.join(FIXTURES, 'server.mjs') });
  expect((await axios.get(`${url}/esm/items/3`)).data).toEqual({ id: '3' });
  const [span] = await receiverOf().waitForSpans(1, 10000);
  expect(span.name).toBe('GET /esm/items/:id');
});
