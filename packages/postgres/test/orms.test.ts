// Query builders and ORMs over pg need no code of their own: @tracewire/pg's
// patch of pg's Client and Pool gives one query span per SQL statement they
// send, under the span active where the app called them. Real PostgreSQL.
import { ReadableSpan, suppressTracing, trace } from '@tracewire/core';
import { Knex, knex as makeKnex } from 'knex';
import { Generated, Kysely, PostgresDialect } from 'kysely';
import pg = require('pg');
import { DataTypes, Sequelize } from 'sequelize';
import { Database, DATABASE_TIMEOUT, getDatabase } from '../../pg/test/helpers/database';
import { useTracing } from '../../pg/test/helpers/tracing';
import { instrumentPg, uninstrumentPg } from '@tracewire/pg';

const TABLE = 'tw_orm_products';

let db: Database;
beforeAll(async () => {
  db = await getDatabase();
  instrumentPg(pg);
  const client = new pg.Client(db.config);
  await client.connect();
  await client.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id int PRIMARY KEY, name text)`);
  await client.query(`DELETE FROM ${TABLE}`);
  await client.query(`INSERT INTO ${TABLE} VALUES (1, 'pen'), (2, 'book')`);
  await client.end();
}, DATABASE_TIMEOUT);
afterAll(async () => {
  uninstrumentPg(pg);
  await db?.close();
});
const tracing = useTracing();

/** The statements a unit of work sends: select, insert, update, delete of one row. */
const STATEMENTS = [`SELECT ${TABLE}`, `INSERT ${TABLE}`, `UPDATE ${TABLE}`, `DELETE ${TABLE}`];

/** Runs the four statements in a 'request' span; checks each made exactly one span, a child of it. */
async function expectOneSpanPerStatement(work: () => Promise<unknown>): Promise<void> {
  await trace.span('request', work);
  const request = tracing.span('request');
  const statements = tracing.childrenOf(request).filter((s) => s.attributes['db.system.name'] === 'postgresql' && s.name !== 'pg-pool.connect');
  // The builders quote identifiers; the summary keeps names as written.
  const unquoted = (name: unknown): string => String(name).replace(/"/g, '');
  expect(statements.map((s) => unquoted(s.name))).toEqual(STATEMENTS);
  for (const span of statements) {
    expect(unquoted(span.attributes['db.collection.name'])).toBe(TABLE);
    expect(span.attributes['db.query.text']).not.toMatch(/'/);
  }
  expect(tracing.exporter.spans.filter((s: ReadableSpan) => s.traceId !== request.traceId)).toHaveLength(0);
}

describe('knex (client pg)', () => {
  let k: Knex;
  beforeAll(async () => {
    k = makeKnex({ client: 'pg', connection: db.config as Knex.PgConnectionConfig, pool: { min: 0, max: 2 } });
    await suppressTracing(() => k.raw('SELECT 1'));
  });
  afterAll(() => k.destroy());

  it('one query span per statement under the request span', async () => {
    await expectOneSpanPerStatement(async () => {
      expect((await k(TABLE).where({ id: 1 }).first('name')).name).toBe('pen');
      await k(TABLE).insert({ id: 10, name: 'knex' });
      await k(TABLE).where({ id: 10 }).update({ name: 'knex 2' });
      await k(TABLE).where({ id: 10 }).del();
    });
  });
});

describe('kysely (PostgresDialect over a pg Pool)', () => {
  interface Schema {
    [TABLE]: { id: Generated<number> | number; name: string };
  }
  let ky: Kysely<Schema>;
  beforeAll(async () => {
    ky = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: new pg.Pool({ ...db.config, max: 2 }) }) });
    await suppressTracing(() => ky.selectFrom(TABLE).select('id').execute());
  });
  afterAll(() => ky.destroy());

  it('one query span per statement under the request span', async () => {
    await expectOneSpanPerStatement(async () => {
      expect((await ky.selectFrom(TABLE).select('name').where('id', '=', 2).executeTakeFirstOrThrow()).name).toBe('book');
      await ky.insertInto(TABLE).values({ id: 11, name: 'kysely' }).execute();
      await ky.updateTable(TABLE).set({ name: 'kysely 2' }).where('id', '=', 11).execute();
      await ky.deleteFrom(TABLE).where('id', '=', 11).execute();
    });
  });
});

describe('sequelize (dialect postgres)', () => {
  let sequelize: Sequelize;
  const define = (s: Sequelize) =>
    s.define('Product', { id: { type: DataTypes.INTEGER, primaryKey: true }, name: DataTypes.TEXT }, { tableName: TABLE, timestamps: false });
  let Product: ReturnType<typeof define>;
  beforeAll(async () => {
    const c = db.config;
    sequelize = typeof c.connectionString === 'string'
      ? new Sequelize(c.connectionString, { dialectModule: pg, logging: false })
      : new Sequelize({ dialect: 'postgres', dialectModule: pg, host: c.host, port: c.port, username: c.user, password: c.password as string | undefined, database: c.database, logging: false, pool: { max: 2 } });
    Product = define(sequelize);
    await suppressTracing(() => sequelize.authenticate());
  });
  afterAll(() => sequelize.close());

  it('one query span per statement under the request span', async () => {
    await expectOneSpanPerStatement(async () => {
      expect((await Product.findByPk(1))?.get('name')).toBe('pen');
      await Product.create({ id: 12, name: 'sequelize' });
      await Product.update({ name: 'sequelize 2' }, { where: { id: 12 } });
      await Product.destroy({ where: { id: 12 } });
    });
  });
});
