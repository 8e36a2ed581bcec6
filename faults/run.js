'use strict';
// npm run test:faults — a traced Express app under load while its collector
// fails in every way we know, each fault followed by the collector coming back:
// what tracing costs the app meanwhile (req/s against collector-up, p99, RSS),
// what it does to the collector (sockets, requests during a back-off) and what
// it loses and recovers (spans dropped, failed, delivered after recovery).
// Everything runs on 127.0.0.1 and every phase is bounded in time; the whole
// run takes about five minutes. Prints a table, writes it to
// faults/results/latest.md, and exits 1 when a check fails.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, fork, spawnSync } = require('node:child_process');
const { pinning, pinSelf, SERVER_CPU } = require('../bench/lib/cpus');
const { startLoadSession } = require('../bench/lib/load-session');
const { startCollector, SLOW_MS, RETRY_AFTER_SECONDS, FLAP_MS } = require('./collector');

const FAULTS = [
  ['down', 'down (connection refused)'],
  ['hang', 'hang (accepts, never answers)'],
  ['slow', `slow (answers after ${SLOW_MS / 1000} s)`],
  ['429', `429 + Retry-After: ${RETRY_AFTER_SECONDS[429]}`],
  ['503', `503 + Retry-After: ${RETRY_AFTER_SECONDS[503]}`],
  ['flap', `flap (up/down every ${FLAP_MS / 1000} s)`],
  ['close', 'close mid-response'],
];
// --quick (a look while developing, not the figures): short phases.
const QUICK = process.argv.includes('--quick');
const WARMUP_SECONDS = QUICK ? 2 : 5;
const FAULT_SECONDS = QUICK ? 6 : 20;
const UP_SECONDS = QUICK ? 8 : 12;
const CONNECTIONS = 20;
/** The whole run is killed past this, whatever happens. */
const WATCHDOG_MS = 12 * 60 * 1000;
/** Hostile and valid trace headers through extract → inject and real servers (scripts/fuzz-headers.js). */
const FUZZ_CASES = QUICK ? 5000 : 100000;
const SAMPLE_MS = 200;
const RESULTS = path.join(__dirname, 'results', QUICK ? 'latest-quick.md' : 'latest.md');
const ROOT = path.join(__dirname, '..');

const log = (line) => process.stderr.write(`${line}\n`);

/** The app's peak RSS is read from /proc (Linux); elsewhere through the app. */
function rssBytes(pid) {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** TCP sockets the process `pid` has open to `port` (any state), from /proc: what the app holds, not what the collector saw. */
function socketsTo(pid, port) {
  const inodes = new Set();
  let fds;
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // Closed meanwhile.
    }
  }
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const remotePort = parseInt(f[2].split(':')[1], 16);
      if (remotePort === port && inodes.has(f[9])) count++;
    }
  }
  return count;
}

/** Samples RSS and sockets to the collector while a phase runs. */
function sampler(pid, port) {
  const peak = { rss: rssBytes(pid) ?? 0, sockets: socketsTo(pid, port) ?? 0 };
  const timer = setInterval(() => {
    peak.rss = Math.max(peak.rss, rssBytes(pid) ?? 0);
    peak.sockets = Math.max(peak.sockets, socketsTo(pid, port) ?? 0);
  }, SAMPLE_MS);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

function startApp(endpoint) {
  const child = fork(path.join(__dirname, 'app.js'), [], {
    cwd: ROOT,
    execArgv: ['-r', '@tracewire/register'],
    env: { PATH: process.env.PATH, OTEL_SERVICE_NAME: 'faults-app', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  if (pinning.pinned) execFileSync('taskset', ['-a', '-p', '-c', String(SERVER_CPU), String(child.pid)], { stdio: 'ignore' });
  const messages = [];
  child.stderr.on('data', (chunk) => {
    for (const line of String(chunk).split('\n')) if (line.trim()) messages.push(line);
  });
  let waiting;
  child.on('message', (m) => {
    if (m.type === 'stats' && waiting) {
      const w = waiting;
      waiting = undefined;
      w(m);
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start within 20 s: ${messages.join('\n')}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`the app exited with ${code}: ${messages.join('\n')}`)));
    child.on('message', (m) => {
      if (m.type !== 'listening') return;
      clearTimeout(timer);
      resolve({
        child,
        url: `http://127.0.0.1:${m.port}/`,
        messages,
        stats: () =>
          new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error('the app did not answer a stats question within 10 s')), 10_000);
            waiting = (reply) => {
              clearTimeout(t);
              res({ ...reply.stats, cpuMicros: reply.cpuMicros });
            };
            child.send('stats');
          }),
      });
    });
  });
}

const dropped = (s) => s.droppedQueueFull + (s.droppedQueueBytes ?? 0);

/** One phase: the collector in `mode` for `seconds` of load; what the app and the collector saw meanwhile. */
async function phase(name, mode, seconds, { app, collector, load }) {
  await collector.setMode(mode);
  collector.take();
  const before = await app.stats();
  const stop = sampler(app.child.pid, collector.port);
  const result = await load.run(app.url, seconds);
  const peak = stop();
  const after = await app.stats();
  const seen = collector.take();
  log(`  ${name}: ${Math.round(result.rps)} req/s, collector got ${seen.requests} requests, ${seen.spans} spans`);
  return {
    name,
    mode,
    rps: result.rps,
    p99Ms: result.p99Ms,
    cpuUsPerRequest: (after.cpuMicros - before.cpuMicros) / Math.max(1, result.ok),
    served: result.ok,
    errors: result.errors + result.timeouts + result.non2xx,
    rssPeakMb: peak.rss / 2 ** 20,
    sockets: peak.sockets,
    collectorRequests: seen.requests,
    collectorSpans: seen.spans,
    dropped: dropped(after) - dropped(before),
    failed: after.failed - before.failed,
    exported: after.exported - before.exported,
    queuedAtEnd: after.queued,
  };
}

const fmt = (n, digits = 0) => (n === undefined || n === null || Number.isNaN(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

/** Spans the collector accepted in the phase after a fault, against the requests served then (and the spans dropped then). */
function recoveryCell(recovery) {
  const share = `${fmt((100 * recovery.collectorSpans) / Math.max(1, recovery.served))}% of its requests`;
  return `${fmt(recovery.collectorSpans)} (${share}${recovery.dropped > 0 ? `; ${fmt(recovery.dropped)} dropped` : ''})`;
}

function table(rows) {
  const header = ['collector', 'req/s', 'ratio to up', 'CPU µs/request', 'ratio to up', 'p99 ms', 'RSS peak MB', 'sockets to collector', 'requests at collector', 'spans dropped', 'spans failed', 'delivered after recovery'];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map((h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const r of rows) {
    const cells = [
      r.title,
      fmt(r.rps),
      r.ratio === undefined ? '1 (baseline)' : fmt(r.ratio, 2),
      fmt(r.cpuUsPerRequest),
      r.cpuRatio === undefined ? '1 (baseline)' : fmt(r.cpuRatio, 2),
      fmt(r.p99Ms),
      fmt(r.rssPeakMb, 1),
      fmt(r.sockets),
      fmt(r.collectorRequests),
      fmt(r.dropped),
      fmt(r.failed),
      r.recovery ? recoveryCell(r.recovery) : '–',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** What must hold for every fault; a failed check makes the run fail. */
function checks(rows, baseline) {
  const out = [];
  const check = (ok, text) => out.push({ ok, text });
  for (const r of rows) {
    // req/s swings with whatever else the machine runs; the app's CPU time per request does not (much).
    check(r.cpuRatio <= 1.25, `${r.title}: CPU per request ${fmt(r.cpuRatio, 2)} × collector-up's ≤ 1.25`);
    check(r.sockets <= 2, `${r.title}: at most 2 sockets to the collector (saw ${r.sockets})`);
    check(r.rssPeakMb <= baseline.rssPeakMb + 64, `${r.title}: RSS peak ${fmt(r.rssPeakMb, 1)} MB within 64 MB of collector-up (${fmt(baseline.rssPeakMb, 1)} MB)`);
    check(r.errors === 0, `${r.title}: no failed or non-2xx requests (saw ${r.errors})`);
    // A back-off the collector asked for runs on after it is back: what does not fit in the queue meanwhile is dropped.
    const kept = r.recovery.served - r.recovery.dropped - r.recovery.queuedAtEnd;
    check(r.recovery.collectorSpans > 0 && r.recovery.collectorSpans >= 0.9 * kept, `${r.title}: after recovery, spans are delivered: ≥ 90% of the requests served, less the spans dropped and still queued`);
  }
  for (const mode of ['429', '503']) {
    const r = rows.find((x) => x.mode === mode);
    // One request per Retry-After, plus the one answered when the phase began.
    const allowed = Math.ceil(FAULT_SECONDS / RETRY_AFTER_SECONDS[mode]) + 1;
    check(r.collectorRequests <= allowed, `${r.title}: Retry-After obeyed across batches (${r.collectorRequests} requests ≤ ${allowed})`);
  }
  return out;
}

async function main() {
  const began = Date.now();
  const loadAtStart = os.loadavg()[0];
  const watchdog = setTimeout(() => {
    log(`test:faults: still running after ${WATCHDOG_MS / 60000} min; stopping.`);
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();
  pinSelf();
  log(`tracewire fault run: ${pinning.pinned ? pinning.reason : `not pinned (${pinning.reason})`}; about ${Math.round((WARMUP_SECONDS + UP_SECONDS + FAULTS.length * (FAULT_SECONDS + UP_SECONDS)) / 60)} min`);
  const collector = await startCollector();
  const load = startLoadSession({ connections: CONNECTIONS });
  let app;
  try {
    app = await startApp(collector.endpoint);
    const ctx = { app, collector, load };
    await phase('warm-up', 'up', WARMUP_SECONDS, ctx);
    let up = await phase('collector up', 'up', UP_SECONDS, ctx);
    const baseline = up;
    const rows = [];
    for (const [mode, title] of FAULTS) {
      const fault = await phase(title, mode, FAULT_SECONDS, ctx);
      const recovery = await phase(`up after ${mode}`, 'up', UP_SECONDS, ctx);
      rows.push({
        ...fault,
        title,
        ratio: fault.rps / ((up.rps + recovery.rps) / 2),
        cpuRatio: fault.cpuUsPerRequest / ((up.cpuUsPerRequest + recovery.cpuUsPerRequest) / 2),
        recovery,
      });
      up = recovery;
    }
    const results = [{ ...baseline, title: 'up' }, ...rows];
    const verdicts = checks(rows, baseline);
    log(`header fuzzer: ${FUZZ_CASES} cases…`);
    const fuzz = spawnSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'fuzz-headers.js'), `--cases=${FUZZ_CASES}`], { encoding: 'utf8' });
    const fuzzLines = `${fuzz.stdout}${fuzz.stderr}`.trim().split('\n');
    verdicts.push({ ok: fuzz.status === 0, text: `header fuzzer, ${FUZZ_CASES} cases: ${fuzz.status === 0 ? 'no throw, every outgoing header valid, heap bounded' : 'FAILED (below)'}` });
    const m = os.cpus();
    const heading = `tracewire fault run — ${new Date().toISOString()}, node ${process.version}, ${m.length} × ${m[0] && m[0].model}, ${pinning.pinned ? pinning.reason : `not pinned (${pinning.reason})`}`;
    const method =
      `Express 5 hello under \`node -r @tracewire/register\`, ${CONNECTIONS} autocannon connections; each fault ${FAULT_SECONDS} s, then the collector up for ${UP_SECONDS} s. ` +
      'Ratios: the fault\'s figure over the mean of the collector-up phases before and after it (req/s moves with other work on the machine; ' +
      'the app\'s CPU time per request, from process.cpuUsage(), much less). Sockets: the most TCP sockets the app held to the collector at once (sampled every ' +
      `${SAMPLE_MS} ms). Requests at collector: requests that reached it during the fault. Drops and failures: the app's \`stats()\` during the fault. ` +
      'Delivered after recovery: spans the collector accepted in the collector-up phase that followed (one span per request; more than 100% when the queue held spans from the fault), ' +
      'and the spans dropped then (a back-off the collector asked for runs on after it is back).';
    const text = [
      `# ${heading}`,
      '',
      method,
      '',
      table(results),
      '',
      ...verdicts.map((v) => `- ${v.ok ? '✓' : '✗'} ${v.text}`),
      '',
      'Header fuzzer:',
      '',
      '```',
      ...fuzzLines,
      '```',
      '',
      'What the app said on stderr (tracewire\'s messages):',
      '',
      '```',
      ...app.messages.slice(0, 40),
      '```',
      '',
      `${Math.round((Date.now() - began) / 1000)} s; load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end (other work on the machine moves req/s).`,
      '',
    ].join('\n');
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, text);
    console.log(`\n${text}`);
    console.log(`written to ${path.relative(process.cwd(), RESULTS)}`);
    if (verdicts.some((v) => !v.ok)) process.exitCode = 1;
  } finally {
    if (app) app.child.kill('SIGKILL');
    await load.close();
    await collector.close();
  }
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exitCode = 1;
});
