// Where a resolution of postgres.js should land: its ESM build
// (<package>/src/index.js of a package named "postgres", version 3) is sent to
// the CommonJS build of the same package (<package>/cjs/src/index.js), the copy
// core's module hook instruments. Every other resolution is left as it was, and
// so is anything unexpected (an unreadable package.json, no CommonJS build).
// Shared by the in-thread hook (Module.registerHooks, esm.ts) and the hooks
// thread's (module.register, ../esm-hook.mjs).
import * as fs from 'fs';
import { fileURLToPath } from 'url';

const ESM_ENTRY = '/postgres/src/index.js';

/** Package directory URL → the CommonJS entry's URL, or null when it must not be redirected. */
const targets = new Map<string, string | null>();

function targetOf(url: string): string | null {
  const dir = url.slice(0, url.length - 'src/index.js'.length);
  let target = targets.get(dir);
  if (target !== undefined) return target;
  target = null;
  try {
    const pkg = JSON.parse(fs.readFileSync(fileURLToPath(new URL('package.json', dir)), 'utf8')) as { name?: unknown; version?: unknown };
    const cjs = new URL('cjs/src/index.js', dir);
    if (pkg?.name === 'postgres' && typeof pkg.version === 'string' && pkg.version.startsWith('3.') && fs.existsSync(fileURLToPath(cjs))) {
      target = cjs.href;
    }
  } catch {
    // not postgres.js as we know it: leave it alone
  }
  targets.set(dir, target);
  return target;
}

export interface Resolved {
  url?: unknown;
  format?: unknown;
}

/** `result` of a resolution, or the same resolution sent to postgres.js's CommonJS build. */
export function redirected<R extends Resolved>(result: R): R {
  const url = result?.url;
  if (typeof url !== 'string' || !url.startsWith('file:') || !url.endsWith(ESM_ENTRY)) return result;
  const target = targetOf(url);
  return target === null ? result : { ...result, url: target, format: 'commonjs' };
}
