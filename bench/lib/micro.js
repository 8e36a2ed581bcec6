'use strict';
// Item 5: per-span cost in one process, tracewire and the OTel SDK side by
// side. Each phase runs in a fresh process on the server CPU; the OTLP
// receiver lives here, on the other CPU, so the figures are the SDK's own.
const { execFile } = require('node:child_process');
const path = require('node:path');
const { pinned, SERVER_CPU } = require('./cpus');
const { summary } = require('./stats');

const PHASE = path.join(__dirname, '..', 'micro', 'phase.js');
const ADAPTERS = ['tracewire', 'otel'];

function runPhase(adapter, phase, n, url) {
  const [cmd, args] = pinned(SERVER_CPU, ['--expose-gc', PHASE, adapter, phase, String(n), url]);
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 300_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() || '{}';
      let result;
      try {
        result = JSON.parse(line);
      } catch {
        result = { error: `unreadable output: ${line}` };
      }
      if (error || result.error) return reject(new Error(`${adapter} ${phase}: ${result.error || error.message}\n${stderr}`));
      resolve(result);
    });
  });
}

async function benchMicro(receiver, { reps, spans, heapSpans }, log) {
  const phases = [
    { phase: 'span', n: spans, figure: 'spanNs' },
    { phase: 'export', n: spans, figure: 'exportCpuNs' },
    { phase: 'pair', n: Math.round(spans / 2), figure: 'pairNs' },
    { phase: 'heap', n: heapSpans, figure: 'heapBytesPerSpan' },
  ];
  const raw = Object.fromEntries(ADAPTERS.map((a) => [a, []]));
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 ? [...ADAPTERS].reverse() : ADAPTERS;
    for (const { phase, n } of phases) {
      for (const adapter of order) {
        receiver.reset();
        let result;
        try {
          result = await runPhase(adapter, phase, n, receiver.url);
          if (phase === 'export') {
            result.received = receiver.counts.spans;
            result.noDrops = result.received === result.spansCreated && result.spansExported === result.spansCreated;
          }
        } catch (error) {
          result = { phase, error: error.message.split('\n')[0] };
          log(`  ! ${error.message}`);
        }
        raw[adapter].push(result);
      }
    }
  }
  const out = {};
  for (const adapter of ADAPTERS) {
    const of = (phase, key) => raw[adapter].filter((r) => r.phase === phase && !r.error).map((r) => r[key]);
    out[adapter] = {
      spanNs: summary(of('span', 'cpuNsPerCallWithFlush')),
      exportCpuNs: summary(of('export', 'cpuNsPerCallWithFlush')),
      exportNoDrops: of('export', 'noDrops').every(Boolean) && of('export', 'noDrops').length > 0,
      pairNs: summary(of('pair', 'cpuNsPerCallWithFlush')),
      heapBytesPerSpan: summary(of('heap', 'bytesPerSpan')),
    };
    const s = out[adapter];
    log(`  ${adapter.padEnd(10)} span ${fmt(s.spanNs)} ns  export ${fmt(s.exportCpuNs)} CPU ns${s.exportNoDrops ? '' : ' (DROPS)'}  pair ${fmt(s.pairNs)} ns  heap ${fmt(s.heapBytesPerSpan)} B/span`);
  }
  return { raw, summaries: out };
}

const fmt = (s) => (s.median === null ? 'n/a' : s.median.toFixed(0));

module.exports = { benchMicro };
