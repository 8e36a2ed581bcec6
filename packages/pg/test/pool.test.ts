// pg.Pool: one span per pool.query, pg-pool.connect spans for the wait (pool
// exhaustion shows), callbacks in the caller's context however long they queued.
import { activeSpan, ReadableSpan, Span, SpanKind, SpanStatusCode, trace } from '@tracewire/core';
import pg = require('pg');
import { configurePg } from '../src';
import { sleep, usePg, useTracing } from './helpers/tracing';

const TABLE = 'tw_pool_items';

const database = usePg(async (db) => {
  const setup = new pg.Client(db.config);
  await setup.connect();
  await setup.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await setup.end();
});
const tracing = useTracing();
let pool: pg.Pool;

beforeAll(async () => {
  const setup = new pg.Client(database().config);
  await setup.connect();
  await setup.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await setup.query(`CREATE TABLE ${TABLE} (id int PRIMARY KEY, name text)`);
  await setup.query(`INSERT INTO ${TABLE} VALUES (1, 'pen'), (2, 'book')`);
  await setup.end();
});

beforeEach(() => {
  pool = new pg.Pool({ ...database().config, max: 1 });
});

afterEach(async () => {
  await pool.end();
});

const spanIdOf = (span: Span | undefined): string | undefined => span?.spanContext().spanId;
const durationOf = (span: ReadableSpan): number => span.endTime - span.startTime;
const SELECT = `SELECT name FROM ${TABLE} WHERE id = $1`;
const NAME = `SELECT ${TABLE}`;

describe('Pool#query', () => {
  it('makes one CLIENT span, with the wait for a connection inside it', async () => {
    const returned = trace.span('caller', () => pool.query(SELECT, [1]));
    expect(returned).toBeInstanceOf(Promise);
    expect((await returned).rows).toEqual([{ name: 'pen' }]);

    const caller = tracing.span('caller');
    const query = tracing.span(NAME);
    expect(tracing.exporter.spans.filter((s) => s.kind === SpanKind.CLIENT && s.name !== 'pg.connect')).toEqual([query]);
    expect(query.parentSpanId).toBe(caller.spanId);
    expect(query.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.query.text': SELECT,
      'db.operation.name': 'SELECT',
      'db.collection.name': TABLE,
      'db.response.returned_rows': 1,
      'server.port': Number(database().config.port ?? 5432),
    });
    const wait = tracing.span('pg-pool.connect');
    expect(wait.kind).toBe(SpanKind.INTERNAL);
    expect(wait.parentSpanId).toBe(query.spanId);
    expect(wait.attributes).toMatchObject({ 'pg.pool.total': 0, 'pg.pool.idle': 0, 'pg.pool.max': 1 });
    // A new connection was opened during the wait.
    expect(tracing.span('pg.connect').parentSpanId).toBe(wait.spanId);
  });

  it('reuses an idle connection with no connect span at all: only the query', async () => {
    await pool.query('SELECT 1');
    tracing.exporter.reset();
    await pool.query('SELECT 1');
    expect(tracing.exporter.spans.map((s) => s.name)).toEqual(['SELECT']);
  });

  it('runs the callback form in the caller context and returns undefined', async () => {
    const { returned, inCallback, caller } = await new Promise<{ returned: unknown; inCallback: unknown; caller: Span }>((resolve) => {
      trace.span('caller', (caller) => {
        const returned = pool.query(SELECT, [2], () => resolve({ returned, inCallback: activeSpan(), caller }));
      });
    });
    expect(returned).toBeUndefined();
    expect(spanIdOf(inCallback as Span)).toBe(spanIdOf(caller));
    await new Promise<void>((resolve) => pool.query('SELECT 1', () => resolve()));
    expect(tracing.spans('SELECT')).toHaveLength(1);
  });

  it('accepts a config object', async () => {
    const result = await pool.query({ text: SELECT, values: [2] });
    expect(result.rows).toEqual([{ name: 'book' }]);
    expect(tracing.span(NAME).attributes['db.response.returned_rows']).toBe(1);
  });

  it('rejects with the very error pg produced and marks the span', async () => {
    const errors: unknown[] = [];
    const original = pg.Query.prototype.handleError;
    pg.Query.prototype.handleError = function (this: pg.Query, error: Error, connection: unknown) {
      errors.push(error);
      return (original as unknown as (...args: unknown[]) => unknown).call(this, error, connection);
    } as typeof original;
    const caught = await pool.query(`SELECT nope FROM ${TABLE}`).catch((e: unknown) => e);
    pg.Query.prototype.handleError = original;
    expect(caught).toBe(errors[0]);
    const span = tracing.span(NAME);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('42703');
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
    // The connection went back to the pool and still works.
    expect((await pool.query('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
  });

  it('makes no span at all outside a span with requireParentSpan, and the usual ones inside', async () => {
    configurePg({ requireParentSpan: true });
    const inCallback = await new Promise((resolve) => pool.query('SELECT 1', () => resolve(activeSpan())));
    expect(inCallback).toBeUndefined();
    expect(tracing.exporter.spans).toHaveLength(0);
    await trace.span('caller', () => pool.query('SELECT 1'));
    expect(tracing.exporter.spans.map((s) => s.name).sort()).toEqual(['SELECT', 'caller']);
  });

  it('records a connection failure on both spans', async () => {
    const refused = new pg.Pool({ ...database().config, host: '127.0.0.1', port: 1 });
    const error = await refused.query('SELECT 1').catch((e: NodeJS.ErrnoException) => e);
    await refused.end();
    expect(error.code).toBe('ECONNREFUSED');
    expect(tracing.span('SELECT').status.code).toBe(SpanStatusCode.ERROR);
    expect(tracing.span('pg-pool.connect').status.code).toBe(SpanStatusCode.ERROR);
    expect(tracing.span('SELECT').attributes['server.port']).toBe(1);
  });
});

describe('Pool#connect', () => {
  it('makes a pg-pool.connect span and resolves with the client', async () => {
    const client = await trace.span('caller', () => pool.connect());
    expect(client).toBeInstanceOf(pg.Client);
    await trace.span('caller 2', () => client.query('SELECT 1'));
    client.release();
    const wait = tracing.span('pg-pool.connect');
    expect(wait.parentSpanId).toBe(tracing.span('caller').spanId);
    expect(wait.attributes).toMatchObject({ 'db.namespace': client.database, 'server.port': client.port });
    expect(tracing.span('SELECT').parentSpanId).toBe(tracing.span('caller 2').spanId);
  });

  it('runs the callback in the caller context with the client and release', async () => {
    const { args, inCallback, caller } = await new Promise<{ args: unknown[]; inCallback: unknown; caller: Span }>((resolve) => {
      trace.span('caller', (caller) => {
        pool.connect((...args: unknown[]) => resolve({ args, inCallback: activeSpan(), caller }));
      });
    });
    const [error, client, release] = args as [Error | undefined, pg.PoolClient, () => void];
    expect(error).toBeUndefined();
    expect(client).toBeInstanceOf(pg.Client);
    expect(typeof release).toBe('function');
    expect(spanIdOf(inCallback as Span)).toBe(spanIdOf(caller));
    release();
  });

  it('shows pool exhaustion as a long wait: two concurrent queries on a pool of one', async () => {
    await pool.query('SELECT 1'); // warm: the connection exists
    tracing.exporter.reset();
    await trace.span('caller', () => Promise.all([pool.query('SELECT pg_sleep(0.2)'), pool.query(SELECT, [1])]));
    const slow = tracing.span('SELECT');
    const queued = tracing.span(NAME);
    const waitOf = (query: ReadableSpan): ReadableSpan | undefined => tracing.childrenOf(query).find((s) => s.name === 'pg-pool.connect');
    // The first got the idle connection at once (no wait span); the second waited for it.
    expect(waitOf(slow)).toBeUndefined();
    expect(durationOf(waitOf(queued)!)).toBeGreaterThanOrEqual(150);
    // As it started waiting, the first query was already queued for the only connection.
    expect(waitOf(queued)!.attributes).toMatchObject({ 'pg.pool.total': 1, 'pg.pool.waiting': 1, 'pg.pool.max': 1 });
    expect(queued.parentSpanId).toBe(tracing.span('caller').spanId);
  });

  it('shows a caller waiting while another holds the only connection', async () => {
    const held = await pool.connect();
    tracing.exporter.reset();
    const waiting = pool.query('SELECT 1');
    await sleep(150);
    held.release();
    await waiting;
    expect(durationOf(tracing.span('pg-pool.connect'))).toBeGreaterThanOrEqual(140);
  });
});

describe('callbacks of queued pool queries', () => {
  it('run in the context of the span that issued them', async () => {
    await new Promise<void>((resolve) => {
      trace.span('A', () => pool.query('SELECT pg_sleep(0.05)', () => trace.startSpan('in A').end()));
      trace.span('B', () => pool.query('SELECT 1', () => trace.startSpan('in B').end()));
      trace.span('C', () =>
        pool.connect((error, client, release) => {
          trace.startSpan('in C').end();
          client!.query('SELECT 2', () => {
            trace.startSpan('in C query').end();
            release();
            resolve();
          });
        }),
      );
    });
    for (const name of ['A', 'B', 'C']) expect(tracing.span(`in ${name}`).parentSpanId).toBe(tracing.span(name).spanId);
    expect(tracing.span('in C query').parentSpanId).toBe(tracing.span('C').spanId);
    // Each query span sits in its own trace.
    const c = tracing.span('C');
    expect(tracing.childrenOf(c).map((s) => s.name).sort()).toEqual(['SELECT', 'in C', 'in C query', 'pg-pool.connect']);
  });
});
