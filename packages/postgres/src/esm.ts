// ES module apps: postgres.js's package.json sends `import` to its ESM build
// (src/index.js), a second copy of the driver that never passes through
// Module.prototype.load, so core's hook cannot patch it. registerEsmRedirect
// registers a resolve hook (../esm-hook.mjs) that sends that resolution to the
// CommonJS build of the same package (cjs/src/index.js: the same factory, its
// `module.exports` being what the ESM build exports as default), which the hook
// patches: ESM and CommonJS code of one app then share one instrumented copy.
//
// A hooks thread costs tens of milliseconds of start-up, so the preload
// registers it only for an ES module entry from which `postgres` resolves.
import Module = require('module');
import * as path from 'path';
import { pathToFileURL } from 'url';
import { redirected, Resolved } from './esm-target';

/** The resolve hook, shipped next to dist/ as plain ESM (it runs on the hooks thread). */
export const ESM_HOOK_FILE = path.join(__dirname, '..', 'esm-hook.mjs');

/** On globalThis, so that two copies of this package register one hook. */
const REGISTERED = Symbol.for('tracewire.postgres.esmRedirect');
const holder = globalThis as unknown as Record<symbol, boolean | undefined>;

type Register = (specifier: string, parentURL?: string) => void;
type ResolveSync = (specifier: string, context: unknown, nextResolve: (specifier: string, context: unknown) => Resolved) => Resolved;
type RegisterHooks = (hooks: { resolve: ResolveSync }) => unknown;

const resolveSync: ResolveSync = (specifier, context, nextResolve) => redirected(nextResolve(specifier, context));

/** True when `require('postgres')` succeeds from the app's entry (or, without one, from the working directory). */
function postgresResolvableFrom(entry: string | undefined): boolean {
  try {
    const from = entry ? path.resolve(entry) : path.join(process.cwd(), '[eval]');
    Module.createRequire(from).resolve('postgres');
    return true;
  } catch {
    return false;
  }
}

/**
 * Registers the resolve hook that gives `import postgres from 'postgres'` the
 * CommonJS build, if `postgres` resolves from `entry` (default: the app's
 * entry, process.argv[1]) and this Node has Module.registerHooks or
 * module.register. Call it before
 * the app's modules are resolved (the preload does, for ESM entries). Returns
 * true when the hook is (or already was) registered; never throws.
 */
export function registerEsmRedirect(entry: string | undefined = process.argv[1]): boolean {
  if (holder[REGISTERED] === true) return true;
  try {
    const hooks = Module as unknown as { registerHooks?: RegisterHooks; register?: Register };
    if ((typeof hooks.registerHooks !== 'function' && typeof hooks.register !== 'function') || !postgresResolvableFrom(entry)) return false;
    if (typeof hooks.registerHooks === 'function') hooks.registerHooks({ resolve: resolveSync });
    else hooks.register!(pathToFileURL(ESM_HOOK_FILE).href);
    holder[REGISTERED] = true;
    return true;
  } catch {
    return false;
  }
}
