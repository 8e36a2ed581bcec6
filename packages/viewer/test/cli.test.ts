// The tracewire-viewer command, run as a real child process from the compiled
// dist/ (built here first, so the test never runs a stale build).
import { ChildProcessWithoutNullStreams, execFileSync, spawn } from 'child_process';
import * as net from 'net';
import * as path from 'path';
import { postProto, SHOP, shopRequest, waitFor } from './helpers';

const PACKAGE = path.resolve(__dirname, '..');
const CLI = path.join(PACKAGE, 'dist', 'cli.js');

beforeAll(() => {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', PACKAGE], { stdio: 'pipe' });
}, 60000);

interface Run {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(args: string[]): Run {
  const env = { ...process.env };
  delete env.NO_COLOR;
  const child = spawn(process.execPath, [CLI, ...args], { env });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, out: () => out, err: () => err, exit };
}

async function started(r: Run): Promise<{ otlpUrl: string; webUrl: string }> {
  const match = await waitFor(`the start-up line (stdout so far: ${JSON.stringify(r.out())}, stderr: ${JSON.stringify(r.err())})`, () =>
    /OTLP receiver on (http:\/\/127\.0\.0\.1:\d+\/v1\/traces), UI on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(r.out()) ?? undefined,
  );
  return { otlpUrl: match[1], webUrl: match[2] };
}

/** A port something else is listening on. */
async function takenPort(): Promise<{ port: number; close: () => void }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

test('port 0 prints the real ports; a posted trace is printed as a waterfall; SIGINT exits 0', async () => {
  const r = run(['--otlp-port', '0', '--port', '0']);
  try {
    const { otlpUrl, webUrl } = await started(r);
    expect(otlpUrl).not.toMatch(/:0\//);
    expect(webUrl).not.toMatch(/:0$/);
    expect(r.out()).toContain(`OTEL_EXPORTER_OTLP_ENDPOINT=${otlpUrl.replace('/v1/traces', '')}`);

    expect((await postProto(otlpUrl, shopRequest())).status).toBe(200);
    await waitFor('the failed trace on stdout', () => (r.out().includes(`trace ${SHOP.failed}`) && r.out().includes('SELECT shop') ? true : undefined));
    const lines = r.out().split('\n');
    const header = lines.findIndex((l) => l.startsWith(`trace ${SHOP.failed}`));
    expect(lines[header]).toBe(`trace ${SHOP.failed}  gateway GET /checkout/13  120.0 ms  7 spans  2 errors`);
    expect(lines.slice(header + 1, header + 8).map((l) => l.replace(/│.*│/, '|bar|'))).toEqual([
      'gateway  GET /checkout/13       |bar| 120.0 ms  ✗ HTTP 500',
      '  gateway  POST                 |bar|  30.0 ms',
      '    auth  POST /login           |bar|  26.0 ms',
      '      auth  auth_service        |bar|  22.0 ms',
      '  gateway  GET                  |bar|  75.0 ms',
      '    catalog  GET /products/:id  |bar|  70.0 ms  ✗ product 13 exploded',
      '      catalog  SELECT shop      |bar|  10.0 ms',
    ]);
    // stdout is a pipe, not a terminal: no colour.
    expect(r.out()).not.toContain('\x1b');
    expect(await (await fetch(`${webUrl}/api/services`)).json()).toEqual(['auth', 'catalog', 'gateway']);
  } finally {
    r.child.kill('SIGINT');
  }
  expect(await r.exit).toEqual({ code: 0, signal: null });
  expect(r.err()).toBe('');
});

test('SIGTERM exits 0 too; --quiet prints no waterfalls', async () => {
  const r = run(['--otlp-port', '0', '--port', '0', '--quiet']);
  const { otlpUrl, webUrl } = await started(r);
  await postProto(otlpUrl, shopRequest());
  await waitFor('the traces to finish', async () => {
    const trace = (await (await fetch(`${webUrl}/api/traces/${SHOP.failed}`)).json()) as { finished: boolean };
    return trace.finished || undefined;
  });
  expect(r.out()).not.toContain('trace ');
  r.child.kill('SIGTERM');
  expect(await r.exit).toEqual({ code: 0, signal: null });
});

test.each([
  ['--otlp-port', 'OTLP receiver'],
  ['--port', 'web UI'],
])('a taken %s port: one line naming the port and the flag, exit 1', async (flag, role) => {
  const taken = await takenPort();
  try {
    const other = flag === '--port' ? '--otlp-port' : '--port';
    const r = run([flag, String(taken.port), other, '0']);
    expect(await r.exit).toEqual({ code: 1, signal: null });
    expect(r.err()).toBe(`tracewire-viewer: port ${taken.port} on 127.0.0.1 is already in use (${role}); choose another with ${flag}\n`);
  } finally {
    taken.close();
  }
});

test.each([
  [['--port', 'http'], 'tracewire-viewer: --port must be a port number from 0 to 65535, got "http"'],
  [['--otlp-port', '70000'], 'tracewire-viewer: --otlp-port must be a port number from 0 to 65535, got "70000"'],
  [['--colour'], "tracewire-viewer: Unknown option '--colour'"],
])('bad arguments %p: exit 2 with the reason and the usage', async (args, message) => {
  const r = run(args);
  expect(await r.exit).toEqual({ code: 2, signal: null });
  expect(r.err().split('\n')[0]).toBe(message);
  expect(r.err()).toContain('usage: tracewire-viewer');
});

test('--help prints the usage and exits 0', async () => {
  const r = run(['--help']);
  expect(await r.exit).toEqual({ code: 0, signal: null });
  expect(r.out()).toMatch(/^usage: tracewire-viewer \[--otlp-port 4318\] \[--port 16686\] \[--host 127\.0\.0\.1\] \[--quiet\]/);
});
