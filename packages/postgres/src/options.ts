// What the user can tune: the very options @tracewire/pg has (its PgOptions
// type, the same names, defaults and meaning), set separately so that each
// driver's instrumentation keeps its own. Resolved once by configurePostgres,
// so the hot path reads plain booleans.
import { PgOptions, ResolvedPgOptions, resolvePgOptions } from '@tracewire/pg';

/** `enhancedDatabaseReporting`, `captureParameters`, `captureErrorValues`, `requireParentSpan`: see PgOptions. */
export type PostgresOptions = PgOptions;

export type ResolvedPostgresOptions = ResolvedPgOptions;

/** The options in force; replaced whole by configurePostgres. */
export let options: ResolvedPostgresOptions = resolvePgOptions({});

/**
 * Sets the postgres.js instrumentation's options (replacing earlier ones).
 * `requireParentSpan` applies to queries written from then on; the others to
 * queries that end from then on.
 */
export function configurePostgres(postgresOptions: PostgresOptions = {}): void {
  options = resolvePgOptions(postgresOptions ?? {});
}
