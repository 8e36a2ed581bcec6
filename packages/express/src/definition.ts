// What core's hook applies for the preload: Express 4's own router
// (express/lib/router), and router@2 for Express 5.
//
// Light on purpose: the preload loads this file for every process, so the
// patch code (patch.ts and what it imports) is required only when an app
// first loads Express or router.
import type { InstrumentationDefinition, ModulePatch } from '@tracewire/core';
import type * as PatchModule from './patch';
import type * as WrapModule from './wrap';
import { SCOPE, VERSION } from './version';

/* eslint-disable @typescript-eslint/no-require-imports */
let patchModule: typeof PatchModule | undefined;
const patches = (): typeof PatchModule => (patchModule ??= require('./patch') as typeof PatchModule);
let wrapModule: typeof WrapModule | undefined;
const wraps = (): typeof WrapModule => (wrapModule ??= require('./wrap') as typeof WrapModule);
/* eslint-enable @typescript-eslint/no-require-imports */

type Exported = { prototype: object };

function routerPatch(module: string, versions: string, file: string | undefined, router: (exports: any) => object): ModulePatch {
  return {
    module,
    versions,
    ...(file === undefined ? {} : { file }),
    patch: (exports) => patches().patchRouterPrototype(router(exports)),
    unpatch: (exports) => patches().unpatchRouterPrototype(router(exports)),
  };
}

function layerPatch(module: string, versions: string, file: string): ModulePatch {
  return {
    module,
    versions,
    file,
    patch: (Layer: Exported) => patches().patchLayerPrototype(Layer.prototype),
    unpatch: (Layer: Exported) => patches().unpatchLayerPrototype(Layer.prototype),
  };
}

/** Express 4's lib/router exports the router prototype itself; router@2 exports the Router class. */
export const modulePatches: ModulePatch[] = [
  routerPatch('express', '>=4 <5', 'lib/router/index.js', (proto: object) => proto),
  layerPatch('express', '>=4 <5', 'lib/router/layer.js'),
  routerPatch('router', '>=2 <3', undefined, (Router: Exported) => Router.prototype),
  layerPatch('router', '>=2 <3', 'lib/layer.js'),
];

/** For core's hook (the preload): Express 4's lib/router and Express 5's router@2. */
export const expressInstrumentation: InstrumentationDefinition = {
  name: SCOPE,
  version: VERSION,
  modules: modulePatches,
  // Prototypes reached through apps (instrument(), the middleware's fallback) are restored too.
  disable: () => wraps().unwrapAll(),
};
