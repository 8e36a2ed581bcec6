'use strict';
// Item 6: what an install brings. Each candidate is installed into an empty
// temporary project (tracewire from `npm pack` tarballs of the workspace
// packages @tracewire/register needs; the peers from the registry at the
// versions this bench uses), then node_modules is counted: package
// directories and the apparent size of their files.
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const BENCH_DIR = path.join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function sh(args, cwd, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(npm, args, { cwd, timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      error
        ? reject(new Error(error.killed ? `npm ${args[0]} took longer than ${timeoutMs / 1000} s; not measured` : `npm ${args.join(' ')} failed: ${String(stderr).trim().split('\n').slice(-3).join(' | ') || error.message}`))
        : resolve(stdout),
    );
  });
}

/** The directory of an installed package, found the way Node would from the bench. */
function packageDir(name) {
  for (let dir = BENCH_DIR; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (path.dirname(dir) === dir) throw new Error(`${name} is not installed`);
  }
}

const manifest = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));

/** @tracewire/register and every @tracewire package it needs at run time, transitively. */
function tracewireClosure() {
  const dirs = new Map();
  const visit = (name) => {
    if (dirs.has(name)) return;
    const dir = packageDir(name);
    dirs.set(name, dir);
    for (const dep of Object.keys(manifest(dir).dependencies || {})) if (dep.startsWith('@tracewire/')) visit(dep);
  };
  visit('@tracewire/register');
  return dirs;
}

/** { packages, bytes, diskBytes } under a node_modules tree; symlinks (.bin) are not followed. */
function countTree(nodeModules) {
  let packages = 0;
  let bytes = 0;
  let diskBytes = 0;
  const walk = (dir, depthInModules) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isFile()) {
        const stat = fs.statSync(full);
        bytes += stat.size;
        diskBytes += stat.blocks * 512;
      } else if (entry.isDirectory()) {
        // A package is a directory right under node_modules (or under a @scope there).
        if (depthInModules === 0 && entry.name.startsWith('@')) walk(full, 0);
        else {
          if (depthInModules === 0 && fs.existsSync(path.join(full, 'package.json'))) packages++;
          walk(full, entry.name === 'node_modules' ? 0 : depthInModules + 1);
        }
      }
    }
  };
  if (fs.existsSync(nodeModules)) walk(nodeModules, 0);
  return { packages, bytes, diskBytes };
}

async function installAndCount(label, specs, work, timeoutMs) {
  const dir = fs.mkdtempSync(path.join(work, 'project-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'footprint', version: '1.0.0', private: true }));
  const started = Date.now();
  await sh(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...specs], dir, timeoutMs);
  const counted = countTree(path.join(dir, 'node_modules'));
  return { label, specs: specs.map((s) => path.basename(s)), ...counted, mb: counted.bytes / 1e6, diskMb: counted.diskBytes / 1e6, seconds: (Date.now() - started) / 1000 };
}

const PEERS = [
  { name: 'otel-sdk-node+auto', label: '@opentelemetry/sdk-node + auto-instrumentations-node', packages: ['@opentelemetry/sdk-node', '@opentelemetry/auto-instrumentations-node'] },
  { name: 'dd-trace', label: 'dd-trace', packages: ['dd-trace'] },
];

/**
 * Installs and counts tracewire and, with `peers`, each peer; an install over
 * `timeoutMs` is reported as not measured.
 */
async function benchFootprint({ timeoutMs, peers }, log) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tracewire-footprint-'));
  const out = {};
  const report = (name, r) =>
    log(`  ${name.padEnd(18)} ${r.error ? r.error : `${r.packages} packages, ${r.mb.toFixed(2)} MB (${r.diskMb.toFixed(1)} MB on disk), installed in ${r.seconds.toFixed(0)} s`}`);
  try {
    const tarballs = [];
    for (const [name, dir] of tracewireClosure()) {
      if (!fs.existsSync(path.join(dir, manifest(dir).main || 'index.js'))) throw new Error(`${name} is not built; run tsc -b first`);
      const file = (await sh(['pack', '--silent', '--pack-destination', work], dir, timeoutMs)).trim().split('\n').pop();
      tarballs.push(path.join(work, file));
    }
    out.tracewire = await installAndCount('@tracewire/register (npm pack of the workspace packages it needs)', tarballs, work, timeoutMs);
    report('tracewire', out.tracewire);
    for (const peer of PEERS) {
      if (!peers) {
        out[peer.name] = { label: peer.label, skipped: true, error: 'skipped in --quick' };
        continue;
      }
      const specs = peer.packages.map((p) => `${p}@${manifest(packageDir(p)).version}`);
      try {
        out[peer.name] = await installAndCount(peer.label, specs, work, timeoutMs);
      } catch (error) {
        out[peer.name] = { label: peer.label, specs, error: error.message };
      }
      report(peer.name, out[peer.name]);
    }
  } catch (error) {
    out.error = error.message;
    log(`  ! install footprint: ${error.message}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return out;
}

module.exports = { benchFootprint };
