// ES module apps end to end: each fixture in fixtures/esm is started three ways
// — `node --import @tracewire/register app.mjs`, the same through
// NODE_OPTIONS="--import @tracewire/register", and its CommonJS twin with
// `node -r @tracewire/register app.cjs` — and must export the same trace: the
// span tree from ONE shared table (names, kinds, parent links, key attributes),
// and between the three runs the same shape (every span's name, kind, scope,
// status and attribute keys).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from '../../core/test/helpers/otlp-receiver';
import { killAll, runNode, startService } from './helpers/services';

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(__dirname, 'fixtures', 'esm');
const PRELOAD = '@tracewire/register';

const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;

/** An expected span: its children in start order; attributes are the ones that must be there with these values. */
interface Expected {
  name: string;
  kind: number;
  attributes?: Record<string, unknown>;
  children?: Expected[];
}

interface Case {
  /** Fixture base name: <name>.mjs and its twin <name>.cjs. */
  name: string;
  /** Request the test sends to the service. */
  path: string;
  /** An instrumentation the row needs register to enable (its scope name). */
  needs?: string;
  root: Expected;
}

const server = (name: string, path: string, extra: Record<string, unknown> = {}, children: Expected[] = []): Expected => ({
  name,
  kind: SERVER,
  attributes: { 'http.request.method': 'GET', 'url.path': path, 'http.response.status_code': 200, ...extra },
  children,
});

/** A client call to the service itself, and the server span it causes there. */
const selfCall = (path: string): Expected => ({
  name: 'GET',
  kind: CLIENT,
  attributes: { 'http.request.method': 'GET', 'server.address': '127.0.0.1', 'http.response.status_code': 200 },
  children: [server('GET', path, { 'http.route': undefined })],
});

const PG = { 'db.system.name': 'postgresql', 'db.namespace': process.env.PGDATABASE ?? 'test' };
const query = (text: string, children: Expected[] = []): Expected => ({
  name: 'SELECT',
  kind: CLIENT,
  attributes: { ...PG, 'db.operation.name': 'SELECT', 'db.query.text': text },
  children,
});
const connect: Expected = { name: 'pg.connect', kind: CLIENT, attributes: PG };
/** postgres.js query spans: pg's conventions, and where the query went (the fixture's postgres.js reads PG* as env() sets them). */
const PGJS = { ...PG, 'server.address': process.env.PGHOST ?? '127.0.0.1', 'server.port': Number(process.env.PGPORT ?? 5432) };
const pgjs = (name: string, extra: Record<string, unknown> = {}): Expected => ({ name, kind: CLIENT, attributes: { ...PGJS, ...extra } });
const poolConnect: Expected = { name: 'pg-pool.connect', kind: INTERNAL, attributes: PG, children: [connect] };

const CASES: Case[] = [
  {
    name: 'express',
    path: '/api/users/42',
    needs: '@tracewire/express',
    root: server('GET /api/users/:id', '/api/users/42', { 'http.route': '/api/users/:id' }),
  },
  {
    name: 'koa',
    path: '/api/users/42',
    needs: '@tracewire/koa',
    root: server('GET /api/users/:id', '/api/users/42', { 'http.route': '/api/users/:id' }),
  },
  {
    // pool.query through `import { Pool } from 'pg'`, then a Client through `import pg from 'pg'`.
    name: 'pg',
    path: '/query',
    needs: '@tracewire/pg',
    root: server('GET', '/query', {}, [query('SELECT $1::int AS n', [poolConnect]), connect, query('SELECT ? AS word')]),
  },
  {
    // postgres.js: `import postgres from 'postgres'` is sent to the CommonJS build the hook instruments; the twin requires it.
    name: 'postgres',
    path: '/query',
    needs: '@tracewire/postgres',
    root: server('GET', '/query', {}, [
      pgjs('SELECT', { 'db.operation.name': 'SELECT', 'db.query.text': 'SELECT $1::int AS n' }),
      pgjs('BEGIN'),
      pgjs('SELECT', { 'db.query.text': 'SELECT ? AS word' }),
      pgjs('COMMIT'),
      pgjs('SELECT tw_pgjs_esm_missing', { 'db.collection.name': 'tw_pgjs_esm_missing', 'error.type': '42P01' }),
    ]),
  },
  {
    name: 'http',
    path: '/front',
    root: server('GET', '/front', {}, [selfCall('/backend/get'), selfCall('/backend/request'), selfCall('/backend/default')]),
  },
  { name: 'axios', path: '/front', root: server('GET', '/front', {}, [selfCall('/backend/axios')]) },
  { name: 'fetch', path: '/front', root: server('GET', '/front', {}, [selfCall('/backend/fetch')]) },
  {
    // ESM entry, CommonJS module (db.cjs) that requires pg.
    name: 'mixed',
    path: '/users',
    needs: '@tracewire/pg',
    root: server('GET', '/users', {}, [query('SELECT count(*)::int AS n FROM (VALUES (?), (?)) AS users(id)', [poolConnect])]),
  },
];

type ModeName = 'esm --import' | 'esm NODE_OPTIONS' | 'cjs -r';
interface Mode {
  name: ModeName;
  file: (c: string) => string;
  args: string[];
  env: Record<string, string>;
}

const MODES: Mode[] = [
  { name: 'esm --import', file: (c) => `${c}.mjs`, args: ['--import', PRELOAD], env: {} },
  { name: 'esm NODE_OPTIONS', file: (c) => `${c}.mjs`, args: [], env: { NODE_OPTIONS: `--import ${PRELOAD}` } },
  { name: 'cjs -r', file: (c) => `${c}.cjs`, args: ['-r', PRELOAD], env: {} },
];

/** The instrumentations register turns on (express and pg join when they land): rows that need a missing one check parity only. */
function enabledByRegister(): string[] {
  const script = "process.stdout.write(JSON.stringify(require('@tracewire/core').enabledInstrumentations()))";
  // Synchronous on purpose: this runs while the test file loads, before any receiver exists.
  const result = spawnSync(process.execPath, ['-r', PRELOAD, '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, OTEL_TRACES_EXPORTER: 'none' },
    encoding: 'utf8',
  });
  try {
    return JSON.parse(result.stdout) as string[];
  } catch {
    throw new Error(`could not ask register what it enables: ${result.stderr}`);
  }
}
const ENABLED = enabledByRegister();
const isPending = (c: Case): boolean => c.needs !== undefined && !ENABLED.includes(c.needs);

let receiver: OtlpReceiver;

function env(service: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const pg: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if ((key.startsWith('PG') || key === 'DATABASE_URL') && value !== undefined) pg[key] = value;
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PGHOST: '127.0.0.1',
    PGPORT: '5432',
    PGUSER: 'postgres',
    PGDATABASE: 'test',
    ...pg,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_SERVICE_NAME: service,
    ...extra,
  };
}

function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

const spansOf = (service: string): ReceivedSpan[] => receiver.spans.filter((s) => s.resource['service.name'] === service);

/** Until n spans of the service arrived, or (n undefined) its root span, which ends after its children. */
async function waitForSpans(service: string, n: number | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const ready = (): boolean => (n === undefined ? spansOf(service).some((s) => s.parentSpanId === '') : spansOf(service).length >= n);
  while (!ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

const countSpans = (e: Expected): number => 1 + (e.children ?? []).reduce((n, c) => n + countSpans(c), 0);

interface Run {
  service: string;
  status: number;
  body: string;
  stderr: string;
  spans: ReceivedSpan[];
}

/** One service, one request; SIGTERM then flushes what is left and the process exits. */
async function runCase(c: Case, mode: Mode): Promise<Run> {
  const service = `esm-${c.name}-${mode.name.replace(/\W+/g, '-')}`;
  const started = await startService([...mode.args, path.join(FIXTURES, mode.file(c.name))], env(service, mode.env), ROOT);
  try {
    const response = await get(started.port, c.path);
    // A row whose instrumentation register does not enable yet has fewer spans than the table: wait for its root.
    await waitForSpans(service, isPending(c) ? undefined : countSpans(c.root), 10000);
    started.child.kill('SIGTERM');
    await started.exited;
    return { service, status: response.status, body: response.body, stderr: started.stderr(), spans: spansOf(service) };
  } finally {
    if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGKILL');
  }
}

interface Tree {
  span: ReceivedSpan;
  children: Tree[];
}

/** The spans as a tree from their parent links; exactly one root, one trace. */
function treeOf(spans: ReceivedSpan[]): Tree {
  const roots = spans.filter((s) => s.parentSpanId === '');
  expect(roots.map((s) => s.name)).toHaveLength(1);
  expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
  const build = (span: ReceivedSpan): Tree => ({
    span,
    children: spans
      .filter((s) => s.parentSpanId === span.spanId)
      .sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1))
      .map(build),
  });
  const tree = build(roots[0]);
  const size = (t: Tree): number => 1 + t.children.reduce((n, c) => n + size(c), 0);
  expect(size(tree)).toBe(spans.length); // no span hangs off a parent that is not in the trace
  return tree;
}

/** The tree cut down to what the table says: name, kind, the listed attributes, children. */
function project(tree: Tree, expected: Expected): Expected {
  const out: Expected = { name: tree.span.name, kind: tree.span.kind };
  if (expected.attributes) {
    out.attributes = {};
    for (const key of Object.keys(expected.attributes)) out.attributes[key] = tree.span.attributes[key];
  }
  if (expected.children || tree.children.length > 0) {
    out.children = tree.children.map((child, i) => project(child, expected.children?.[i] ?? { name: '', kind: 0 }));
  }
  return out;
}

/** What must be identical between the ESM and CommonJS runs of one app. */
interface Shape {
  name: string;
  kind: number;
  scope: string;
  status: number;
  attributeKeys: string[];
  remoteParent: boolean;
  children: Shape[];
}

function shapeOf(tree: Tree): Shape {
  return {
    name: tree.span.name,
    kind: tree.span.kind,
    scope: tree.span.scope.name,
    status: tree.span.status.code,
    attributeKeys: Object.keys(tree.span.attributes).sort(),
    remoteParent: (tree.span.flags & 0x300) === 0x300,
    children: tree.children.map(shapeOf),
  };
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  killAll();
  await receiver.close();
});

/** Every case × mode starts at once (a few at a time: two cores), each test awaits its own. */
const CONCURRENCY = 6;
let slots = CONCURRENCY;
const queue: Array<() => void> = [];
async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (slots === 0) await new Promise<void>((resolve) => queue.push(resolve));
  else slots--;
  try {
    return await work();
  } finally {
    const next = queue.shift();
    if (next) next();
    else slots++;
  }
}

const runs = new Map<string, Promise<Run>>();
function runOf(c: Case, mode: Mode): Promise<Run> {
  const key = `${c.name}/${mode.name}`;
  let run = runs.get(key);
  if (!run) {
    run = limited(() => runCase(c, mode));
    run.catch(() => undefined); // reported by the test that awaits it
    runs.set(key, run);
  }
  return run;
}

describe('ESM apps are traced like their CommonJS twins', () => {
  beforeAll(() => {
    for (const c of CASES) for (const mode of MODES) void runOf(c, mode);
  });

  for (const c of CASES) {
    const pending = isPending(c);
    const title = pending ? `${c.name}: same trace shape in all three runs (${c.needs} not enabled by register yet: table check pending)` : `${c.name}: --import, NODE_OPTIONS and the CommonJS twin export the table's trace`;
    it(title, async () => {
      const results = await Promise.all(MODES.map((mode) => runOf(c, mode)));
      const shapes: Partial<Record<ModeName, Shape>> = {};
      results.forEach((run, i) => {
        const mode = MODES[i].name;
        expect({ mode, status: run.status, stderr: run.stderr }).toEqual({ mode, status: 200, stderr: '' });
        const tree = treeOf(run.spans);
        if (!pending) expect({ mode, trace: project(tree, c.root) }).toEqual({ mode, trace: c.root });
        shapes[mode] = shapeOf(tree);
        expect(tree.span.resource['service.name']).toBe(run.service);
      });
      expect(shapes['esm --import']).toEqual(shapes['cjs -r']);
      expect(shapes['esm NODE_OPTIONS']).toEqual(shapes['cjs -r']);
      // Same responses too: tracing changed nothing the app does.
      expect(new Set(results.map((r) => r.body.replace(/"port":\d+/g, ''))).size).toBe(1);
    });
  }
});

describe('how an app is recognised as ESM', () => {
  const httpCase = CASES.find((c) => c.name === 'http')!;

  async function traceOf(args: string[], service: string, extra: Record<string, string> = {}): Promise<{ stderr: string; tree: Tree }> {
    const started = await limited(() => startService(args, env(service, extra), ROOT));
    try {
      expect((await get(started.port, httpCase.path)).status).toBe(200);
      await waitForSpans(service, countSpans(httpCase.root), 10000);
      started.child.kill('SIGTERM');
      await started.exited;
    } finally {
      if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGKILL');
    }
    return { stderr: started.stderr(), tree: treeOf(spansOf(service)) };
  }

  it('a .js entry under "type": "module", with -r and with --import; a typeless .js with ESM syntax, with -r', async () => {
    const entry = path.join(FIXTURES, 'type-module', 'app.js');
    const typeless = path.join(FIXTURES, 'typeless', 'app.js');
    const results = await Promise.all([
      traceOf(['-r', PRELOAD, entry], 'esm-type-module-r'),
      traceOf(['--import', PRELOAD, entry], 'esm-type-module-import'),
      // Node warns that it had to reparse the file as ESM: not ours to show here.
      traceOf(['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', '-r', PRELOAD, typeless], 'esm-typeless-r'),
    ]);
    for (const { stderr, tree } of results) {
      expect(stderr).toBe('');
      expect(project(tree, httpCase.root)).toEqual(httpCase.root);
    }
  });

  it('a CommonJS entry that import()s the ESM server later: http is patched at its first request, which is traced', async () => {
    const { stderr, tree } = await traceOf(['-r', PRELOAD, path.join(FIXTURES, 'late.cjs')], 'esm-late');
    expect(stderr).toBe('');
    expect(project(tree, httpCase.root)).toEqual(httpCase.root);
  });

  it('when an ESM module\'s first use of http is a client request, that request is lost and one line says so', async () => {
    const service = 'esm-late-client';
    const result = await runNode(['-r', PRELOAD, path.join(FIXTURES, 'late-client.cjs')], env(service, { OTEL_BSP_SCHEDULE_DELAY: '600000' }), ROOT);
    expect(result.status).toBe(0);
    const lines = result.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[tracewire\] node:http was first used by an ES module loaded after start-up/);
    // Exported at exit: the second request, client and server, in one trace; the first server request alone.
    const spans = spansOf(service);
    expect(spans.map((s) => s.kind).sort()).toEqual([SERVER, SERVER, CLIENT]);
    const client = spans.find((s) => s.kind === CLIENT)!;
    expect(spans.filter((s) => s.parentSpanId === client.spanId)).toHaveLength(1);
  });
});

describe('start-up stays cheap', () => {
  const loaded = async <T = string[]>(args: string[], extra: Record<string, string> = {}): Promise<T> => {
    const result = await limited(() => runNode(args, env('esm-startup', { OTEL_TRACES_EXPORTER: 'none', ...extra }), ROOT));
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout) as T;
  };
  const mjs = path.join(FIXTURES, 'startup.mjs');
  const cjs = path.join(FIXTURES, 'startup.cjs');

  it('CommonJS processes load no http/https/tls, however the preload is given', async () => {
    const results = await Promise.all([
      loaded(['-r', PRELOAD, cjs]),
      loaded(['--import', PRELOAD, cjs]),
      loaded([cjs], { NODE_OPTIONS: `--import ${PRELOAD}` }),
      loaded(['--import', PRELOAD, '-e', "require('./packages/register/test/fixtures/esm/startup.cjs')"]),
    ]);
    expect(results).toEqual([[], [], [], []]);
  });

  it('an ESM entry loads http and https (with tls) at start: the documented cost of tracing ESM imports of builtins', async () => {
    expect(await loaded([mjs])).toEqual([]); // without the preload
    const results = await Promise.all([
      loaded(['--import', PRELOAD, mjs]),
      loaded([mjs], { NODE_OPTIONS: `--import ${PRELOAD}` }),
      loaded(['-r', PRELOAD, mjs]),
      loaded(['-r', PRELOAD, path.join(FIXTURES, 'type-module', 'startup.js')]),
      loaded(['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', '-r', PRELOAD, path.join(FIXTURES, 'typeless', 'startup.js')]),
      loaded(['-r', PRELOAD, '--input-type=module', '-e', "import './packages/register/test/fixtures/esm/startup.mjs'"]),
    ]);
    for (const list of results) expect(list).toEqual(['http', 'https', 'tls']);
  });

  it('the postgres.js resolve hook (a hooks thread before Node 22.15) is registered only for an ESM entry from which postgres resolves, with tracing and postgres on', async () => {
    const hooks = path.join(FIXTURES, 'hooks.mjs');
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-register-'));
    fs.copyFileSync(hooks, path.join(outside, 'hooks.mjs'));
    try {
      const results = await Promise.all([
        loaded(['--import', PRELOAD, hooks]),
        loaded([hooks], { NODE_OPTIONS: `--import ${PRELOAD}` }),
        loaded(['--import', PRELOAD, path.join(FIXTURES, 'hooks.cjs')]),
        loaded(['-r', PRELOAD, path.join(FIXTURES, 'hooks.cjs')]),
        loaded(['--import', PRELOAD, path.join(outside, 'hooks.mjs')]),
        loaded(['--import', PRELOAD, hooks], { OTEL_SDK_DISABLED: 'true' }),
        loaded(['--import', PRELOAD, hooks], { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'postgres' }),
        loaded(['--import', PRELOAD, hooks], { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg' }),
      ]);
      expect(results).toEqual([true, true, false, false, false, false, false, false]);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
