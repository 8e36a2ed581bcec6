// @tracewire/postgres: CLIENT spans for postgres.js queries with the same
// conventions, naming and sanitizing as @tracewire/pg (whose SQL and
// convention helpers it uses: one module for both drivers).
import { fastExports } from '@tracewire/core';
export { postgresInstrumentation } from './definition';
export { instrumentPostgres, uninstrumentPostgres, enable, disable } from './instrumentation';
export type { PostgresFactory, PostgresSql } from './instrumentation';
export { configurePostgres } from './options';
export type { PostgresOptions } from './options';
export { registerEsmRedirect } from './esm';
export { returnedRows } from './spans';
export { SCOPE } from './version';

// Last: the exports in an object V8 reads fast (see core's fast-exports.ts).
module.exports = fastExports(exports);
