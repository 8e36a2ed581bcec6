// The span of one postgres.js query: what it records and how it ends, with the
// database conventions and SQL summarizing @tracewire/pg shares. Kept apart
// from the patch (query.ts) so it reads, and is tested, without it. Nothing
// here throws into the app.
import { Context, currentSdk, getTracer, isSuppressed, log, Span, SpanKind, SpanOptions } from '@tracewire/core';
import {
  analyzeSqlCached,
  DB_SYSTEM_NAME,
  parameterAttributes,
  POSTGRESQL,
  setQueryTextAttributes,
  querySpanName,
  recordQueryOutcome,
} from '@tracewire/pg';
import type { Connection } from './connection';
import { options } from './options';
import { SCOPE, VERSION } from './version';

const tracer = getTracer(SCOPE, VERSION);

/** The fields of a postgres.js Query the span reads once the query has run. */
export interface QueryOutcome {
  /** The text sent, `$n` placeholders for the values (set by the connection when it builds the query). */
  string?: unknown;
  /** The values sent for `$1`…, as the app gave them (set with `string`). */
  parameters?: unknown;
}

/** Logs once (core dedupes) that tracing a query failed; the query itself goes on untraced. */
export function warnFailure(step: string, error: unknown): void {
  log.warn(`@tracewire/postgres: ${step} failed (${(error as Error)?.message ?? String(error)}); the query runs untraced.`);
}

/** The context a query is traced in, or undefined when it must pass straight through (tracing off, tracewire's own I/O). */
export function traceableContext(ctx: Context): Context | undefined {
  if (currentSdk()?.enabled !== true || isSuppressed(ctx)) return undefined;
  return ctx;
}

/** Every query span's options, made once. */
const QUERY_SPAN: SpanOptions = Object.freeze({ kind: SpanKind.CLIENT, attributes: Object.freeze({ [DB_SYSTEM_NAME]: POSTGRESQL }) });

/** Starts the CLIENT span of a query as it starts executing, child of the span active where the query was written. */
export function startQuerySpan(ctx: Context): Span {
  return tracer.startSpan(POSTGRESQL, QUERY_SPAN, ctx);
}

/** Rows a result returned: postgres.js's Result (an array with `count` and `columns`), or the array of them a multi-statement query gives. */
export function returnedRows(result: unknown): number | undefined {
  if (!Array.isArray(result)) return undefined;
  const r = result as unknown[] & { count?: unknown; columns?: unknown };
  if ('columns' in r) {
    if (!Array.isArray(r.columns)) return 0;
    return typeof r.count === 'number' ? r.count : r.length;
  }
  let total = 0;
  for (const one of result) {
    const rows = returnedRows(one);
    if (rows === undefined) return undefined;
    total += rows;
  }
  return total;
}

/**
 * Names the span after the text the query sent (else its database), records
 * the text (sanitized unless enhancedDatabaseReporting), the parameters when
 * captureParameters is on, and the outcome (SQLSTATE as error.type on
 * failure, the error's text masked unless captureErrorValues), and ends it.
 */
export function endQuerySpan(span: Span, query: QueryOutcome, connection: Connection | undefined, error: unknown, result?: unknown): void {
  try {
    if (span.isRecording()) {
      const text = query.string;
      const analysis = typeof text === 'string' ? analyzeSqlCached(text) : undefined;
      if (analysis !== undefined) {
        setQueryTextAttributes(span, options.enhancedDatabaseReporting ? (text as string) : analysis.sanitized, analysis);
      }
      if (options.captureParameters && Array.isArray(query.parameters)) span.setAttributes(parameterAttributes(query.parameters));
      span.updateName(querySpanName(analysis, connection?.namespace));
      recordQueryOutcome(span, error, error ? undefined : returnedRows(result), options.captureErrorValues);
    }
    span.end();
  } catch (failure) {
    warnFailure('ending a query span', failure);
  }
}
