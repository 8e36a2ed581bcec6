// V8's code cache for the preload's own two bundles (core's and the
// preload's). Compiling them is about a third of what the preload adds to a
// process's start; with the code V8 made last time, a start skips most of it.
// Node 22 has this for every module (module.enableCompileCache); Node 20 has
// only vm.Script's cachedData, which is what this uses, for our files alone:
// the app's modules are none of our business.
//
// The cache lives in a directory only this user can write (default
// <tmpdir>/tracewire-compile-cache-<uid>); a directory that others could write
// is not used, since code read from it would run in the process. A file is
// named by a hash of the bundle's path, size and mtime and of the Node version,
// so a changed bundle or another Node never reads stale code; V8 itself
// rejects data made by another V8 or under other V8 flags (it is then rewritten). It is written
// once, when there was none or V8 rejected it, a little after start (or at
// exit, for a short process), atomically (temporary file, then rename).
//
// TRACEWIRE_COMPILE_CACHE: unset = the default directory; off|false|0 = no
// cache; anything else = the directory to use. NODE_DISABLE_COMPILE_CACHE
// (Node's own switch) turns it off too, and so does Node's own cache being on.
// Any failure means loading the file the ordinary way.
import * as fs from 'fs';
import Module = require('module');
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';

type Env = Record<string, string | undefined>;

/** What happened to one file, for the debug log. */
export interface CacheOutcome {
  file: string;
  /** 'used': V8 took the cached code; 'rejected': V8 refused it; 'missing': none yet; 'off': no cache. */
  status: 'used' | 'rejected' | 'missing' | 'off';
  reason?: string;
}

/** Write the cache this long after start (the app has run its first code by then), or at exit if sooner. */
const WRITE_DELAY_MILLIS = 2000;

/** 32-bit FNV-1a as 8 hex digits: names files, not a defence (ownership of the directory is). */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The cache file's name for a bundle: the bundle's name, a hash of its path,
 * and a hash of everything that makes V8's data for it valid or not.
 */
export function cacheFileName(file: string, stat: { size: number; mtimeMs: number }, node: { version: string; arch: string }): string {
  const identity = [stat.size, stat.mtimeMs, node.version, node.arch].join('\0');
  return `${path.basename(file)}-${fnv1a(file)}-${fnv1a(identity)}.v8cache`;
}

/** The directory to use, or why there is none. */
export function cacheDirectory(env: Env): { dir?: string; reason?: string } {
  const setting = env.TRACEWIRE_COMPILE_CACHE?.trim();
  if (setting !== undefined && /^(off|false|0|no)$/i.test(setting)) return { reason: 'TRACEWIRE_COMPILE_CACHE is off' };
  if (env.NODE_DISABLE_COMPILE_CACHE !== undefined && env.NODE_DISABLE_COMPILE_CACHE !== '') return { reason: 'NODE_DISABLE_COMPILE_CACHE is set' };
  const nodeCache = (Module as unknown as { getCompileCacheDir?: () => string | undefined }).getCompileCacheDir?.();
  if (typeof nodeCache === 'string' && nodeCache.length > 0) return { reason: "Node's own compile cache is on" };
  if (setting !== undefined && setting.length > 0) return { dir: path.resolve(setting) };
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  return { dir: path.join(os.tmpdir(), uid === undefined ? 'tracewire-compile-cache' : `tracewire-compile-cache-${uid}`) };
}

/** Why code from `dir` must not be run: it is not a directory we own that only we can write. Undefined when it is fine. */
export function unsafeDirectory(dir: string): string | undefined {
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return `${dir} belongs to another user`;
  if (process.platform !== 'win32' && (st.mode & 0o022) !== 0) return `${dir} can be written by other users`;
  return undefined;
}

/** unsafeDirectory, for a directory that may not exist yet (it is made, ours and 0700, when the cache is first written). */
function directoryProblem(dir: string): string | undefined {
  try {
    return unsafeDirectory(dir);
  } catch (error) {
    return (error as NodeJS.ErrnoException)?.code === 'ENOENT' ? undefined : String((error as Error)?.message ?? error);
  }
}

interface Pending {
  script: vm.Script;
  target: string;
  prefix: string;
}

/** Loads bundles through the code cache; one per process (the preload). */
export class CompileCache {
  readonly outcomes: CacheOutcome[] = [];
  private readonly dir: string | undefined;
  private readonly offReason: string | undefined;
  private readonly pending: Pending[] = [];
  private scheduled = false;

  constructor(env: Env = process.env) {
    let found: { dir?: string; reason?: string };
    try {
      found = cacheDirectory(env);
    } catch (error) {
      found = { reason: (error as Error)?.message ?? String(error) };
    }
    this.dir = found.dir;
    this.offReason = found.reason;
  }

  /**
   * require(file), with V8's cached code when there is some. The module
   * lands in require.cache under its own path, so a later require() of it
   * returns this same module.
   */
  load(file: string): unknown {
    const cached = Module as unknown as { _cache: Record<string, Module> };
    const existing = cached._cache[file];
    if (existing !== undefined) return existing.exports;
    if (this.dir === undefined) {
      this.outcomes.push({ file, status: 'off', reason: this.offReason });
      return require(file);
    }
    let script: vm.Script;
    let status: CacheOutcome['status'];
    let target: string;
    let reason: string | undefined;
    try {
      const source = fs.readFileSync(file, 'utf8');
      target = path.join(this.dir, cacheFileName(file, fs.statSync(file), { version: process.version, arch: process.arch }));
      let data: Buffer | undefined;
      const unsafe = directoryProblem(this.dir);
      if (unsafe === undefined) {
        try {
          data = fs.readFileSync(target);
        } catch {
          // none yet
        }
      } else reason = unsafe;
      const options: vm.ScriptOptions = { filename: file, cachedData: data };
      const dynamicImport = (vm as unknown as { constants?: { USE_MAIN_CONTEXT_DEFAULT_LOADER?: symbol } }).constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
      if (dynamicImport !== undefined) (options as { importModuleDynamically?: unknown }).importModuleDynamically = dynamicImport;
      script = new vm.Script(Module.wrap(source), options);
      status = data === undefined ? 'missing' : script.cachedDataRejected === true ? 'rejected' : 'used';
    } catch (error) {
      this.outcomes.push({ file, status: 'off', reason: (error as Error)?.message ?? String(error) });
      return require(file);
    }
    const mod = new Module(file, module);
    mod.filename = file;
    mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
    cached._cache[file] = mod;
    try {
      const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
      wrapper.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
    } catch (error) {
      // As Node does: a module that threw is not cached, and the error is the caller's.
      delete cached._cache[file];
      throw error;
    }
    mod.loaded = true;
    this.outcomes.push({ file, status, reason });
    if (status !== 'used' && reason === undefined) {
      this.pending.push({ script, target, prefix: target.slice(0, target.lastIndexOf('-') + 1) });
      this.schedule();
    }
    return mod.exports;
  }

  /** Writes what V8 compiled so far for each file that had no usable cache. Never throws. */
  write(): void {
    const pending = this.pending.splice(0);
    if (pending.length === 0 || this.dir === undefined) return;
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      if (directoryProblem(this.dir) !== undefined) return;
      for (const { script, target, prefix } of pending) {
        const temporary = `${target}.${process.pid}.tmp`;
        fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(temporary, target);
        // The same bundle's data for an older build or another Node: superseded.
        const dir = path.dirname(target);
        for (const name of fs.readdirSync(dir)) {
          const other = path.join(dir, name);
          if (other !== target && other.startsWith(prefix) && name.endsWith('.v8cache')) fs.rmSync(other, { force: true });
        }
      }
    } catch {
      // A read-only or full disk: the next start compiles again, as it would have anyway.
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const onExit = (): void => {
      clearTimeout(timer);
      this.write();
    };
    const timer = setTimeout(() => {
      process.removeListener('exit', onExit);
      this.write();
    }, WRITE_DELAY_MILLIS);
    timer.unref();
    process.once('exit', onExit);
  }
}
