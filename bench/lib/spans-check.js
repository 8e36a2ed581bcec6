'use strict';
// Item 7: spans per request at low load, counted by the receiver, so no
// variant wins by doing less. Flush delays are shortened here (only here) so
// the check takes seconds, not the default five-second batches. Nothing is
// timed, so the checks run side by side, each with its own receiver and agent.
const http = require('node:http');
const { startScenario } = require('./server');
const { startSinks } = require('./sinks');

const QUICK_FLUSH = { OTEL_BSP_SCHEDULE_DELAY: '100', DD_TRACE_FLUSH_INTERVAL: '100' };

function get(url, agent) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      })
      .on('error', reject);
  });
}

/** Resolves once the sink's span count has not moved for `quietMs`. */
async function settle(sink, quietMs, maxMs) {
  const start = Date.now();
  let last = -1;
  let since = Date.now();
  while (Date.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, 50));
    if (sink.counts.spans !== last) {
      last = sink.counts.spans;
      since = Date.now();
    } else if (last > 0 && Date.now() - since >= quietMs) return;
  }
}

async function spansPerRequest(variant, scenario, sinks, requests, cpu) {
  const sink = sinks.of(variant);
  const server = await startScenario(variant, scenario, sinks, { env: QUICK_FLUSH, cpu });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // First requests open pools and sockets; they are not what is counted.
    for (let i = 0; i < 3; i++) await get(server.url, agent);
    await settle(sink, 400, 4000);
    sink.reset();
    let ok = 0;
    for (let i = 0; i < requests; i++) if ((await get(server.url, agent)) < 400) ok++;
    await settle(sink, 400, 4000);
    return { requests, ok, spans: sink.counts.spans, spansPerRequest: sink.counts.spans / requests };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

async function checkOne(variant, scenario, requests, cpu) {
  const sinks = await startSinks();
  try {
    return await spansPerRequest(variant, scenario, sinks, requests, cpu);
  } catch (error) {
    return { error: error.message.split('\n')[0] };
  } finally {
    await sinks.close();
  }
}

/**
 * { scenarioName: { variantName: result } } for every instrumented variant,
 * `parallel` at a time, the apps pinned to `cpu`.
 */
async function checkSpans(scenarios, variants, { requests, parallel, cpu }, log) {
  const tasks = [];
  for (const scenario of scenarios) {
    for (const variant of variants) if (variant.name !== 'uninstrumented') tasks.push({ scenario, variant });
  }
  const out = Object.fromEntries(scenarios.map((s) => [s.name, {}]));
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const { scenario, variant } = tasks[next++];
      const result = await checkOne(variant, scenario, requests, cpu);
      out[scenario.name][variant.name] = result;
      log(result.error
        ? `  ! spans check ${scenario.name} ${variant.name}: ${result.error}`
        : `  ${scenario.name.padEnd(9)} ${variant.name.padEnd(14)} ${result.spansPerRequest.toFixed(2)} spans/request`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

module.exports = { checkSpans };
