// Memory held by tracing is bounded in bytes, measured on a real heap: a child
// process run with --expose-gc queues spans whose strings come from distinct
// 1 MiB strings, drops every other reference, collects garbage and reports how
// much the heap grew. A span must hold copies within its limits (a slice of
// the 1 MiB string would keep all of it alive), and the queue must stop at its
// byte budget when the collector never answers.
import { execFile } from 'child_process';
import * as path from 'path';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Default OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, and the limit of names and keys. */
const VALUE_LIMIT = 8192;
const NAME_LIMIT = 1024;
/** A span's own objects (~1.5 KiB with an event) and the heap's noise per span, beyond the characters it keeps. */
const SLACK = 4 * KiB;

interface ChildResult {
  stdout: Record<string, unknown>;
  stderr: string;
}

/**
 * Runs `body` in `node --expose-gc` with core loaded from its TypeScript
 * sources (so it tests this checkout, not a possibly stale build) and
 * resolves with the JSON object the body prints last.
 */
function runChild(body: string, env: Record<string, string> = {}): Promise<ChildResult> {
  const script = `
    const ts = require('typescript');
    const fs = require('fs');
    require.extensions['.ts'] = (m, file) => m._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'),
      { fileName: file, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText, file);
    const core = require(${JSON.stringify(path.join(__dirname, '../src/index.ts'))});
    // A fresh 1 MiB string each call (or of \`size\`), as an app makes one from a request body.
    let serial = 0;
    const big = (size = ${MiB}) => String(serial++) + ':' + Buffer.alloc(size, 97 + (serial % 26)).toString();
    // Heap bytes in use after full collections. (Not \`external\`: the buffers
    // the strings are decoded from are freed there by a concurrent sweeper.)
    const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
    /** The collector is down: exports are handed out and never answered. */
    const exporter = { handed: 0, export(spans) { this.handed += spans.length; }, shutdown: () => Promise.resolve() };
    (async () => { ${body} })().catch((error) => { console.error(error); process.exit(1); });
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      // V8 drops the bytecode of functions unused for a few collections (TypeScript's
      // transpiler's, here): megabytes that would leave the heap mid-measure.
      ['--expose-gc', '--no-flush-bytecode', '-e', script],
      { cwd: path.join(__dirname, '../../..'), env: { PATH: process.env.PATH, ...env }, timeout: 60_000, maxBuffer: 4 * MiB },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`child failed: ${error.message}\n${stderr}`));
        const last = stdout.trim().split('\n').pop() ?? '';
        resolve({ stdout: JSON.parse(last) as Record<string, unknown>, stderr });
      },
    );
  });
}

describe('memory held by queued spans', () => {
  it('every string a span keeps is a copy within its limit, not a view of the 1 MiB original', async () => {
    const { stdout } = await runChild(`
      core.start({ exporter, flushOnExit: false, env: { OTEL_BSP_SCHEDULE_DELAY: '3600000', OTEL_BSP_MAX_QUEUE_SIZE: '8192' } });
      const tracer = core.getTracer('memory');
      const context = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '53995c3f42cd8ad8', traceFlags: 1 };
      const inSpan = (fill) => { const span = tracer.startSpan('s'); fill(span); span.end(); };
      const places = {
        'span name (startSpan)': (text) => tracer.startSpan(text()).end(),
        'span name (updateName)': (text) => inSpan((s) => s.updateName(text())),
        'attribute key': (text) => inSpan((s) => s.setAttribute(text(), 1)),
        'attribute value': (text) => inSpan((s) => s.setAttribute('k', text())),
        'string array element': (text) => inSpan((s) => s.setAttribute('k', [text()])),
        'status message': (text) => inSpan((s) => s.setStatus({ code: 2, message: text() })),
        'event name': (text) => inSpan((s) => s.addEvent(text())),
        'event attribute key': (text) => inSpan((s) => s.addEvent('e', { [text()]: 1 })),
        'event attribute value': (text) => inSpan((s) => s.addEvent('e', { k: text() })),
        'link attribute key': (text) => inSpan((s) => s.addLink({ context, attributes: { [text()]: 1 } })),
        'link attribute value': (text) => inSpan((s) => s.addLink({ context, attributes: { k: text() } })),
        'exception message and stack': (text) => inSpan((s) => s.recordException(new Error(text()))),
      };
      // Warm-up on strings just over the limits: every path is compiled and
      // optimized before anything is measured (code is on the heap too).
      for (const run of Object.values(places)) for (let i = 0; i < 300; i++) run(() => big(10000));
      // The least of two rounds: code the JIT makes meanwhile lands in one of them.
      const N = 32;
      const perSpan = {};
      for (const [place, run] of Object.entries(places)) {
        for (let round = 0; round < 2; round++) {
          const before = heap();
          for (let i = 0; i < N; i++) run(big);
          perSpan[place] = Math.min(perSpan[place] ?? Infinity, Math.round((heap() - before) / N));
        }
      }
      console.log(JSON.stringify({ perSpan, stats: core.currentSdk().stats() }));
    `);
    const perSpan = stdout.perSpan as Record<string, number>;
    const limitOf = (place: string): number =>
      place === 'exception message and stack' ? 2 * VALUE_LIMIT : /name|key/.test(place) ? NAME_LIMIT : VALUE_LIMIT;
    expect(Object.entries(perSpan).filter(([place, bytes]) => bytes > limitOf(place) + SLACK)).toEqual([]);
    // The measure sees what a span keeps.
    expect(perSpan['attribute value']).toBeGreaterThan(VALUE_LIMIT / 2);
    // Every span is still queued: what was measured is what the queue holds.
    expect(stdout.stats).toMatchObject({ queued: 12 * (300 + 2 * 32), droppedQueueFull: 0, droppedQueueBytes: 0 });
  }, 90_000);

  // The case: a route throws `new Error('invalid payload: ' + body)` for
  // a 1 MiB body while the collector is down.
  const failingRequests = (n: number): string => `
    const sdk = core.start({ exporter, flushOnExit: false, env: process.env });
    const failRequest = (body) => {
      try {
        core.trace.span('POST /upload', () => { throw new Error('invalid payload: ' + body); });
      } catch {}
    };
    failRequest('warm-up');
    await new Promise((r) => setImmediate(r));
    const before = heap();
    for (let i = 0; i < ${n}; i++) failRequest(Buffer.alloc(${MiB}, 97 + (i % 26)).toString());
    await new Promise((r) => setImmediate(r));
    console.log(JSON.stringify({ growth: heap() - before, stats: sdk.stats(), handed: exporter.handed }));
  `;

  it('1 MiB error messages with the collector down: the heap grows by the truncated copies only', async () => {
    const n = 100;
    const { stdout } = await runChild(failingRequests(n), { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '16' });
    // status.message, exception.message and exception.stacktrace: 8 KiB each.
    expect(stdout.growth).toBeLessThan(n * (3 * VALUE_LIMIT + SLACK));
    const stats = stdout.stats as Record<string, number>;
    expect(stats).toMatchObject({ exported: 0, failed: 0, droppedQueueBytes: 0, droppedQueueFull: 0 });
    expect(stats.queued + (stdout.handed as number)).toBe(n + 1);
  }, 90_000);

  it('the queue stops at TRACEWIRE_BSP_MAX_QUEUE_BYTES: the heap stays within it, the rest is dropped and counted', async () => {
    const n = 100;
    const budget = MiB;
    const { stdout, stderr } = await runChild(failingRequests(n), { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '16', TRACEWIRE_BSP_MAX_QUEUE_BYTES: String(budget) });
    expect(stdout.growth).toBeLessThan(budget + MiB / 2);
    const stats = stdout.stats as Record<string, number>;
    expect(stats.queuedBytes).toBeLessThanOrEqual(budget);
    // A span is ~25 KiB: about forty fit, the rest are counted as dropped.
    expect(stats.droppedQueueBytes).toBeGreaterThan(n / 2);
    expect(stats.queued + (stdout.handed as number) + stats.droppedQueueBytes).toBe(n + 1);
    expect(stderr).toMatch(/span queue over its byte budget \(TRACEWIRE_BSP_MAX_QUEUE_BYTES=1048576\)/);
  }, 90_000);
});
