'use strict';
// Instructions per request, counted by valgrind (callgrind), not timed. This
// VM's speed drifts by tens of percent within minutes; an instruction count
// is the same whatever else the machine is doing (to about ±2% between runs
// here, from JIT and GC decisions), so a change of a few percent shows. It is
// a developer's tool beside the bench, not one of its figures: it sees no
// cache misses, and the bench's req/s and CPU time are what users get.
//
// Each variant's app processes run under callgrind. After a warm-up load the
// counters are zeroed, a fixed number of requests is sent, and the counters
// are dumped: per request, the main thread (the event loop: the app, Node,
// the instrumentation, GC pauses) and all threads (plus the compiler's and
// the GC's helper threads).
//
// Usage: node instructions.js [express|koa|checkout] [--variants=a,b,…] [--warmup=N] [--requests=N] [--functions=N] [--callers=REGEX]
// --functions=N also lists, per request, the N functions that executed the
// most instructions themselves in the last variant, and the N that changed
// most between the first variant and the last (JavaScript names from
// `node --perf-basic-prof`, which adds a little to every count).
// --callers=REGEX (with --functions) also lists who called the functions whose
// names match, and what each caller spent in them per request (inclusive).
// Variants: uninstrumented, context-only (one AsyncLocalStorage around each
// request, nothing else), sampled-out (tracewire, OTEL_TRACES_SAMPLER=always_off),
// no-export (tracewire recording and queueing every span, batches handed to a
// no-op exporter: OTEL_TRACES_EXPORTER=none), tracewire, and the bench's peers
// (otel-lean, otel-auto, dd-trace).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { startSinks } = require('./lib/sinks');
const { VARIANTS } = require('./lib/variants');
const { SCENARIOS } = require('./lib/scenarios');
const { startScenario } = require('./lib/server');
const { postgresProblem } = require('./lib/postgres');
const { addCallerCosts, addSelfCosts, dumpTotal, perfMapLookup } = require('./lib/callgrind');

const uninstrumented = VARIANTS.find((v) => v.name === 'uninstrumented');
const tracewire = VARIANTS.find((v) => v.name === 'tracewire');
const ABLATIONS = [
  { ...uninstrumented, name: 'context-only', preload: () => ['-r', path.join(__dirname, 'preload', 'context-only.js')] },
  { ...tracewire, name: 'sampled-out', env: (...args) => ({ ...tracewire.env(...args), OTEL_TRACES_SAMPLER: 'always_off' }) },
  // Recording and queueing every span as tracewire does, but the batches go to a no-op exporter: no encoding, no socket.
  { ...tracewire, name: 'no-export', env: (...args) => ({ ...tracewire.env(...args), OTEL_TRACES_EXPORTER: 'none' }) },
];
const ALL = [...VARIANTS, ...ABLATIONS];

function parse(argv) {
  const out = { scenario: 'koa', variants: ['uninstrumented', 'context-only', 'sampled-out', 'tracewire'], warmup: 3000, requests: 3000, functions: 0, callers: undefined };
  for (const arg of argv) {
    const m = /^--(variants|warmup|requests|functions|callers)=(.+)$/.exec(arg);
    if (m && m[1] === 'variants') out.variants = m[2].split(',');
    else if (m && m[1] === 'callers') out.callers = m[2];
    else if (m) out[m[1]] = Number(m[2]);
    else if (!arg.startsWith('--')) out.scenario = arg;
    else throw new Error(`unknown option ${arg}`);
  }
  const scenario = SCENARIOS.find((s) => s.name === out.scenario);
  if (!scenario) throw new Error(`unknown scenario ${out.scenario} (${SCENARIOS.map((s) => s.name).join(', ')})`);
  const variants = out.variants.map((name) => {
    const v = ALL.find((x) => x.name === name);
    if (!v) throw new Error(`unknown variant ${name} (${ALL.map((x) => x.name).join(', ')})`);
    return v;
  });
  if (!(out.warmup >= 0) || !(out.requests > 0)) throw new Error('--warmup must be ≥ 0 and --requests > 0');
  if (!Number.isInteger(out.functions) || out.functions < 0) throw new Error('--functions must be a whole number ≥ 0');
  if (out.callers !== undefined) {
    if (out.functions === 0) throw new Error('--callers needs --functions=N (function names come from the same profile)');
    try {
      out.callers = new RegExp(out.callers);
    } catch (error) {
      throw new Error(`--callers: not a regular expression (${error.message})`);
    }
  }
  return { ...out, scenario, variants };
}

function load(url, amount) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: 4, amount, timeout: 120 }, (error, result) => {
      if (error) return reject(error);
      if (result['2xx'] !== amount) return reject(new Error(`${url}: ${result['2xx']} of ${amount} requests answered 2xx`));
      resolve();
    });
  });
}


async function measure(variant, scenario, sinks, settings, dir) {
  const out = path.join(dir, variant.name);
  fs.mkdirSync(out, { recursive: true });
  // --perf-basic-prof also turns on V8's event log: kept with the dumps (and removed with them), not in the cwd.
  const perf = settings.functions > 0 ? ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${out}/v8.log`] : [];
  const launch = (nodeArgs) => ['valgrind', ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${out}/%p.cg`, process.execPath, ...perf, ...nodeArgs]];
  const server = await startScenario(variant, scenario, sinks, { launch });
  try {
    if (settings.warmup > 0) await load(server.url, settings.warmup);
    for (const pid of server.pids) execFileSync('callgrind_control', ['-z', String(pid)], { stdio: 'ignore' });
    await load(server.url, settings.requests);
    for (const pid of server.pids) execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
  } finally {
    await server.exit();
  }
  // With --separate-threads, the dump of thread T of process P is P.cg.1-T (thread 1: the event loop).
  let main = 0;
  let all = 0;
  for (const pid of server.pids) {
    for (const file of fs.readdirSync(out).filter((f) => f.startsWith(`${pid}.cg.1-`))) {
      const ir = dumpTotal(path.join(out, file));
      all += ir;
      if (file.endsWith('.1-01')) main += ir;
    }
  }
  if (main === 0) throw new Error(`${variant.name}: callgrind wrote no dump in ${out}`);
  let functions;
  let helpers;
  let callers;
  if (settings.functions > 0) {
    functions = new Map();
    helpers = new Map();
    callers = new Map();
    for (const pid of server.pids) {
      const perfMap = path.join(os.tmpdir(), `perf-${pid}.map`);
      const lookup = perfMapLookup(perfMap);
      for (const file of fs.readdirSync(out).filter((f) => f.startsWith(`${pid}.cg.1-`))) {
        if (!file.endsWith('.1-01')) {
          // The other threads: V8's GC helpers and compiler, libuv's pool.
          addSelfCosts(path.join(out, file), lookup, helpers);
          continue;
        }
        addSelfCosts(path.join(out, file), lookup, functions);
        if (settings.callers) addCallerCosts(path.join(out, file), lookup, settings.callers, callers);
      }
      fs.rmSync(perfMap, { force: true });
    }
    for (const [name, ir] of functions) functions.set(name, ir / settings.requests);
    for (const [name, ir] of helpers) helpers.set(name, ir / settings.requests);
    for (const [name, ir] of callers) callers.set(name, ir / settings.requests);
  }
  return { main: main / settings.requests, all: all / settings.requests, functions, helpers, callers };
}

async function main() {
  const settings = parse(process.argv.slice(2));
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('valgrind is not installed (Debian: apt-get install valgrind)');
  }
  if (settings.scenario.needsPostgres) {
    const problem = await postgresProblem();
    if (problem) throw new Error(`${settings.scenario.name} needs PostgreSQL: ${problem}`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracewire-instructions-'));
  const sinks = await startSinks();
  const rows = [];
  try {
    // Two variants at a time: callgrind runs a process on one core.
    const queue = [...settings.variants];
    const worker = async () => {
      for (let v = queue.shift(); v !== undefined; v = queue.shift()) {
        console.error(`  ${settings.scenario.name} ${v.name}: under callgrind (minutes: valgrind runs it ~50× slower)…`);
        rows.push({ variant: v.name, ...(await measure(v, settings.scenario, sinks, settings, dir)) });
      }
    };
    await Promise.all([worker(), worker()]);
  } finally {
    await sinks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  rows.sort((a, b) => settings.variants.findIndex((v) => v.name === a.variant) - settings.variants.findIndex((v) => v.name === b.variant));
  const base = rows.find((r) => r.variant === 'uninstrumented');
  const ratio = (x, b) => (b ? ` (${(x / b).toFixed(3)}×)` : '');
  console.log(`${settings.scenario.title}: instructions per request after ${settings.warmup} warm-up requests, over ${settings.requests}`);
  console.log(`${'variant'.padEnd(16)}${'main thread'.padStart(24)}${'all threads'.padStart(24)}`);
  for (const r of rows) {
    console.log(`${r.variant.padEnd(16)}${(Math.round(r.main).toLocaleString('en') + ratio(r.main, base?.main)).padStart(24)}${(Math.round(r.all).toLocaleString('en') + ratio(r.all, base?.all)).padStart(24)}`);
  }
  if (settings.functions > 0) printFunctions(rows, settings.functions);
  if (settings.callers) printCallers(rows, settings.functions, settings.callers);
}

/** Per variant, the callers of the functions matching --callers and what they spent in them per request (inclusive). */
function printCallers(rows, n, pattern) {
  const fmt = (x) => Math.round(x).toLocaleString('en').padStart(9);
  for (const row of rows) {
    console.log(`\n${row.variant}: callers of ${pattern}, instructions per request spent in the callee (inclusive)`);
    const list = [...row.callers].sort((a, b) => b[1] - a[1]).slice(0, n);
    if (list.length === 0) console.log('  (no calls)');
    for (const [name, ir] of list) console.log(`${fmt(ir)}  ${name}`);
  }
}

/** The last variant's top functions by self instructions per request, and the biggest changes from the first variant:
 *  the main thread's, then the other threads' (GC helpers, compiler) by the largest changes. */
function printFunctions(rows, n) {
  const first = rows[0];
  const last = rows[rows.length - 1];
  const fmt = (x) => Math.round(x).toLocaleString('en').padStart(9);
  console.log(`\n${last.variant}: functions by their own instructions per request (main thread)`);
  for (const [name, ir] of [...last.functions].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${fmt(ir)}  ${name}`);
  if (first === last) return;
  const printChanges = (title, before, after) => {
    console.log(`\n${last.variant} − ${first.variant}: ${title}`);
    const names = new Set([...before.keys(), ...after.keys()]);
    const changes = [...names].map((name) => [name, (after.get(name) ?? 0) - (before.get(name) ?? 0)]);
    for (const [name, delta] of changes.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, n)) console.log(`${(delta > 0 ? '+' : '') + Math.round(delta).toLocaleString('en')}`.padStart(9) + `  ${name}`);
  };
  printChanges('the largest changes per request (main thread)', first.functions, last.functions);
  printChanges('the largest changes per request in the other threads (GC helpers, compiler, libuv pool)', first.helpers, last.helpers);
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exitCode = 1;
});
