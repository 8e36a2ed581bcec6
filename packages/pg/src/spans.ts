// The spans pg calls make — query, connect, wait for a pooled connection —
// what they record and how they end. Kept apart from the patches so the span
// logic reads (and is tested) without them. Nothing here throws into the app.
import {
  Attributes,
  Context,
  currentSdk,
  getTracer,
  isSuppressed,
  log,
  NOOP_SPAN,
  recordError,
  reserveAttributes,
  Span,
  SpanKind,
  SpanOptions,
} from '@tracewire/core';
import { BoundedCache } from './cache';
import {
  DB_RESPONSE_RETURNED_ROWS,
  DB_RESPONSE_STATUS_CODE,
  DB_SYSTEM_NAME,
  ERROR_TYPE,
  parameterAttributes,
  POSTGRESQL,
  querySpanName,
  setConnectionAttributes,
  setQueryTextAttributes,
  sqlState,
} from './conventions';
import { maskErrorStack, maskErrorValues } from './errors';
import { options } from './options';
import { analyzeSql, SqlAnalysis } from './sql';
import { SCOPE, VERSION } from './version';

const tracer = getTracer(SCOPE, VERSION);

/** `Client#connect`: opening a connection (TCP, TLS, authentication). */
export const CONNECT_SPAN_NAME = 'pg.connect';
/** `Pool#connect`: the caller's wait for a pooled connection, a new one's pg.connect inside it. */
export const POOL_CONNECT_SPAN_NAME = 'pg-pool.connect';

/** The connection settings a pg Client exposes (public fields). */
export interface ConnectionSettings {
  host?: unknown;
  port?: unknown;
  database?: unknown;
}

/** pg-pool's public counters. */
export interface PoolCounters {
  totalCount?: unknown;
  idleCount?: unknown;
  waitingCount?: unknown;
  options?: { max?: unknown };
}

const CACHE_SIZE = 256;
/** Longer texts are analysed each time (bounded work) rather than held in memory. */
const MAX_CACHED_TEXT = 4096;
const analyses = new BoundedCache<SqlAnalysis>(CACHE_SIZE);

/** analyzeSql with a bounded cache: apps send the same SQL again and again. Shared with @tracewire/postgres. */
export function analyzeSqlCached(text: string): SqlAnalysis {
  if (text.length > MAX_CACHED_TEXT) return analyzeSql(text);
  let analysis = analyses.get(text);
  if (analysis === undefined) {
    analysis = analyzeSql(text);
    analyses.set(text, analysis);
  }
  return analysis;
}

/** Logs once (core dedupes) that tracing a call failed; the call itself goes on untraced. */
export function warnFailure(step: string, error: unknown): void {
  log.warn(`@tracewire/pg: ${step} failed (${(error as Error)?.message ?? String(error)}); the call runs untraced.`);
}

/**
 * The context a call is traced in: the active one, or undefined when the call
 * must pass straight through (tracing off, or tracewire's own I/O).
 */
export function callContext(ctx: Context): Context | undefined {
  if (currentSdk()?.enabled !== true || isSuppressed(ctx)) return undefined;
  return ctx;
}

/** Every span's options, made once: what a span starts with is the same for every call. */
const SYSTEM: Attributes = Object.freeze({ [DB_SYSTEM_NAME]: POSTGRESQL });
const CLIENT_SPAN: SpanOptions = Object.freeze({ kind: SpanKind.CLIENT, attributes: SYSTEM });
const INTERNAL_SPAN: SpanOptions = Object.freeze({ kind: SpanKind.INTERNAL, attributes: SYSTEM });
/** What a query span usually ends up with: system, the text's five, the connection's three, rows. */
const QUERY_ATTRIBUTES = 10;

function startSpan(name: string, kind: SpanKind.CLIENT | SpanKind.INTERNAL, ctx: Context): Span {
  if (options.requireParentSpan && ctx.span === undefined) return NOOP_SPAN;
  return tracer.startSpan(name, kind === SpanKind.CLIENT ? CLIENT_SPAN : INTERNAL_SPAN, ctx);
}

function setConnectionOf(span: Span, connection: ConnectionSettings): string | undefined {
  return setConnectionAttributes(span, connection.host, connection.port, connection.database);
}

/** Records where the query went; names the span after the database when its text gave no summary. */
export function setConnection(span: Span, connection: ConnectionSettings | undefined, hasSummary: boolean): void {
  if (connection === undefined || !span.isRecording()) return;
  const namespace = setConnectionOf(span, connection);
  if (!hasSummary) span.updateName(querySpanName(undefined, namespace));
}

export interface QuerySpan {
  readonly span: Span;
  /** The text gave a summary (the span is named after it). */
  readonly hasSummary: boolean;
}

/** Starts a CLIENT span for a query, child of the span active in `ctx`; does no attribute work when it does not record. */
export function startQuerySpan(ctx: Context, text: unknown, values: unknown, connection: ConnectionSettings | undefined): QuerySpan {
  const span = startSpan(POSTGRESQL, SpanKind.CLIENT, ctx);
  if (!span.isRecording()) return { span, hasSummary: false };
  reserveAttributes(span, QUERY_ATTRIBUTES);
  let hasSummary = false;
  if (typeof text === 'string') {
    const analysis = analyzeSqlCached(text);
    hasSummary = analysis.summary !== undefined;
    setQueryTextAttributes(span, options.enhancedDatabaseReporting ? text : analysis.sanitized, analysis);
    if (hasSummary) span.updateName(querySpanName(analysis, undefined));
  }
  if (options.captureParameters && Array.isArray(values)) span.setAttributes(parameterAttributes(values));
  setConnection(span, connection, hasSummary);
  return { span, hasSummary };
}

/** Rows a pg Result (or the array a multi-statement query gives) returned: its count when it has a row set, 0 when not. */
export function returnedRows(result: unknown): number | undefined {
  if (Array.isArray(result)) {
    let total = 0;
    for (const one of result) {
      const rows = returnedRows(one);
      if (rows === undefined) return undefined;
      total += rows;
    }
    return total;
  }
  const r = result as { fields?: unknown; rowCount?: unknown } | null | undefined;
  if (r === null || typeof r !== 'object' || !Array.isArray(r.fields)) return undefined;
  if (r.fields.length === 0) return 0;
  return typeof r.rowCount === 'number' ? r.rowCount : undefined;
}

/**
 * A failure recorded as core's recordError records it (status ERROR with the
 * message, an `exception` event, `error.type` the class name) except that for
 * a server error (one with a SQLSTATE) the message and the stack's head carry
 * no values unless `captureErrorValues` (see maskErrorValues). The error
 * itself is only read. Returns the SQLSTATE. Shared with @tracewire/postgres.
 */
export function recordDatabaseError(span: Span, error: unknown, captureErrorValues: boolean): string | undefined {
  const code = sqlState(error);
  if (code === undefined || captureErrorValues) {
    recordError(span, error);
    return code;
  }
  const where = (error as { where?: unknown }).where;
  recordError(span, error, (attributes) => {
    const message = attributes['exception.message'];
    if (typeof message !== 'string') return;
    attributes['exception.message'] = maskErrorValues(message, code, where);
    const stack = attributes['exception.stacktrace'];
    if (typeof stack === 'string') attributes['exception.stacktrace'] = maskErrorStack(stack, message, code, where);
  });
  return code;
}

/** A failed query: its error (masked unless `captureErrorValues`) and SQLSTATE as error.type; else the rows returned.
 *  Shared with @tracewire/postgres, which passes its own option. */
export function recordQueryOutcome(span: Span, error: unknown, rows: number | undefined, captureErrorValues: boolean): void {
  if (error) {
    const code = recordDatabaseError(span, error, captureErrorValues);
    if (code !== undefined) span.setAttributes({ [ERROR_TYPE]: code, [DB_RESPONSE_STATUS_CODE]: code });
  } else {
    span.setAttribute(DB_RESPONSE_RETURNED_ROWS, rows);
  }
}

/** Records the outcome (SQLSTATE as error.type on failure) and ends the span. */
export function endQuerySpan(span: Span, error: unknown, result?: unknown): void {
  try {
    if (span.isRecording()) recordQueryOutcome(span, error, error ? undefined : returnedRows(result), options.captureErrorValues);
    span.end();
  } catch (failure) {
    warnFailure('ending a query span', failure);
  }
}

/** Starts the span of `Client#connect`. */
export function startConnectSpan(ctx: Context, connection: ConnectionSettings): Span {
  const span = startSpan(CONNECT_SPAN_NAME, SpanKind.CLIENT, ctx);
  if (span.isRecording()) setConnectionOf(span, connection);
  return span;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Starts the span of `Pool#connect`, with the pool's state as the caller started waiting. */
export function startPoolConnectSpan(ctx: Context, pool: PoolCounters): Span {
  const span = startSpan(POOL_CONNECT_SPAN_NAME, SpanKind.INTERNAL, ctx);
  if (span.isRecording()) {
    const attributes: Attributes = {
      'pg.pool.total': count(pool.totalCount),
      'pg.pool.idle': count(pool.idleCount),
      'pg.pool.waiting': count(pool.waitingCount),
      'pg.pool.max': count(pool.options?.max),
    };
    span.setAttributes(attributes);
  }
  return span;
}

/** Ends a connect span: on success with where it connected, on failure as an error. */
export function endConnectSpan(span: Span, error: unknown, connection?: ConnectionSettings): void {
  try {
    if (span.isRecording()) {
      if (error) recordDatabaseError(span, error, options.captureErrorValues);
      else if (connection !== undefined) setConnectionOf(span, connection);
    }
    span.end();
  } catch (failure) {
    warnFailure('ending a connect span', failure);
  }
}
