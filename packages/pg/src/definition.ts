// The definition core's hook machinery consumes: pg's Client in module 'pg',
// the Pool in module 'pg-pool' (pg.Pool is a subclass of it).
//
// Light on purpose: the preload loads this file for every process, so the
// patch code (instrumentation.ts and what it imports) is required only when
// an app first loads pg or pg-pool.
import type { InstrumentationDefinition } from '@tracewire/core';
import type * as InstrumentationModule from './instrumentation';
import { SCOPE, VERSION } from './version';

let patchModule: typeof InstrumentationModule | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const patches = (): typeof InstrumentationModule => (patchModule ??= require('./instrumentation') as typeof InstrumentationModule);

export const pgInstrumentation: InstrumentationDefinition = {
  name: SCOPE,
  version: VERSION,
  modules: [
    {
      module: 'pg',
      versions: '>=8 <9',
      patch: (exports) => patches().patchPgExports(exports),
      unpatch: (exports) => patches().unpatchPgExports(exports),
    },
    {
      module: 'pg-pool',
      versions: '>=3 <4',
      patch: (exports) => patches().patchPoolExports(exports),
      unpatch: (exports) => patches().unpatchPoolExports(exports),
    },
  ],
};
