// OTLP/JSON encoding of ExportTraceServiceRequest: the proto3 JSON mapping
// (camelCase names, int64/fixed64 as decimal strings, enums as integers) with
// OTLP's one deviation, trace and span ids as hex strings instead of base64.
// Absent optional fields are left out (JSON.stringify drops `undefined`).
import { traceStateText } from '../trace-state';
import { toEpochNanosString } from '../clock';
import type { Attributes, AttributeValue, ReadableSpan, Resource, TimedEvent, Link } from '../types';
import { groupByScope, otlpFlags } from './otlp-proto';

export type OtlpJsonAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number | 'NaN' | 'Infinity' | '-Infinity' }
  | { arrayValue: { values: OtlpJsonAnyValue[] } }
  | Record<string, never>;

export interface OtlpJsonKeyValue {
  key: string;
  value: OtlpJsonAnyValue;
}

function anyValue(value: AttributeValue | null | undefined): OtlpJsonAnyValue {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'number':
      // Same split as the protobuf encoder so both encodings carry the same data.
      if (Number.isSafeInteger(value)) return { intValue: String(value) };
      // proto3 JSON spells the non-finite doubles as strings.
      return { doubleValue: Number.isFinite(value) ? value : (String(value) as 'NaN' | 'Infinity' | '-Infinity') };
    default:
      return Array.isArray(value) ? { arrayValue: { values: value.map(anyValue) } } : {};
  }
}

function keyValues(attributes: Attributes | undefined): OtlpJsonKeyValue[] {
  const out: OtlpJsonKeyValue[] = [];
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined && value !== null) out.push({ key, value: anyValue(value) });
  }
  return out;
}

const positive = (count: number): number | undefined => (count > 0 ? count : undefined);

function event(e: TimedEvent): object {
  return {
    timeUnixNano: toEpochNanosString(e.time),
    name: e.name,
    attributes: keyValues(e.attributes),
    droppedAttributesCount: positive(e.droppedAttributesCount),
  };
}

function link(l: Link): object {
  return {
    traceId: l.context.traceId,
    spanId: l.context.spanId,
    traceState: traceStateText(l.context.traceState),
    attributes: keyValues(l.attributes),
    droppedAttributesCount: positive(l.droppedAttributesCount ?? 0),
    flags: otlpFlags(l.context.traceFlags, l.context.isRemote),
  };
}

function span(s: ReadableSpan): object {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    traceState: s.traceState || undefined,
    parentSpanId: s.parentSpanId || undefined,
    flags: otlpFlags(s.traceFlags, s.parentIsRemote),
    name: s.name,
    kind: s.kind + 1,
    startTimeUnixNano: toEpochNanosString(s.startTime),
    endTimeUnixNano: toEpochNanosString(s.endTime),
    attributes: keyValues(s.attributes),
    droppedAttributesCount: positive(s.droppedAttributesCount),
    events: s.events.map(event),
    droppedEventsCount: positive(s.droppedEventsCount),
    links: s.links.map(link),
    droppedLinksCount: positive(s.droppedLinksCount),
    status: { code: s.status.code, message: s.status.message || undefined },
  };
}

/** The request as a plain object, before JSON.stringify. */
export function toOtlpJson(spans: readonly ReadableSpan[], resource: Resource): object {
  return {
    resourceSpans: [
      {
        resource: { attributes: keyValues(resource.attributes) },
        scopeSpans: groupByScope(spans).map((group) => ({
          scope: { name: group.scope.name, version: group.scope.version || undefined },
          spans: group.spans.map(span),
        })),
      },
    ],
  };
}

/** Encodes spans of one resource as an OTLP/JSON ExportTraceServiceRequest (application/json). */
export function encodeOtlpJson(spans: readonly ReadableSpan[], resource: Resource): string {
  return JSON.stringify(toOtlpJson(spans, resource));
}
