// The `@opentelemetry/api` bridge end to end (issue 20): real child processes
// that use the real API — a tiny library written against it only
// (fixtures/otel/tiny-lib.cjs), API 1.10's ES module build, the real
// ioredis/mysql2 contrib instrumentations against this machine's Redis and
// MariaDB, the real OpenTelemetry SDK beside tracewire — exporting OTLP to
// receivers that decode with the official protos. Each request is sent from
// this process (plain http.request, not traced) with a traceparent of a fresh
// trace id, so a run's spans are the spans of that trace.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { FlatValue, OtlpReceiver, ReceivedSpan, startOtlpReceiver } from '../../core/test/helpers/otlp-receiver';
import { killAll, Started, startService } from './helpers/services';

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(__dirname, 'fixtures', 'otel');
const PRELOAD = '@tracewire/register';

const INTERNAL = 1;
const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

/** tracewire's receiver (every run exports here); OTel SDK runs add their own. */
let receiver: OtlpReceiver;
const receivers: OtlpReceiver[] = [];

beforeAll(async () => {
  for (const file of ['packages/register/dist/preload.js', 'packages/core/dist/core.js', 'packages/express/dist/index.js', 'packages/koa/dist/index.js']) {
    if (!fs.existsSync(path.join(ROOT, file))) throw new Error(`${file} is missing: build first with \`npm run build\`.`);
  }
  receiver = await startOtlpReceiver();
  receivers.push(receiver);
});

afterAll(async () => {
  killAll();
  await Promise.all(receivers.map((r) => r.close()));
});

async function otherReceiver(): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver();
  receivers.push(r);
  return r;
}

function env(service: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_SERVICE_NAME: service,
    ...extra,
  };
}

/** SIGTERM (tracewire flushes, the process exits as it would); SIGKILL if it lingers. */
async function stop(started: Started): Promise<void> {
  if (started.child.exitCode !== null || started.child.signalCode !== null) return;
  started.child.kill('SIGTERM');
  const timer = setTimeout(() => started.child.kill('SIGKILL'), 5000);
  await started.exited;
  clearTimeout(timer);
}

const newTraceId = (): string => randomBytes(16).toString('hex');
const newSpanId = (): string => randomBytes(8).toString('hex');

/** A GET from this process (not traced: no preload here) with the headers given; the body parsed as JSON. */
function get(port: number, urlPath: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port, path: urlPath, headers, agent: false }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // an error page: the status says it
          }
          resolve({ status: res.statusCode!, body });
        });
      })
      .on('error', reject)
      .end();
  });
}

const inTrace = (r: OtlpReceiver, traceId: string): ReceivedSpan[] => r.spans.filter((s) => s.traceId === traceId);

/** Polls until `ready` (or throws with `what` and what did arrive). */
async function waitUntil(ready: () => boolean, what: () => string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits for the trace's root-side span (the request's SERVER span, child of our remote parent: it ends last) and returns the trace. */
async function traceOf(r: OtlpReceiver, traceId: string, parentId: string): Promise<ReceivedSpan[]> {
  await waitUntil(
    () => inTrace(r, traceId).some((s) => s.parentSpanId === parentId),
    () => `the server span of trace ${traceId} at ${r.endpoint}; got [${inTrace(r, traceId).map((s) => s.name).join(', ')}] (${r.spans.length} spans in all)`,
  );
  return inTrace(r, traceId);
}

const describeSpan = (s: ReceivedSpan): string => `${s.name} (kind ${s.kind}, scope ${s.scope.name})`;
const byStart = (a: ReceivedSpan, b: ReceivedSpan): number => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1);

// ---------------------------------------------------------------------------
// 1. The API is tracewire, three ways in

interface ProbeRun {
  name: string;
  service: string;
  traceId: string;
  parentId: string;
  status: number;
  body: any;
  stderr: string;
  spans: ReceivedSpan[];
}

const BAGGAGE = 'tenant=acme,region=eu-west';

/** Starts a fixture, sends GET /probe with a traceparent and baggage of our own, collects its trace, stops it. */
async function probe(name: string, args: string[], extra: Record<string, string> = {}): Promise<ProbeRun> {
  const service = `otel-${name}`;
  const started = await startService(args, env(service, extra), ROOT);
  try {
    const traceId = newTraceId();
    const parentId = newSpanId();
    const response = await get(started.port, '/probe', { traceparent: `00-${traceId}-${parentId}-01`, baggage: BAGGAGE });
    const spans = response.status === 200 ? await traceOf(receiver, traceId, parentId) : [];
    await stop(started);
    return { name, service, traceId, parentId, status: response.status, body: response.body, stderr: started.stderr(), spans };
  } finally {
    started.child.kill('SIGKILL');
  }
}

/** What every way in must show for GET /probe of express.cjs / express.mjs / koa.cjs. */
function expectApiIsTracewire(run: ProbeRun): void {
  const { name, traceId, parentId, body, spans } = run;
  expect({ run: name, status: run.status, stderr: run.stderr }).toEqual({ run: name, status: 200, stderr: '' });

  // The request's SERVER span (tracewire's), child of the traceparent we sent.
  const servers = spans.filter((s) => s.parentSpanId === parentId);
  expect(servers.map(describeSpan)).toEqual([`GET /probe (kind ${SERVER}, scope @tracewire/http)`]);
  const server = servers[0];
  expect(server.resource['service.name']).toBe(run.service);

  // trace.getActiveSpan() inside the handler is that span.
  expect({ run: name, active: body.active }).toEqual({
    run: name,
    active: { traceId, spanId: server.spanId, traceFlags: 1, isRemote: false, recording: true },
  });

  // The library's span: exported by tracewire, in the request's trace, under the SERVER span, with its scope.
  const libSpans = spans.filter((s) => s.name === 'tiny-lib.work');
  expect(libSpans.map((s) => s.parentSpanId)).toEqual([server.spanId]);
  const lib = libSpans[0];
  expect({ run: name, kind: lib.kind, scope: lib.scope, resource: lib.resource['service.name'] }).toEqual({
    run: name,
    kind: INTERNAL,
    scope: { name: 'tiny-lib', version: '1.0.0' },
    resource: run.service,
  });
  expect(body.span).toEqual({ traceId, spanId: lib.spanId, traceFlags: 1, isRemote: false, recording: true });
  expect(lib.attributes).toEqual({ 'tiny.mode': 'full' });
  // Events, the exception event, the link and the status, as the official protos decode them.
  expect(lib.events.map((e) => e.name)).toEqual(['tiny.started', 'exception']);
  expect(lib.events[0].attributes).toEqual({ 'tiny.step': 1 });
  expect(lib.events[1].attributes).toMatchObject({ 'exception.type': 'Error', 'exception.message': 'tiny failure' });
  expect(String(lib.events[1].attributes['exception.stacktrace'])).toContain('tiny-lib.cjs');
  expect(lib.links.map(({ traceId: t, spanId, attributes }) => ({ traceId: t, spanId, attributes }))).toEqual([
    { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', attributes: { 'tiny.link': 'batch' } },
  ]);
  expect(lib.status).toEqual({ code: ERROR, message: 'tiny failed' });

  // propagation.inject wrote the library's span (same trace id) and the baggage; getBaggage saw the incoming member.
  expect(body.headers.traceparent).toBe(`00-${traceId}-${lib.spanId}-01`);
  expect(String(body.headers.baggage).split(',').sort()).toEqual(BAGGAGE.split(',').sort());
  expect(body.tenant).toBe('acme');

  // fetch, axios and http.get made inside the library's active span: CLIENT spans, children of it.
  const clients = spans.filter((s) => s.kind === CLIENT).sort(byStart);
  expect(clients.map((c) => ({ url: c.attributes['url.full'], parent: c.parentSpanId }))).toEqual(
    ['fetch', 'axios', 'http'].map((via) => ({ url: expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/backend/${via}$`)), parent: lib.spanId })),
  );
  // Each reached the backend with its own span id in traceparent, and made a server span there.
  expect(body.results.map((r: { traceparent: string }) => r.traceparent)).toEqual(clients.map((c) => `00-${traceId}-${c.spanId}-01`));
  const backends = spans.filter((s) => s.kind === SERVER && s !== server);
  expect(backends.map((s) => s.parentSpanId).sort()).toEqual(clients.map((c) => c.spanId).sort());
  expect(spans).toHaveLength(1 + 1 + 3 + 3);
}

describe('code using @opentelemetry/api gets tracewire: tracer, context, propagation', () => {
  const runs: Partial<Record<string, Promise<ProbeRun>>> = {};
  beforeAll(() => {
    const start = (key: string, run: () => Promise<ProbeRun>): void => {
      runs[key] = run();
      runs[key]!.catch(() => undefined); // reported by the test that awaits it
    };
    start('preload', () => probe('cjs-preload', ['-r', PRELOAD, path.join(FIXTURES, 'express.cjs')]));
    start('import', () => probe('esm-import', ['--import', PRELOAD, path.join(FIXTURES, 'express.mjs')]));
    start('express', () => probe('express-middleware', [path.join(FIXTURES, 'express.cjs')], { TW_MIDDLEWARE: '1' }));
    start('koa', () => probe('koa-middleware', [path.join(FIXTURES, 'koa.cjs')]));
  });

  it('node -r @tracewire/register (CommonJS)', async () => {
    expectApiIsTracewire(await runs.preload!);
  });

  it('node --import @tracewire/register (an .mjs app importing the API)', async () => {
    expectApiIsTracewire(await runs.import!);
  });

  it('app.use(tracing()) of @tracewire/express only, the API and a tracer taken at module top before tracing() ran', async () => {
    const run = await runs.express!;
    expect(run.body.tracewireFirst).toBe(false); // the premise: tracewire loaded after the API and the library's tracer
    expectApiIsTracewire(run);
  });

  it('app.use(tracing()) of @tracewire/koa only, the same', async () => {
    const run = await runs.koa!;
    expect(run.body.tracewireFirst).toBe(false);
    expectApiIsTracewire(run);
  });
});

// ---------------------------------------------------------------------------
// 2. API 1.10's ES module build

describe("API 1.10's ES module build (a copy no require hook sees)", () => {
  let dir: string;
  beforeAll(() => {
    // node_modules/@opentelemetry/api → the repository's otel-api-1-10 (API 1.10.0), next to a copy of the fixture.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-otel-esm-'));
    fs.mkdirSync(path.join(dir, 'node_modules', '@opentelemetry'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules', 'otel-api-1-10'), path.join(dir, 'node_modules', '@opentelemetry', 'api'), 'dir');
    fs.copyFileSync(path.join(FIXTURES, 'esm-api-1-10.mjs'), path.join(dir, 'app.mjs'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('node --import <preload> app.mjs: import { trace, context } gives tracewire spans in the request\'s trace (and so does the CommonJS build loaded later beside it)', async () => {
    const preload = pathToFileURL(path.join(ROOT, 'packages', 'register', 'esm.mjs')).href;
    const started = await startService(['--import', preload, 'app.mjs'], env('otel-esm-1-10'), dir);
    try {
      const request = async (urlPath: string): Promise<{ body: any; spans: ReceivedSpan[]; server: ReceivedSpan; work: ReceivedSpan }> => {
        const traceId = newTraceId();
        const parentId = newSpanId();
        const response = await get(started.port, urlPath, { traceparent: `00-${traceId}-${parentId}-01` });
        expect(response.status).toBe(200);
        const spans = await traceOf(receiver, traceId, parentId);
        const server = spans.find((s) => s.parentSpanId === parentId)!;
        expect(describeSpan(server)).toBe(`GET (kind ${SERVER}, scope @tracewire/http)`);
        expect(response.body.active).toEqual({ traceId, spanId: server.spanId, traceFlags: 1, isRemote: false, recording: true });
        const work = spans.filter((s) => s.name === 'esm-lib.work');
        expect(work.map((s) => ({ parent: s.parentSpanId, scope: s.scope, kind: s.kind }))).toEqual([
          { parent: server.spanId, scope: { name: 'esm-lib', version: '2.0.0' }, kind: INTERNAL },
        ]);
        expect(response.body.span).toEqual({ traceId, spanId: work[0].spanId, traceFlags: 1, isRemote: false, recording: true });
        expect(response.body.activeInside).toBe(true);
        // startSpan inside startActiveSpan: parented through the ES module copy's context.active().
        expect(spans.filter((s) => s.name === 'esm-lib.child').map((s) => s.parentSpanId)).toEqual([work[0].spanId]);
        return { body: response.body, spans, server, work: work[0] };
      };

      // The ES module build alone (its CommonJS build not loaded yet).
      const esm = await request('/esm');
      expect(esm.body.resolved).toMatch(/\/otel-api-1-10\/dist\/index\.mjs$/);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', '@opentelemetry', 'api', 'package.json'), 'utf8')).version).toMatch(/^1\.10\./);
      expect(esm.body.cjsLoaded).toBe(false);
      expect(esm.spans).toHaveLength(3);

      // Then the CommonJS build of the same API (a second copy): the same context, the same provider.
      const cjs = await request('/cjs');
      expect(cjs.body.required).toMatch(/\/otel-api-1-10\/dist\/index\.cjs$/);
      expect(cjs.body.cjsLoaded).toBe(true);
      expect(cjs.body.cjsActiveInside).toBe(true);
      expect(cjs.spans.filter((s) => s.name === 'cjs-lib.child').map((s) => ({ parent: s.parentSpanId, scope: s.scope }))).toEqual([
        { parent: cjs.work.spanId, scope: { name: 'cjs-lib', version: '2.0.1' } },
      ]);
      expect(cjs.spans).toHaveLength(4);

      await stop(started);
      expect(started.stderr()).toBe('');
    } finally {
      started.child.kill('SIGKILL');
    }
  });
});

// ---------------------------------------------------------------------------
// 3. OpenTelemetry contrib instrumentations on tracewire

describe('OpenTelemetry contrib instrumentations (ioredis, mysql2) export through tracewire', () => {
  const dbSystem = (s: ReceivedSpan): FlatValue | undefined => s.attributes['db.system.name'] ?? s.attributes['db.system'];
  const queryText = (s: ReceivedSpan): FlatValue | undefined => s.attributes['db.query.text'] ?? s.attributes['db.statement'];

  async function contribRun(name: string, args: string[], extra: Record<string, string> = {}): Promise<void> {
    const service = `otel-contrib-${name}`;
    const started = await startService(args, env(service, extra), ROOT);
    try {
      const traceId = newTraceId();
      const parentId = newSpanId();
      const response = await get(started.port, `/db/${name}`, { traceparent: `00-${traceId}-${parentId}-01` });
      expect(response).toEqual({ status: 200, body: { value: 'v1', one: 1 } });
      const spans = await traceOf(receiver, traceId, parentId);
      await stop(started);
      expect(started.stderr()).toBe('');

      const server = spans.find((s) => s.parentSpanId === parentId)!;
      expect(describeSpan(server)).toBe(`GET /db/:key (kind ${SERVER}, scope @tracewire/http)`);
      const rest = spans.filter((s) => s !== server).sort(byStart);
      expect(
        rest.map((s) => ({
          name: s.name,
          kind: s.kind,
          parent: s.parentSpanId === server.spanId ? 'server' : s.parentSpanId,
          scope: s.scope.name,
          system: dbSystem(s),
          service: s.resource['service.name'],
        })),
      ).toEqual([
        { name: 'set', kind: CLIENT, parent: 'server', scope: '@opentelemetry/instrumentation-ioredis', system: 'redis', service },
        { name: 'get', kind: CLIENT, parent: 'server', scope: '@opentelemetry/instrumentation-ioredis', system: 'redis', service },
        { name: expect.stringMatching(/^SELECT/), kind: CLIENT, parent: 'server', scope: '@opentelemetry/instrumentation-mysql2', system: 'mysql', service },
      ]);
      const [set, get_, select] = rest;
      expect(queryText(set)).toBe(`set tracewire:otel-contrib:${name} [1 other arguments]`);
      expect(queryText(get_)).toBe(`get tracewire:otel-contrib:${name}`);
      expect(set.attributes).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': 6379 });
      expect(queryText(select)).toBe('SELECT 1 AS one');
      expect(select.attributes).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': 3306 });
      expect(select.attributes['db.namespace'] ?? select.attributes['db.name']).toBe('test');
    } finally {
      started.child.kill('SIGKILL');
    }
  }

  it('under the preload', async () => {
    await contribRun('preload', ['-r', PRELOAD, path.join(FIXTURES, 'contrib.cjs')]);
  });

  it('with only the middleware line (the instrumentations registered before tracing() ran)', async () => {
    await contribRun('middleware', [path.join(FIXTURES, 'contrib.cjs')], { TW_MIDDLEWARE: '1' });
  });
});

// ---------------------------------------------------------------------------
// 4. Coexistence with the OpenTelemetry SDK during a migration

describe('beside the OpenTelemetry SDK (NodeTracerProvider + OTLP exporter + http and net instrumentations, fixtures/otel/otel-sdk.cjs)', () => {
  /** Any attribute of a span that names `port` on 127.0.0.1 (url.full, http.url, server.port, net.peer.port…). */
  const mentionsPort = (s: ReceivedSpan, port: number): boolean =>
    Object.values(s.attributes).some((v) => v === port || (typeof v === 'string' && v.includes(`127.0.0.1:${port}`)));
  const OTEL_HTTP = '@opentelemetry/instrumentation-http';
  const OTEL_NET = '@opentelemetry/instrumentation-net';

  interface Coexisting {
    service: string;
    /** tracewire's spans (receiver A) and the OTel SDK's (receiver B) of this run. */
    a: ReceivedSpan[];
    b: ReceivedSpan[];
    aPort: number;
    bPort: number;
    appPort: number;
    /** Export requests each receiver got from this run. */
    aExports: number;
    bExports: number;
    traces: Array<{ traceId: string; parentId: string; status: number; body: any }>;
    alive: boolean;
    stderr: string;
  }

  /**
   * Two requests to GET /work/:n. After the first, both exporters have sent (A
   * got spans of its trace, B the OTel SDK's server span); the second request's
   * spans then leave after any span either SDK made of the other's first export,
   * so once A and B hold the second request's spans, such a span would be there.
   */
  async function coexist(name: string, args: string[], extra: Record<string, string>): Promise<Coexisting> {
    const service = `otel-coexist-${name}`;
    const b = await otherReceiver();
    const started = await startService(args, env(service, { OTEL_SDK_URL: b.url, ...extra }), ROOT);
    try {
      const traces: Coexisting['traces'] = [];
      for (const n of [1, 2]) {
        const traceId = newTraceId();
        const parentId = newSpanId();
        const response = await get(started.port, `/work/${n}`, { traceparent: `00-${traceId}-${parentId}-01` });
        traces.push({ traceId, parentId, status: response.status, body: response.body });
        await waitUntil(
          () => inTrace(receiver, traceId).length > 0 && inTrace(b, traceId).some((s) => s.kind === SERVER && s.parentSpanId === parentId),
          () => `spans of trace ${traceId} at A and the OTel SDK's server span at B; A has [${inTrace(receiver, traceId).map(describeSpan).join(', ')}], B [${inTrace(b, traceId).map(describeSpan).join(', ')}]`,
        );
      }
      const alive = started.child.exitCode === null && started.child.signalCode === null;
      await stop(started);
      const ours = (r: OtlpReceiver['requests'][number]): boolean => r.spans.some((s) => s.resource['service.name'] === service);
      return {
        service,
        a: receiver.spans.filter((s) => s.resource['service.name'] === service),
        b: [...b.spans],
        aPort: Number(new URL(receiver.endpoint).port),
        bPort: Number(new URL(b.endpoint).port),
        appPort: started.port,
        aExports: receiver.requests.filter(ours).length,
        bExports: b.requests.length,
        traces,
        alive,
        stderr: started.stderr(),
      };
    } finally {
      started.child.kill('SIGKILL');
    }
  }

  const runs: Partial<Record<'preload' | 'middleware', Promise<Coexisting>>> = {};
  beforeAll(() => {
    runs.preload = coexist('preload', ['-r', PRELOAD, path.join(FIXTURES, 'coexist.cjs')], {});
    runs.middleware = coexist('middleware', [path.join(FIXTURES, 'coexist.cjs')], { TW_MIDDLEWARE: '1' });
    for (const run of Object.values(runs)) run!.catch(() => undefined); // reported by the tests that await them
  });

  /** Spans of `spans` that trace a request to `port` or to /v1/traces. */
  const exportSpans = (spans: ReceivedSpan[], port: number): string[] =>
    spans.filter((s) => mentionsPort(s, port) || JSON.stringify(s.attributes).includes('/v1/traces')).map(describeSpan);

  /**
   * OTel's http and net instrumentations were on (they traced the app's http.get to /ping and its
   * connection), A got 2+ exports, and no OTel span traced an export to A. tracewire's exporter does
   * not use node:http, so it is the net instrumentation that would see it were tracewire's own I/O not
   * suppressed in the context the API's instrumentations read.
   */
  function expectOtelDoesNotTraceTracewiresExporter(run: Coexisting): void {
    expect(run.aExports).toBeGreaterThanOrEqual(2);
    for (const { traceId } of run.traces) {
      expect(run.b.filter((s) => s.traceId === traceId && s.kind === CLIENT && s.scope.name === OTEL_HTTP && String(s.attributes['url.full'] ?? s.attributes['http.url']).endsWith('/ping'))).toHaveLength(1);
    }
    // The first http.get opened the connection (kept alive for the second).
    expect(run.b.filter((s) => s.traceId === run.traces[0].traceId && s.scope.name === OTEL_NET && s.attributes['server.port'] === run.appPort).map((s) => s.name)).toEqual(['tcp.connect']);
    expect(exportSpans(run.b, run.aPort)).toEqual([]);
  }

  /** tracewire's http client tracing was on (it traced the app's http.get to /ping), B exported 2+ times, and no tracewire span traced an export to B. */
  function expectTracewireDoesNotTraceOtelsExporter(run: Coexisting): void {
    expect(run.bExports).toBeGreaterThanOrEqual(2);
    for (const { traceId } of run.traces) {
      expect(run.a.filter((s) => s.traceId === traceId && s.kind === CLIENT && s.scope.name === '@tracewire/http' && String(s.attributes['url.full']).endsWith('/ping')).map(describeSpan)).toEqual([
        `GET (kind ${CLIENT}, scope @tracewire/http)`,
      ]);
    }
    expect(exportSpans(run.a, run.bPort)).toEqual([]);
  }

  describe('tracewire first (the preload), then the app registers the SDK', () => {
    it('the app serves and lives; OTel\'s http and net instrumentations do not trace tracewire\'s exporter; the API stays tracewire\'s', async () => {
      const run = await runs.preload!;
      expect({ alive: run.alive, statuses: run.traces.map((t) => t.status) }).toEqual({ alive: true, statuses: [200, 200] });
      expectOtelDoesNotTraceTracewiresExporter(run);
      // tracewire registered the API first: the app's OTel-API span is exported by tracewire, not by the SDK.
      for (const { traceId, body } of run.traces) {
        const work = run.a.filter((s) => s.traceId === traceId && s.name.startsWith('app.work'));
        expect(work.map((s) => ({ spanId: s.spanId, scope: s.scope }))).toEqual([{ spanId: body.span.spanId, scope: { name: 'migrating-app', version: '3.0.0' } }]);
      }
      expect(run.b.filter((s) => s.name.startsWith('app.work'))).toEqual([]);
      expect(run.stderr).toBe('');
    });

    // OTel's InstrumentationBase unwraps any shimmer-marked wrapper (`__wrapped`) before wrapping: with
    // shimmer's markers, HttpInstrumentation enabled after the preload removed tracewire's http wrappers.
    // core's wrap (shim.ts) leaves no such marker, so OTel wraps on top and both trace.
    it('tracewire\'s own http tracing stays on beside OTel\'s, and does not trace the OTel exporter\'s requests', async () => {
      const run = await runs.preload!;
      for (const { traceId, parentId } of run.traces) {
        expect(run.a.filter((s) => s.traceId === traceId && s.parentSpanId === parentId).map(describeSpan)).toEqual([`GET /work/:n (kind ${SERVER}, scope @tracewire/http)`]);
      }
      expectTracewireDoesNotTraceOtelsExporter(run);
    });
  });

  describe('the SDK first, then app.use(tracing())', () => {
    it('tracewire warns once that another SDK registered the API and leaves it to it: OTel-API spans go to the SDK', async () => {
      const run = await runs.middleware!;
      expect({ alive: run.alive, statuses: run.traces.map((t) => t.status) }).toEqual({ alive: true, statuses: [200, 200] });
      const lines = run.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^\[tracewire\] .*another OpenTelemetry SDK/);
      for (const { traceId, parentId, body } of run.traces) {
        const work = run.b.filter((s) => s.traceId === traceId && s.name.startsWith('app.work'));
        expect(work.map((s) => ({ spanId: s.spanId, scope: s.scope.name }))).toEqual([{ spanId: body.span.spanId, scope: 'migrating-app' }]);
        // tracewire still traces the request itself.
        expect(run.a.filter((s) => s.traceId === traceId && s.parentSpanId === parentId).map(describeSpan)).toEqual([`GET /work/:n (kind ${SERVER}, scope @tracewire/http)`]);
      }
      expect(run.a.filter((s) => s.name.startsWith('app.work'))).toEqual([]);
    });

    it('tracewire honours the SDK\'s suppress-tracing key (its exporter is not traced), and its own exporter is not traced by OTel', async () => {
      const run = await runs.middleware!;
      expectTracewireDoesNotTraceOtelsExporter(run);
      expectOtelDoesNotTraceTracewiresExporter(run);
    });
  });
});

// ---------------------------------------------------------------------------
// 5. Turned off by name

describe('OTEL_NODE_DISABLED_INSTRUMENTATIONS=opentelemetry-api', () => {
  it('under the preload: the API stays a no-op (no active span, no library span), tracewire traces the rest', async () => {
    const run = await probe('disabled', ['-r', PRELOAD, path.join(FIXTURES, 'express.cjs')], { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'opentelemetry-api' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 200, stderr: '' });
    expect(run.body.active).toBeNull();
    expect(run.body.span).toMatchObject({ spanId: '0000000000000000', recording: false });
    expect(run.body.tenant).toBeNull();
    expect(run.body.headers).toEqual({});
    const server = run.spans.find((s) => s.parentSpanId === run.parentId)!;
    expect(describeSpan(server)).toBe(`GET /probe (kind ${SERVER}, scope @tracewire/http)`);
    // No span of the library's; the outgoing calls are children of the SERVER span.
    expect(run.spans.filter((s) => s.scope.name === 'tiny-lib' || s.name === 'tiny-lib.work')).toEqual([]);
    const clients = run.spans.filter((s) => s.kind === CLIENT);
    expect(clients.map((c) => c.parentSpanId)).toEqual([server.spanId, server.spanId, server.spanId]);
    expect(run.spans).toHaveLength(1 + 3 + 3);
    expect(receiver.spans.filter((s) => s.resource['service.name'] === run.service && s.scope.name === 'tiny-lib')).toEqual([]);
  });
});
