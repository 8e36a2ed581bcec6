// What core's hook applies for the preload: every Koa 2 or 3 app gets the
// tracing middleware first.
//
// Light on purpose: the preload loads this file for every process, so the
// patch code (patch.ts and what it imports) is required only when an app
// first loads Koa.
import type { InstrumentationDefinition } from '@tracewire/core';
import type * as PatchModule from './patch';
import { SCOPE, VERSION } from './version';

let patchModule: typeof PatchModule | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const patches = (): typeof PatchModule => (patchModule ??= require('./patch') as typeof PatchModule);

/** For core's hook machinery and the preload: every Koa 2 or 3 app gets the tracing middleware first. */
export const koaInstrumentation: InstrumentationDefinition = {
  name: SCOPE,
  version: VERSION,
  modules: [
    {
      module: 'koa',
      versions: '>=2 <4',
      patch: (exports) => patches().patchKoa(exports),
      unpatch: (exports) => patches().unpatchKoa(exports),
    },
  ],
};
