'use strict';
// The two-hop scenario needs PostgreSQL; find out up front instead of
// failing every run.
const { Client } = require('pg');

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** undefined when reachable, else why not. */
async function postgresProblem(url = process.env.BENCH_DATABASE_URL || DEFAULT_URL) {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL not reachable at ${url.replace(/\/\/[^@]*@/, '//…@')}: ${error.message}. Start it, or set BENCH_DATABASE_URL`;
  } finally {
    await client.end().catch(() => {});
  }
}

module.exports = { postgresProblem };
