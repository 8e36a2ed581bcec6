// @tracewire/postgres: CLIENT spans for postgres.js queries with the same
// conventions, naming and sanitizing as @tracewire/pg (whose SQL and
// convention helpers it uses: one module for both drivers).
export { postgresInstrumentation, instrumentPostgres, uninstrumentPostgres, enable, disable } from './instrumentation';
export type { PostgresFactory } from './instrumentation';
export { SCOPE, returnedRows } from './spans';
