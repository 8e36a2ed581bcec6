// @tracewire/pg: CLIENT spans for pg queries (Client and Pool, every call form,
// submittables), pool-wait and connect spans, with the OpenTelemetry database
// conventions. The SQL helpers and the conventions carry no pg code and can be
// used by any Postgres driver's instrumentation.
import { fastExports } from '@tracewire/core';
export { pgInstrumentation } from './definition';
export { instrumentPg, uninstrumentPg, enable, disable } from './instrumentation';
export type { PgModule } from './instrumentation';
export { configurePg, resolvePgOptions } from './options';
export type { PgOptions, ResolvedPgOptions } from './options';
export { analyzeSqlCached, recordQueryOutcome, CONNECT_SPAN_NAME, POOL_CONNECT_SPAN_NAME } from './spans';
export { SCOPE } from './version';
export { analyzeSql, sanitizeSql, summarizeSql, MAX_SQL_SCAN, MAX_SUMMARY_LENGTH } from './sql';
export type { SqlAnalysis, SqlSummary } from './sql';
export { maskErrorValues, maskErrorStack } from './errors';
export * from './conventions';

// Last: the exports in an object V8 reads fast (see core's fast-exports.ts).
module.exports = fastExports(exports);
