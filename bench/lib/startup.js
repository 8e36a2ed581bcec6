'use strict';
// Item 4: start-up cost of each preload, pinned to the server CPU. Two
// figures per variant: `node -e 0` (wall time; peak RSS from separate runs
// with a tiny exit reporter, so the timed runs carry nothing extra) and an
// Express app's time from spawn to listening (with its RSS at that moment).
const { spawn } = require('node:child_process');
const path = require('node:path');
const { pinned, SERVER_CPU } = require('./cpus');
const { baseEnv } = require('./variants');
const { SCENARIOS } = require('./scenarios');
const { roundOrder } = require('./throughput');
const { summary, pairedRatios } = require('./stats');

const PEAK_RSS = path.join(__dirname, 'peak-rss.js');
const EXPRESS = SCENARIOS.find((s) => s.name === 'express');

function run(nodeArgs, env, { ipc = false } = {}) {
  const [cmd, args] = pinned(SERVER_CPU, nodeArgs);
  const start = process.hrtime.bigint();
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe', ...(ipc ? ['ipc'] : [])] });
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr = (stderr + c).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: node ${nodeArgs.join(' ')}\n${stderr}`));
    }, 60_000);
    const ms = () => Number(process.hrtime.bigint() - start) / 1e6;
    if (ipc) {
      child.on('message', (m) => {
        if (m.type !== 'listening') return;
        const wallMs = ms();
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve({ wallMs, rssKb: m.maxRssKb });
      });
    }
    child.on('exit', (code) => {
      if (ipc && code === null) return;
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`exit code ${code}: node ${nodeArgs.join(' ')}\n${stderr}`));
      const rss = /bench-peak-rss-kb=(\d+)/.exec(stderr);
      resolve({ wallMs: ms(), rssKb: rss ? Number(rss[1]) : null });
    });
  });
}

async function benchStartup(variants, sinks, { reps }, log) {
  const raw = Object.fromEntries(variants.map((v) => [v.name, { e0: [], e0RssKb: [], listen: [], listenRssKb: [], e0NoCache: [] }]));
  const envOf = (v) => ({ ...baseEnv(), ...v.env(sinks, 'startup', EXPRESS) });
  // The peak-RSS pass comes first: it also warms the file caches for the timed passes.
  for (const v of variants) raw[v.name].e0RssKb.push((await run([...v.preload(), '-r', PEAK_RSS, '-e', '0'], envOf(v))).rssKb);
  for (let rep = 0; rep < reps; rep++) {
    for (const v of roundOrder(variants, rep)) {
      const r = raw[v.name];
      r.e0[rep] = (await run([...v.preload(), '-e', '0'], envOf(v))).wallMs;
      // tracewire's preload keeps V8's code for its bundles (see packages/register): the
      // runs above use it, as every start after a machine's first does. A first start has none.
      if (v.name === 'tracewire') r.e0NoCache[rep] = (await run([...v.preload(), '-e', '0'], { ...envOf(v), TRACEWIRE_COMPILE_CACHE: 'off' })).wallMs;
      const listen = await run([...v.preload(), EXPRESS.processes[0].script], envOf(v), { ipc: true });
      r.listen[rep] = listen.wallMs;
      r.listenRssKb[rep] = listen.rssKb;
    }
  }
  const base = raw.uninstrumented;
  const out = {};
  for (const v of variants) {
    const r = raw[v.name];
    out[v.name] = {
      e0Ms: summary(r.e0),
      e0Ratio: summary(pairedRatios(r.e0, base.e0)),
      e0RssMb: summary(r.e0RssKb.map((k) => k / 1024)),
      listenMs: summary(r.listen),
      listenRatio: summary(pairedRatios(r.listen, base.listen)),
      listenRssMb: summary(r.listenRssKb.map((k) => k / 1024)),
      ...(r.e0NoCache.length > 0 ? { e0NoCacheRatio: summary(pairedRatios(r.e0NoCache, base.e0)) } : {}),
    };
    const noCache = out[v.name].e0NoCacheRatio ? `, ×${out[v.name].e0NoCacheRatio.median.toFixed(2)} without code cache` : '';
    log(`  ${v.name.padEnd(14)} node -e 0 ${out[v.name].e0Ms.median.toFixed(0)} ms (×${out[v.name].e0Ratio.median.toFixed(2)}${noCache})  express listening ${out[v.name].listenMs.median.toFixed(0)} ms (×${out[v.name].listenRatio.median.toFixed(2)})`);
  }
  return { raw, summaries: out };
}

module.exports = { benchStartup };
