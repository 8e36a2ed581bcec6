// Resolve hook of @tracewire/postgres for a Node without Module.registerHooks
// (Node 20, 22 before 22.15), registered with module.register by
// registerEsmRedirect (see src/esm.ts): postgres.js's ESM build is sent to its
// CommonJS build (dist/esm-target.js says when).
import { redirected } from './dist/esm-target.js';

export async function resolve(specifier, context, nextResolve) {
  return redirected(await nextResolve(specifier, context));
}
