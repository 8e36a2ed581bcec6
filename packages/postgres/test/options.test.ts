// configurePostgres: @tracewire/pg's options (PgOptions: the same names,
// defaults and meaning) for postgres.js queries, against a real PostgreSQL.
import { ReadableSpan, trace } from '@tracewire/core';
import postgres = require('postgres');
import { configurePg } from '@tracewire/pg';
import { useTracing } from '../../pg/test/helpers/tracing';
import { configurePostgres, PostgresOptions } from '../src';
import { TABLE, usePostgresJs } from './helpers';

const database = usePostgresJs();
const tracing = useTracing();
const SELECT = `SELECT ${TABLE}`;
const QUERY_TEXT = `SELECT name FROM ${TABLE} WHERE id = $1 AND name <> 'secret'`;

async function runQuery(): Promise<void> {
  const rows = await database().unsafe(QUERY_TEXT, [2]);
  expect(rows[0].name).toBe('book');
}

describe('defaults', () => {
  it('sanitized text, no parameters, a span outside any span', async () => {
    await runQuery();
    const span = tracing.span(SELECT);
    expect(span.attributes['db.query.text']).toBe(`SELECT name FROM ${TABLE} WHERE id = $1 AND name <> ?`);
    expect(Object.keys(span.attributes).filter((k) => k.startsWith('db.query.parameter.'))).toEqual([]);
    expect(span.parentSpanId).toBeUndefined();
  });

  it('configurePostgres() and configurePostgres({}) restore them', async () => {
    configurePostgres({ enhancedDatabaseReporting: true, captureParameters: true, requireParentSpan: true });
    configurePostgres();
    await runQuery();
    expect(tracing.span(SELECT).attributes['db.query.text']).toContain('?');
  });
});

describe('enhancedDatabaseReporting', () => {
  it('records the text as sent, literals included (values are still not in it)', async () => {
    configurePostgres({ enhancedDatabaseReporting: true });
    await database()`SELECT name FROM tw_pgjs_products WHERE id = ${2} AND name <> 'secret'`;
    const span = tracing.span(SELECT);
    expect(span.attributes).toMatchObject({ 'db.query.text': QUERY_TEXT, 'db.operation.name': 'SELECT', 'db.collection.name': TABLE });
    expect(JSON.stringify(span.attributes)).not.toContain('book');
  });
});

describe('captureParameters', () => {
  it('records each value as db.query.parameter.<n>, from tagged templates and unsafe alike', async () => {
    configurePostgres({ captureParameters: true });
    await database()`SELECT name FROM tw_pgjs_products WHERE id = ${2} AND name <> ${'secret'}`;
    await database().unsafe(`UPDATE ${TABLE} SET name = $1 WHERE id = $2`, ['book', 2]);
    expect(tracing.span(SELECT).attributes).toMatchObject({ 'db.query.parameter.0': '2', 'db.query.parameter.1': 'secret' });
    expect(tracing.span(`UPDATE ${TABLE}`).attributes).toMatchObject({ 'db.query.parameter.0': 'book', 'db.query.parameter.1': '2' });
  });

  it('values given through helpers (sql(object), sql(list)) are recorded in the order sent', async () => {
    configurePostgres({ captureParameters: true });
    const sql = database();
    await sql.begin(async (tx) => {
      await tx`INSERT INTO tw_pgjs_products ${tx({ id: 20, name: 'cup' })}`;
      await tx`DELETE FROM tw_pgjs_products WHERE id IN ${tx([20, 21])}`;
    });
    expect(tracing.span(`INSERT ${TABLE}`).attributes).toMatchObject({ 'db.query.parameter.0': '20', 'db.query.parameter.1': 'cup' });
    expect(tracing.span(`DELETE ${TABLE}`).attributes).toMatchObject({ 'db.query.parameter.0': '20', 'db.query.parameter.1': '21' });
  });

  it('the query text still carries no values', async () => {
    configurePostgres({ captureParameters: true });
    await runQuery();
    expect(tracing.span(SELECT).attributes['db.query.text']).not.toContain('secret');
  });
});

describe('captureErrorValues', () => {
  const SECRET = 'hunter2';
  const RAW = `invalid input syntax for type integer: "${SECRET}"`;

  /** What the span says about its error: status message, exception message and stack. */
  function errorText(span: ReadableSpan): string[] {
    const event = span.events.find((e) => e.name === 'exception');
    return [span.status.message, event?.attributes?.['exception.message'], event?.attributes?.['exception.stacktrace']].map(String);
  }

  /** Runs a parameterized query PostgreSQL refuses, quoting its value back; the error the app caught, and the one postgres.js made. */
  async function failingQuery(): Promise<{ caught: unknown; made: unknown[] }> {
    // PostgresError's constructor sets `name`: a setter on the prototype sees each error as it is made.
    const made: unknown[] = [];
    const proto = postgres.PostgresError.prototype;
    Object.defineProperty(proto, 'name', {
      configurable: true,
      set(this: object, name: unknown) {
        made.push(this);
        Object.defineProperty(this, 'name', { value: name, writable: true, enumerable: true, configurable: true });
      },
    });
    try {
      await database()`SELECT ${SECRET}::int AS n`;
    } catch (caught) {
      return { caught, made };
    } finally {
      delete (proto as { name?: unknown }).name;
    }
    throw new Error('expected the query to fail');
  }

  it('off by default: no value in status.message, exception.message or exception.stacktrace; the app gets the error untouched', async () => {
    const { caught, made } = await failingQuery();
    const span = tracing.span('SELECT');
    expect(span.attributes).toMatchObject({ 'error.type': '22P02', 'db.response.status_code': '22P02' });
    const [status, message, stack] = errorText(span);
    expect([status, message]).toEqual(Array(2).fill('invalid input syntax for type integer: "?"'));
    expect(stack).toMatch(/^PostgresError: invalid input syntax for type integer: "\?"\n {4}at /);
    expect(JSON.stringify(span)).not.toContain(SECRET);
    expect(made).toHaveLength(1);
    expect(caught).toBe(made[0]);
    expect((caught as Error).message).toBe(RAW);
    expect((caught as Error).stack?.split('\n')[0]).toBe(`PostgresError: ${RAW}`);
  });

  it('on: the text as the server sent it', async () => {
    configurePostgres({ captureErrorValues: true });
    const { caught } = await failingQuery();
    const [status, message, stack] = errorText(tracing.span('SELECT'));
    expect([status, message]).toEqual([RAW, RAW]);
    expect(stack).toBe((caught as Error).stack);
  });

  it('masks RAISE EXCEPTION text whole', async () => {
    await expect(database().unsafe(`DO $$ BEGIN RAISE EXCEPTION 'card % declined', '${SECRET}'; END $$`)).rejects.toThrow(`card ${SECRET} declined`);
    const span = tracing.span('DO');
    expect(errorText(span).slice(0, 2)).toEqual(['?', '?']);
    expect(span.attributes['error.type']).toBe('P0001');
    expect(JSON.stringify(span)).not.toContain(SECRET);
  });
});

describe('requireParentSpan', () => {
  it('no span for a query written outside any span; one for a query written inside one', async () => {
    configurePostgres({ requireParentSpan: true });
    await runQuery();
    expect(tracing.exporter.spans).toHaveLength(0);
    await trace.span('parent', runQuery);
    expect(tracing.span(SELECT).parentSpanId).toBe(tracing.span('parent').spanId);
  });

  it('is decided where the query is written, not where it runs', async () => {
    configurePostgres({ requireParentSpan: true });
    const outside = database()`SELECT name FROM tw_pgjs_products WHERE id = ${1}`;
    await trace.span('parent', async () => {
      await outside;
    });
    expect(tracing.exporter.spans.map((s) => s.name)).toEqual(['parent']);
  });
});

describe('each driver keeps its own options', () => {
  it('configurePg does not change postgres.js spans, and configurePostgres takes PgOptions', async () => {
    configurePg({ enhancedDatabaseReporting: true, captureParameters: true, requireParentSpan: true });
    await runQuery();
    const span = tracing.span(SELECT);
    expect(span.attributes['db.query.text']).toContain('?');
    expect(span.attributes).not.toHaveProperty('db.query.parameter.0');
    const same: PostgresOptions = { enhancedDatabaseReporting: true } satisfies Parameters<typeof configurePg>[0];
    configurePostgres(same);
  });
});
