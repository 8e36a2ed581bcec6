// The preload: `node -r @tracewire/register app.js` (CommonJS) or
// `node --import @tracewire/register app.mjs` (ESM, through esm.mjs). Reads the
// OTEL_* environment, starts tracing and turns on every instrumentation
// tracewire ships. Each patches its module only when the app loads it, so an
// app that never touches http or pg pays nothing for them.
import * as fs from 'fs';
import * as path from 'path';
import { enableInstrumentation, InstrumentationDefinition, log, start } from '@tracewire/core';
import { httpInstrumentation } from '@tracewire/http';
import { koaInstrumentation } from '@tracewire/koa';

const instrumentations: InstrumentationDefinition[] = [httpInstrumentation, koaInstrumentation];

/**
 * ESM `import http from 'node:http'` never passes through require(), so a
 * builtin can only be patched lazily for CommonJS apps. For an ESM entry
 * (.mjs, or .js under "type": "module") builtins are patched at once.
 */
export function entryIsEsm(entry: string | undefined): boolean {
  if (!entry) return false;
  if (entry.endsWith('.mjs')) return true;
  if (entry.endsWith('.cjs')) return false;
  let dir = path.dirname(path.resolve(entry));
  for (let i = 0; i < 32; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type?: unknown };
      return pkg.type === 'module';
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return false;
      dir = parent;
    }
  }
  return false;
}

export const sdk = start();

/** Turns every instrumentation on; `eagerBuiltins` for ESM apps. Idempotent. */
export function enableAll(eagerBuiltins: boolean): void {
  if (!sdk.enabled) return;
  for (const definition of instrumentations) {
    try {
      enableInstrumentation(definition, { deferBuiltins: !eagerBuiltins });
    } catch (error) {
      log.warn(`could not enable ${definition.name} (${(error as Error)?.message}); it runs untraced.`);
    }
  }
}

enableAll(entryIsEsm(process.argv[1]));
