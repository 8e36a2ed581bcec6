// Resolve hook of @tracewire/postgres (registered by registerEsmRedirect, see
// src/esm.ts): a resolution that lands on postgres.js's ESM build
// (<package>/src/index.js of a package named "postgres", version 3) is sent to
// the CommonJS build of the same package (<package>/cjs/src/index.js), the
// copy core's module hook instruments. Every other resolution passes through
// untouched. Anything unexpected (unreadable package.json, no CommonJS build)
// leaves the resolution as it was.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ESM_ENTRY = '/postgres/src/index.js';

/** Package directory URL → the CommonJS entry's URL, or null when it must not be redirected. */
const targets = new Map();

function targetOf(url) {
  const dir = url.slice(0, url.length - 'src/index.js'.length);
  let target = targets.get(dir);
  if (target !== undefined) return target;
  target = null;
  try {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('package.json', dir)), 'utf8'));
    const cjs = new URL('cjs/src/index.js', dir);
    if (pkg?.name === 'postgres' && typeof pkg.version === 'string' && pkg.version.startsWith('3.') && existsSync(fileURLToPath(cjs))) {
      target = cjs.href;
    }
  } catch {
    // not postgres.js as we know it: leave it alone
  }
  targets.set(dir, target);
  return target;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  const url = result?.url;
  if (typeof url !== 'string' || !url.startsWith('file:') || !url.endsWith(ESM_ENTRY)) return result;
  const target = targetOf(url);
  return target === null ? result : { ...result, url: target, format: 'commonjs' };
}
