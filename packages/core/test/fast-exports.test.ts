// Every per-request call from one module to another reads a property of the
// callee's exports object. In dictionary mode (what tsc's re-exports leave
// behind, see src/fast-exports.ts) each read is a generic lookup plus a getter
// call: about 3 000 instructions per Koa request when it was http's shared.js
// alone. These guards ask V8 itself (%HasFastProperties, in a child process
// with --allow-natives-syntax) about the built packages: no flakiness, no timing.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fastExports } from '@tracewire/core';

const ROOT = path.resolve(__dirname, '../../..');
const PACKAGES = ['core', 'http', 'express', 'koa', 'pg', 'postgres', 'logs'];

/** Runs `script` in node with natives syntax; returns its JSON output. */
function v8(script: string): unknown {
  return JSON.parse(execFileSync(process.execPath, ['--allow-natives-syntax', '-e', script], { cwd: ROOT, encoding: 'utf8' }));
}

it('fastExports copies every export’s value (accessors read once) and keeps __esModule out of the keys', () => {
  const source: Record<string, unknown> = {};
  Object.defineProperty(source, '__esModule', { value: true });
  source.a = 1;
  Object.defineProperty(source, 'b', { enumerable: true, get: () => 'from a getter' });
  const copy = fastExports(source);
  expect(copy).toEqual({ a: 1, b: 'from a getter' });
  expect(copy.__esModule).toBe(true);
  expect(Object.keys(copy)).toEqual(['a', 'b']);
  expect(Object.getOwnPropertyDescriptor(copy, 'b')).toEqual({ value: 'from a getter', writable: true, enumerable: true, configurable: true });
});

it('every package’s public exports and every module’s own exports are fast-mode objects', () => {
  const files: string[] = [];
  for (const pkg of PACKAGES) {
    const dist = path.join(ROOT, 'packages', pkg, 'dist');
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        // core.js is the bundle of these same files; the index files of core's internal folders are
        // only read once, when an exporter or propagator is first chosen.
        else if (entry.name.endsWith('.js') && entry.name !== 'core.js' && !(dir !== dist && entry.name === 'index.js')) files.push(file);
      }
    };
    walk(dist);
  }
  expect(files.length).toBeGreaterThan(60);
  const script = `
    const slow = [];
    for (const id of ${JSON.stringify([...PACKAGES.map((p) => `@tracewire/${p}`), ...files])}) {
      const exports = require(id);
      if (!%HasFastProperties(exports)) slow.push(id);
    }
    // A dictionary-mode object, so the check itself is known to tell the two apart.
    const control = {}; for (let i = 0; i < 20; i++) { control['k' + i] = 0; Object.defineProperty(control, 'k' + i, { get: () => i }); }
    console.log(JSON.stringify({ slow, control: %HasFastProperties(control) }));`;
  expect(v8(script)).toEqual({ slow: [], control: false });
});
