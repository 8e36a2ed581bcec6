'use strict';
// Command line → settings. `--quick` is the developer's run (under three
// minutes on a 2-core machine); the default is the full run.
const fs = require('node:fs');
const path = require('node:path');

const USAGE = `usage: npm run bench -- [--quick] [--no-install] [--only=express,koa,checkout,startup,micro,install,spans]
                        [--rounds=N] [--seconds=N] [--connections=N] [--variants=tracewire,otel-lean,otel-auto,dd-trace]
                        [--baseline=DIR]   (another tracewire checkout, built: its preload runs as one more variant)
(--variants narrows the instrumented variants; the uninstrumented app always runs, every ratio needs it)`;

const INSTRUMENTED = ['tracewire', 'otel-lean', 'otel-auto', 'dd-trace'];
const PARTS = ['express', 'koa', 'checkout', 'startup', 'micro', 'install', 'spans'];

const PRESETS = {
  quick: {
    rounds: 2,
    // Instrumented apps need seconds of load before the JIT has caught up:
    // after 0.75 s the tracewire express variant still costs 360 µs/request,
    // after 2 s 220, after 4 s 200.
    warmupSeconds: 1.5,
    measureSeconds: 1,
    // Measured time is cut into slices, interleaved across the variants (throughput.js).
    sliceSeconds: 0.5,
    connections: 20,
    startupReps: 2,
    micro: { reps: 1, spans: 100_000, heapSpans: 20_000 },
    spansCheck: { requests: 10, parallel: 6 },
    installTimeoutMs: 60_000,
    // The peers' installs take ~20 s even from a warm npm cache.
    installPeers: false,
  },
  full: {
    rounds: 5,
    warmupSeconds: 5,
    measureSeconds: 10,
    sliceSeconds: 1,
    connections: 20,
    startupReps: 10,
    micro: { reps: 3, spans: 300_000, heapSpans: 50_000 },
    spansCheck: { requests: 50, parallel: 4 },
    installTimeoutMs: 600_000,
    installPeers: true,
  },
};

/** The --baseline checkout, checked: its register package must be built. */
function baselineDir(value) {
  if (typeof value !== 'string' || value === '') throw new Error('--baseline needs a directory: --baseline=DIR');
  const dir = path.resolve(value);
  const register = path.join(dir, 'packages', 'register');
  if (!fs.existsSync(path.join(register, 'package.json'))) throw new Error(`--baseline: ${dir} is not a tracewire checkout (no packages/register)`);
  if (!fs.existsSync(path.join(register, 'dist'))) {
    throw new Error(`--baseline: ${dir} is not built; run "npm ci && npm run build" there (e.g. after "git worktree add ${value} <commit>")`);
  }
  return dir;
}

function parseOptions(argv) {
  const flags = new Map();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
    flags.set(m[1], m[2] === undefined ? true : m[2]);
  }
  const known = ['quick', 'no-install', 'only', 'rounds', 'seconds', 'connections', 'variants', 'baseline', 'help'];
  for (const name of flags.keys()) if (!known.includes(name)) throw new Error(`unknown option --${name}\n${USAGE}`);
  if (flags.has('help')) {
    console.log(USAGE);
    process.exit(0);
  }
  const mode = flags.has('quick') ? 'quick' : 'full';
  const settings = { mode, ...structuredClone(PRESETS[mode]) };
  const int = (name, min) => {
    const n = Number(flags.get(name));
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min}`);
    return n;
  };
  if (flags.has('rounds')) settings.rounds = int('rounds', 1);
  if (flags.has('seconds')) {
    settings.measureSeconds = Number(flags.get('seconds'));
    if (!(settings.measureSeconds > 0)) throw new Error('--seconds must be a positive number');
  }
  if (flags.has('connections')) settings.connections = int('connections', 1);
  let parts = PARTS;
  if (flags.has('only')) {
    parts = String(flags.get('only')).split(',').map((s) => s.trim()).filter(Boolean);
    for (const p of parts) if (!PARTS.includes(p)) throw new Error(`--only: unknown part "${p}" (known: ${PARTS.join(', ')})`);
  }
  if (flags.has('no-install')) parts = parts.filter((p) => p !== 'install');
  settings.parts = new Set(parts);
  let variants = INSTRUMENTED;
  if (flags.has('variants')) {
    variants = String(flags.get('variants')).split(',').map((s) => s.trim()).filter(Boolean);
    for (const v of variants) if (!INSTRUMENTED.includes(v)) throw new Error(`--variants: unknown variant "${v}" (known: ${INSTRUMENTED.join(', ')})`);
    if (variants.length === 0) throw new Error('--variants: name at least one variant');
  }
  settings.variants = new Set(['uninstrumented', ...variants]);
  if (flags.has('baseline')) {
    settings.baseline = baselineDir(flags.get('baseline'));
    settings.variants.add('baseline');
  }
  // Anything narrowed or changed from the preset: not the mode's figures (run.js keeps those apart).
  settings.partial = ['only', 'no-install', 'variants', 'rounds', 'seconds', 'connections'].some((name) => flags.has(name));
  return settings;
}

module.exports = { parseOptions };
