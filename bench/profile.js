'use strict';
// Where a variant spends its CPU under load: runs one scenario's app with
// `node --cpu-prof`, loads it like the bench does, and lists the top
// self-time functions (all, then tracewire's own code).
// Usage: node profile.js [scenario=express] [variant=tracewire] [seconds=10]
const fs = require('node:fs');
const path = require('node:path');
const { pinSelf } = require('./lib/cpus');
const { startSinks } = require('./lib/sinks');
const { VARIANTS } = require('./lib/variants');
const { SCENARIOS } = require('./lib/scenarios');
const { startScenario } = require('./lib/server');
const { startLoadSession } = require('./lib/load-session');
const { selfTimes } = require('./lib/cpu-profile');

const OUT = path.join(__dirname, 'results', 'profiles');

async function main() {
  const [scenarioName = 'express', variantName = 'tracewire', seconds = '10'] = process.argv.slice(2);
  const scenario = SCENARIOS.find((s) => s.name === scenarioName);
  const variant = VARIANTS.find((v) => v.name === variantName);
  if (!scenario || !variant) throw new Error(`usage: node profile.js [${SCENARIOS.map((s) => s.name).join('|')}] [${VARIANTS.map((v) => v.name).join('|')}] [seconds]`);
  pinSelf();
  const dir = path.join(OUT, `${scenario.name}-${variant.name}-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  const sinks = await startSinks();
  const load = startLoadSession({ connections: 20 });
  const server = await startScenario(variant, scenario, sinks, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  await load.run(server.url, 2);
  const result = await load.run(server.url, Number(seconds));
  await load.close();
  await server.exit();
  await sinks.close();
  console.log(`${scenario.title}, ${variant.label}: ${result.rps.toFixed(0)} req/s under the profiler`);
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const rows = selfTimes(path.join(dir, file));
    const show = (title, list) => {
      console.log(`\n${title}`);
      for (const r of list) console.log(`${r.selfPct.toFixed(1).padStart(5)}%  ${r.name}  ${r.location.replace(/^.*\/(packages|node_modules)\//, '$1/')}`);
    };
    console.log(`\n${path.relative(process.cwd(), path.join(dir, file))}`);
    show('top self time, all code:', rows.slice(0, 15));
    const ours = rows.filter((r) => r.location.includes('/packages/') || r.location.includes('@tracewire/'));
    const oursPct = ours.reduce((sum, r) => sum + r.selfPct, 0);
    show(`tracewire's own code: ${oursPct.toFixed(1)}% of all samples; top functions:`, ours.slice(0, 15));
  }
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exitCode = 1;
});
