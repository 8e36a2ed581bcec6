// configurePostgres: @tracewire/pg's options (PgOptions: the same names,
// defaults and meaning) for postgres.js queries, against a real PostgreSQL.
import { trace } from '@tracewire/core';
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
