// The harness of the postgres.js tests: the database the pg tests use (env,
// local, else embedded), postgres.js instrumented by hand (Jest's loader hides
// requires from core's hook), one `sql` instance per file and a table of our own.
import postgres = require('postgres');
import { suppressTracing } from '@tracewire/core';
import { Database, DATABASE_TIMEOUT, getDatabase } from '../../pg/test/helpers/database';
import { instrumentPostgres, uninstrumentPostgres } from '../src';

export const TABLE = 'tw_pgjs_products';

export type Sql = postgres.Sql;

/** postgres.js options for the database the pg helper found. */
export function postgresOptions(db: Database): postgres.Options<Record<string, never>> | string {
  const config = db.config;
  if (typeof config.connectionString === 'string') return config.connectionString;
  return {
    host: config.host,
    port: typeof config.port === 'number' ? config.port : undefined,
    user: config.user,
    database: config.database,
    password: typeof config.password === 'string' ? config.password : undefined,
    onnotice: () => undefined,
  };
}

/** Before the file's tests: the database, the patch, a `sql` instance and the table (1 pen, 2 book, 3 lamp); all undone after. */
export function usePostgresJs(): () => Sql {
  let db: Database | undefined;
  let sql: Sql | undefined;
  beforeAll(async () => {
    db = await getDatabase();
    instrumentPostgres(postgres);
    const options = postgresOptions(db);
    sql = (typeof options === 'string' ? postgres(options) : postgres(options)) as Sql;
    const s = sql;
    await suppressTracing(async () => {
      await s`CREATE TABLE IF NOT EXISTS ${s(TABLE)} (id int PRIMARY KEY, name text)`;
      await s`DELETE FROM ${s(TABLE)}`;
      await s`INSERT INTO ${s(TABLE)} VALUES (1, 'pen'), (2, 'book'), (3, 'lamp')`;
    });
  }, DATABASE_TIMEOUT);
  afterAll(async () => {
    try {
      await sql?.end({ timeout: 5 });
    } finally {
      uninstrumentPostgres(postgres);
      await db?.close();
    }
  });
  return () => {
    if (sql === undefined) throw new Error('sql is made in beforeAll: use it inside hooks and tests');
    return sql;
  };
}
