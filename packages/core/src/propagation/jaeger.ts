// Jaeger's native propagation, for services still on Jaeger clients:
// `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}` and one
// `uberctx-{key}` header per baggage item.
import { isValidSpanId, isValidTraceId } from '../ids';
import { TraceFlags } from '../types';
import type {
  BaggageEntry,
  Carrier,
  PropagationContext,
  SpanContext,
  TextMapGetter,
  TextMapPropagator,
  TextMapSetter,
} from '../types';
import {
  isToken,
  MAX_BAGGAGE_BYTES,
  MAX_BAGGAGE_MEMBER_BYTES,
  MAX_BAGGAGE_MEMBERS,
  mergeBaggage,
  percentDecode,
  percentEncode,
} from './baggage';
import { trimOws } from './headers';
import { isValidSpanContext } from './tracecontext';

const UBER_TRACE_ID = 'uber-trace-id';
const BAGGAGE_PREFIX = 'uberctx-';

// Jaeger clients drop leading zeros and write hex in either case.
const TRACE_ID = /^[0-9a-f]{1,32}$/i;
const SPAN_ID = /^[0-9a-f]{1,16}$/i;
const FLAGS = /^[0-9a-f]{1,2}$/i;
// Some clients URL-encode the whole value, separators included.
const ENCODED_COLON = /%3a/gi;

/** Parses an uber-trace-id value. Short ids are left-padded with zeros; the
 *  deprecated parent span id must be hex but is otherwise ignored; of the
 *  flags only bit 0 (sampled) is kept. */
export function parseUberTraceId(header: string): SpanContext | undefined {
  let value = trimOws(header);
  if (value.indexOf('%') >= 0) value = value.replace(ENCODED_COLON, ':');
  // A limit of 5 keeps a hostile value from being split into thousands of parts.
  const parts = value.split(':', 5);
  if (parts.length !== 4) return undefined;
  const [rawTraceId, rawSpanId, parentSpanId, flags] = parts;
  if (!TRACE_ID.test(rawTraceId) || !SPAN_ID.test(rawSpanId) || !SPAN_ID.test(parentSpanId) || !FLAGS.test(flags)) {
    return undefined;
  }
  const traceId = rawTraceId.toLowerCase().padStart(32, '0');
  const spanId = rawSpanId.toLowerCase().padStart(16, '0');
  if (!isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined;
  return {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED,
    traceState: undefined,
    isRemote: true,
  };
}

function isPrintableAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}

/** Collects `uberctx-{key}` headers. The getter interface cannot list names,
 *  so the carrier's own keys are scanned. Values are form-decoded ('+' is a
 *  space), as Jaeger clients encode them; the baggage limits apply. */
export function parseUberBaggage(carrier: Carrier, getter: TextMapGetter): Map<string, BaggageEntry> {
  const entries = new Map<string, BaggageEntry>();
  if (typeof carrier !== 'object' || carrier === null) return entries;
  let bytes = 0;
  for (const name of Object.keys(carrier)) {
    if (entries.size === MAX_BAGGAGE_MEMBERS) break;
    if (name.length <= BAGGAGE_PREFIX.length || name.slice(0, BAGGAGE_PREFIX.length).toLowerCase() !== BAGGAGE_PREFIX) {
      continue;
    }
    const key = name.slice(BAGGAGE_PREFIX.length);
    const raw = getter.get(carrier, name);
    if (raw === undefined || !isToken(key)) continue;
    const value = trimOws(raw);
    const size = key.length + value.length + 1;
    if (size > MAX_BAGGAGE_MEMBER_BYTES || bytes + size > MAX_BAGGAGE_BYTES || !isPrintableAscii(value)) continue;
    entries.set(key, { value: percentDecode(value, true), metadata: undefined });
    bytes += size;
  }
  return entries;
}

function extract(ctx: PropagationContext, carrier: Carrier, getter: TextMapGetter): PropagationContext {
  const header = getter.get(carrier, UBER_TRACE_ID);
  const spanContext = header === undefined ? undefined : parseUberTraceId(header);
  const entries = parseUberBaggage(carrier, getter);
  if (spanContext === undefined && entries.size === 0) return ctx;
  return {
    ...ctx,
    spanContext: spanContext ?? ctx.spanContext,
    baggage: entries.size === 0 ? ctx.baggage : mergeBaggage(ctx.baggage, entries),
  };
}

function injectBaggage(ctx: PropagationContext, carrier: Carrier, setter: TextMapSetter): void {
  if (ctx.baggage === undefined) return;
  let count = 0;
  let bytes = 0;
  for (const [key, entry] of ctx.baggage) {
    if (count === MAX_BAGGAGE_MEMBERS) break;
    // Encoding never shortens a value, so an oversized one is skipped unencoded.
    if (key.length + 1 + entry.value.length > MAX_BAGGAGE_MEMBER_BYTES || !isToken(key)) continue;
    const value = percentEncode(entry.value);
    const size = key.length + value.length + 1;
    if (size > MAX_BAGGAGE_MEMBER_BYTES || bytes + size > MAX_BAGGAGE_BYTES) continue;
    setter.set(carrier, BAGGAGE_PREFIX + key, value);
    count++;
    bytes += size;
  }
}

function inject(ctx: PropagationContext, carrier: Carrier, setter: TextMapSetter): void {
  const spanContext = ctx.spanContext;
  if (isValidSpanContext(spanContext)) {
    const flags = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00';
    setter.set(carrier, UBER_TRACE_ID, `${spanContext.traceId}:${spanContext.spanId}:0:${flags}`);
  }
  injectBaggage(ctx, carrier, setter);
}

/** Jaeger: reads and writes `uber-trace-id` and `uberctx-*` baggage headers.
 *  Header names are lowercase on the wire, so baggage keys come back lowercase. */
export const jaegerPropagator: TextMapPropagator = {
  fields: [UBER_TRACE_ID],
  inject,
  extract,
};
