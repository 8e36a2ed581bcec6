// The viewer's span model: what both OTLP decoders produce, what the store keeps
// and what the web API serves. Plain JSON-able data, so `JSON.stringify` is the
// API's serializer.

/**
 * An attribute value as plain JSON: int64 becomes a number when it is a safe
 * integer and a decimal string otherwise (exact), bytes become a base64 string,
 * arrays stay arrays, kvlists become objects, an empty AnyValue becomes null.
 */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

/** OTLP numbering: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
export type SpanKind = 0 | 1 | 2 | 3 | 4 | 5;
export const SPAN_KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;

/** OTLP numbering: 0 unset, 1 ok, 2 error. */
export type StatusCode = 0 | 1 | 2;
export const STATUS_CODE_NAMES = ['UNSET', 'OK', 'ERROR'] as const;

export interface ResourceInfo {
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface ScopeInfo {
  name: string;
  version: string;
  attributes: Attributes;
}

export interface SpanEvent {
  /** Epoch nanoseconds as a decimal string (exact). */
  timeUnixNano: string;
  name: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
}

export interface ViewerSpan {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters. */
  spanId: string;
  /** 16 lowercase hex characters, or '' for a span without a parent. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: SpanKind;
  /** Epoch nanoseconds as decimal strings (exact). */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  /** Epoch milliseconds (sub-microsecond precision lost) and the exact duration in ms, for layout. */
  startMs: number;
  durationMs: number;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  status: { code: StatusCode; message: string };
  /** `service.name` of the resource, `unknown_service` when it has none. */
  service: string;
  /** Shared by every span of one ResourceSpans / ScopeSpans. */
  resource: ResourceInfo;
  scope: ScopeInfo;
}

/** Values from newer SDKs this viewer does not know read as unspecified / unset. */
export function spanKind(value: number): SpanKind {
  return Number.isInteger(value) && value >= 0 && value <= 5 ? (value as SpanKind) : 0;
}

export function statusCode(value: number): StatusCode {
  return value === 1 || value === 2 ? value : 0;
}

/** `into[key] = value`, except that a key named `__proto__` stays an ordinary property. */
export function setAttribute(into: Attributes, key: string, value: AttributeValue): void {
  if (key === '__proto__') Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}

export function serviceOf(resource: ResourceInfo): string {
  const name = resource.attributes['service.name'];
  return typeof name === 'string' && name !== '' ? name : 'unknown_service';
}

export function isErrorSpan(span: ViewerSpan): boolean {
  return span.status.code === 2;
}

/** Why a span failed, for one-line displays: the status message, else error.type, else exception.type. */
export function errorText(span: ViewerSpan): string {
  if (span.status.message) return span.status.message;
  const type = span.attributes['error.type'];
  if (typeof type === 'string' && type) return type;
  for (const event of span.events) {
    const exceptionType = event.name === 'exception' ? event.attributes['exception.type'] : undefined;
    if (typeof exceptionType === 'string' && exceptionType) return exceptionType;
  }
  return 'error';
}

export class OtlpDecodeError extends Error {}

/** Checks what both decoders need true of every span and fills in the derived fields. */
export function completeSpan(
  span: Omit<ViewerSpan, 'startMs' | 'durationMs' | 'service'>,
  start: bigint,
  end: bigint,
  where: string,
): ViewerSpan {
  if (span.traceId.length !== 32 || /^0+$/.test(span.traceId)) {
    throw new OtlpDecodeError(`${where}: trace id must be 16 non-zero bytes (32 hex digits), got "${span.traceId}"`);
  }
  if (span.spanId.length !== 16 || /^0+$/.test(span.spanId)) {
    throw new OtlpDecodeError(`${where}: span id must be 8 non-zero bytes (16 hex digits), got "${span.spanId}"`);
  }
  if (span.parentSpanId !== '' && span.parentSpanId.length !== 16) {
    throw new OtlpDecodeError(`${where}: parent span id must be empty or 8 bytes (16 hex digits), got "${span.parentSpanId}"`);
  }
  // An all-zero parent is how some SDKs spell "no parent".
  const parentSpanId = /^0*$/.test(span.parentSpanId) ? '' : span.parentSpanId;
  return {
    ...span,
    parentSpanId,
    startMs: Number(start) / 1e6,
    durationMs: end > start ? Number(end - start) / 1e6 : 0,
    service: serviceOf(span.resource),
  };
}
