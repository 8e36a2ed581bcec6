// The hook machinery works on Node's own module loader, which Jest replaces,
// so each case runs in a child process against the compiled package.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { packageDirOf } from '../src/hook';

// The bundle core ships as its main (scripts/bundle.js).
const CORE = path.resolve(__dirname, '../dist/core.js');
let app: string;

function writePackage(dir: string, pkg: object, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
}

beforeAll(() => {
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-hook-'));
  const lib = {
    'index.js': "exports.greet = () => 'hello'; exports.inner = require('./lib/inner');",
    'lib/inner.js': "exports.shout = () => 'HEY';",
  };
  writePackage(path.join(app, 'node_modules', 'fakelib'), { name: 'fakelib', version: '1.2.3', main: 'index.js' }, lib);
  // An npm alias: installed under another folder name, its package.json still says fakelib.
  writePackage(path.join(app, 'node_modules', 'fakelib2'), { name: 'fakelib', version: '2.0.0' }, lib);
});

/** Runs `body` in a child with `core` and a `def` patching fakelib's greet; returns its stdout lines. */
function run(body: string, def = "{ module: 'fakelib', versions: '>=1 <3', patch, unpatch }"): { out: string[]; err: string } {
  const script = `
    const core = require(${JSON.stringify(CORE)});
    const patch = (exports) => core.shimmer.wrap(exports, 'greet', (orig) => function () { return 'patched ' + orig.apply(this, arguments); });
    // An unpatch must tolerate a patch that failed half-way: unwrap only what is wrapped.
    const unpatch = (exports) => core.originalOf(exports.greet) !== undefined && core.shimmer.unwrap(exports, 'greet');
    const definition = { name: 'test', modules: [${def}] };
    const say = (x) => process.stdout.write(String(x) + '\\n');
    ${body}
  `;
  const errFile = path.join(app, `err-${Math.random()}.txt`);
  const fd = fs.openSync(errFile, 'w');
  try {
    const out = execFileSync(process.execPath, ['-e', script], { cwd: app, stdio: ['ignore', 'pipe', fd], encoding: 'utf8' });
    return { out: out.trim().split('\n'), err: fs.readFileSync(errFile, 'utf8') };
  } finally {
    fs.closeSync(fd);
  }
}

describe('enableInstrumentation', () => {
  it('patches a module when it is required after enabling', () => {
    expect(run(`core.enableInstrumentation(definition); say(require('fakelib').greet());`).out).toEqual(['patched hello']);
  });

  it('patches a module that was already loaded', () => {
    expect(run(`const lib = require('fakelib'); core.enableInstrumentation(definition); say(lib.greet());`).out).toEqual(['patched hello']);
  });

  it('patches a file inside the package', () => {
    const def = "{ module: 'fakelib', file: 'lib/inner.js', patch: (e) => core.shimmer.wrap(e, 'shout', (o) => () => o() + '!'), unpatch: (e) => core.shimmer.unwrap(e, 'shout') }";
    expect(run(`core.enableInstrumentation(definition); say(require('fakelib').inner.shout()); say(require('fakelib').greet());`, def).out).toEqual(['HEY!', 'hello']);
  });

  it('matches by the package.json name, so npm aliases are patched too', () => {
    expect(run(`core.enableInstrumentation(definition); say(require('fakelib2').greet());`).out).toEqual(['patched hello']);
  });

  it('leaves versions outside the range alone and says so once', () => {
    const def = "{ module: 'fakelib', versions: '^1', patch, unpatch }";
    const { out, err } = run(`core.enableInstrumentation(definition); say(require('fakelib2').greet()); say(require('fakelib').greet());`, def);
    expect(out).toEqual(['hello', 'patched hello']);
    expect(err).toBe('[tracewire] fakelib@2.0.0 is outside the supported range ^1; it runs untraced.\n');
  });

  it('is idempotent', () => {
    expect(run(`core.enableInstrumentation(definition); core.enableInstrumentation(definition); const lib = require('fakelib'); core.enableInstrumentation({ ...definition }); say(lib.greet());`).out).toEqual(['patched hello']);
  });

  it('two instances of one definition (same name and version, e.g. the preload bundle and the package file) enable once; either disables it', () => {
    const { out } = run(`
      const lib = require('fakelib'); const original = lib.greet;
      const a = { ...definition, version: '1.0.0', modules: definition.modules.map((m) => ({ ...m })) };
      const b = { ...definition, version: '1.0.0', modules: definition.modules.map((m) => ({ ...m })) };
      core.enableInstrumentation(a); core.enableInstrumentation(b); say(lib.greet());
      say(core.enabledInstrumentations().length);
      core.disableInstrumentation(b); say(lib.greet() + ' ' + (lib.greet === original) + ' ' + core.enabledInstrumentations().length);
      core.enableInstrumentation(b); say(lib.greet());
      core.disableInstrumentation(a); say(lib.greet() + ' ' + (lib.greet === original));
    `);
    expect(out).toEqual(['patched hello', '1', 'hello true 0', 'patched hello', 'hello true']);
  });

  it('another version of the same instrumentation is a second one', () => {
    const { out } = run(`
      const lib = require('fakelib');
      core.enableInstrumentation({ ...definition, version: '1.0.0' });
      core.enableInstrumentation({ ...definition, version: '2.0.0' });
      say(core.enabledInstrumentations().length);
    `);
    expect(out).toEqual(['2']);
  });

  it('disable restores the original functions', () => {
    const { out } = run(`
      const lib = require('fakelib'); const original = lib.greet;
      core.enableInstrumentation(definition); say(lib.greet() + ' ' + (lib.greet === original));
      core.disableInstrumentation(definition); say(lib.greet() + ' ' + (lib.greet === original));
      delete require.cache[require.resolve('fakelib')]; say(require('fakelib').greet());
    `);
    expect(out).toEqual(['patched hello false', 'hello true', 'hello']);
  });

  it('a patch that throws leaves the module working and warns once', () => {
    const def = "{ module: 'fakelib', patch: () => { throw new Error('boom'); }, unpatch }";
    const { out, err } = run(`core.enableInstrumentation(definition); say(require('fakelib').greet()); say(require('fakelib2').greet());`, def);
    expect(out).toEqual(['hello', 'hello']);
    expect(err).toBe('[tracewire] could not instrument fakelib@1.2.3 (boom); it runs untraced.\n[tracewire] could not instrument fakelib@2.0.0 (boom); it runs untraced.\n');
  });

  it('defers a builtin until the app requires it', () => {
    const def = "{ module: 'http', patch: (e) => core.shimmer.wrap(e, 'get', (o) => function () { say('get called'); return o.apply(this, arguments); }), unpatch: (e) => core.shimmer.unwrap(e, 'get') }";
    const { out } = run(`
      core.enableInstrumentation(definition, { deferBuiltins: true });
      say(process.moduleLoadList.includes('NativeModule http'));
      const http = require('node:http');
      say(typeof core.originalOf(http.get));
      http.get('http://127.0.0.1:1').on('error', () => say('refused'));
    `, def);
    expect(out).toEqual(['false', 'function', 'get called', 'refused']);
  });
});

describe('packageDirOf', () => {
  const sep = path.sep;
  it.each([
    [`${sep}app${sep}node_modules${sep}pg${sep}lib${sep}client.js`, `${sep}app${sep}node_modules${sep}pg`],
    [`${sep}app${sep}node_modules${sep}@koa${sep}router${sep}lib${sep}x.js`, `${sep}app${sep}node_modules${sep}@koa${sep}router`],
    [`${sep}a${sep}node_modules${sep}x${sep}node_modules${sep}y${sep}i.js`, `${sep}a${sep}node_modules${sep}x${sep}node_modules${sep}y`],
    [`${sep}app${sep}src${sep}server.js`, undefined],
  ])('%s → %s', (file, dir) => {
    expect(packageDirOf(file)).toBe(dir);
  });
});
