// The definition core's hook machinery consumes: the Query class in
// postgres.js's CommonJS build (cjs/src/query.js), whose exports object lets
// the prototype be patched in place. instrumentPostgres applies the same
// patch to a postgres module the caller already holds, where no hook sees the
// require (Jest's module registry, bundled apps).
import {
  disableInstrumentation,
  enableInstrumentation,
  EnableOptions,
  InstrumentationDefinition,
  ModulePatch,
} from '@tracewire/core';
import { patchQueryPrototype, unpatchQueryPrototype } from './query';
import { SCOPE } from './spans';

/** The postgres.js factory: `postgres(url | options)` returns a `sql` tag. */
export type PostgresFactory = (...args: any[]) => unknown;

/** cjs/src/query.js's exports. */
interface QueryModule {
  Query?: { prototype?: unknown };
}

const queryPatch: ModulePatch = {
  module: 'postgres',
  versions: '>=3 <4',
  file: 'cjs/src/query.js',
  patch: (exports: QueryModule) => patchQueryPrototype(exports?.Query?.prototype),
  unpatch: (exports: QueryModule | undefined) => unpatchQueryPrototype(exports?.Query?.prototype),
};

export const postgresInstrumentation: InstrumentationDefinition = {
  name: SCOPE,
  modules: [queryPatch],
};

/**
 * Query.prototype of the copy of postgres.js `postgres` belongs to. The module
 * does not export the class, so a `sql` instance is made (it opens nothing
 * until a query runs) and a query written on it (lazy: never run) shows it.
 */
function queryPrototypeOf(postgres: PostgresFactory): unknown {
  if (typeof postgres !== 'function') throw new TypeError('instrumentPostgres expects the postgres.js module (the postgres factory)');
  const sql = postgres({ host: '127.0.0.1', max: 1, no_subscribe: true, fetch_types: false }) as { unsafe?: (text: string) => unknown };
  if (typeof sql?.unsafe !== 'function') throw new TypeError('postgres() did not return a sql tag: not postgres.js 3');
  return Object.getPrototypeOf(sql.unsafe(''));
}

/** Patches a loaded postgres.js (the module's export, the factory) directly. Idempotent. */
export function instrumentPostgres(postgres: PostgresFactory): void {
  patchQueryPrototype(queryPrototypeOf(postgres));
}

/** Restores what instrumentPostgres patched. */
export function uninstrumentPostgres(postgres: PostgresFactory): void {
  unpatchQueryPrototype(queryPrototypeOf(postgres));
}

/** Turns postgres.js tracing on through core's hook: patched now if loaded, else when it loads. */
export function enable(options?: EnableOptions): void {
  enableInstrumentation(postgresInstrumentation, options);
}

/** Turns it off and restores the originals the hook patched. */
export function disable(): void {
  disableInstrumentation(postgresInstrumentation);
}
