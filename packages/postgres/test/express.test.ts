// A postgres.js query inside an Express 5 request, over a real server on
// 127.0.0.1: the trace is request → query. The request span comes from a small
// middleware on core's API (the http package's server spans are not part of
// this package's tests).
import { Server } from 'http';
import { activeContext, contextWithSpan, SpanKind, trace, withContext } from '@tracewire/core';
import express = require('express');
import request = require('supertest');
import { useTracing } from '../../pg/test/helpers/tracing';
import { expectedConnection, TABLE, usePostgresJs } from './helpers';

const database = usePostgresJs();
const tracing = useTracing();
let server: Server;

/** One SERVER span per request, named after the route once routing has run. */
function requestSpans(req: express.Request, res: express.Response, next: express.NextFunction): void {
  const span = trace.startSpan(req.method, { kind: SpanKind.SERVER });
  res.on('finish', () => {
    span.updateName(`${req.method} ${req.route?.path ?? req.path}`);
    span.end();
  });
  withContext(contextWithSpan(activeContext(), span), next);
}

beforeAll(() => {
  const sql = database();
  const app = express();
  app.use(requestSpans);
  app.get('/products/:id', async (req, res) => {
    const [row] = await sql`SELECT name FROM tw_pgjs_products WHERE id = ${Number(req.params.id)}`;
    res.json(row ?? null);
  });
  app.get('/broken', async () => {
    await sql`SELECT * FROM tw_pgjs_missing`;
  });
  server = app.listen(0, '127.0.0.1');
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

it('puts the query under the request span', async () => {
  const response = await request(server).get('/products/2');
  expect(response.body).toEqual({ name: 'book' });
  await tracing.exporter.waitFor(2);
  const requestSpan = tracing.span('GET /products/:id');
  const query = tracing.span(`SELECT ${TABLE}`);
  expect(query.kind).toBe(SpanKind.CLIENT);
  expect(query.traceId).toBe(requestSpan.traceId);
  expect(query.parentSpanId).toBe(requestSpan.spanId);
  expect(query.attributes).toMatchObject({
    ...expectedConnection(database.database()),
    'db.system.name': 'postgresql',
    'db.operation.name': 'SELECT',
    'db.collection.name': TABLE,
    'db.query.text': `SELECT name FROM ${TABLE} WHERE id = $1`,
  });
});

it('keeps concurrent requests in their own traces', async () => {
  const bodies = await Promise.all([1, 2, 3, 1].map(async (id) => (await request(server).get(`/products/${id}`)).body));
  expect(bodies).toEqual([{ name: 'pen' }, { name: 'book' }, { name: 'lamp' }, { name: 'pen' }]);
  await tracing.exporter.waitFor(8);
  const requests = tracing.spans('GET /products/:id');
  expect(new Set(requests.map((r) => r.traceId)).size).toBe(4);
  for (const requestSpan of requests) {
    expect(tracing.childrenOf(requestSpan).map((s) => s.name)).toEqual([`SELECT ${TABLE}`]);
  }
});

it('marks a failed query under the failed request', async () => {
  const response = await request(server).get('/broken');
  expect(response.status).toBe(500);
  await tracing.exporter.waitFor(2);
  const query = tracing.span('SELECT tw_pgjs_missing');
  expect(query.parentSpanId).toBe(tracing.span('GET /broken').spanId);
  expect(query.attributes['error.type']).toBe('42P01');
});
