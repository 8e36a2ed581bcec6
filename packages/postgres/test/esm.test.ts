// registerEsmRedirect and its resolve hook (src/esm-target.ts: in-thread with Module.registerHooks, or esm-hook.mjs on a hooks thread), in child processes
// against the built package (run `tsc -b` first): `import postgres from
// 'postgres'` gets the CommonJS build, the one copy core's hook instruments;
// anything that is not postgres.js 3 is left alone. The whole path under the
// preload (spans of an ESM app and its CommonJS twin) is in register's tests.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const FIXTURES = path.join(__dirname, 'fixtures');
const REDIRECT = path.join(FIXTURES, 'redirect.mjs');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runNode(args: string[], cwd: string): Promise<Run> {
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

describe('the real postgres.js', () => {
  const app = path.join(FIXTURES, 'same-copy.mjs');

  it('without the redirect, import and require give two copies (the ESM one untraceable)', async () => {
    const run = await runNode([app], FIXTURES);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ sameAsRequire: false, resolved: 'postgres/src/index.js', factory: 'function' });
  });

  it('with it, import gives the CommonJS build: the same copy require gives', async () => {
    const run = await runNode(['--import', REDIRECT, app], FIXTURES);
    expect(run.stderr).toBe('registered=true\n');
    expect(JSON.parse(run.stdout)).toEqual({ sameAsRequire: true, resolved: 'postgres/cjs/src/index.js', factory: 'function' });
  });
});

describe('only postgres.js 3 is redirected', () => {
  let dir: string;

  /** A package at <dir>/<app>/node_modules/postgres with both builds; each exports which build it is. */
  function makeApp(app: string, pkg: Record<string, unknown>): string {
    const root = path.join(dir, app);
    const pkgDir = path.join(root, 'node_modules', 'postgres');
    fs.mkdirSync(path.join(pkgDir, 'src'), { recursive: true });
    fs.mkdirSync(path.join(pkgDir, 'cjs', 'src'), { recursive: true });
    const exports = { import: './src/index.js', default: './cjs/src/index.js' };
    fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ type: 'module', exports, ...pkg }));
    fs.writeFileSync(path.join(pkgDir, 'src', 'index.js'), "export default 'esm build';\n");
    fs.writeFileSync(path.join(pkgDir, 'cjs', 'package.json'), JSON.stringify({ type: 'commonjs' }));
    fs.writeFileSync(path.join(pkgDir, 'cjs', 'src', 'index.js'), "module.exports = 'cjs build';\n");
    fs.writeFileSync(path.join(root, 'app.mjs'), "import build from 'postgres';\nprocess.stdout.write(build);\n");
    return root;
  }

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-pgjs-esm-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['a package named postgres, version 3', { name: 'postgres', version: '3.9.0' }, 'cjs build'],
    ['version 2', { name: 'postgres', version: '2.0.0' }, 'esm build'],
    ['a package in a postgres directory with another name', { name: 'not-postgres', version: '3.9.0' }, 'esm build'],
  ];
  it.each(cases)('%s', async (_title, pkg, build) => {
    const root = makeApp(String(pkg.name) + String(pkg.version), pkg);
    const run = await runNode(['--import', REDIRECT, path.join(root, 'app.mjs')], root);
    expect(run).toEqual({ status: 0, stdout: build, stderr: 'registered=true\n' });
  });

  it('a postgres without cjs/src/index.js is left alone', async () => {
    const root = makeApp('no-cjs', { name: 'postgres', version: '3.9.0', exports: { import: './src/index.js', default: './index.cjs' } });
    const pkgDir = path.join(root, 'node_modules', 'postgres');
    fs.rmSync(path.join(pkgDir, 'cjs'), { recursive: true });
    fs.writeFileSync(path.join(pkgDir, 'index.cjs'), "module.exports = 'other build';\n");
    const run = await runNode(['--import', REDIRECT, path.join(root, 'app.mjs')], root);
    expect(run).toEqual({ status: 0, stdout: 'esm build', stderr: 'registered=true\n' });
  });

  it('nothing is registered when postgres does not resolve from the entry', async () => {
    const root = path.join(dir, 'no-postgres');
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'app.mjs'), "process.stdout.write('ran');\n");
    const run = await runNode(['--import', REDIRECT, path.join(root, 'app.mjs')], root);
    expect(run).toEqual({ status: 0, stdout: 'ran', stderr: 'registered=false\n' });
  });
});
