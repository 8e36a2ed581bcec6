// The preload end to end: real child processes started with
// `node -r @tracewire/register`, exporting OTLP/protobuf to a receiver that
// decodes with the official OpenTelemetry definitions.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from '../../core/test/helpers/otlp-receiver';

const ROOT = path.resolve(__dirname, '../../..');
const EXAMPLE = path.join(ROOT, 'examples', 'two-services');
const children: ChildProcess[] = [];
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  receiver.clear();
});

afterAll(async () => {
  await receiver.close();
});

function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50', ...extra };
}

/** Starts a script with the preload and resolves with its port (the script prints `listening <port>`). */
function startService(file: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child = spawn(process.execPath, ['-r', '@tracewire/register', file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}: ${stderr}`)));
    child.stdout!.once('data', (line) => {
      const m = /listening (\d+)/.exec(String(line));
      if (m) resolve({ child, port: Number(m[1]), stderr: () => stderr });
      else reject(new Error(`unexpected output from ${file}: ${line}`));
    });
  });
}

function get(url: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

/** Runs node with the preload (or without: `preload` false) to completion without blocking this process (the receiver must keep answering). */
function runNode(args: string[], env: NodeJS.ProcessEnv, preload = true): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...(preload ? ['-r', '@tracewire/register'] : []), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('two services, one trace', () => {
  it('A calls B with axios, fetch and http.get: one trace, correct parents, kinds and attributes', async () => {
    const b = await startService(path.join(EXAMPLE, 'b.js'), baseEnv({ OTEL_SERVICE_NAME: 'service-b' }));
    const a = await startService(path.join(EXAMPLE, 'a.js'), baseEnv({ OTEL_SERVICE_NAME: 'service-a', B_URL: `http://127.0.0.1:${b.port}` }));
    const response = await get(`http://127.0.0.1:${a.port}/checkout`);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      price: { sku: 'book', price: 42 },
      stock: { inStock: true },
      again: { sku: 'pen', price: 42 },
    });

    const spans = await receiver.waitForSpans(7, 10000);
    expect(spans).toHaveLength(7);
    const service = (s: ReceivedSpan): unknown => s.resource['service.name'];
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);

    const [root] = spans.filter((s) => s.parentSpanId === '');
    expect(service(root)).toBe('service-a');
    expect(root.kind).toBe(2);
    expect(root.name).toBe('GET');
    expect(root.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/checkout',
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'server.port': a.port,
    });
    expect(root.scope.name).toBe('@tracewire/http');

    const clients = spans.filter((s) => s.kind === 3);
    expect(clients).toHaveLength(3);
    for (const client of clients) {
      expect(service(client)).toBe('service-a');
      expect(client.parentSpanId).toBe(root.spanId);
      expect(client.name).toBe('GET');
      expect(client.attributes).toMatchObject({
        'http.request.method': 'GET',
        'server.address': '127.0.0.1',
        'server.port': b.port,
        'http.response.status_code': 200,
      });
    }
    expect(clients.map((c) => c.attributes['url.full']).sort()).toEqual([
      `http://127.0.0.1:${b.port}/price?sku=book`,
      `http://127.0.0.1:${b.port}/price?sku=pen`,
      `http://127.0.0.1:${b.port}/stock`,
    ]);

    const servers = spans.filter((s) => service(s) === 'service-b');
    expect(servers).toHaveLength(3);
    expect(servers.map((s) => s.parentSpanId).sort()).toEqual(clients.map((c) => c.spanId).sort());
    for (const server of servers) {
      expect(server.kind).toBe(2);
      expect(server.flags & 0x300).toBe(0x300); // parent is remote, and says so
      const client = clients.find((c) => c.spanId === server.parentSpanId)!;
      expect(client.attributes['url.full']).toContain(String(server.attributes['url.path']));
    }
    // The exporter's own requests to the receiver are never traced.
    expect(spans.some((s) => String(s.attributes['url.full'] ?? '').includes('/v1/traces'))).toBe(false);
    expect(a.stderr()).toBe('');
    expect(b.stderr()).toBe('');
  });
});

describe('process exit is unchanged', () => {
  const server = (extra = ''): string => `
    const http = require('http');
    const s = http.createServer((req, res) => res.end('ok'));
    s.listen(0, '127.0.0.1', () => process.stdout.write('listening ' + s.address().port + '\\n'));
    ${extra}
  `;

  it('SIGTERM flushes queued spans, then the process dies of SIGTERM as it would without tracing', async () => {
    const file = path.join(EXAMPLE, 'b.js');
    const svc = await startService(file, baseEnv({ OTEL_BSP_SCHEDULE_DELAY: '600000' }));
    await get(`http://127.0.0.1:${svc.port}/price?sku=x`);
    svc.child.kill('SIGTERM');
    const exit = await exited(svc.child);
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(receiver.spans.map((s) => s.attributes['url.path'])).toEqual(['/price']);
  });

  it("an app's own SIGTERM handler still decides how it exits", async () => {
    const child = spawn(process.execPath, ['-r', '@tracewire/register', '-e', server(`process.on('SIGTERM', () => { s.close(); setTimeout(() => process.exit(7), 50); });`)], {
      cwd: ROOT,
      env: baseEnv({ OTEL_BSP_SCHEDULE_DELAY: '600000' }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const port = await new Promise<number>((resolve) => child.stdout!.once('data', (l) => resolve(Number(/(\d+)/.exec(String(l))![1]))));
    await get(`http://127.0.0.1:${port}/`);
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 7, signal: null });
  });

  it('a script that ends by itself exports its spans before exiting, with its own exit code', async () => {
    const script = `
      const http = require('http');
      const s = http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', () => {
        http.get('http://127.0.0.1:' + s.address().port + '/done', (res) => { res.resume(); res.on('end', () => { s.close(); process.exitCode = 3; }); });
      });
    `;
    const result = await runNode(['-e', script], baseEnv({ OTEL_BSP_SCHEDULE_DELAY: '600000' }));
    expect(result.status).toBe(3);
    // Already received before the process ended: beforeExit flushed them.
    expect(receiver.spans.map((s) => s.kind).sort()).toEqual([2, 3]);
  });

  it('an unreachable collector costs nothing but the spans: the app answers and exits promptly', async () => {
    const svc = await startService(path.join(EXAMPLE, 'b.js'), baseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_BSP_SCHEDULE_DELAY: '10' }));
    for (let i = 0; i < 5; i++) expect((await get(`http://127.0.0.1:${svc.port}/price?sku=${i}`)).status).toBe(200);
    const started = Date.now();
    svc.child.kill('SIGTERM');
    expect(await exited(svc.child)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('configuration', () => {
  it('OTEL_SDK_DISABLED=true: no spans, no trace headers', async () => {
    const b = await startService(path.join(EXAMPLE, 'b.js'), baseEnv({ OTEL_SDK_DISABLED: 'true' }));
    const echo = `
      const http = require('http');
      const s = http.createServer((req, res) => res.end(JSON.stringify(req.headers))).listen(0, '127.0.0.1', () => {
        http.get('http://127.0.0.1:' + s.address().port + '/', (res) => { let b = ''; res.on('data', (c) => b += c); res.on('end', () => { console.log(b); s.close(); }); });
      });
    `;
    const result = await runNode(['-e', echo], baseEnv({ OTEL_SDK_DISABLED: 'true' }));
    expect(Object.keys(JSON.parse(result.stdout))).not.toContain('traceparent');
    expect((await get(`http://127.0.0.1:${b.port}/price?sku=1`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.spans).toHaveLength(0);
  });

  it('loads no http module for a script that does not use it (start-up stays cheap)', async () => {
    const result = await runNode(
      ['-e', "console.log(JSON.stringify(['http','https','tls','zlib'].filter((m) => process.moduleLoadList.includes('NativeModule ' + m))))"],
      baseEnv(),
    );
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual([]);
  });

  it('loads only the preload’s entry and bundle and core’s bundle at start; an instrumentation’s patch code loads with the module it patches', async () => {
    const list = "console.log(JSON.stringify(Object.keys(require.cache)))";
    const loaded = (stdout: string): string[] =>
      (JSON.parse(stdout) as string[]).map((file) => path.relative(ROOT, fs.realpathSync(file)).split(path.sep).join('/'));
    const idle = await runNode(['-e', list], baseEnv());
    expect(idle.stderr).toBe('');
    // Three files, where the unbundled preload loaded ~40 (each a resolution, a read and a compile).
    expect(loaded(idle.stdout).sort()).toEqual([
      'packages/core/dist/core.js',
      'packages/register/dist/bundle.js',
      'packages/register/dist/preload.js',
    ]);

    // The app's first require of express brings express's patch code from its own package, and nothing of the others.
    const used = await runNode(['-e', `require('express'); ${list}`], baseEnv());
    const files = loaded(used.stdout);
    expect(files).toContain('packages/express/dist/patch.js');
    for (const pkg of ['koa', 'pg', 'postgres', 'logs']) expect(files.filter((f) => f.startsWith(`packages/${pkg}/`))).toEqual([]);
    // Core is never loaded twice (its bundle and its tsc files would be two tracers).
    expect(files.filter((f) => f.startsWith('packages/core/'))).toEqual(['packages/core/dist/core.js']);
  });

  it('loads neither perf_hooks nor AbortController at start: the clock starts with the first span (perf_hooks brings AbortController), the exporter’s abort signal with its first export', async () => {
    const probe =
      "const l = () => ['perf_hooks', 'internal/abort_controller'].filter((m) => process.moduleLoadList.includes('NativeModule ' + m));" +
      "const before = l(); require('@tracewire/core').getTracer('t').startSpan('s').end(); console.log(JSON.stringify([before, l()]))";
    const result = await runNode(['-e', probe], baseEnv());
    expect(result.stderr).toBe('');
    const [before, after] = JSON.parse(result.stdout) as string[][];
    expect(before).toEqual([]);
    expect(after).toContain('perf_hooks');
  });

  describe('OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS', () => {
    // An Express app that calls its own route once with http.get, then ends.
    const app = (middleware: boolean): string => `
      const express = require('express');
      const http = require('http');
      const app = express();
      ${middleware ? "app.use(require('@tracewire/express').tracing());" : ''}
      app.get('/users/:id', (req, res) => res.json({ id: req.params.id }));
      const s = app.listen(0, '127.0.0.1', () => {
        http.get('http://127.0.0.1:' + s.address().port + '/users/7', (res) => {
          let body = ''; res.on('data', (c) => body += c); res.on('end', () => { console.log(body); s.close(); });
        });
      });
    `;
    const names = (): string[] => receiver.spans.map((span) => `${span.kind === 2 ? 'SERVER' : 'CLIENT'} ${span.name}`).sort();

    it('by default the preload traces the request, the route and the outgoing call', async () => {
      const result = await runNode(['-e', app(false)], baseEnv());
      expect(result.stdout).toBe('{"id":"7"}\n');
      expect(names()).toEqual(['CLIENT GET', 'SERVER GET /users/:id']);
    });

    it('a disabled instrumentation is left unpatched: without express, the server span has no route', async () => {
      const result = await runNode(['-e', app(false)], baseEnv({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express' }));
      expect(result.stdout).toBe('{"id":"7"}\n');
      expect(result.stderr).toBe('');
      expect(names()).toEqual(['CLIENT GET', 'SERVER GET']);
      expect(receiver.spans.find((span) => span.kind === 2)!.attributes['http.route']).toBeUndefined();
    });

    it('the enabled list names the only ones on: express alone makes no spans (it names the span http makes)', async () => {
      const result = await runNode(['-e', app(false)], baseEnv({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'Express' }));
      expect(result.stdout).toBe('{"id":"7"}\n');
      expect(result.stderr).toBe('');
      expect(receiver.spans).toHaveLength(0);
    });

    it('a name in both lists is off', async () => {
      const result = await runNode(['-e', app(false)], baseEnv({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,Express', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express' }));
      expect(result.stdout).toBe('{"id":"7"}\n');
      expect(names()).toEqual(['CLIENT GET', 'SERVER GET']);
    });

    it('names tracewire does not have are reported once and ignored', async () => {
      const result = await runNode(['-e', app(false)], baseEnv({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'fs,dns' }));
      expect(result.stdout).toBe('{"id":"7"}\n');
      expect(result.stderr).toBe(
        '[tracewire] OTEL_NODE_DISABLED_INSTRUMENTATIONS names fs, dns, which tracewire does not have (it has opentelemetry-api, http, express, koa, pg, postgres, pino, winston); ignored.\n',
      );
      expect(names()).toEqual(['CLIENT GET', 'SERVER GET /users/:id']);
    });

    it('the middleware line honours them too: with http disabled it turns nothing on', async () => {
      const result = await runNode(['-e', app(true)], baseEnv({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http' }), false);
      expect(result.stdout).toBe('{"id":"7"}\n');
      expect(result.stderr).toBe('');
      expect(receiver.spans).toHaveLength(0);
      const traced = await runNode(['-e', app(true)], baseEnv(), false);
      expect(traced.stdout).toBe('{"id":"7"}\n');
      expect(names()).toEqual(['CLIENT GET', 'SERVER GET /users/:id']);
    });
  });

  it('warns clearly about a bad setting and keeps running', async () => {
    const result = await runNode(['-e', "console.log('app ran')"], baseEnv({ OTEL_TRACES_SAMPLER: 'sometimes' }));
    expect(result.stdout).toBe('app ran\n');
    expect(result.stderr).toMatch(/^\[tracewire\] OTEL_TRACES_SAMPLER="sometimes" is not supported/);
  });
});
