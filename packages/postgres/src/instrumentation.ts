// Turning the instrumentation on and off through core's hook (the definition
// is in definition.ts), and instrumentPostgres, which applies the Query patch
// to a postgres module the caller already holds, where no hook sees the
// require (Jest's module registry, bundled apps), and learns where an
// instance's queries go from the instance itself.
import { disableInstrumentation, enableInstrumentation, EnableOptions } from '@tracewire/core';
import { rememberConnection } from './connection';
import type { ParsedOptions } from './connection';
import { postgresInstrumentation } from './definition';
import { patchQueryPrototype, unpatchQueryPrototype } from './query';

/** The postgres.js factory: `postgres(url | options)` returns a `sql` tag. */
export type PostgresFactory = (...args: any[]) => unknown;

/** A `sql` instance, as postgres(…) returns it: its parsed `options`, and `unsafe` to write a query (never run) that shows its class and canceller. */
export interface PostgresSql {
  (...args: any[]): unknown;
  unsafe(text: string): unknown;
  options?: unknown;
}

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

/** A query written on `sql` and never run: its prototype is Query.prototype, its canceller the instance's. */
function probeOf(sql: PostgresSql): { canceller?: unknown } {
  if (typeof sql !== 'function' || typeof sql.unsafe !== 'function') throw new TypeError('instrumentPostgres expects a sql instance made by postgres() as its second argument');
  return sql.unsafe('') as { canceller?: unknown };
}

/**
 * Patches a loaded postgres.js (the module's export, the factory) directly.
 * Idempotent. With `sql`, an instance made by it, also records where that
 * instance's queries go (server.address, server.port, db.namespace): for an
 * instance whose postgres.js was loaded before tracing was enabled, which the
 * module hook therefore could not show that.
 */
export function instrumentPostgres(postgres: PostgresFactory, sql?: PostgresSql): void {
  const prototype = queryPrototypeOf(postgres);
  let probe: { canceller?: unknown } | undefined;
  if (sql !== undefined) {
    probe = probeOf(sql);
    if (sql.options === null || typeof sql.options !== 'object') {
      throw new TypeError("sql.options is not an object: pass the instance postgres() returned, not a transaction's");
    }
  }
  patchQueryPrototype(prototype);
  if (probe === undefined) return;
  // The instance may come from another copy of postgres.js than `postgres`: patch its class too (idempotent).
  patchQueryPrototype(Object.getPrototypeOf(probe));
  rememberConnection(probe.canceller, sql!.options as ParsedOptions);
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
