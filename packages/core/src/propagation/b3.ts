// B3 (https://github.com/openzipkin/b3-propagation), for services traced by
// Zipkin-era tools: the single `b3` header and the older X-B3-* headers.
// Either form is read; `b3Propagator` writes the single header and
// `b3MultiPropagator` the multi-header form, like OTel's `b3` and `b3multi`.
import { isValidSpanId, isValidTraceId } from '../ids';
import { TraceFlags } from '../types';
import type {
  Carrier,
  PropagationContext,
  SpanContext,
  TextMapGetter,
  TextMapPropagator,
  TextMapSetter,
} from '../types';
import { trimOws } from './headers';
import { isValidSpanContext } from './tracecontext';

const B3 = 'b3';
const TRACE_ID = 'x-b3-traceid';
const SPAN_ID = 'x-b3-spanid';
const SAMPLED = 'x-b3-sampled';
const FLAGS = 'x-b3-flags';
const FIELDS: readonly string[] = [B3, TRACE_ID, SPAN_ID, SAMPLED, FLAGS];

const DASH = 0x2d;
const HEX_16 = /^[0-9a-f]{16}$/;
const ZERO_HIGH_BITS = '0000000000000000';

// B3 allows 64-bit trace ids; W3C and OTLP ids are 128-bit, so widen with zeros.
function widenTraceId(id: string): string {
  return id.length === 16 ? ZERO_HIGH_BITS + id : id;
}

/** Parses `{traceId}-{spanId}[-{sampling}[-{parentSpanId}]]`, sampling being
 *  `1`, `0` or `d` (debug, read as sampled). The sampling-only forms (`b3: 0`
 *  to deny, `b3: 1`, `b3: d`) carry no ids to continue and read as undefined,
 *  as does an absent sampling state (a deferred decision cannot be expressed
 *  in trace flags, so it reads as not sampled). */
export function parseB3Single(header: string): SpanContext | undefined {
  const value = trimOws(header);
  const dash = value.indexOf('-');
  if (dash !== 16 && dash !== 32) return undefined;
  const traceId = widenTraceId(value.slice(0, dash));
  const spanEnd = dash + 17;
  const spanId = value.slice(dash + 1, spanEnd);
  if (!isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined;
  let traceFlags: number = TraceFlags.NONE;
  if (value.length > spanEnd) {
    if (value.charCodeAt(spanEnd) !== DASH) return undefined;
    const sampling = value.charAt(spanEnd + 1);
    if (sampling === '1' || sampling === 'd') traceFlags = TraceFlags.SAMPLED;
    else if (sampling !== '0') return undefined;
    // The parent span id is not needed (the sender's span is the parent) but
    // must be well-formed for the header to be.
    const parentStart = spanEnd + 3;
    if (value.length !== parentStart - 1) {
      if (value.charCodeAt(parentStart - 1) !== DASH || !HEX_16.test(value.slice(parentStart))) return undefined;
    }
  }
  return { traceId, spanId, traceFlags, traceState: undefined, isRemote: true };
}

/** Reads X-B3-TraceId, X-B3-SpanId, X-B3-Sampled (`1`/`true` sampled) and
 *  X-B3-Flags (`1` = debug, read as sampled). */
export function parseB3Multi(carrier: Carrier, getter: TextMapGetter): SpanContext | undefined {
  const rawTraceId = getter.get(carrier, TRACE_ID);
  const rawSpanId = getter.get(carrier, SPAN_ID);
  if (rawTraceId === undefined || rawSpanId === undefined) return undefined;
  const traceId = widenTraceId(trimOws(rawTraceId));
  const spanId = trimOws(rawSpanId);
  if (!isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined;
  const sampled = trimOws(getter.get(carrier, SAMPLED) ?? '');
  const debug = trimOws(getter.get(carrier, FLAGS) ?? '') === '1';
  return {
    traceId,
    spanId,
    traceFlags: debug || sampled === '1' || sampled === 'true' ? TraceFlags.SAMPLED : TraceFlags.NONE,
    traceState: undefined,
    isRemote: true,
  };
}

function extract(ctx: PropagationContext, carrier: Carrier, getter: TextMapGetter): PropagationContext {
  const single = getter.get(carrier, B3);
  const spanContext = (single === undefined ? undefined : parseB3Single(single)) ?? parseB3Multi(carrier, getter);
  return spanContext === undefined ? ctx : { ...ctx, spanContext };
}

function isSampled(spanContext: SpanContext): boolean {
  return (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
}

function injectSingle(ctx: PropagationContext, carrier: Carrier, setter: TextMapSetter): void {
  const spanContext = ctx.spanContext;
  if (!isValidSpanContext(spanContext)) return;
  const sampling = isSampled(spanContext) ? '1' : '0';
  setter.set(carrier, B3, `${spanContext.traceId}-${spanContext.spanId}-${sampling}`);
}

function injectMulti(ctx: PropagationContext, carrier: Carrier, setter: TextMapSetter): void {
  const spanContext = ctx.spanContext;
  if (!isValidSpanContext(spanContext)) return;
  setter.set(carrier, TRACE_ID, spanContext.traceId);
  setter.set(carrier, SPAN_ID, spanContext.spanId);
  setter.set(carrier, SAMPLED, isSampled(spanContext) ? '1' : '0');
}

/** B3 that writes the single `b3` header (OTEL_PROPAGATORS name `b3`). */
export const b3Propagator: TextMapPropagator = { fields: FIELDS, inject: injectSingle, extract };

/** B3 that writes X-B3-TraceId/SpanId/Sampled (OTEL_PROPAGATORS name `b3multi`). */
export const b3MultiPropagator: TextMapPropagator = { fields: FIELDS, inject: injectMulti, extract };
