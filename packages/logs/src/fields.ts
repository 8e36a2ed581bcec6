// OpenTelemetry's log correlation fields — trace_id, span_id, trace_flags, the
// names its own pino and winston instrumentations write, so pipelines built for
// OTel logs keep working — and the record copy that carries them. No logger
// code here: pino.ts and winston.ts decide where the copy goes.
import { activeSpan, INVALID_SPAN_CONTEXT, log, SpanContext } from '@tracewire/core';

export const TRACE_ID = 'trace_id';
export const SPAN_ID = 'span_id';
export const TRACE_FLAGS = 'trace_flags';

/** Bits of a field set, for the fields a record (or a logger's bindings) already has. */
export const HAS_TRACE_ID = 1;
export const HAS_SPAN_ID = 2;
export const HAS_TRACE_FLAGS = 4;

/** A context names a span unless its ids are the all-zero ones (tracing off hands out such a span). */
export function isValidSpanContext(context: SpanContext): boolean {
  return context.traceId !== INVALID_SPAN_CONTEXT.traceId && context.spanId !== INVALID_SPAN_CONTEXT.spanId;
}

/** The W3C flags byte as two lowercase hex digits: '01' sampled, '00' not. */
export function traceFlagsHex(flags: number): string {
  if (flags === 1) return '01';
  if (flags === 0) return '00';
  return ((flags & 0xff) | 0x100).toString(16).slice(1);
}

/**
 * A copy of `record` with the three fields first and the record's own fields
 * after (own enumerable string and symbol keys, as Object.assign reads them),
 * so a field the record already has keeps its value. `omit` (HAS_* bits) leaves
 * out fields the record gets from elsewhere (a pino child's bindings).
 * Throws only what reading the record throws (its own getters).
 */
export function withTraceFields(context: SpanContext, record: object, omit = 0): Record<string | symbol, unknown> {
  if (omit === 0) {
    return Object.assign({ [TRACE_ID]: context.traceId, [SPAN_ID]: context.spanId, [TRACE_FLAGS]: traceFlagsHex(context.traceFlags) }, record);
  }
  const fields: Record<string, unknown> = {};
  if ((omit & HAS_TRACE_ID) === 0) fields[TRACE_ID] = context.traceId;
  if ((omit & HAS_SPAN_ID) === 0) fields[SPAN_ID] = context.spanId;
  if ((omit & HAS_TRACE_FLAGS) === 0) fields[TRACE_FLAGS] = traceFlagsHex(context.traceFlags);
  return Object.assign(fields, record);
}

let failed = false;

/**
 * The active span's context when it names a span (a sampled-out span does,
 * with flags '00'), else undefined. If reading it ever throws, log correlation
 * says so once and steps aside for the rest of the process: a log call must
 * never fail because of tracing.
 */
export function activeSpanContext(): SpanContext | undefined {
  if (failed) return undefined;
  try {
    const context = activeSpan()?.spanContext();
    return context !== undefined && isValidSpanContext(context) ? context : undefined;
  } catch (error) {
    failed = true;
    log.warn(`log correlation could not read the active span (${(error as Error)?.message ?? error}); pino and winston records go out without trace ids from now on.`);
    return undefined;
  }
}
