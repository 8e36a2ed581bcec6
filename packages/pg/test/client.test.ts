// Client#query and Client#connect against a real PostgreSQL (see helpers/database.ts).
import {
  activeSpan,
  alwaysOff,
  currentSdk,
  originalOf,
  ReadableSpan,
  SpanKind,
  SpanStatusCode,
  start,
  suppressTracing,
  trace,
} from '@tracewire/core';
import pg = require('pg');
import { configurePg, instrumentPg, pgInstrumentation, uninstrumentPg } from '../src';
import { usePg, useTracing } from './helpers/tracing';

/** query() with whatever arguments a form needs, without the overloads in the way. */
type AnyQuery = (...args: unknown[]) => unknown;

const database = usePg();
const tracing = useTracing();
let client: pg.Client;
let query: AnyQuery;

beforeEach(async () => {
  client = new pg.Client(database().config);
  await client.connect();
  // The embedded server (PGlite) has one session for all connections, so a temp table may already be there.
  await client.query('CREATE TEMP TABLE IF NOT EXISTS products (id int PRIMARY KEY, name text)');
  await client.query('DELETE FROM products');
  await client.query("INSERT INTO products VALUES (1, 'pen'), (2, 'book'), (3, 'lamp')");
  query = client.query.bind(client) as AnyQuery;
  tracing.exporter.reset();
});

afterEach(async () => {
  await client.end();
});

function connection(): Record<string, unknown> {
  return { 'db.namespace': client.database, 'server.address': client.host, 'server.port': client.port };
}

/** Errors as pg produced them, seen before any wrapper of ours could touch them. */
function captureDatabaseErrors(): { errors: unknown[]; restore(): void } {
  const errors: unknown[] = [];
  const original = pg.Query.prototype.handleError;
  pg.Query.prototype.handleError = function (this: pg.Query, error: Error, connection: unknown) {
    errors.push(error);
    return (original as unknown as AnyQuery).call(this, error, connection);
  } as typeof original;
  return { errors, restore: () => void (pg.Query.prototype.handleError = original) };
}

const TEXT = 'SELECT name FROM products WHERE id <= $1 ORDER BY id';
const PLAIN = 'SELECT name FROM products WHERE id <= 2 ORDER BY id';

describe('Client#query: every call form', () => {
  type Outcome = { returned: unknown; result: Promise<pg.QueryResult> };
  const viaCallback = (call: (callback: (error: Error | null, result: pg.QueryResult) => void) => unknown): Outcome => {
    let returned: unknown;
    const result = new Promise<pg.QueryResult>((resolve, reject) => {
      returned = call((error, out) => (error ? reject(error) : resolve(out)));
    });
    return { returned, result };
  };
  const viaPromise = (returned: unknown): Outcome => ({ returned, result: returned as Promise<pg.QueryResult> });

  const forms: Array<[string, boolean, () => Outcome]> = [
    ['(text)', true, () => viaPromise(query(PLAIN))],
    ['(text, values)', true, () => viaPromise(query(TEXT, [2]))],
    ['(text, callback)', false, () => viaCallback((cb) => query(PLAIN, cb))],
    ['(text, values, callback)', false, () => viaCallback((cb) => query(TEXT, [2], cb))],
    ['(config)', true, () => viaPromise(query({ text: TEXT, values: [2] }))],
    ['(config, values)', true, () => viaPromise(query({ text: TEXT }, [2]))],
    ['(config, callback)', false, () => viaCallback((cb) => query({ text: TEXT, values: [2] }, cb))],
    ['(config with a callback property)', false, () => viaCallback((callback) => query({ text: TEXT, values: [2], callback }))],
    ['(named prepared statement)', true, () => viaPromise(query({ name: 'tw-products', text: TEXT, values: [2] }))],
  ];

  it.each(forms)('%s returns what pg returns and makes one CLIENT span', async (_, isPromise, call) => {
    const { returned, result } = trace.span('caller', call);
    if (isPromise) expect(returned).toBeInstanceOf(Promise);
    else expect(returned).toBeUndefined();
    expect((await result).rows).toEqual([{ name: 'pen' }, { name: 'book' }]);

    const caller = tracing.span('caller');
    const span = tracing.span('SELECT products');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.parentSpanId).toBe(caller.spanId);
    expect(span.traceId).toBe(caller.traceId);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.scope.name).toBe('@tracewire/pg');
    expect(span.attributes).toEqual({
      'db.system.name': 'postgresql',
      'db.query.text': expect.stringMatching(/^SELECT name FROM products WHERE id <= (\$1|\?) ORDER BY id$/),
      'db.query.summary': 'SELECT products',
      'db.operation.name': 'SELECT',
      'db.collection.name': 'products',
      'db.response.returned_rows': 2,
      ...connection(),
    });
    expect(tracing.exporter.spans).toHaveLength(2);
  });

  it('keeps array rowMode and multi-statement results as pg gives them', async () => {
    const rows = await query({ text: TEXT, values: [1], rowMode: 'array' }) as pg.QueryResult;
    expect(rows.rows).toEqual([['pen']]);
    const results = await query('SELECT 1 AS a; SELECT * FROM products; UPDATE products SET name = name') as pg.QueryResult[];
    expect(results).toHaveLength(3);
    const span = tracing.span('SELECT SELECT products UPDATE products');
    expect(span.attributes['db.response.returned_rows']).toBe(4);
    expect(span.attributes['db.operation.name']).toBeUndefined();
  });

  it('uses the Promise constructor the client was given, as pg does', async () => {
    class TaggedPromise<T> extends Promise<T> {}
    const other = new pg.Client({ ...database().config, Promise: TaggedPromise } as pg.ClientConfig);
    const connecting = other.connect();
    expect(connecting).toBeInstanceOf(TaggedPromise);
    await connecting;
    const returned = other.query('SELECT 1 AS n');
    expect(returned).toBeInstanceOf(TaggedPromise);
    expect((await returned).rows).toEqual([{ n: 1 }]);
    await other.end();
  });

  it('records a query made without any active span as a root span', async () => {
    await client.query('SELECT 1');
    expect(tracing.span('SELECT').parentSpanId).toBeUndefined();
  });
});

describe('Client#query: errors', () => {
  it('marks the span with the SQLSTATE and rejects with the very error pg produced', async () => {
    const seen = captureDatabaseErrors();
    let caught: unknown;
    try {
      await client.query('SELEC 1');
    } catch (error) {
      caught = error;
    } finally {
      seen.restore();
    }
    expect(caught).toBeInstanceOf(pg.DatabaseError);
    expect(seen.errors).toHaveLength(1);
    expect(caught).toBe(seen.errors[0]);

    const span = tracing.span(client.database!); // no summary: named after the database
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: (caught as Error).message });
    expect(span.attributes['error.type']).toBe('42601');
    expect(span.attributes['db.response.status_code']).toBe('42601');
    expect(span.attributes['db.query.text']).toBe('SELEC ?');
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
    expect(span.events[0].attributes?.['exception.message']).toBe((caught as Error).message);
  });

  it('hands the callback the very error pg produced', async () => {
    const seen = captureDatabaseErrors();
    const caught = await new Promise((resolve) => query('SELECT 1/0 FROM products', (error: unknown) => resolve(error)));
    seen.restore();
    expect(caught).toBe(seen.errors[0]);
    expect(tracing.span('SELECT products').attributes['error.type']).toBe('22012');
  });

  it('lets pg throw for a missing query, making no span', () => {
    expect(() => query(null)).toThrow(TypeError);
    expect(tracing.exporter.spans).toHaveLength(0);
  });

  it('records a query on a client that cannot run it', async () => {
    await client.end();
    await expect(client.query('SELECT 1')).rejects.toThrow(/not queryable/);
    const span = tracing.span('SELECT');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('Error');
    client = new pg.Client(database().config);
    await client.connect();
  });
});

describe('Client#query: context', () => {
  it('runs callbacks in the caller context, even for a query queued behind another', async () => {
    await new Promise<void>((resolve) => {
      trace.span('first', () => {
        query('SELECT pg_sleep(0.05)', () => trace.startSpan('after first').end());
      });
      trace.span('second', () => {
        query('SELECT 1', () => {
          trace.startSpan('after second').end();
          resolve();
        });
      });
    });
    const first = tracing.span('first');
    const second = tracing.span('second');
    expect(tracing.span('after first').parentSpanId).toBe(first.spanId);
    expect(tracing.span('after second').parentSpanId).toBe(second.spanId);
    expect(tracing.span('after second').traceId).toBe(second.traceId);
    const queries = tracing.spans('SELECT');
    expect(queries.map((q) => q.parentSpanId).sort()).toEqual([first.spanId, second.spanId].sort());
  });

  it('restores the caller context after await and in then()', async () => {
    await trace.span('outer', async () => {
      await client.query('SELECT 1');
      trace.startSpan('after await').end();
      await client.query('SELECT 2').then(() => trace.startSpan('in then').end());
    });
    const outer = tracing.span('outer');
    expect(tracing.span('after await').parentSpanId).toBe(outer.spanId);
    expect(tracing.span('in then').parentSpanId).toBe(outer.spanId);
  });

  it('makes no span where tracing is suppressed', async () => {
    const result = await suppressTracing(() => client.query('SELECT 1 AS n'));
    expect(result.rows).toEqual([{ n: 1 }]);
    expect(tracing.exporter.spans).toHaveLength(0);
  });

  it('makes no span when not sampled, and still runs callbacks in the caller context', async () => {
    await currentSdk()!.shutdown();
    start({ exporter: tracing.exporter, processor: 'simple', flushOnExit: false, sampler: alwaysOff });
    const inCallback = await new Promise((resolve) => {
      trace.span('unsampled', (span) => query('SELECT 1', () => resolve(activeSpan() === span)));
    });
    expect(inCallback).toBe(true);
    expect(tracing.exporter.spans).toHaveLength(0);
  });
});

describe('Client#query: options', () => {
  it('records no literal and no parameter by default', async () => {
    await client.query("SELECT name FROM products WHERE name = 'pen' AND id = $1", [1]);
    const span = tracing.span('SELECT products');
    expect(span.attributes['db.query.text']).toBe('SELECT name FROM products WHERE name = ? AND id = $1');
    expect(Object.keys(span.attributes).filter((k) => k.startsWith('db.query.parameter.'))).toEqual([]);
  });

  it('keeps the raw text with enhancedDatabaseReporting and records parameters with captureParameters', async () => {
    configurePg({ enhancedDatabaseReporting: true, captureParameters: true });
    await client.query("SELECT name FROM products WHERE name = 'pen' AND id = $1", [1]);
    const span = tracing.span('SELECT products');
    expect(span.attributes['db.query.text']).toBe("SELECT name FROM products WHERE name = 'pen' AND id = $1");
    expect(span.attributes['db.query.parameter.0']).toBe('1');
  });

  it('makes spans only under a parent with requireParentSpan', async () => {
    configurePg({ requireParentSpan: true });
    const rootCallbackSpan = await new Promise((resolve) => query('SELECT 1', () => resolve(activeSpan())));
    expect(rootCallbackSpan).toBeUndefined();
    expect(tracing.exporter.spans).toHaveLength(0);
    await trace.span('parent', () => client.query('SELECT 1'));
    expect(tracing.span('SELECT').parentSpanId).toBe(tracing.span('parent').spanId);
  });
});

describe('Client#connect', () => {
  it('makes a pg.connect span for the promise form, resolving with the client', async () => {
    const other = new pg.Client(database().config);
    const resolved = await trace.span('caller', () => other.connect());
    expect(resolved).toBe(other);
    await other.end();
    const span = tracing.span('pg.connect');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.parentSpanId).toBe(tracing.span('caller').spanId);
    expect(span.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.namespace': other.database, 'server.port': other.port });
  });

  it('runs the callback in the caller context and hands on a failure unchanged', async () => {
    const refused = new pg.Client({ ...database().config, host: '127.0.0.1', port: 1 });
    const { error, span } = await new Promise<{ error: unknown; span: unknown }>((resolve) => {
      trace.span('caller', () => {
        const returned = refused.connect((e) => resolve({ error: e, span: activeSpan() }));
        expect(returned).toBeUndefined();
      });
    });
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect((span as { spanContext(): { spanId: string } }).spanContext().spanId).toBe(tracing.span('caller').spanId);
    const connect = tracing.span('pg.connect');
    expect(connect.status.code).toBe(SpanStatusCode.ERROR);
    expect(connect.attributes['server.port']).toBe(1);
  });
});

describe('instrumentation', () => {
  const methods = (): unknown[] => [pg.Client.prototype.query, pg.Client.prototype.connect, Object.getPrototypeOf(pg.Pool).prototype.query, Object.getPrototypeOf(pg.Pool).prototype.connect];

  it('is idempotent: patching twice still makes one span per query', async () => {
    const before = methods();
    instrumentPg(pg);
    pgInstrumentation.modules[0].patch(pg, '8.0.0');
    expect(methods()).toEqual(before);
    await client.query('SELECT 1');
    expect(tracing.exporter.spans.map((s: ReadableSpan) => s.name)).toEqual(['SELECT']);
  });

  it('restores the original methods when unpatched, and patches again', async () => {
    const wrapped = methods();
    uninstrumentPg(pg);
    const originals = methods();
    expect(originals.every((m, i) => m !== wrapped[i])).toBe(true);
    expect(originalOf(pg.Client.prototype.query)).toBeUndefined();
    await client.query('SELECT 1');
    expect(tracing.exporter.spans).toHaveLength(0);

    const [pgPatch, poolPatch] = pgInstrumentation.modules;
    pgPatch.patch(pg, '8.0.0');
    poolPatch.patch(Object.getPrototypeOf(pg.Pool), '3.0.0');
    expect(pg.Client.prototype.query).not.toBe(originals[0]);
    pgPatch.unpatch(pg);
    poolPatch.unpatch(Object.getPrototypeOf(pg.Pool));
    expect(methods()).toEqual(originals);

    instrumentPg(pg);
    await client.query('SELECT 1');
    expect(tracing.exporter.spans).toHaveLength(1);
  });

  it('steps aside when its own work fails, and the query runs as the app asked', async () => {
    const warn = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let reads = 0;
    // A config whose text throws on the first read (ours) and not later (pg's).
    const config = Object.defineProperty({ values: [1] }, 'text', {
      enumerable: true,
      get: () => {
        if (reads++ === 0) throw new Error('odd config');
        return 'SELECT name FROM products WHERE id = $1';
      },
    });
    let written = '';
    try {
      const result = (await query(config)) as pg.QueryResult;
      expect(result.rows).toEqual([{ name: 'pen' }]);
      written = warn.mock.calls.map((c) => String(c[0])).join('');
    } finally {
      warn.mockRestore();
    }
    expect(tracing.exporter.spans).toHaveLength(0);
    expect(written).toContain('@tracewire/pg: tracing a query failed (odd config); the call runs untraced.');
  });
});
