// The hook machinery: instrumentations describe which module (and which file
// inside it) they patch; this module applies the patch when that file is
// loaded, or at once if it already was. Only files of packages that have an
// instrumentation cost anything beyond a string search per loaded file.
import * as fs from 'fs';
import Module = require('module');
import * as path from 'path';
import { shimmer } from './shim';
import { log } from './logger';
import { satisfies } from './semver';

export interface ModulePatch {
  /** Name in the package's own package.json ('express', 'pg'), or a builtin ('http'). */
  module: string;
  /** Supported versions (semver range). Builtins ignore it. */
  versions?: string;
  /** File inside the package to patch, posix style ('lib/router/index.js'); default: its main file. */
  file?: string;
  /** Wraps what `exports` holds, in place (prototypes, properties). */
  patch(exports: any, version: string): void;
  /** Restores what `patch` wrapped. */
  unpatch(exports: any): void;
}

export interface InstrumentationDefinition {
  /** Scope name of the spans it makes, e.g. '@tracewire/http'. */
  name: string;
  /** The package's version. With it, two module instances of one definition
   *  file (the preload's bundle and the package's own file) count as one. */
  version?: string;
  modules: ModulePatch[];
  /** Work that no module load shows (diagnostics channels). */
  enable?(): void;
  disable?(): void;
}

interface PackageInfo {
  name: string;
  version: string;
  dir: string;
  main?: string;
}

interface Applied {
  patch: ModulePatch;
  exports: unknown;
}

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
const BUILTIN_PREFIX = 'node:';

const definitions = new Set<InstrumentationDefinition>();
/** Package name → patches that want it. */
const wanted = new Map<string, ModulePatch[]>();
/** Builtin name (without node:) → patches that want it. */
const wantedBuiltins = new Map<string, ModulePatch[]>();
const applied: Applied[] = [];
const packageCache = new Map<string, PackageInfo | null>();
const warned = new Set<string>();
let hookInstalled = false;
let requireHookInstalled = false;
let patchingBuiltin = false;

function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  log.warn(message);
}

function isBuiltin(name: string): boolean {
  return name.startsWith(BUILTIN_PREFIX) || Module.builtinModules.includes(name);
}

/** The package directory a file belongs to: the last node_modules/<name> (or @scope/name) in its path. */
export function packageDirOf(filename: string): string | undefined {
  const i = filename.lastIndexOf(NODE_MODULES);
  if (i < 0) return undefined;
  const start = i + NODE_MODULES.length;
  let end = filename.indexOf(path.sep, start);
  if (end < 0) return undefined;
  if (filename[start] === '@') {
    end = filename.indexOf(path.sep, end + 1);
    if (end < 0) return undefined;
  }
  return filename.slice(0, end);
}

function readPackage(dir: string): PackageInfo | null {
  let info = packageCache.get(dir);
  if (info !== undefined) return info;
  info = null;
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
    if (typeof pkg.name === 'string' && typeof pkg.version === 'string') info = { name: pkg.name, version: pkg.version, dir };
  } catch {
    // not a package root we can read: nothing to instrument
  }
  packageCache.set(dir, info);
  return info;
}

function mainFile(info: PackageInfo): string | undefined {
  if (info.main === undefined) {
    try {
      // Resolving the directory (not the bare name) follows package.json "main", as require() does for CommonJS.
      info.main = (Module as unknown as { _resolveFilename(req: string, parent: unknown): string })._resolveFilename(info.dir, null);
    } catch {
      info.main = '';
    }
  }
  return info.main || undefined;
}

function fileMatches(patch: ModulePatch, info: PackageInfo, filename: string): boolean {
  if (patch.file === undefined) return filename === mainFile(info);
  return filename === path.join(info.dir, ...patch.file.split('/'));
}

function apply(patch: ModulePatch, module: { exports: unknown }, version: string, label: string): void {
  const exports = module.exports;
  if (applied.some((a) => a.patch === patch && a.exports === exports)) return;
  try {
    patch.patch(exports, version);
    applied.push({ patch, exports });
  } catch (error) {
    try {
      patch.unpatch(exports);
    } catch {
      // best effort: the patch already failed half-way
    }
    warnOnce(`fail:${label}`, `could not instrument ${label} (${(error as Error)?.message ?? error}); it runs untraced.`);
  }
}

function patchIfMatching(patch: ModulePatch, info: PackageInfo, module: { exports: unknown }, filename: string): void {
  if (info.name !== patch.module || !fileMatches(patch, info, filename)) return;
  const label = `${info.name}@${info.version}`;
  if (patch.versions !== undefined && !satisfies(info.version, patch.versions)) {
    warnOnce(`range:${label}:${patch.file ?? ''}`, `${label} is outside the supported range ${patch.versions}; it runs untraced.`);
    return;
  }
  apply(patch, module, info.version, label);
}

function packageOf(filename: string): PackageInfo | null {
  const dir = packageDirOf(filename);
  return dir === undefined ? null : readPackage(dir);
}

/** Called for every CommonJS file as it finishes loading. */
function onLoaded(module: { exports: unknown }, filename: string): void {
  const info = packageOf(filename);
  if (info === null) return;
  const patches = wanted.get(info.name);
  if (patches === undefined) return;
  for (const patch of patches) patchIfMatching(patch, info, module, filename);
}

function installHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  type Load = (this: { exports: unknown }, filename: string) => void;
  shimmer.wrap(Module.prototype as unknown as { load: Load }, 'load', (original: Load) =>
    function load(this: { exports: unknown }, filename: string): void {
      original.call(this, filename);
      if (wanted.size === 0) return;
      try {
        onLoaded(this, filename);
      } catch (error) {
        warnOnce('hook', `module hook failed (${(error as Error)?.message}); instrumentation may be incomplete.`);
      }
    },
  );
}

function builtinName(name: string): string {
  return name.startsWith(BUILTIN_PREFIX) ? name.slice(BUILTIN_PREFIX.length) : name;
}

/** Builtins are one shared object however they are required or imported, so one patch covers every use. */
function patchBuiltin(name: string, exports?: unknown): void {
  const patches = wantedBuiltins.get(name);
  if (patches === undefined) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = { exports: exports ?? (require(name) as unknown) };
  for (const patch of patches) apply(patch, module, process.versions.node, `node:${name}`);
}

function isBuiltinLoaded(name: string): boolean {
  return (process as unknown as { moduleLoadList: string[] }).moduleLoadList.includes(`NativeModule ${name}`);
}

/** Builtins are patched when the app first requires them (loading https costs milliseconds we need not spend for an app that never uses it). */
function installRequireHook(): void {
  if (requireHookInstalled) return;
  requireHookInstalled = true;
  type Require = (this: unknown, id: string) => unknown;
  shimmer.wrap(Module.prototype as unknown as { require: Require }, 'require', (original: Require) =>
    function require(this: unknown, id: string): unknown {
      const exports = original.call(this, id);
      // A patch may itself require builtins: those nested calls pass straight through.
      if (patchingBuiltin || typeof id !== 'string' || wantedBuiltins.size === 0) return exports;
      const name = builtinName(id);
      if (wantedBuiltins.has(name)) {
        patchingBuiltin = true;
        try {
          patchBuiltin(name, exports);
        } catch (error) {
          warnOnce('hook', `module hook failed (${(error as Error)?.message}); instrumentation may be incomplete.`);
        } finally {
          patchingBuiltin = false;
        }
      }
      return exports;
    },
  );
}

function patchAlreadyLoaded(patch: ModulePatch): void {
  for (const filename of Object.keys(require.cache)) {
    const module = require.cache[filename];
    if (!module?.loaded) continue;
    const info = packageOf(filename);
    if (info !== null) patchIfMatching(patch, info, module, filename);
  }
}

/**
 * Patches a builtin now, whether or not the app required it yet. ESM imports of
 * builtins do not pass through require(), so the ESM entry calls this.
 */
export function patchBuiltinsNow(): void {
  for (const name of wantedBuiltins.keys()) patchBuiltin(name);
}

export interface EnableOptions {
  /** Patch builtins (http, https) when the app first requires them instead of now: the preload's start-up saving. */
  deferBuiltins?: boolean;
}

/** Turns an instrumentation on: patches its modules now if loaded, else when they load. Idempotent. */
export function enableInstrumentation(definition: InstrumentationDefinition, options: EnableOptions = {}): void {
  if (definitions.has(definition)) return;
  const key = keyOf(definition);
  if (key !== undefined) {
    if (byKey.has(key)) return;
    byKey.set(key, definition);
  }
  definitions.add(definition);
  for (const patch of definition.modules) {
    if (isBuiltin(patch.module)) {
      const name = builtinName(patch.module);
      const list = wantedBuiltins.get(name);
      if (list) list.push(patch);
      else wantedBuiltins.set(name, [patch]);
      if (options.deferBuiltins === true && !isBuiltinLoaded(name)) installRequireHook();
      else patchBuiltin(name);
      continue;
    }
    const list = wanted.get(patch.module);
    if (list) list.push(patch);
    else wanted.set(patch.module, [patch]);
    patchAlreadyLoaded(patch);
  }
  if (wanted.size > 0) installHook();
  try {
    definition.enable?.();
  } catch (error) {
    warnOnce(`enable:${definition.name}`, `could not enable ${definition.name} (${(error as Error)?.message}); it runs untraced.`);
  }
}

/** Enabled definitions by name@version (those that have a version). */
const byKey = new Map<string, InstrumentationDefinition>();

function keyOf(definition: InstrumentationDefinition): string | undefined {
  return typeof definition.version === 'string' ? `${definition.name}@${definition.version}` : undefined;
}

/** Turns an instrumentation off and restores every original it wrapped. */
export function disableInstrumentation(definition: InstrumentationDefinition): void {
  const key = keyOf(definition);
  // The same name and version enabled through another instance of its module: that one is turned off.
  if (!definitions.has(definition) && key !== undefined) definition = byKey.get(key) ?? definition;
  if (!definitions.delete(definition)) return;
  if (key !== undefined) byKey.delete(key);
  try {
    definition.disable?.();
  } catch {
    // restoring must not throw into the caller
  }
  for (const patch of definition.modules) {
    const map = isBuiltin(patch.module) ? wantedBuiltins : wanted;
    const key = isBuiltin(patch.module) ? builtinName(patch.module) : patch.module;
    const list = map.get(key);
    if (list) {
      const rest = list.filter((p) => p !== patch);
      if (rest.length) map.set(key, rest);
      else map.delete(key);
    }
    for (let i = applied.length - 1; i >= 0; i--) {
      const entry = applied[i];
      if (entry.patch !== patch) continue;
      applied.splice(i, 1);
      try {
        patch.unpatch(entry.exports);
      } catch {
        // keep restoring the others
      }
    }
  }
}

/** Names of the instrumentations turned on, for diagnostics. */
export function enabledInstrumentations(): string[] {
  return [...definitions].map((d) => d.name);
}

/** True when a patch has been applied to some loaded copy of its module. */
export function isPatched(patch: ModulePatch): boolean {
  return applied.some((a) => a.patch === patch);
}

