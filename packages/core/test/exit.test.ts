// Tracing never holds a process open, and says at once when its spans go
// nowhere: real child processes (the built core, started with start()) against
// a collector on 127.0.0.1 that never answers or refuses connections, each
// timed against the same script untraced.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import { AddressInfo } from 'net';
import * as path from 'path';

const CORE = path.join(__dirname, '../dist/core.js');

interface Collector {
  endpoint: string;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/** 'hang' accepts connections and reads requests but never answers; 'refuse' is a port nothing listens on. */
async function collector(kind: 'hang' | 'refuse'): Promise<Collector> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  };
  if (kind === 'refuse') await close();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    close,
  };
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the script printing "done" (its work is over) to its exit: start-up times, which vary, left out. */
  afterDone: number;
  stdout: string;
  stderr: string;
}

/** Runs `script` with core loaded (and started when traced); `onStdout` may act on its output (e.g. send a signal). */
function run(script: string, traced: boolean, env: Record<string, string>, onStdout?: (text: string, child: ChildProcess) => void): Promise<Run> {
  const prelude = `const core = require(${JSON.stringify(CORE)}); if (${traced}) core.start();\n`;
  const child = spawn(process.execPath, ['-e', prelude + script], {
    env: { PATH: process.env.PATH, OTEL_SERVICE_NAME: 'exit-test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let doneAt = Number.NaN;
  child.stdout!.on('data', (d) => {
    stdout += d;
    if (Number.isNaN(doneAt) && stdout.includes('done')) doneAt = Date.now();
    onStdout?.(stdout, child);
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 25000);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, afterDone: Date.now() - doneAt, stdout, stderr });
    }),
  );
}

// A script that does its work (a server, a request to itself, spans) and ends by itself, exit code 3.
const SCRIPT_ENDS = `
const http = require('http');
const server = http.createServer((req, res) => core.trace.span('handle', () => res.end('ok')));
server.listen(0, '127.0.0.1', () => {
  http.get('http://127.0.0.1:' + server.address().port + '/', (res) => {
    res.resume();
    res.on('end', () => {
      for (let i = 0; i < 20; i++) core.trace.startSpan('work ' + i).end();
      // Long enough for an export to be on its way when the script ends (OTEL_BSP_SCHEDULE_DELAY=1).
      setTimeout(() => { console.log('done'); server.close(); process.exitCode = 3; }, 100);
    });
  });
});`;

// A server whose SIGTERM handler closes it and lets the event loop drain.
const SCRIPT_SIGTERM = `
const http = require('http');
const server = http.createServer((req, res) => core.trace.span('handle', () => res.end('ok')));
process.on('SIGTERM', () => server.close());
server.listen(0, '127.0.0.1', () => {
  http.get('http://127.0.0.1:' + server.address().port + '/', (res) => {
    res.resume();
    res.on('end', () => setTimeout(() => console.log('ready'), 100));
  });
});`;

beforeAll(() => {
  if (!fs.existsSync(CORE)) throw new Error(`${CORE} is missing: build first with \`npm run build\` (npm test does).`);
});

describe('an ending process is never held open by tracing', () => {
  const collectors: Collector[] = [];
  afterEach(async () => {
    for (const c of collectors.splice(0)) await c.close();
  });

  async function against(kind: 'hang' | 'refuse'): Promise<Collector> {
    const c = await collector(kind);
    collectors.push(c);
    return c;
  }

  test.each([
    ['spans queued at exit', '5000'],
    ['an export in flight at exit', '1'],
  ])('a collector that never answers, %s: the script exits within 2.5 s of its untraced time, exit code unchanged', async (_label, delay) => {
    const hang = await against('hang');
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: hang.endpoint, OTEL_BSP_SCHEDULE_DELAY: delay };
    const untraced = await run(SCRIPT_ENDS, false, env);
    const traced = await run(SCRIPT_ENDS, true, env);
    expect(untraced.code).toBe(3);
    expect(traced.code).toBe(3);
    expect(hang.connections).toBeGreaterThan(0);
    expect(traced.afterDone - untraced.afterDone).toBeLessThan(2500);
    // The old exporter held it for the whole request timeout (10 s).
    expect(traced.afterDone).toBeLessThan(5000);
    expect(traced.stderr).toMatch(/exiting with spans not exported: the exit flush gave up after 2000 ms/);
  });

  test('a refused connection fails at once: no wait for the bound, and the process says its spans went nowhere', async () => {
    const refused = await against('refuse');
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: refused.endpoint };
    const untraced = await run(SCRIPT_ENDS, false, env);
    const traced = await run(SCRIPT_ENDS, true, env);
    expect(traced.code).toBe(3);
    expect(untraced.code).toBe(3);
    expect(traced.afterDone - untraced.afterDone).toBeLessThan(1000);
    expect(traced.stderr).toContain(`export of 21 spans failed: POST ${refused.endpoint}/v1/traces: connect ECONNREFUSED`);
  });

  test('a SIGTERM handler that closes the server: the loop drains and the process exits within 2.5 s of its untraced time', async () => {
    const hang = await against('hang');
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: hang.endpoint, OTEL_BSP_SCHEDULE_DELAY: '1' };
    const timeToExit = async (traced: boolean): Promise<{ run: Run; afterSignal: number }> => {
      let signalled = 0;
      const result = await run(SCRIPT_SIGTERM, traced, env, (out, child) => {
        if (out.includes('ready') && signalled === 0) {
          signalled = Date.now();
          child.kill('SIGTERM');
        }
      });
      return { run: result, afterSignal: Date.now() - signalled };
    };
    const untraced = await timeToExit(false);
    const traced = await timeToExit(true);
    expect(untraced.run).toMatchObject({ code: 0, signal: null });
    expect(traced.run).toMatchObject({ code: 0, signal: null });
    // An export was on its way to the collector when the signal came.
    expect(hang.connections).toBeGreaterThan(0);
    expect(traced.afterSignal - untraced.afterSignal).toBeLessThan(2500);
    expect(traced.afterSignal).toBeLessThan(6000);
  });
});

describe('what tracing says about its collector', () => {
  test('within a second of start-up, one line when the collector refuses connections, naming the endpoint and the variable to set', async () => {
    const refused = await collector('refuse');
    const script = `console.log('up'); setTimeout(() => console.log('done'), 900);`;
    const result = await run(script, true, { OTEL_EXPORTER_OTLP_ENDPOINT: refused.endpoint });
    expect(result.stdout).toBe('up\ndone\n');
    expect(result.stderr).toBe(
      `[tracewire] nothing accepts connections at ${refused.endpoint}/v1/traces (connection refused): spans will be dropped until a collector listens there; ` +
        "set OTEL_EXPORTER_OTLP_ENDPOINT to your collector's address, or OTEL_TRACES_EXPORTER=none to stop exporting.\n",
    );
  });

  test('nothing is said when the collector accepts connections', async () => {
    const hang = await collector('hang');
    try {
      const result = await run(`setTimeout(() => {}, 600);`, true, { OTEL_EXPORTER_OTLP_ENDPOINT: hang.endpoint });
      expect(result.stderr).toBe('');
      expect(hang.connections).toBe(1);
    } finally {
      await hang.close();
    }
  });

  test('an OTEL_EXPORTER_OTLP_ENDPOINT that already ends in /v1/traces: one warning saying what to do', async () => {
    const hang = await collector('hang');
    try {
      const result = await run(`setTimeout(() => {}, 300);`, true, { OTEL_EXPORTER_OTLP_ENDPOINT: `${hang.endpoint}/v1/traces` });
      expect(result.stderr).toBe(
        `[tracewire] OTEL_EXPORTER_OTLP_ENDPOINT="${hang.endpoint}/v1/traces" already ends in /v1/traces, and /v1/traces is appended to it: spans go to ${hang.endpoint}/v1/traces/v1/traces. ` +
          'Drop the suffix, or set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is) instead.\n',
      );
    } finally {
      await hang.close();
    }
  });
});
