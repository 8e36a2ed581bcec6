// The shop's PostgreSQL, first that works of:
//   1. DATABASE_URL, when set;
//   2. a server on 127.0.0.1:5432 (user postgres, database test), when one answers;
//   3. an embedded one: PGlite (PostgreSQL compiled to WebAssembly) served over
//      the wire protocol by pglite-socket on a free local port, in a child
//      process (`node db.js --serve`). Nothing to install, runs as any user.
// Everything the shop creates lives in its own schema, `shop`.
const { spawn } = require('child_process');
const { Client } = require('pg');

const LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/test';

async function answers(url) {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Starts `node db.js --serve` and resolves once it listens; close() stops it. */
function startEmbedded() {
  const child = spawn(process.execPath, [__filename, '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the embedded PostgreSQL exited (code ${code}) before listening`)));
    child.stdout.once('data', (line) => {
      const { port } = JSON.parse(line);
      resolve({
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        source: 'embedded',
        close: async () => {
          child.stdin.end(); // the server stops when its stdin closes
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

/** { url, source: 'env' | 'local' | 'embedded', close() }. `embedded: true` skips 1 and 2. */
async function openDatabase({ embedded = false, log = console.log } = {}) {
  const close = async () => {};
  if (!embedded && process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, source: 'env', close };
  if (!embedded && (await answers(LOCAL_URL))) return { url: LOCAL_URL, source: 'local', close };
  log(`database  ${embedded ? '' : 'no PostgreSQL at 127.0.0.1:5432: '}starting an embedded one (PGlite, takes a few seconds)…`);
  return startEmbedded();
}

/** Creates and fills the shop's tables; safe to run again, and by two processes at once. */
async function seed(url) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('tracewire-shop-seed'))");
    await client.query(`
      CREATE SCHEMA IF NOT EXISTS shop;
      CREATE TABLE IF NOT EXISTS shop.products (sku text PRIMARY KEY, name text NOT NULL, price_cents int NOT NULL);
      CREATE TABLE IF NOT EXISTS shop.inventory (sku text PRIMARY KEY REFERENCES shop.products, in_stock int NOT NULL);
      CREATE TABLE IF NOT EXISTS shop.orders (
        id serial PRIMARY KEY, sku text NOT NULL, quantity int NOT NULL, user_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now());
      INSERT INTO shop.products VALUES
        ('book', 'A book about tracing', 2900), ('pen', 'A pen', 250),
        ('slow-lamp', 'A lamp from the slow warehouse', 4500), ('broken', 'A product whose page fails', 100)
        ON CONFLICT (sku) DO NOTHING;
      INSERT INTO shop.inventory VALUES ('book', 1000), ('pen', 1000), ('slow-lamp', 1000), ('broken', 1000)
        ON CONFLICT (sku) DO NOTHING;`);
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

/** `node db.js --serve`: the embedded server. Prints {"port"} once it listens; stops when stdin closes. */
async function serve() {
  const { PGlite } = require('@electric-sql/pglite');
  const { PGLiteSocketServer } = require('@electric-sql/pglite-socket');
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
  await server.start();
  process.stdout.write(JSON.stringify({ port: Number(server.getServerConn().split(':').pop()) }) + '\n');
  const stop = async () => {
    await server.stop().catch(() => {});
    await db.close().catch(() => {});
    process.exit(0);
  };
  process.stdin.on('end', stop).on('error', stop).resume();
  process.on('SIGTERM', stop);
}

if (require.main === module && process.argv.includes('--serve')) serve();

module.exports = { openDatabase, seed };
