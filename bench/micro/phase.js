'use strict';
// One per-span micro-benchmark phase in a fresh process (run with
// --expose-gc): `node --expose-gc phase.js <tracewire|otel> <phase> <n> [receiverUrl]`.
// Prints one JSON line. Phases:
//   span    startSpan + 3 attributes + end, batch processor, no-op exporter
//   export  the same with the real OTLP/protobuf exporter
// All three are CPU time per call, paced so nothing is dropped (see MAX_IN_FLIGHT).
//   pair    parent + child through the active-span API, no-op exporter
//   heap    heap bytes retained per ended span waiting in the queue
const { setImmediate: yieldToLoop, setTimeout: sleep } = require('node:timers/promises');

const [adapterName, phase, nText, url] = process.argv.slice(2);
const adapter = require(`./${adapterName}`);
const n = Number(nText);
const CHUNK = 256;
// Ended but not yet exported spans allowed before the loop waits (idle, so
// not counted as CPU) for the processor: the default queue size of both SDKs.
// Without it a tight loop outruns any batch processor, the queue grows without
// end and the figure measures garbage collection of a huge backlog instead.
const MAX_IN_FLIGHT = 2048;

function cpuNs(since) {
  const d = process.cpuUsage(since);
  return (d.user + d.system) * 1000;
}

/**
 * Calls fn `count` times in chunks, yielding to the event loop so the
 * processor's timers run, and waiting whenever more than MAX_IN_FLIGHT spans
 * (`offset` counts those made before) are not exported yet.
 */
async function loop(fn, count, spansPerCall, offset) {
  let done = 0;
  while (done < count) {
    const end = Math.min(count, done + CHUNK);
    for (; done < end; done++) fn();
    await yieldToLoop();
    while (offset + done * spansPerCall - adapter.exported() > MAX_IN_FLIGHT) await sleep(1);
  }
}

async function timed(fn, count, spansPerCall) {
  const warm = Math.max(1000, Math.floor(count / 5));
  await loop(fn, warm, spansPerCall, 0);
  const startCpu = process.cpuUsage();
  const startWall = process.hrtime.bigint();
  await loop(fn, count, spansPerCall, warm * spansPerCall);
  const loopWallNs = Number(process.hrtime.bigint() - startWall);
  const loopCpuNs = cpuNs(startCpu);
  await adapter.flush();
  const totalCpuNs = cpuNs(startCpu);
  const totalSpans = (warm + count) * spansPerCall;
  return {
    count,
    wallNsPerCall: loopWallNs / count,
    cpuNsPerCall: loopCpuNs / count,
    // Including the final flush: every span of the measured part exported.
    cpuNsPerCallWithFlush: totalCpuNs / count,
    spansCreated: totalSpans,
    spansExported: adapter.exported(),
    dropped: adapter.dropped(),
  };
}

async function heap(count) {
  // Warm the code paths, then empty the queue.
  for (let i = 0; i < 1000; i++) adapter.span();
  await adapter.flush();
  const before = adapter.exported();
  global.gc();
  global.gc();
  const h0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) adapter.span();
  global.gc();
  global.gc();
  const h1 = process.memoryUsage().heapUsed;
  return { count, bytesPerSpan: (h1 - h0) / count, exportedDuringMeasure: adapter.exported() - before };
}

async function main() {
  if (typeof global.gc !== 'function') throw new Error('run with --expose-gc');
  const batch = { maxQueueSize: 65536, maxExportBatchSize: 512, scheduleDelayMillis: 5000 };
  let result;
  if (phase === 'span') {
    adapter.init({ ...batch, exporter: 'noop' });
    result = await timed(adapter.span, n, 1);
  } else if (phase === 'export') {
    adapter.init({ ...batch, exporter: 'otlp', url });
    result = await timed(adapter.span, n, 1);
  } else if (phase === 'pair') {
    adapter.init({ ...batch, exporter: 'noop' });
    result = await timed(adapter.pair, n, 2);
  } else if (phase === 'heap') {
    // Nothing leaves the queue while it is measured: no timer, no full batch.
    adapter.init({ maxQueueSize: 2 * n + 2000, maxExportBatchSize: 2 * n + 2000, scheduleDelayMillis: 3_600_000, exporter: 'noop' });
    result = await heap(n);
  } else throw new Error(`unknown phase ${phase}`);
  process.stdout.write(JSON.stringify({ adapter: adapter.name, phase, ...result }) + '\n');
  process.exit(0);
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ error: String(error && error.stack) }) + '\n');
  process.exit(1);
});
