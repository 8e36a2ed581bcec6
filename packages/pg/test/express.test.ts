// A query inside an Express 5 request, over a real server on 127.0.0.1: the
// trace is request → query → pool wait. The request span comes from a small
// middleware on core's API (the http package's server spans are not part of
// this package's tests).
import { AddressInfo } from 'net';
import { Server } from 'http';
import { activeContext, contextWithSpan, SpanKind, trace, withContext } from '@tracewire/core';
import express = require('express');
import pg = require('pg');
import { usePg, useTracing } from './helpers/tracing';

const TABLE = 'tw_express_products';

const database = usePg(async () => {
  await new Promise((resolve) => server.close(resolve));
  await pool.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await pool.end();
});
const tracing = useTracing();
let pool: pg.Pool;
let server: Server;
let base: string;

/** One SERVER span per request, named after the route once routing has run. */
function requestSpans(req: express.Request, res: express.Response, next: express.NextFunction): void {
  const span = trace.startSpan(`${req.method}`, { kind: SpanKind.SERVER });
  res.on('finish', () => {
    span.updateName(`${req.method} ${req.route?.path ?? req.path}`);
    span.setAttribute('http.response.status_code', res.statusCode);
    span.end();
  });
  withContext(contextWithSpan(activeContext(), span), next);
}

beforeAll(async () => {
  pool = new pg.Pool({ ...database().config, max: 1 });
  await pool.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await pool.query(`CREATE TABLE ${TABLE} (id int PRIMARY KEY, name text)`);
  await pool.query(`INSERT INTO ${TABLE} VALUES (1, 'pen'), (2, 'book')`);

  const app = express();
  app.use(requestSpans);
  app.get('/products/:id', async (req, res) => {
    const { rows } = await pool.query(`SELECT name FROM ${TABLE} WHERE id = $1`, [Number(req.params.id)]);
    res.json(rows[0] ?? null);
  });
  app.get('/broken', async () => {
    await pool.query('SELECT * FROM missing_table');
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

it('puts the query under the request span', async () => {
  const response = await fetch(`${base}/products/2`);
  expect(await response.json()).toEqual({ name: 'book' });
  await tracing.exporter.waitFor(2);

  const request = tracing.span('GET /products/:id');
  const query = tracing.span(`SELECT ${TABLE}`);
  expect(request.kind).toBe(SpanKind.SERVER);
  expect(query.kind).toBe(SpanKind.CLIENT);
  expect(query.traceId).toBe(request.traceId);
  expect(query.parentSpanId).toBe(request.spanId);
  // The pool's idle connection served it at once: no wait span.
  expect(tracing.spans('pg-pool.connect')).toHaveLength(0);
  expect(query.attributes['db.query.text']).toBe(`SELECT name FROM ${TABLE} WHERE id = $1`);
});

it('keeps concurrent requests queued on one connection in their own traces', async () => {
  const responses = await Promise.all([1, 2, 1, 2].map((id) => fetch(`${base}/products/${id}`).then((r) => r.json())));
  expect(responses).toEqual([{ name: 'pen' }, { name: 'book' }, { name: 'pen' }, { name: 'book' }]);
  await tracing.exporter.waitFor(4 * 2);

  const requests = tracing.spans('GET /products/:id');
  const queries = tracing.spans(`SELECT ${TABLE}`);
  expect(requests).toHaveLength(4);
  expect(new Set(requests.map((r) => r.traceId)).size).toBe(4);
  for (const request of requests) {
    const own = queries.filter((q) => q.traceId === request.traceId);
    expect(own).toHaveLength(1);
    expect(own[0].parentSpanId).toBe(request.spanId);
  }
});

it('records a failing query in the request that made it', async () => {
  const response = await fetch(`${base}/broken`);
  expect(response.status).toBe(500);
  await tracing.exporter.waitFor(2);
  const request = tracing.span('GET /broken');
  const query = tracing.span('SELECT missing_table');
  expect(query.parentSpanId).toBe(request.spanId);
  expect(query.attributes['error.type']).toBe('42P01');
});
