// `node --import @tracewire/register app.mjs`: the same preload as `-r`, with
// builtins patched at once because ESM imports of node:http bypass require().
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
require('./dist/index.js');
require('@tracewire/core').patchBuiltinsNow();
