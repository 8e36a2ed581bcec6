'use strict';
// tracewire's benchmarks side by side with the uninstrumented app, the
// OpenTelemetry SDK (lean and auto) and dd-trace, in one run on one machine
// (issue 7). Prints one table and writes bench/results/latest.json.
// Usage: npm run bench -- [--quick] [--no-install] [--only=...]  (see lib/options.js)
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseOptions } = require('./lib/options');
const { pinning, pinSelf, ANY_CPU } = require('./lib/cpus');
const { startSinks } = require('./lib/sinks');
const { VARIANTS: ALL_VARIANTS, setBaselineDir } = require('./lib/variants');
const { slicing } = require('./lib/throughput');
const { SCENARIOS } = require('./lib/scenarios');
const { benchScenario } = require('./lib/throughput');
const { checkSpans } = require('./lib/spans-check');
const { benchStartup } = require('./lib/startup');
const { benchMicro } = require('./lib/micro');
const { benchFootprint } = require('./lib/footprint');
const { postgresProblem } = require('./lib/postgres');
const { formatTable } = require('./lib/report');

const RESULTS = path.join(__dirname, 'results', 'latest.json');
const log = (line) => process.stderr.write(`${line}\n`);

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0] && cpus[0].model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg(),
    node: process.version,
    platform: `${process.platform} ${os.release()}`,
    pinning,
  };
}

const versionOf = (name) => {
  try {
    return require(require.resolve(`${name}/package.json`, { paths: [__dirname] })).version;
  } catch {
    // Packages whose "exports" hide package.json: read it next to the entry point.
    let dir = path.dirname(require.resolve(name, { paths: [__dirname] }));
    while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  }
};

async function main() {
  let settings;
  try {
    settings = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(error.message);
    process.exitCode = 2;
    return;
  }
  if (settings.baseline) setBaselineDir(settings.baseline);
  const VARIANTS = ALL_VARIANTS.filter((v) => settings.variants.has(v.name));
  const started = Date.now();
  pinSelf();
  log(`tracewire bench (${settings.mode}): ${pinning.pinned ? `pinned, ${pinning.reason}` : `NOT pinned: ${pinning.reason}`}`);
  const results = {
    date: new Date().toISOString(),
    mode: settings.mode,
    settings: { ...settings, parts: [...settings.parts], variants: [...settings.variants] },
    machine: machine(),
    versions: Object.fromEntries(
      ['@tracewire/register', 'express', 'koa', '@koa/router', 'pg', 'axios', 'autocannon', '@opentelemetry/sdk-trace-node', '@opentelemetry/auto-instrumentations-node', 'dd-trace'].map((n) => [n, versionOf(n)]),
    ),
    tracewireRegisterDependencies: Object.keys(require(require.resolve('@tracewire/register/package.json', { paths: [__dirname] })).dependencies || {}),
    scenarioList: [],
    phaseSeconds: {},
    scenarios: {},
  };

  const sinks = await startSinks();
  try {
    // The spans check covers the scenarios under load, or all of them when it runs alone.
    const loaded = SCENARIOS.filter((s) => settings.parts.has(s.name));
    const scenarios = loaded.length || !settings.parts.has('spans') ? loaded : SCENARIOS;
    const pgProblem = scenarios.some((s) => s.needsPostgres) ? await postgresProblem() : undefined;
    const runnable = scenarios.filter((s) => !(s.needsPostgres && pgProblem));
    results.scenarioList = scenarios.map(({ name, title, requiredSpans, requiredNote }) => ({ name, title, requiredSpans, requiredNote }));
    for (const s of scenarios) if (!runnable.includes(s)) results.scenarios[s.name] = { skipped: pgProblem };
    if (pgProblem) log(`! two-hop scenario skipped: ${pgProblem}`);

    const timedPhase = async (name, fn) => {
      const t = Date.now();
      await fn();
      results.phaseSeconds[name] = (Date.now() - t) / 1000;
    };
    // Untimed work first, on both CPUs, while nothing is being measured.
    await timedPhase('spans check and install', async () => {
      const jobs = [];
      if (settings.parts.has('spans') && runnable.length) {
        log('spans per request at low load (item 7)…');
        jobs.push(checkSpans(runnable, VARIANTS, { ...settings.spansCheck, cpu: ANY_CPU }, log).then((r) => (results.spans = r)));
      }
      if (settings.parts.has('install')) {
        log(`install footprint (item 6)${settings.installPeers ? '' : ', tracewire only in --quick'}…`);
        jobs.push(benchFootprint({ timeoutMs: settings.installTimeoutMs, peers: settings.installPeers }, log).then((r) => (results.footprint = r)));
      }
      await Promise.all(jobs);
    });
    if (settings.parts.has('micro')) {
      log('per-span cost (item 5)…');
      await timedPhase('per-span', async () => {
        results.micro = await benchMicro(sinks.receiver, settings.micro, log);
      });
    }
    if (settings.parts.has('startup')) {
      log(`start-up (item 4), ${settings.startupReps} repetitions…`);
      await timedPhase('start-up', async () => {
        results.startup = await benchStartup(VARIANTS, sinks, { reps: settings.startupReps }, log);
      });
    }
    for (const scenario of runnable.filter((s) => loaded.includes(s))) {
      log(`${scenario.title}: ${settings.rounds} rounds × (${settings.warmupSeconds} s warm-up + ${settings.measureSeconds} s in ${slicing(settings).slices} slices) per variant, ${settings.connections} connections…`);
      await timedPhase(scenario.name, async () => {
        results.scenarios[scenario.name] = await benchScenario(scenario, VARIANTS, sinks, settings, log);
      });
    }
    for (const s of runnable) if (results.spans) (results.scenarios[s.name] ??= {}).spans = results.spans[s.name];
  } finally {
    await sinks.close();
  }
  results.durationSeconds = (Date.now() - started) / 1000;
  // Other work on the machine skews everything; a high load average says so.
  results.machine.loadAverageAtEnd = os.loadavg();

  const table = formatTable(results);
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  const json = JSON.stringify(results, null, 2) + '\n';
  fs.writeFileSync(RESULTS, json);
  // The last complete run of each mode stays too, so a quick run does not hide the last full
  // one; a run against a baseline build, or one narrowed or changed by options, is a
  // developer's look, not the mode's figures, and gets a file of its own.
  const kind = settings.baseline ? 'baseline' : settings.partial ? 'partial' : results.mode;
  fs.writeFileSync(RESULTS.replace(/\.json$/, `-${kind}.json`), json);
  const m = results.machine;
  console.log(`\ntracewire bench — ${results.mode}, ${results.date}, node ${m.node}, ${m.cpus} × ${m.cpuModel}, ${pinning.pinned ? pinning.reason : `not pinned (${pinning.reason})`}`);
  const { slices, seconds } = slicing(settings);
  console.log(`HTTP: ${settings.rounds} rounds; per round fresh servers for every variant, ${settings.warmupSeconds} s warm-up each, then ${slices} × ${+seconds.toFixed(2)} s slices per variant, interleaved (order rotated per slice and round); ${settings.connections} connections\n`);
  console.log(table);
  console.log(`\n${results.durationSeconds.toFixed(0)} s; raw rounds and medians in ${path.relative(process.cwd(), RESULTS)}`);
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exitCode = 1;
});
