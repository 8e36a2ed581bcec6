// The module patches as core's hook applies them: each file of postgres.js's
// CommonJS build patched as it finishes loading, before the files that
// require it (connection.js takes `stringify` from types.js as it loads).
// Jest's loader never passes through the hook, so this file loads query.js
// and types.js itself, hands their exports to the definition's own patch
// functions, and only then loads postgres (which then finds them patched):
// the state the hook leaves. No `postgres` import may precede that.
// (The preload's real hook is exercised end to end by register's tests.)
import * as path from 'path';
import { ModulePatch, trace } from '@tracewire/core';
import type postgresModule = require('postgres');
import { Database, DATABASE_TIMEOUT, getDatabase } from '../../pg/test/helpers/database';
import { useTracing } from '../../pg/test/helpers/tracing';
import { postgresInstrumentation } from '../src';

type Postgres = typeof postgresModule;
type Sql = postgresModule.Sql;

const tracing = useTracing();
const TABLE = 'tw_pgjs_hook';
const SELECT = `SELECT ${TABLE}`;

let db: Database;
let postgres: Postgres;
let files: Record<'query' | 'types', { patch: ModulePatch; exports: unknown }>;

/** Like the helper's, without importing it (it imports postgres). */
function connect(): Sql {
  const c = db.config;
  if (typeof c.connectionString === 'string') return postgres(c.connectionString);
  return postgres({
    host: c.host,
    port: typeof c.port === 'number' ? c.port : undefined,
    user: c.user,
    database: c.database,
    password: typeof c.password === 'string' ? c.password : undefined,
    // See helpers.ts: pglite-socket needs one connection per client.
    ...(db.source === 'embedded' ? { max: 1 } : {}),
    onnotice: () => undefined,
  });
}

/** What each span of the file must say about where its query went. */
function expected(sql: Sql): Record<string, unknown> {
  const options = sql.options as unknown as { host: string[]; port: number[]; database: string };
  return { 'server.address': options.host[0], 'server.port': options.port[0], 'db.namespace': options.database };
}

beforeAll(async () => {
  db = await getDatabase();
  /* eslint-disable @typescript-eslint/no-require-imports */
  const dir = path.dirname(require.resolve('postgres'));
  expect(dir.endsWith(path.join('postgres', 'cjs', 'src'))).toBe(true);
  const patchFor = (file: string): ModulePatch => postgresInstrumentation.modules.find((m) => m.file === `cjs/src/${file}.js`)!;
  files = {
    query: { patch: patchFor('query'), exports: require(path.join(dir, 'query.js')) },
    types: { patch: patchFor('types'), exports: require(path.join(dir, 'types.js')) },
  };
  for (const { patch, exports } of Object.values(files)) patch.patch(exports, '3');
  postgres = require('postgres') as Postgres;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const sql = connect();
  try {
    await sql`CREATE TABLE IF NOT EXISTS ${sql(TABLE)} (id int PRIMARY KEY, name text)`;
    await sql`DELETE FROM ${sql(TABLE)}`;
    await sql`INSERT INTO ${sql(TABLE)} VALUES (1, 'pen'), (2, 'book')`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}, DATABASE_TIMEOUT);

afterAll(async () => {
  for (const { patch, exports } of Object.values(files ?? {})) patch.unpatch(exports);
  await db?.close();
});

it('the definition patches Query in query.js and stringify in types.js', () => {
  expect(postgresInstrumentation.modules.map((m) => [m.module, m.versions, m.file])).toEqual([
    ['postgres', '>=3 <4', 'cjs/src/query.js'],
    ['postgres', '>=3 <4', 'cjs/src/types.js'],
  ]);
});

it('a new instance: its first query (built before anything was known) and the next ones say where they went', async () => {
  const sql = connect();
  try {
    await trace.span('parent', async () => {
      await sql`SELECT name FROM tw_pgjs_hook WHERE id = ${1}`;
      await sql`SELECT name FROM tw_pgjs_hook WHERE id = ${2}`;
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
  const spans = tracing.spans(SELECT);
  expect(spans).toHaveLength(2);
  for (const span of spans) expect(span.attributes).toMatchObject({ ...expected(sql), 'db.system.name': 'postgresql' });
});

it('queries pipelined at once on a new instance, and a transaction\'s, all carry them', async () => {
  const sql = connect();
  try {
    await trace.span('parent', async () => {
      await Promise.all([1, 2].map((id) => sql`SELECT name FROM tw_pgjs_hook WHERE id = ${id}`));
      await sql.begin(async (tx) => {
        await tx`UPDATE tw_pgjs_hook SET name = ${'pen'} WHERE id = ${1}`;
        await tx`SELECT name FROM tw_pgjs_hook WHERE id = ${1}`;
      });
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
  const children = tracing.childrenOf(tracing.span('parent'));
  expect(children.map((s) => s.name)).toEqual([SELECT, SELECT, 'BEGIN', `UPDATE ${TABLE}`, SELECT, 'COMMIT']);
  for (const span of children) expect(span.attributes).toMatchObject(expected(sql));
});

it('a query that fails while it is built (an undefined value) fails as before, its span says where it was going', async () => {
  const sql = connect();
  let caught: unknown;
  try {
    await trace.span('parent', async () => {
      try {
        await sql`SELECT name FROM tw_pgjs_hook WHERE id = ${undefined as unknown as number}`;
      } catch (error) {
        caught = error;
      }
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
  expect(caught).toMatchObject({ code: 'UNDEFINED_VALUE' });
  const [span] = tracing.childrenOf(tracing.span('parent'));
  expect(span.attributes).toMatchObject(expected(sql));
  expect(span.status.code).toBe(2);
});

it('unpatching leaves the stringify connection.js holds passing through; patching again brings it back', async () => {
  const { patch, exports } = files.types;
  const stringify = (exports as { stringify: unknown }).stringify;
  patch.unpatch(exports);
  try {
    expect((exports as { stringify: unknown }).stringify).not.toBe(stringify);
    const sql = connect();
    try {
      const rows = await trace.span('untold', () => sql`SELECT name FROM tw_pgjs_hook WHERE id = ${2}`);
      expect(rows[0].name).toBe('book');
    } finally {
      await sql.end({ timeout: 5 });
    }
    expect(tracing.span(SELECT).attributes).not.toHaveProperty('server.address');
  } finally {
    patch.patch(exports, '3');
  }
  expect((exports as { stringify: unknown }).stringify).toBe(stringify);
  tracing.exporter.reset();
  const sql = connect();
  try {
    await sql`SELECT name FROM tw_pgjs_hook WHERE id = ${2}`;
  } finally {
    await sql.end({ timeout: 5 });
  }
  expect(tracing.span(SELECT).attributes).toMatchObject(expected(sql));
});

it('patching twice changes nothing; an exports object without stringify is refused', () => {
  const { patch, exports } = files.types;
  const stringify = (exports as { stringify: unknown }).stringify;
  patch.patch(exports, '3');
  expect((exports as { stringify: unknown }).stringify).toBe(stringify);
  expect(() => patch.patch({}, '3')).toThrow(TypeError);
});
