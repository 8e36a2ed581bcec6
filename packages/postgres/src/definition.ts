// The definition core's hook machinery consumes: the Query class in
// postgres.js's CommonJS build (cjs/src/query.js), whose exports object lets
// the prototype be patched in place, and `stringify` in cjs/src/types.js,
// which shows where each query goes (types-patch.ts).
//
// Light on purpose: the preload loads this file for every process, so the
// patch code (query.ts, types-patch.ts and what they import) is required only
// when an app first loads postgres.js.
import type { InstrumentationDefinition } from '@tracewire/core';
import type * as QueryModule from './query';
import type * as TypesPatchModule from './types-patch';
import { SCOPE, VERSION } from './version';

/* eslint-disable @typescript-eslint/no-require-imports */
let queryModule: typeof QueryModule | undefined;
let typesModule: typeof TypesPatchModule | undefined;
const query = (): typeof QueryModule => (queryModule ??= require('./query') as typeof QueryModule);
const types = (): typeof TypesPatchModule => (typesModule ??= require('./types-patch') as typeof TypesPatchModule);
/* eslint-enable @typescript-eslint/no-require-imports */

/** cjs/src/query.js's exports. */
interface QueryExports {
  Query?: { prototype?: unknown };
}

export const postgresInstrumentation: InstrumentationDefinition = {
  name: SCOPE,
  version: VERSION,
  modules: [
    {
      module: 'postgres',
      versions: '>=3 <4',
      file: 'cjs/src/query.js',
      patch: (exports: QueryExports) => query().patchQueryPrototype(exports?.Query?.prototype),
      unpatch: (exports: QueryExports | undefined) => query().unpatchQueryPrototype(exports?.Query?.prototype),
    },
    {
      module: 'postgres',
      versions: '>=3 <4',
      file: 'cjs/src/types.js',
      patch: (exports) => types().patchTypes(exports),
      unpatch: (exports) => types().unpatchTypes(exports),
    },
  ],
};
