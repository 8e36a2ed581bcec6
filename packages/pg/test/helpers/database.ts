// The PostgreSQL the tests run against, in this order:
// 1. DATABASE_URL or PGHOST/PGPORT/PGDATABASE/PGUSER when set (pg reads PG* itself);
// 2. 127.0.0.1:5432, user postgres, database test, when it answers (this machine, CI);
// 3. else an embedded one started here (see embedded-postgres.mjs for why PGlite),
//    so `npm test` passes on a fresh machine with no Postgres installed.
// TRACEWIRE_TEST_EMBEDDED_PG=1 skips 1 and 2 (the fallback's own test uses it).
import { spawn } from 'child_process';
import * as path from 'path';
import { Client, ClientConfig } from 'pg';
import { suppressTracing } from '@tracewire/core';

export type DatabaseSource = 'env' | 'local' | 'embedded';

export interface Database {
  /** Settings for `new Client(config)` / `new Pool({ ...config, max })`. */
  config: ClientConfig;
  source: DatabaseSource;
  close(): Promise<void>;
}

/** For beforeAll hooks that call getDatabase: an embedded start on a busy machine outlasts Jest's default. */
export const DATABASE_TIMEOUT = 120_000;

export const LOCAL_CONFIG: ClientConfig = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const EMBEDDED_SCRIPT = path.join(__dirname, 'embedded-postgres.mjs');
// WASM start-up takes 2-3 s on an idle machine, far longer on a busy CI runner.
const EMBEDDED_START_MILLIS = 90_000;

function fromEnvironment(env: NodeJS.ProcessEnv): ClientConfig | undefined {
  if (env.DATABASE_URL) return { connectionString: env.DATABASE_URL };
  if (env.PGHOST || env.PGPORT || env.PGDATABASE || env.PGUSER) return {};
  return undefined;
}

/** True when a server answers `config` within a second or two. */
async function answers(config: ClientConfig): Promise<boolean> {
  const client = new Client({ ...config, connectionTimeoutMillis: 2000 });
  try {
    // The probe is not part of any test's trace.
    await suppressTracing(() => client.connect());
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Starts embedded-postgres.mjs in a child process and waits for its address. */
export function startEmbedded(): Promise<Database> {
  const child = spawn(process.execPath, [EMBEDDED_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'], cwd: __dirname });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise<Database>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`embedded Postgres did not start within ${EMBEDDED_START_MILLIS} ms`));
    }, EMBEDDED_START_MILLIS);
    const exitedEarly = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`embedded Postgres exited with code ${code} before listening`));
    };
    child.once('exit', exitedEarly);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      const newline = output.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.removeListener('exit', exitedEarly);
      const { host, port } = JSON.parse(output.slice(0, newline)) as { host: string; port: number };
      resolve({
        config: { host, port, user: 'postgres', database: 'postgres' },
        source: 'embedded',
        close: async () => {
          child.stdin.end();
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

export async function getDatabase(env: NodeJS.ProcessEnv = process.env): Promise<Database> {
  const noop = async (): Promise<void> => undefined;
  if (env.TRACEWIRE_TEST_EMBEDDED_PG !== '1') {
    const configured = fromEnvironment(env);
    if (configured !== undefined) return { config: configured, source: 'env', close: noop };
    if (await answers(LOCAL_CONFIG)) return { config: LOCAL_CONFIG, source: 'local', close: noop };
  }
  return startEmbedded();
}
