// postgres.js queries against a real PostgreSQL (see ../../pg/test/helpers/database.ts):
// every call form, errors, transactions, laziness.
import { activeSpan, currentSdk, ReadableSpan, SpanKind, SpanStatusCode, start, suppressTracing, trace } from '@tracewire/core';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import postgres = require('postgres');
import { useTracing } from '../../pg/test/helpers/tracing';
import { instrumentPostgres, uninstrumentPostgres } from '../src';
import { expectedConnection, TABLE, usePostgresJs } from './helpers';

const database = usePostgresJs();
const tracing = useTracing();
const sql = (): ReturnType<typeof database> => database();
const SELECT = `SELECT ${TABLE}`;

const sleep = (millis: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, millis));

/** Runs `fn` in a fresh INTERNAL span named `name`; the span's record once it ended. */
async function inSpan<T>(name: string, fn: () => Promise<T>): Promise<{ value: T; parent: () => ReadableSpan }> {
  const value = await trace.span(name, fn);
  return { value, parent: () => tracing.span(name) };
}

/** A CLIENT span under `parent`, with the database conventions and where the query went. */
function expectQuerySpan(span: ReadableSpan, parent: ReadableSpan): void {
  expect(span.kind).toBe(SpanKind.CLIENT);
  expect(span.traceId).toBe(parent.traceId);
  expect(span.parentSpanId).toBe(parent.spanId);
  expect(span.attributes['db.system.name']).toBe('postgresql');
  expect(span.attributes).toMatchObject(expectedConnection(database.database()));
}

describe('tagged templates', () => {
  it('make one CLIENT span with the template text, $n placeholders and no values', async () => {
    const { value: rows, parent } = await inSpan('parent', () => sql()`SELECT name FROM tw_pgjs_products WHERE id = ${2}`);
    expect([...rows]).toEqual([{ name: 'book' }]);
    const span = tracing.span(SELECT);
    expectQuerySpan(span, parent());
    expect(span.attributes).toMatchObject({
      ...expectedConnection(database.database()),
      'db.query.text': `SELECT name FROM ${TABLE} WHERE id = $1`,
      'db.query.summary': SELECT,
      'db.operation.name': 'SELECT',
      'db.collection.name': TABLE,
      'db.response.returned_rows': 1,
    });
    expect(JSON.stringify(span.attributes)).not.toContain('book');
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('are children of the span active where the query was written, not where it is awaited', async () => {
    let query!: postgres.PendingQuery<postgres.Row[]>;
    await trace.span('writer', async () => {
      query = sql()`SELECT name FROM tw_pgjs_products WHERE id = ${1}`;
    });
    const rows = await trace.span('awaiter', async () => query);
    expect(rows[0].name).toBe('pen');
    expect(tracing.span(SELECT).parentSpanId).toBe(tracing.span('writer').spanId);
  });

  it('end before the caller sees the result', async () => {
    await sql()`SELECT name FROM tw_pgjs_products WHERE id = ${1}`;
    expect(tracing.spans(SELECT)).toHaveLength(1);
  });

  it('count one query for a template with fragments and identifiers', async () => {
    const where = sql()`WHERE id >= ${2}`;
    const rows = await sql()`SELECT name FROM ${sql()(TABLE)} ${where} ORDER BY id`;
    expect(rows.map((r) => r.name)).toEqual(['book', 'lamp']);
    const span = tracing.span(`SELECT "${TABLE}"`);
    expect(span.attributes['db.query.text']).toBe(`SELECT name FROM "${TABLE}" WHERE id >= $1 ORDER BY id`);
    expect(tracing.exporter.spans).toHaveLength(1);
  });
});

describe('sql.unsafe', () => {
  it('records the text with its literals replaced and no parameter values', async () => {
    const rows = await sql().unsafe(`SELECT name FROM ${TABLE} WHERE id = $1 AND name <> 'secret'`, [3]);
    expect(rows[0].name).toBe('lamp');
    expect(tracing.span(SELECT).attributes['db.query.text']).toBe(`SELECT name FROM ${TABLE} WHERE id = $1 AND name <> ?`);
  });

  it('without parameters (simple protocol)', async () => {
    await sql().unsafe(`UPDATE ${TABLE} SET name = 'pen' WHERE id = 1`);
    const span = tracing.span(`UPDATE ${TABLE}`);
    expect(span.attributes).toMatchObject({ 'db.operation.name': 'UPDATE', 'db.query.text': `UPDATE ${TABLE} SET name = ? WHERE id = ?`, 'db.response.returned_rows': 0 });
  });
});

describe('sql.file', () => {
  it('records the text read from the file', async () => {
    const file = path.join(os.tmpdir(), `tw-pgjs-${process.pid}.sql`);
    fs.writeFileSync(file, `SELECT name FROM ${TABLE} WHERE id = $1`);
    try {
      expect((await sql().file(file, [2]))[0].name).toBe('book');
    } finally {
      fs.unlinkSync(file);
    }
    expect(tracing.span(SELECT).attributes['db.query.text']).toBe(`SELECT name FROM ${TABLE} WHERE id = $1`);
  });
});

describe('errors', () => {
  it('record the SQLSTATE as error.type and reach the caller unchanged', async () => {
    let caught: unknown;
    try {
      await sql()`SELECT * FROM tw_pgjs_missing WHERE id = ${1}`;
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(postgres.PostgresError);
    expect((caught as { code: string }).code).toBe('42P01');
    const span = tracing.span('SELECT tw_pgjs_missing');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject(expectedConnection(database.database()));
    expect(span.attributes).toMatchObject({ 'error.type': '42P01', 'db.response.status_code': '42P01' });
    expect(span.events.map((e) => e.name)).toContain('exception');
  });

  it('records a syntax error too', async () => {
    await expect(sql().unsafe('SELEC 1')).rejects.toMatchObject({ code: '42601' });
    expect(tracing.exporter.spans).toHaveLength(1);
    expect(tracing.exporter.spans[0].attributes['error.type']).toBe('42601');
  });
});

describe('laziness', () => {
  it('a query written and never run makes no span (and sends nothing)', async () => {
    sql()`DELETE FROM tw_pgjs_products`;
    await sleep(50);
    expect(tracing.exporter.spans).toHaveLength(0);
    expect((await sql()`SELECT count(*)::int AS n FROM tw_pgjs_products`)[0].n).toBe(3);
  });

  it('.execute() runs it: one span', async () => {
    const query = sql()`SELECT 1 AS one FROM tw_pgjs_products LIMIT 1`.execute();
    await sleep(10);
    await query;
    await query;
    expect(tracing.spans(SELECT)).toHaveLength(1);
  });
});

describe('transactions', () => {
  it('sql.begin with three statements: three spans under the caller, between BEGIN and COMMIT', async () => {
    const { value, parent } = await inSpan('checkout', () =>
      sql().begin(async (tx) => {
        await tx`INSERT INTO tw_pgjs_products VALUES (${10}, ${'cup'})`;
        await tx`UPDATE tw_pgjs_products SET name = ${'mug'} WHERE id = ${10}`;
        const [row] = await tx`DELETE FROM tw_pgjs_products WHERE id = ${10} RETURNING name`;
        return row.name as string;
      }),
    );
    expect(value).toBe('mug');
    const statements = [`INSERT ${TABLE}`, `UPDATE ${TABLE}`, `DELETE ${TABLE}`].map((name) => tracing.span(name));
    for (const span of statements) expectQuerySpan(span, parent());
    expect(tracing.childrenOf(parent()).map((s) => s.name)).toEqual(['BEGIN', `INSERT ${TABLE}`, `UPDATE ${TABLE}`, `DELETE ${TABLE}`, 'COMMIT']);
    // The transaction's connection is the instance's: BEGIN and COMMIT say where they went too.
    for (const span of tracing.childrenOf(parent())) expect(span.attributes).toMatchObject(expectedConnection(database.database()));
    expect(statements[2].attributes['db.response.returned_rows']).toBe(1);
  });

  it('a failed statement: its error span, then ROLLBACK, and the error reaches the caller', async () => {
    await expect(
      trace.span('failing', () =>
        sql().begin(async (tx) => {
          await tx`INSERT INTO tw_pgjs_products VALUES (${1}, ${'duplicate'})`;
        }),
      ),
    ).rejects.toMatchObject({ code: '23505' });
    const parent = tracing.span('failing');
    expect(tracing.childrenOf(parent).map((s) => s.name)).toEqual(['BEGIN', `INSERT ${TABLE}`, 'ROLLBACK']);
    expect(tracing.span(`INSERT ${TABLE}`).attributes['error.type']).toBe('23505');
  });
});

describe('sql.reserve', () => {
  it('queries on a reserved connection: one span each, under the caller, saying where they went', async () => {
    const { parent } = await inSpan('parent', async () => {
      const reserved = await sql().reserve();
      try {
        await reserved`SELECT name FROM tw_pgjs_products WHERE id = ${1}`;
        await reserved.unsafe(`SELECT name FROM ${TABLE} WHERE id = 2`);
      } finally {
        reserved.release();
      }
    });
    const spans = tracing.spans(SELECT);
    expect(spans).toHaveLength(2);
    for (const span of spans) expectQuerySpan(span, parent());
  });
});

describe('cursors and forEach', () => {
  it('.cursor() iteration: one span, ended when iteration ends', async () => {
    const names: string[] = [];
    await trace.span('parent', async () => {
      for await (const rows of sql()`SELECT name FROM tw_pgjs_products ORDER BY id`.cursor(2)) {
        expect(tracing.spans(SELECT)).toHaveLength(0);
        names.push(...rows.map((r) => r.name as string));
      }
    });
    expect(names).toEqual(['pen', 'book', 'lamp']);
    expectQuerySpan(tracing.span(SELECT), tracing.span('parent'));
  });

  it('.cursor() left early ends the span', async () => {
    for await (const rows of sql()`SELECT name FROM tw_pgjs_products ORDER BY id`.cursor()) {
      expect(rows[0].name).toBe('pen');
      break;
    }
    expect(tracing.spans(SELECT)).toHaveLength(1);
  });

  it('.cursor(rows, fn) runs the callback in the caller\'s context', async () => {
    const seen: Array<string | undefined> = [];
    await trace.span('parent', async () => {
      const parentId = activeSpan()?.spanContext().spanId;
      await sql()`SELECT name FROM tw_pgjs_products ORDER BY id`.cursor(1, () => {
        seen.push(activeSpan()?.spanContext().spanId === parentId ? 'parent' : 'other');
      });
    });
    expect(seen).toEqual(['parent', 'parent', 'parent']);
    expectQuerySpan(tracing.span(SELECT), tracing.span('parent'));
  });

  it('.forEach(): one span; rows reach the callback in the caller\'s context', async () => {
    const names: string[] = [];
    let inParent = true;
    await trace.span('parent', async () => {
      const parentId = activeSpan()?.spanContext().spanId;
      await sql()`SELECT name FROM tw_pgjs_products ORDER BY id`.forEach((row) => {
        names.push(row.name as string);
        inParent &&= activeSpan()?.spanContext().spanId === parentId;
      });
    });
    expect(names).toEqual(['pen', 'book', 'lamp']);
    expect(inParent).toBe(true);
    expectQuerySpan(tracing.span(SELECT), tracing.span('parent'));
  });
});

describe('pipelining', () => {
  it('queries sent together: one span each, all under the caller', async () => {
    const { value, parent } = await inSpan('parent', () =>
      Promise.all([1, 2, 3].map((id) => sql()`SELECT name FROM tw_pgjs_products WHERE id = ${id}`)),
    );
    expect(value.map((rows) => rows[0].name)).toEqual(['pen', 'book', 'lamp']);
    const spans = tracing.spans(SELECT);
    expect(spans).toHaveLength(3);
    for (const span of spans) expectQuerySpan(span, parent());
  });

  it('an array returned from sql.begin (pipelined in the transaction)', async () => {
    const results = await sql().begin((tx) => [tx`SELECT 1 AS a FROM tw_pgjs_products LIMIT 1`, tx`SELECT 2 AS b FROM tw_pgjs_products LIMIT 1`]);
    expect(results).toHaveLength(2);
    expect(tracing.spans(SELECT)).toHaveLength(2);
  });
});

describe('switching off', () => {
  it('makes no span when tracing is disabled', async () => {
    await currentSdk()!.shutdown();
    start({ exporter: tracing.exporter, processor: 'simple', flushOnExit: false, env: { OTEL_SDK_DISABLED: 'true' } });
    expect((await sql()`SELECT name FROM tw_pgjs_products WHERE id = ${1}`)[0].name).toBe('pen');
    expect(tracing.exporter.spans).toHaveLength(0);
  });

  it('makes no span for tracewire\'s own queries (suppressed)', async () => {
    await suppressTracing(() => sql()`SELECT name FROM tw_pgjs_products WHERE id = ${1}`);
    expect(tracing.exporter.spans).toHaveLength(0);
  });

  it('uninstrumentPostgres restores the originals; instrumentPostgres is idempotent', async () => {
    uninstrumentPostgres(postgres);
    try {
      await sql()`SELECT name FROM tw_pgjs_products WHERE id = ${1}`;
      expect(tracing.exporter.spans).toHaveLength(0);
    } finally {
      instrumentPostgres(postgres);
      instrumentPostgres(postgres);
    }
    await sql()`SELECT name FROM tw_pgjs_products WHERE id = ${1}`;
    expect(tracing.spans(SELECT)).toHaveLength(1);
  });
});
