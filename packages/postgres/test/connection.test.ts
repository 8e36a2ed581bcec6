// server.address, server.port and db.namespace: how they are derived from the
// options postgres() parsed (by @tracewire/pg's rule), and how an instance
// whose postgres.js was loaded before tracing (as here: Jest's loader hides the
// stringify patch) gets them: instrumentPostgres(postgres, sql).
import { trace } from '@tracewire/core';
import { connectionAttributes } from '@tracewire/pg';
import pg = require('pg');
import postgres = require('postgres');
import { useTracing } from '../../pg/test/helpers/tracing';
import { instrumentPostgres } from '../src';
import { connectionOf } from '../src/connection';
import { connect, expectedConnection, TABLE, usePostgresJs } from './helpers';

const database = usePostgresJs();
const tracing = useTracing();
const SELECT = `SELECT ${TABLE}`;

/** The options postgres.js parses from `args` (an instance that opens nothing until a query runs). */
function parsed(...args: unknown[]): Record<string, unknown> {
  const sql = (postgres as (...a: unknown[]) => postgres.Sql)(...args);
  return sql.options as unknown as Record<string, unknown>;
}

describe('the attributes parsed options give', () => {
  const env = process.env;
  const cases: Array<[string, unknown[], Record<string, unknown>]> = [
    ['a URL', ['postgres://app@db.example:6543/shop'], { 'server.address': 'db.example', 'server.port': 6543, 'db.namespace': 'shop' }],
    ['host, port and database', [{ host: '10.0.0.7', port: 5433, database: 'orders' }], { 'server.address': '10.0.0.7', 'server.port': 5433, 'db.namespace': 'orders' }],
    ['a URL and options (options win)', ['postgres://app@db.example/shop', { database: 'other' }], { 'server.address': 'db.example', 'server.port': 5432, 'db.namespace': 'other' }],
    ['several hosts on one port: the port only', ['postgres://app@a.example:5432,b.example:5432/shop'], { 'server.address': undefined, 'server.port': 5432, 'db.namespace': 'shop' }],
    ['several hosts and ports: neither', ['postgres://app@a.example:5432,b.example:5433/shop'], { 'server.address': undefined, 'server.port': undefined, 'db.namespace': 'shop' }],
    ['the same host twice', ['postgres://app@a.example:5432,a.example:5432/shop'], { 'server.address': 'a.example', 'server.port': 5432, 'db.namespace': 'shop' }],
    ['a unix socket directory as host: directory and port, as pg', [{ host: '/var/run/postgresql', database: 'shop' }], { 'server.address': '/var/run/postgresql', 'server.port': 5432, 'db.namespace': 'shop' }],
    ['a unix socket path: the path, no port', [{ path: '/tmp/.s.PGSQL.6000', database: 'shop' }], { 'server.address': '/tmp/.s.PGSQL.6000', 'server.port': undefined, 'db.namespace': 'shop' }],
    ['a custom socket: the database only', [{ socket: () => undefined, host: 'ignored.example', database: 'shop' }], { 'server.address': undefined, 'server.port': undefined, 'db.namespace': 'shop' }],
    ['no database: postgres.js\'s default, the user', [{ host: 'db.example', user: 'alice' }], { 'server.address': 'db.example', 'server.port': Number(env.PGPORT ?? 5432), 'db.namespace': env.PGDATABASE ?? 'alice' }],
  ];
  it.each(cases)('%s', (_title, args, expected) => {
    expect(connectionOf(parsed(...args)).attributes).toEqual(expected);
  });

  it('the same as @tracewire/pg records for the same settings', () => {
    const settings = [
      { host: 'db.example', port: 6543, database: 'shop', user: 'app' },
      { host: '/var/run/postgresql', port: 5432, database: 'shop', user: 'app' },
      { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' },
    ];
    for (const setting of settings) {
      const client = new pg.Client(setting);
      expect(connectionOf(parsed(setting)).attributes).toEqual(connectionAttributes(client.host, client.port, client.database));
    }
  });

  it('names the span after the database when the text gives no summary, as pg does', () => {
    expect(connectionOf(parsed({ host: 'h', database: 'shop' })).namespace).toBe('shop');
    expect(connectionOf(undefined)).toEqual({ attributes: {}, namespace: undefined });
  });
});

describe('an instance of a postgres.js loaded before tracing', () => {
  it('without instrumentPostgres(postgres, sql), its spans do not say where they went', async () => {
    const sql = connect(database.database());
    try {
      await trace.span('parent', () => sql`SELECT name FROM tw_pgjs_products WHERE id = ${1}`);
    } finally {
      await sql.end({ timeout: 5 });
    }
    const span = tracing.span(SELECT);
    expect(span.attributes['db.system.name']).toBe('postgresql');
    for (const key of ['server.address', 'server.port', 'db.namespace']) expect(span.attributes).not.toHaveProperty(key);
  });

  it('instrumentPostgres(postgres, sql) gives them to every query of the instance, transactions included', async () => {
    const sql = connect(database.database());
    try {
      instrumentPostgres(postgres, sql);
      await trace.span('parent', async () => {
        await sql`SELECT name FROM tw_pgjs_products WHERE id = ${1}`;
        await sql.begin((tx) => tx`SELECT name FROM tw_pgjs_products WHERE id = ${2}`);
      });
    } finally {
      await sql.end({ timeout: 5 });
    }
    const children = tracing.childrenOf(tracing.span('parent'));
    expect(children.map((s) => s.name)).toEqual([SELECT, 'BEGIN', SELECT, 'COMMIT']);
    for (const span of children) expect(span.attributes).toMatchObject(expectedConnection(database.database()));
  });

  it('a query without a summary is named after the database', async () => {
    await database().unsafe('');
    const span = tracing.exporter.spans[0];
    expect(span.name).toBe(expectedConnection(database.database())['db.namespace']);
  });

  it('instrumentPostgres rejects what is not an instance, before patching anything', async () => {
    await database().begin(async (tx) => {
      expect(() => instrumentPostgres(postgres, tx as unknown as postgres.Sql)).toThrow(/sql.options/);
    });
    expect(() => instrumentPostgres(postgres, {} as unknown as postgres.Sql)).toThrow(TypeError);
  });
});
