// The preload's entry (bundled with compile-cache.ts into dist/preload.js):
// core's bundle and the preload's own bundle (dist/bundle.js, from index.ts)
// load through V8's code cache, core first, so that the preload's
// require('@tracewire/core') finds it already loaded.
import * as path from 'path';
import { CompileCache } from './compile-cache';

const cache = new CompileCache();
const core = cache.load(require.resolve('@tracewire/core')) as typeof import('@tracewire/core');
const preload = cache.load(path.join(__dirname, 'bundle.js')) as typeof import('./index');
for (const { file, status, reason } of cache.outcomes) {
  core.log.debug(`compile cache: ${path.basename(file)} ${status}${reason === undefined ? '' : ` (${reason})`}`);
}

export = preload;
