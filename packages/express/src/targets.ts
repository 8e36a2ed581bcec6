// Reaching the prototypes to patch from what a user holds, for when core's
// module hook cannot see Express (a bundled app, a test runner with its own
// module loader): an app object (instrument(app), the middleware's fallback)
// or the express module itself (patchExpress). Whatever Express copy the
// object comes from is the one patched.
import { patchLayerPrototype, patchRouterPrototype, unpatchLayerPrototype, unpatchRouterPrototype } from './patch';

export interface RouterLike {
  stack: unknown[];
  use(...args: unknown[]): unknown;
  handle(...args: unknown[]): unknown;
}

function isRouter(value: unknown): value is RouterLike {
  const r = value as Partial<RouterLike> | null | undefined;
  return (typeof r === 'function' || (typeof r === 'object' && r !== null)) && Array.isArray(r.stack) && typeof r.use === 'function' && typeof r.handle === 'function';
}

/** An Express 4 or 5 app's router, made if the app has none yet (both make it lazily). */
export function routerOf(app: unknown): RouterLike | undefined {
  if (app === null || (typeof app !== 'function' && typeof app !== 'object')) return undefined;
  const a = app as { lazyrouter?: () => void; _router?: unknown; router?: unknown };
  // Express 4: `app.router` is a getter that throws; lazyrouter() makes `app._router`.
  if (typeof a.lazyrouter === 'function') {
    a.lazyrouter();
    return isRouter(a._router) ? a._router : undefined;
  }
  const router = a.router;
  return isRouter(router) ? router : undefined;
}

/**
 * The object on `value`'s prototype chain that holds `method` itself. A
 * router@2 router function inherits from its Router instance, which inherits
 * from Router.prototype: patching the first prototype would patch one router.
 */
function owner(value: object, ...methods: string[]): object | undefined {
  for (let o: object | null = Object.getPrototypeOf(value) as object | null; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    if (methods.some((m) => Object.prototype.hasOwnProperty.call(o, m))) return o;
  }
  return undefined;
}

function routerPrototype(router: RouterLike): object {
  const proto = owner(router, 'handle');
  if (proto === undefined) throw new TypeError('no prototype of this router holds handle(): not a supported Express router');
  return proto;
}

/** The Layer prototype of a router that has at least one layer. */
function layerPrototype(router: RouterLike): object | undefined {
  const layer = router.stack.find((l) => l !== null && typeof l === 'object') as object | undefined;
  return layer === undefined ? undefined : owner(layer, 'handleRequest', 'handle_request');
}

/** Patches the Router and Layer prototypes a router uses (a router with no layer yet: Router only). */
export function patchRouter(router: RouterLike): void {
  patchRouterPrototype(routerPrototype(router));
  const layer = layerPrototype(router);
  if (layer !== undefined) patchLayerPrototype(layer);
}

type ExpressModule = { Router: (...args: unknown[]) => unknown };

/** A throwaway router of the module, with one layer to reach the Layer class through. */
function sampleRouter(express: ExpressModule): RouterLike {
  const router = express?.Router?.();
  if (!isRouter(router)) throw new TypeError('not an Express module: express.Router() did not return a router');
  router.use(function sample() {});
  return router;
}

/**
 * Patches an Express 4 or 5 module object (`require('express')`) where core's
 * module hook cannot: tests under Jest, bundled apps. Apps of that module made
 * afterwards get full route templates; instrument(app) covers apps made before.
 */
export function patchExpress(express: unknown): void {
  patchRouter(sampleRouter(express as ExpressModule));
}

/** Restores what patchExpress(express) wrapped. */
export function unpatchExpress(express: unknown): void {
  const router = sampleRouter(express as ExpressModule);
  unpatchRouterPrototype(routerPrototype(router));
  const layer = layerPrototype(router);
  if (layer !== undefined) unpatchLayerPrototype(layer);
}
