// Automatic patching through core's module hook, which works on Node's own
// loader (Jest replaces it): a child process runs fixtures/app.js with
// fixtures/register.js preloaded, against the compiled package, with pg
// required after tracing starts and, in the second case, before.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Database, DATABASE_TIMEOUT, getDatabase } from './helpers/database';

const PACKAGE = path.resolve(__dirname, '..');
const FIXTURES = path.join(__dirname, 'fixtures');

interface JsonSpan {
  spanId: string;
  parentSpanId?: string;
  traceId: string;
  name: string;
  kind: string;
  attributes: Record<string, unknown>;
  scope: { name: string };
}

let db: Database;
let dir: string;

beforeAll(async () => {
  // The child runs dist/: make sure it is this source, compiled.
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', PACKAGE], { stdio: 'inherit' });
  db = await getDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-pg-preload-'));
}, DATABASE_TIMEOUT);

afterAll(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function run(preloads: string[]): { output: { wrapped: boolean; restored: boolean }; spans: JsonSpan[] } {
  const spansFile = path.join(dir, `spans-${Math.random().toString(36).slice(2)}.jsonl`);
  const args = [...preloads.flatMap((p) => ['-r', p]), path.join(FIXTURES, 'app.js')];
  const stdout = execFileSync(process.execPath, args, {
    cwd: PACKAGE,
    env: { ...process.env, TW_SPANS_FILE: spansFile, TW_PG_CONFIG: JSON.stringify(db.config), OTEL_SERVICE_NAME: 'preload-test' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const lines = fs.existsSync(spansFile) ? fs.readFileSync(spansFile, 'utf8').trim().split('\n') : [];
  return { output: JSON.parse(stdout.trim()), spans: lines.filter(Boolean).map((line) => JSON.parse(line) as JsonSpan) };
}

function expectTracedApp({ output, spans }: ReturnType<typeof run>): void {
  expect(output).toEqual({ wrapped: true, restored: true });
  const job = spans.find((s) => s.name === 'job')!;
  expect(job).toBeDefined();
  const byParent = (parent: JsonSpan): string[] => spans.filter((s) => s.parentSpanId === parent.spanId).map((s) => s.name).sort();
  // client connect, client query, cursor, pool query; nothing after disable().
  expect(byParent(job)).toEqual(['SELECT', 'SELECT', 'SELECT', 'pg.connect']);
  const poolQuery = spans.find((s) => s.name === 'SELECT' && byParent(s).length > 0)!;
  expect(byParent(poolQuery)).toEqual(['pg-pool.connect']);
  const wait = spans.find((s) => s.name === 'pg-pool.connect')!;
  expect(byParent(wait)).toEqual(['pg.connect']);
  expect(spans).toHaveLength(7);
  for (const span of spans.filter((s) => s !== job)) {
    expect(span.traceId).toBe(job.traceId);
    expect(span.scope.name).toBe('@tracewire/pg');
    expect(span.attributes['db.system.name']).toBe('postgresql');
  }
  expect(spans.filter((s) => s.kind === 'CLIENT' && s.name === 'SELECT').map((s) => s.attributes['db.query.text']).sort()).toEqual([
    'SELECT $1::int AS n',
    'SELECT ? AS n',
    'SELECT ? AS n',
  ]);
}

it('patches pg required after tracing started', () => {
  expectTracedApp(run([path.join(FIXTURES, 'register.js')]));
}, 90_000);

it('patches pg (and pg-pool) already loaded when tracing starts', () => {
  expectTracedApp(run(['pg', path.join(FIXTURES, 'register.js')]));
}, 90_000);
