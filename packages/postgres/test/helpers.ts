// The harness of the postgres.js tests: the database the pg tests use (env,
// local, else embedded), postgres.js instrumented by hand (Jest's loader hides
// requires from core's hook), one `sql` instance per file and a table of our own.
import postgres = require('postgres');
import { suppressTracing } from '@tracewire/core';
import { Database, DATABASE_TIMEOUT, getDatabase } from '../../pg/test/helpers/database';
import { configurePostgres, instrumentPostgres, uninstrumentPostgres } from '../src';

export const TABLE = 'tw_pgjs_products';

export type Sql = postgres.Sql;

/**
 * postgres.js options for the database the pg helper found. The embedded one
 * (PGlite behind pglite-socket) gets one connection: pglite-socket runs every
 * connection on PGlite's single backend and interleaves their protocol
 * messages one by one, so two connections' extended-protocol sequences
 * (Parse/Bind/Execute on the unnamed portal) trample each other and
 * postgres.js, which opens several connections at once, can wait forever.
 * One connection still pipelines, queues and reserves as with a pool.
 */
export function postgresOptions(db: Database): postgres.Options<Record<string, never>> | string {
  const config = db.config;
  if (typeof config.connectionString === 'string') return config.connectionString;
  return {
    host: config.host,
    port: typeof config.port === 'number' ? config.port : undefined,
    user: config.user,
    database: config.database,
    password: typeof config.password === 'string' ? config.password : undefined,
    // (postgres.js reads a key that is present, even undefined, as the setting: absent unless embedded.)
    ...(db.source === 'embedded' ? { max: 1 } : {}),
    onnotice: () => undefined,
  };
}

/** The connection attributes the spans of an instance made with postgresOptions(db) must carry (PG* and postgres.js's defaults filled in). */
export function expectedConnection(db: Database, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const config = db.config;
  if (typeof config.connectionString === 'string') {
    const url = new URL(config.connectionString);
    return {
      'server.address': decodeURIComponent(url.hostname),
      'server.port': Number(url.port || 5432),
      'db.namespace': decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username),
    };
  }
  const user = config.user ?? env.PGUSERNAME ?? env.PGUSER;
  return {
    'server.address': config.host ?? env.PGHOST ?? 'localhost',
    'server.port': Number(config.port ?? env.PGPORT ?? 5432),
    'db.namespace': config.database ?? env.PGDATABASE ?? user,
  };
}

export interface PostgresJs {
  (): Sql;
  /** The database the instance connects to. */
  database(): Database;
}

/** A new instance for the database (the caller ends it). */
export function connect(db: Database, extra: postgres.Options<Record<string, never>> = {}): Sql {
  const options = postgresOptions(db);
  return (typeof options === 'string' ? postgres(options, extra) : postgres({ ...options, ...extra })) as Sql;
}

/**
 * Before the file's tests: the database, the patch, a `sql` instance (handed
 * to instrumentPostgres, as Jest's loader hides the stringify patch's require
 * too) and the table (1 pen, 2 book, 3 lamp); all undone after. Options are
 * reset before each test.
 */
export function usePostgresJs(): PostgresJs {
  let db: Database | undefined;
  let sql: Sql | undefined;
  beforeEach(() => configurePostgres({}));
  beforeAll(async () => {
    db = await getDatabase();
    sql = connect(db);
    instrumentPostgres(postgres, sql);
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
  const get = (): Sql => {
    if (sql === undefined) throw new Error('sql is made in beforeAll: use it inside hooks and tests');
    return sql;
  };
  get.database = (): Database => {
    if (db === undefined) throw new Error('the database is found in beforeAll: use it inside hooks and tests');
    return db;
  };
  return get;
}
