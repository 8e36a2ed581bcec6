// `node --import @tracewire/register app.mjs` (or NODE_OPTIONS="--import @tracewire/register"):
// the same preload as `-r`. ES modules that import express, koa or pg load
// those CommonJS packages through Module.prototype.load, where core's hook
// patches them; builtins (node:http, node:https) imported from ESM never pass
// through require(), so the preload (dist/preload.js, bundled from src/index.ts) patches them at once when the entry is
// ESM, and lazily (on first require) when it is CommonJS — NODE_OPTIONS puts
// this file in front of every node process, and a CommonJS one should not pay
// for loading http. One module.register resolve hook, only for an ESM entry
// that can resolve postgres, unless OTEL_NODE_ENABLED/DISABLED_INSTRUMENTATIONS
// leave postgres out: postgres.js's ESM build is a second copy of the
// driver no hook sees, so @tracewire/postgres sends `import 'postgres'` to its
// CommonJS build (see README.md, "ES modules").
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { sdk, esmEntry, instrumentationWanted } = require('./dist/preload.js');
if (sdk.enabled && esmEntry() && instrumentationWanted('postgres')) {
  try {
    require('@tracewire/postgres/dist/esm.js').registerEsmRedirect();
  } catch {
    // @tracewire/postgres not installed (or not loadable): ESM imports of postgres.js stay untraced
  }
}
