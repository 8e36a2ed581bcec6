'use strict';
// Items 1-3: each scenario under load, a fresh server per run, warm-up first,
// variants in a different order each round, ratios paired per round.
const { startScenario } = require('./server');
const { startLoad } = require('./load');
const { cpuTimes } = require('./proc-stat');
const { SERVER_CPU } = require('./cpus');
const { summary, pairedRatios } = require('./stats');

/** Round r runs the variants rotated by r, so no variant always goes first or last. */
function roundOrder(variants, round) {
  const k = round % variants.length;
  return [...variants.slice(k), ...variants.slice(0, k)];
}

async function oneRun(variant, scenario, sinks, settings) {
  const load = startLoad(settings);
  let server;
  try {
    server = await startScenario(variant, scenario, sinks);
  } catch (error) {
    await load.cancel();
    throw error;
  }
  try {
    const sink = sinks.of(variant);
    let before;
    const result = await load.run(server.url, async () => {
      sink.reset();
      before = { serverUs: await server.cpuMicros(), cpu: cpuTimes(SERVER_CPU), wall: process.hrtime.bigint() };
    });
    const serverUs = (await server.cpuMicros()) - before.serverUs;
    const cpu = cpuTimes(SERVER_CPU);
    const wallUs = Number(process.hrtime.bigint() - before.wall) / 1000;
    return {
      rps: result.rps,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      requests: result.ok,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      cpuUsPerRequest: result.ok > 0 ? serverUs / result.ok : null,
      // Below ~95% the server was waiting for the load generator, and req/s
      // measures autocannon, not the variant (CPU µs/request still holds).
      serverBusyPct: (serverUs / wallUs) * 100,
      // Share of the server CPU used by anything but the server during the
      // measured window: other work on the machine. High values mean the
      // run's req/s says more about the neighbours than about the variant.
      otherLoadPct: cpu && before.cpu ? Math.max(0, (cpu.busyUs - before.cpu.busyUs - serverUs) / wallUs) * 100 : null,
      // Spans that reached the sink during the measured window, per request.
      // Raw data only: batches wait up to 5 s or for 512 spans, so in a short
      // window at low req/s this reads low (even 0) without any drop.
      exportedSpansPerRequest: result.ok > 0 ? sink.counts.spans / result.ok : null,
    };
  } finally {
    await server.stop();
  }
}

/** Runs one scenario; returns raw runs per variant and the per-variant summaries. */
async function benchScenario(scenario, variants, sinks, settings, log) {
  const runs = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let round = 0; round < settings.rounds; round++) {
    for (const variant of roundOrder(variants, round)) {
      let run;
      try {
        run = await oneRun(variant, scenario, sinks, settings);
      } catch (error) {
        run = { error: error.message.split('\n')[0] };
        log(`  ! ${scenario.name} ${variant.name} round ${round + 1}: ${error.message}`);
      }
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
      exportedSpansPerRequest: summary(pick(list, 'exportedSpansPerRequest')),
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

module.exports = { benchScenario, roundOrder };
