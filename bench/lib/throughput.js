'use strict';
// Items 1-3: each scenario under load. A round starts a fresh server for every
// variant (all pinned to the server CPU, idle but for the one under load),
// warms each up, then loads them in turn in short slices — variant order
// rotated every slice and every round — and adds up each variant's slices.
// A shared 2-core VM drifts in speed over seconds to minutes (neighbours,
// steal): slices of a second, interleaved, see the same machine, where whole
// runs one after another did not (a variant's ratio moved 0.5–1.3 between
// rounds). Ratios are then paired per round.
const { startScenario } = require('./server');
const { startLoadSession } = require('./load-session');
const { cpuTimes } = require('./proc-stat');
const { SERVER_CPU } = require('./cpus');
const { summary, pairedRatios, median } = require('./stats');

/** Round r runs the variants rotated by r, so no variant always goes first or last. */
function roundOrder(variants, round) {
  const k = round % variants.length;
  return [...variants.slice(k), ...variants.slice(0, k)];
}

/** How a round's measured time is cut: `slices` loads of `seconds` per variant. */
function slicing({ measureSeconds, sliceSeconds }) {
  const slices = Math.max(1, Math.round(measureSeconds / sliceSeconds));
  return { slices, seconds: measureSeconds / slices };
}

/** One slice of load on one variant's server: its figures and the CPU it took. */
async function slice(load, server, seconds) {
  const before = { serverUs: await server.cpuMicros(), cpu: cpuTimes(SERVER_CPU), wall: process.hrtime.bigint() };
  const result = await load.run(server.url, seconds);
  const serverUs = (await server.cpuMicros()) - before.serverUs;
  const cpu = cpuTimes(SERVER_CPU);
  return {
    result,
    serverUs,
    wallUs: Number(process.hrtime.bigint() - before.wall) / 1000,
    otherUs: cpu && before.cpu ? Math.max(0, cpu.busyUs - before.cpu.busyUs - serverUs) : null,
  };
}

/** A variant's figures for one round, from its slices. */
function runOf(slices) {
  const sum = (f) => slices.reduce((n, s) => n + f(s), 0);
  const ok = sum((s) => s.result.ok);
  const seconds = sum((s) => s.result.seconds);
  const serverUs = sum((s) => s.serverUs);
  const wallUs = sum((s) => s.wallUs);
  const otherKnown = slices.every((s) => s.otherUs !== null);
  return {
    rps: seconds > 0 ? ok / seconds : null,
    // Latency percentiles cannot be added up: the median over the slices.
    p50Ms: median(slices.map((s) => s.result.p50Ms)),
    p99Ms: median(slices.map((s) => s.result.p99Ms)),
    requests: ok,
    slices: slices.length,
    non2xx: sum((s) => s.result.non2xx),
    errors: sum((s) => s.result.errors + s.result.timeouts),
    cpuUsPerRequest: ok > 0 ? serverUs / ok : null,
    // Below ~90% the server was waiting for the load generator (each slice
    // opens its connections first), and req/s measures autocannon, not the
    // variant (CPU µs/request still holds).
    serverBusyPct: (serverUs / wallUs) * 100,
    // Share of the server CPU used by anything but this server during its
    // slices: the other variants' idle servers and other work on the machine.
    otherLoadPct: otherKnown ? (sum((s) => s.otherUs) / wallUs) * 100 : null,
  };
}

/** One round: fresh servers for every variant, warm-up, interleaved slices. Returns { variant: run }. */
async function oneRound(round, scenario, variants, sinks, settings, log) {
  const load = startLoadSession(settings);
  const servers = new Map();
  const out = {};
  try {
    for (const variant of variants) {
      try {
        servers.set(variant.name, await startScenario(variant, scenario, sinks));
      } catch (error) {
        out[variant.name] = { error: error.message.split('\n')[0] };
        log(`  ! ${scenario.name} ${variant.name} round ${round + 1}: ${error.message}`);
      }
    }
    const live = () => variants.filter((v) => servers.has(v.name) && out[v.name] === undefined);
    const fail = (variant, error) => {
      out[variant.name] = { error: error.message.split('\n')[0] };
      log(`  ! ${scenario.name} ${variant.name} round ${round + 1}: ${error.message}`);
    };
    for (const variant of roundOrder(live(), round)) {
      try {
        await load.run(servers.get(variant.name).url, settings.warmupSeconds);
      } catch (error) {
        fail(variant, error);
      }
    }
    const { slices, seconds } = slicing(settings);
    const taken = Object.fromEntries(variants.map((v) => [v.name, []]));
    for (let s = 0; s < slices; s++) {
      for (const variant of roundOrder(live(), round + s)) {
        try {
          taken[variant.name].push(await slice(load, servers.get(variant.name), seconds));
        } catch (error) {
          fail(variant, error);
        }
      }
    }
    for (const variant of live()) out[variant.name] = runOf(taken[variant.name]);
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
    await load.close();
  }
  return out;
}

/** Runs one scenario; returns raw runs per variant and the per-variant summaries. */
async function benchScenario(scenario, variants, sinks, settings, log) {
  const runs = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let round = 0; round < settings.rounds; round++) {
    const results = await oneRound(round, scenario, variants, sinks, settings, log);
    for (const variant of variants) {
      const run = results[variant.name] ?? { error: 'not run' };
      run.round = round;
      runs[variant.name][round] = run;
      if (!run.error) {
        const flag = run.non2xx || run.errors ? ` (non-2xx ${run.non2xx}, errors ${run.errors})` : '';
        const other = run.otherLoadPct === null ? '' : `  other load on server CPU ${run.otherLoadPct.toFixed(0)}%`;
        log(`  ${scenario.name} r${round + 1} ${variant.name.padEnd(14)} ${run.rps.toFixed(0).padStart(6)} req/s  p99 ${run.p99Ms} ms  ${run.cpuUsPerRequest.toFixed(0)} µs CPU/req  server busy ${run.serverBusyPct.toFixed(0)}%${other}${flag}`);
      }
    }
  }
  return { runs, summaries: summarize(runs, variants) };
}

function summarize(runs, variants) {
  const base = runs.uninstrumented || [];
  const pick = (list, key) => list.map((r) => (r && !r.error ? r[key] : NaN));
  const out = {};
  for (const v of variants) {
    const list = runs[v.name];
    out[v.name] = {
      rps: summary(pick(list, 'rps')),
      p50Ms: summary(pick(list, 'p50Ms')),
      p99Ms: summary(pick(list, 'p99Ms')),
      cpuUsPerRequest: summary(pick(list, 'cpuUsPerRequest')),
      otherLoadPct: summary(pick(list, 'otherLoadPct')),
      serverBusyPct: summary(pick(list, 'serverBusyPct')),
      rpsRatio: summary(pairedRatios(pick(list, 'rps'), pick(base, 'rps'))),
      p99Ratio: summary(pairedRatios(pick(list, 'p99Ms'), pick(base, 'p99Ms'))),
      cpuRatio: summary(pairedRatios(pick(list, 'cpuUsPerRequest'), pick(base, 'cpuUsPerRequest'))),
      failedRuns: list.filter((r) => r && r.error).length,
      badResponses: list.reduce((n, r) => n + (r && !r.error ? r.non2xx + r.errors : 0), 0),
    };
  }
  return out;
}

module.exports = { benchScenario, roundOrder, slicing };
