// The preload's code cache: unit tests of its naming and safety rules, and
// real child processes started with `node -r @tracewire/register` against a
// cache directory of their own.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cacheDirectory, cacheFileName, fnv1a, unsafeDirectory } from '../src/compile-cache';

const ROOT = path.resolve(__dirname, '../../..');
const CORE = fs.realpathSync(path.join(ROOT, 'packages/core/dist/core.js'));
const BUNDLE = path.join(ROOT, 'packages/register/dist/bundle.js');
let scratch: string;

beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tracewire-cc-test-'));
});

afterEach(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-r', '@tracewire/register', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, OTEL_TRACES_EXPORTER: 'none', OTEL_LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

/** What the debug log says of each bundle: "core.js used", … */
const outcomes = (stderr: string): string[] => [...stderr.matchAll(/compile cache: (\S+ \w+)/g)].map((m) => m[1]);
const cacheFiles = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.v8cache')).sort() : []);

// The app's own require of core must return the module the preload started (one SDK, one tracer).
const SAME_CORE = "const core = require('@tracewire/core'); console.log(String(core.currentSdk() !== undefined && core.currentSdk().enabled && require.cache[require.resolve('@tracewire/core')].loaded))";

describe('naming and rules', () => {
  it('fnv1a is the 32-bit FNV-1a hash as eight hex digits', () => {
    expect(fnv1a('')).toBe('811c9dc5');
    expect(fnv1a('a')).toBe('e40c292c');
    expect(fnv1a('foobar')).toBe('bf9cf968');
  });

  it('a cache file is named by the bundle, its path, and its size, mtime and Node version', () => {
    const stat = { size: 1000, mtimeMs: 1700000000000.5 };
    const node = { version: 'v20.20.2', arch: 'x64' };
    const name = cacheFileName('/x/dist/core.js', stat, node);
    expect(name).toMatch(/^core\.js-[0-9a-f]{8}-[0-9a-f]{8}\.v8cache$/);
    expect(cacheFileName('/y/dist/core.js', stat, node)).not.toBe(name);
    expect(cacheFileName('/x/dist/core.js', { ...stat, size: 1001 }, node)).not.toBe(name);
    expect(cacheFileName('/x/dist/core.js', { ...stat, mtimeMs: stat.mtimeMs + 1 }, node)).not.toBe(name);
    expect(cacheFileName('/x/dist/core.js', stat, { ...node, version: 'v20.20.3' })).not.toBe(name);
    // The same bundle's files share everything up to the last hash: that is how old ones are found.
    expect(cacheFileName('/x/dist/core.js', { ...stat, size: 5 }, node).split('-').slice(0, 2)).toEqual(name.split('-').slice(0, 2));
  });

  it('TRACEWIRE_COMPILE_CACHE: unset = a per-user directory under tmpdir, off = none, else the directory given', () => {
    const uid = process.getuid!();
    expect(cacheDirectory({})).toEqual({ dir: path.join(os.tmpdir(), `tracewire-compile-cache-${uid}`) });
    for (const off of ['off', 'OFF', 'false', '0', 'no']) expect(cacheDirectory({ TRACEWIRE_COMPILE_CACHE: off })).toEqual({ reason: 'TRACEWIRE_COMPILE_CACHE is off' });
    expect(cacheDirectory({ TRACEWIRE_COMPILE_CACHE: 'rel/dir' })).toEqual({ dir: path.resolve('rel/dir') });
    expect(cacheDirectory({ NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual({ reason: 'NODE_DISABLE_COMPILE_CACHE is set' });
  });

  it('a directory others can write, or that is not a directory, is unsafe', () => {
    const dir = path.join(scratch, 'c');
    fs.mkdirSync(dir, { mode: 0o700 });
    expect(unsafeDirectory(dir)).toBeUndefined();
    fs.chmodSync(dir, 0o777);
    expect(unsafeDirectory(dir)).toBe(`${dir} can be written by other users`);
    fs.chmodSync(dir, 0o720);
    expect(unsafeDirectory(dir)).toBe(`${dir} can be written by other users`);
    const file = path.join(scratch, 'f');
    fs.writeFileSync(file, '');
    expect(unsafeDirectory(file)).toBe(`${file} is not a directory`);
  });
});

describe('the preload with a code cache', () => {
  it('the first start writes the cache (0700 directory, 0600 files), the next uses it, and the app shares the preload’s core', async () => {
    const dir = path.join(scratch, 'cache');
    const env = { TRACEWIRE_COMPILE_CACHE: dir };
    const first = await run(['-e', SAME_CORE], env);
    expect(first.status).toBe(0);
    expect(first.stdout.trim()).toBe('true');
    expect(outcomes(first.stderr)).toEqual(['core.js missing', 'bundle.js missing']);
    const files = cacheFiles(dir);
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^bundle\.js-/);
    expect(files[1]).toBe(cacheFileName(CORE, fs.statSync(CORE), { version: process.version, arch: process.arch }));
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of files) expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);

    const second = await run(['-e', SAME_CORE], env);
    expect(second.status).toBe(0);
    expect(second.stdout.trim()).toBe('true');
    expect(outcomes(second.stderr)).toEqual(['core.js used', 'bundle.js used']);
    expect(fs.readdirSync(dir).sort()).toEqual(files); // nothing rewritten, no temporary files left
  });

  it('data V8 refuses (corrupt) is ignored, the app runs as usual, and the cache is rewritten', async () => {
    const dir = path.join(scratch, 'cache');
    const env = { TRACEWIRE_COMPILE_CACHE: dir };
    await run(['-e', '0'], env);
    const files = cacheFiles(dir);
    for (const f of files) fs.writeFileSync(path.join(dir, f), Buffer.alloc(4096, 0x5a));
    const corrupt = await run(['-e', SAME_CORE], env);
    expect(corrupt.status).toBe(0);
    expect(corrupt.stdout.trim()).toBe('true');
    expect(outcomes(corrupt.stderr)).toEqual(['core.js rejected', 'bundle.js rejected']);
    expect(cacheFiles(dir)).toEqual(files);
    const after = await run(['-e', '0'], env);
    expect(outcomes(after.stderr)).toEqual(['core.js used', 'bundle.js used']);
  });

  it('the default directory is per user under TMPDIR; an older build’s file for the same bundle is removed', async () => {
    const dir = path.join(scratch, `tracewire-compile-cache-${process.getuid!()}`);
    fs.mkdirSync(dir, { mode: 0o700 });
    const stale = cacheFileName(CORE, { size: 1, mtimeMs: 2 }, { version: process.version, arch: process.arch });
    const unrelated = 'core.js-00000000-00000000.v8cache';
    fs.writeFileSync(path.join(dir, stale), 'old');
    fs.writeFileSync(path.join(dir, unrelated), 'another path');
    const result = await run(['-e', '0'], { TMPDIR: scratch });
    expect(result.status).toBe(0);
    const files = cacheFiles(dir);
    expect(files).not.toContain(stale);
    expect(files).toContain(unrelated);
    expect(files).toContain(cacheFileName(CORE, fs.statSync(CORE), { version: process.version, arch: process.arch }));
    expect(files).toHaveLength(3);
  });

  it('TRACEWIRE_COMPILE_CACHE=off reads and writes nothing', async () => {
    const result = await run(['-e', SAME_CORE], { TMPDIR: scratch, TRACEWIRE_COMPILE_CACHE: 'off' });
    expect(result.stdout.trim()).toBe('true');
    expect(outcomes(result.stderr)).toEqual(['core.js off', 'bundle.js off']);
    expect(fs.readdirSync(scratch)).toEqual([]);
  });

  it('a directory other users can write is neither read nor written', async () => {
    const dir = path.join(scratch, 'shared');
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o777);
    const planted = cacheFileName(CORE, fs.statSync(CORE), { version: process.version, arch: process.arch });
    fs.writeFileSync(path.join(dir, planted), Buffer.alloc(64));
    const result = await run(['-e', SAME_CORE], { TRACEWIRE_COMPILE_CACHE: dir });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('true');
    expect(result.stderr).toContain(`compile cache: core.js missing (${dir} can be written by other users)`);
    expect(fs.readdirSync(dir)).toEqual([planted]);
    expect(fs.readFileSync(path.join(dir, planted))).toEqual(Buffer.alloc(64));
  });

  it('writing at exit keeps the exit code; a process still running writes a little after start', async () => {
    const dir = path.join(scratch, 'cache');
    const exitCode = await run(['-e', 'process.exitCode = 3'], { TRACEWIRE_COMPILE_CACHE: dir });
    expect(exitCode.status).toBe(3);
    expect(cacheFiles(dir)).toHaveLength(2);

    const dir2 = path.join(scratch, 'cache2');
    const exit = await run(['-e', 'process.exit(4)'], { TRACEWIRE_COMPILE_CACHE: dir2 });
    expect(exit.status).toBe(4);
    expect(cacheFiles(dir2)).toHaveLength(2);

    // Killed by a signal, 'exit' never comes: a server writes on its timer, while it runs.
    const dir3 = path.join(scratch, 'cache3');
    const look = `setTimeout(() => console.log(require('fs').readdirSync(${JSON.stringify(dir3)}).length), 3000)`;
    const running = await run(['-e', look], { TRACEWIRE_COMPILE_CACHE: dir3 });
    expect(running.stdout.trim()).toBe('2');
  });

  it('loads the bundle files themselves, once each', async () => {
    const list = 'console.log(JSON.stringify(Object.keys(require.cache)))';
    const result = await run(['-e', list], { TRACEWIRE_COMPILE_CACHE: path.join(scratch, 'cache') });
    const files = (JSON.parse(result.stdout) as string[]).map((f) => fs.realpathSync(f));
    expect(files.filter((f) => f === CORE)).toHaveLength(1);
    expect(files.filter((f) => f === BUNDLE)).toHaveLength(1);
  });
});
