// The test database choice, and proof that the embedded fallback serves a
// fresh machine: forced on, it starts, answers pg over TCP and is traced like
// any server.
import { SpanKind, trace } from '@tracewire/core';
import pg = require('pg');
import { instrumentPg, uninstrumentPg } from '../src';
import { getDatabase, LOCAL_CONFIG } from './helpers/database';
import { useTracing } from './helpers/tracing';

const tracing = useTracing();

beforeAll(() => instrumentPg(pg));
afterAll(() => uninstrumentPg(pg));

it('uses DATABASE_URL, then PG* variables, when set', async () => {
  const fromUrl = await getDatabase({ DATABASE_URL: 'postgres://app@db.internal:6543/shop' });
  expect(fromUrl.source).toBe('env');
  expect(fromUrl.config).toEqual({ connectionString: 'postgres://app@db.internal:6543/shop' });
  const fromPg = await getDatabase({ PGHOST: 'db.internal', PGDATABASE: 'shop' });
  expect(fromPg.source).toBe('env');
  expect(fromPg.config).toEqual({});
});

it('falls back to the local server or an embedded one when nothing is configured', async () => {
  const db = await getDatabase({});
  try {
    expect(['local', 'embedded']).toContain(db.source);
    if (db.source === 'local') expect(db.config).toEqual(LOCAL_CONFIG);
    const client = new pg.Client(db.config);
    await client.connect();
    expect((await client.query('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
    await client.end();
  } finally {
    await db.close();
  }
}, 120_000);

it('starts an embedded Postgres when forced (TRACEWIRE_TEST_EMBEDDED_PG=1), and pg is traced against it', async () => {
  const db = await getDatabase({ TRACEWIRE_TEST_EMBEDDED_PG: '1', DATABASE_URL: 'postgres://ignored' });
  try {
    expect(db.source).toBe('embedded');
    expect(db.config.port).not.toBe(5432);
    const pool = new pg.Pool({ ...db.config, max: 2 });
    await trace.span('job', async () => {
      await pool.query('CREATE TABLE embedded_check (id int)');
      await pool.query('INSERT INTO embedded_check VALUES ($1), ($2)', [1, 2]);
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM embedded_check');
      expect(rows).toEqual([{ n: 2 }]);
      const error = await pool.query('SELEC 1').catch((e: pg.DatabaseError) => e);
      expect(error.code).toBe('42601');
    });
    await pool.end();
    const select = tracing.span('SELECT embedded_check');
    expect(select.kind).toBe(SpanKind.CLIENT);
    expect(select.parentSpanId).toBe(tracing.span('job').spanId);
    expect(select.attributes).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': db.config.port, 'db.response.returned_rows': 1 });
    expect(tracing.span('INSERT embedded_check').attributes['db.response.returned_rows']).toBe(0);
  } finally {
    await db.close();
  }
}, 120_000);
