// The definition core's hook machinery consumes: pg's Client in module 'pg',
// the Pool in module 'pg-pool' (pg.Pool is a subclass of it). instrumentPg
// applies the same patches to a pg module the caller already holds, where no
// hook sees the require (Jest's module registry, bundled apps).
import { disableInstrumentation, enableInstrumentation, EnableOptions } from '@tracewire/core';
import { pgInstrumentation } from './definition';
import { wrapConnect, wrapQuery } from './client';
import type { AnyFunction } from './outcome';
import { wrapPoolConnect, wrapPoolQuery } from './pool';
import { unwrapMethod, wrapMethod } from './wrap';

/** The parts of the pg module instrumentPg reads. */
export interface PgModule {
  Client?: unknown;
  Pool?: unknown;
}

type Wrappers = Readonly<Record<string, (original: AnyFunction) => AnyFunction>>;

const CLIENT_METHODS: Wrappers = { query: wrapQuery, connect: wrapConnect };
const POOL_METHODS: Wrappers = { query: wrapPoolQuery, connect: wrapPoolConnect };

function patchClass(constructor: unknown, what: string, wrappers: Wrappers): void {
  const prototype = (constructor as { prototype?: unknown } | null | undefined)?.prototype;
  if (prototype === null || typeof prototype !== 'object') throw new TypeError(`${what} is not a class`);
  for (const name of Object.keys(wrappers)) wrapMethod(prototype, name, wrappers[name]);
}

function unpatchClass(constructor: unknown, wrappers: Wrappers): void {
  const prototype = (constructor as { prototype?: unknown } | null | undefined)?.prototype;
  if (prototype === null || typeof prototype !== 'object') return;
  for (const name of Object.keys(wrappers)) unwrapMethod(prototype, name);
}

/** pg.Pool is `class BoundPool extends Pool` (pg-pool's): the methods live on the base class. */
function poolClassOf(pg: PgModule): unknown {
  const base: unknown = typeof pg.Pool === 'function' ? Object.getPrototypeOf(pg.Pool) : undefined;
  const prototype = (base as { prototype?: object } | undefined)?.prototype;
  return prototype !== undefined && Object.prototype.hasOwnProperty.call(prototype, 'query') ? base : pg.Pool;
}

/** What the hook's patches call (definition.ts), once pg or pg-pool loads. */
export const patchPgExports = (exports: PgModule): void => patchClass(exports.Client, 'pg.Client', CLIENT_METHODS);
export const unpatchPgExports = (exports: PgModule | undefined): void => unpatchClass(exports?.Client, CLIENT_METHODS);
export const patchPoolExports = (exports: unknown): void => patchClass(exports, 'pg-pool', POOL_METHODS);
export const unpatchPoolExports = (exports: unknown): void => unpatchClass(exports, POOL_METHODS);

/** Patches a loaded pg module (its Client and its Pool's base class) directly. Idempotent. */
export function instrumentPg(pg: PgModule): void {
  try {
    patchClass(pg.Client, 'pg.Client', CLIENT_METHODS);
    if (pg.Pool !== undefined) patchClass(poolClassOf(pg), 'pg.Pool', POOL_METHODS);
  } catch (error) {
    uninstrumentPg(pg);
    throw error;
  }
}

/** Restores what instrumentPg wrapped. */
export function uninstrumentPg(pg: PgModule): void {
  unpatchClass(pg.Client, CLIENT_METHODS);
  if (pg.Pool !== undefined) unpatchClass(poolClassOf(pg), POOL_METHODS);
}

/** Turns pg tracing on through core's hook: pg is patched now if loaded, else when it loads. */
export function enable(options?: EnableOptions): void {
  enableInstrumentation(pgInstrumentation, options);
}

/** Turns it off and restores the originals the hook wrapped. */
export function disable(): void {
  disableInstrumentation(pgInstrumentation);
}
