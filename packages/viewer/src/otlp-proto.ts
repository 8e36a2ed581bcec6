// OTLP http/protobuf: ExportTraceServiceRequest → ViewerSpan[], by hand over
// ProtoReader. Field numbers are those of opentelemetry-proto's
// collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
// common/v1/common.proto and resource/v1/resource.proto. Unknown fields are
// skipped by wire type, so newer SDKs that add fields still decode.
import { AttributeValue, Attributes, completeSpan, ResourceInfo, ScopeInfo, setAttribute, spanKind, SpanEvent, SpanLink, statusCode, StatusCode, ViewerSpan } from './model';
import { FIXED32, FIXED64, LEN, ProtoReader, VARINT } from './protobuf';

/** Deeper nesting of arrays/kvlists than this is refused rather than risking the stack. */
export const MAX_VALUE_DEPTH = 32;

export function decodeProtoRequest(buf: Buffer): ViewerSpan[] {
  const spans: ViewerSpan[] = [];
  const r = new ProtoReader(buf);
  let index = 0;
  while (!r.done()) {
    const [field, wireType] = r.tag();
    if (field === 1) {
      r.expect(LEN, wireType, 'ExportTraceServiceRequest.resource_spans');
      resourceSpans(r.message(), spans, `resource_spans[${index++}]`);
    } else r.skip(wireType);
  }
  return spans;
}

function resourceSpans(r: ProtoReader, out: ViewerSpan[], where: string): void {
  let resource: ResourceInfo = { attributes: {}, droppedAttributesCount: 0 };
  // The resource may follow its scope_spans on the wire; decode spans once it is known.
  const scopes: ProtoReader[] = [];
  while (!r.done()) {
    const [field, wireType] = r.tag();
    if (field === 1) {
      r.expect(LEN, wireType, 'ResourceSpans.resource');
      resource = resourceInfo(r.message());
    } else if (field === 2) {
      r.expect(LEN, wireType, 'ResourceSpans.scope_spans');
      scopes.push(r.message());
    } else r.skip(wireType);
  }
  scopes.forEach((scope, i) => scopeSpans(scope, resource, out, `${where}.scope_spans[${i}]`));
}

function resourceInfo(r: ProtoReader): ResourceInfo {
  const resource: ResourceInfo = { attributes: {}, droppedAttributesCount: 0 };
  while (!r.done()) {
    const [field, wireType] = r.tag();
    if (field === 1) {
      r.expect(LEN, wireType, 'Resource.attributes');
      keyValue(r.message(), resource.attributes, 0);
    } else if (field === 2) {
      r.expect(VARINT, wireType, 'Resource.dropped_attributes_count');
      resource.droppedAttributesCount = r.varint();
    } else r.skip(wireType);
  }
  return resource;
}

function scopeSpans(r: ProtoReader, resource: ResourceInfo, out: ViewerSpan[], where: string): void {
  let scope: ScopeInfo = { name: '', version: '', attributes: {} };
  const spans: ProtoReader[] = [];
  while (!r.done()) {
    const [field, wireType] = r.tag();
    if (field === 1) {
      r.expect(LEN, wireType, 'ScopeSpans.scope');
      scope = scopeInfo(r.message());
    } else if (field === 2) {
      r.expect(LEN, wireType, 'ScopeSpans.spans');
      spans.push(r.message());
    } else r.skip(wireType);
  }
  spans.forEach((span, i) => out.push(decodeSpan(span, resource, scope, `${where}.spans[${i}]`)));
}

function scopeInfo(r: ProtoReader): ScopeInfo {
  const scope: ScopeInfo = { name: '', version: '', attributes: {} };
  while (!r.done()) {
    const [field, wireType] = r.tag();
    if (field === 1) {
      r.expect(LEN, wireType, 'InstrumentationScope.name');
      scope.name = r.string();
    } else if (field === 2) {
      r.expect(LEN, wireType, 'InstrumentationScope.version');
      scope.version = r.string();
    } else if (field === 3) {
      r.expect(LEN, wireType, 'InstrumentationScope.attributes');
      keyValue(r.message(), scope.attributes, 0);
    } else r.skip(wireType);
  }
  return scope;
}

function decodeSpan(r: ProtoReader, resource: ResourceInfo, scope: ScopeInfo, where: string): ViewerSpan {
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let traceState = '';
  let flags = 0;
  let name = '';
  let kind = 0;
  let start = 0n;
  let end = 0n;
  const attributes: Attributes = {};
  let droppedAttributesCount = 0;
  const events: SpanEvent[] = [];
  let droppedEventsCount = 0;
  const links: SpanLink[] = [];
  let droppedLinksCount = 0;
  let status = { code: 0 as StatusCode, message: '' };
  while (!r.done()) {
    const [field, wireType] = r.tag();
    switch (field) {
      case 1:
        r.expect(LEN, wireType, 'Span.trace_id');
        traceId = r.hex();
        break;
      case 2:
        r.expect(LEN, wireType, 'Span.span_id');
        spanId = r.hex();
        break;
      case 3:
        r.expect(LEN, wireType, 'Span.trace_state');
        traceState = r.string();
        break;
      case 4:
        r.expect(LEN, wireType, 'Span.parent_span_id');
        parentSpanId = r.hex();
        break;
      case 5:
        r.expect(LEN, wireType, 'Span.name');
        name = r.string();
        break;
      case 6:
        r.expect(VARINT, wireType, 'Span.kind');
        kind = r.varint();
        break;
      case 7:
        r.expect(FIXED64, wireType, 'Span.start_time_unix_nano');
        start = r.fixed64();
        break;
      case 8:
        r.expect(FIXED64, wireType, 'Span.end_time_unix_nano');
        end = r.fixed64();
        break;
      case 9:
        r.expect(LEN, wireType, 'Span.attributes');
        keyValue(r.message(), attributes, 0);
        break;
      case 10:
        r.expect(VARINT, wireType, 'Span.dropped_attributes_count');
        droppedAttributesCount = r.varint();
        break;
      case 11:
        r.expect(LEN, wireType, 'Span.events');
        events.push(decodeEvent(r.message()));
        break;
      case 12:
        r.expect(VARINT, wireType, 'Span.dropped_events_count');
        droppedEventsCount = r.varint();
        break;
      case 13:
        r.expect(LEN, wireType, 'Span.links');
        links.push(decodeLink(r.message()));
        break;
      case 14:
        r.expect(VARINT, wireType, 'Span.dropped_links_count');
        droppedLinksCount = r.varint();
        break;
      case 15:
        r.expect(LEN, wireType, 'Span.status');
        status = decodeStatus(r.message());
        break;
      case 16:
        r.expect(FIXED32, wireType, 'Span.flags');
        flags = r.fixed32();
        break;
      default:
        r.skip(wireType);
    }
  }
  return completeSpan(
    {
      traceId, spanId, parentSpanId, traceState, flags, name, kind: spanKind(kind),
      startTimeUnixNano: start.toString(), endTimeUnixNano: end.toString(),
      attributes, droppedAttributesCount, events, droppedEventsCount, links, droppedLinksCount, status, resource, scope,
    },
    start,
    end,
    where,
  );
}

function decodeEvent(r: ProtoReader): SpanEvent {
  const event: SpanEvent = { timeUnixNano: '0', name: '', attributes: {}, droppedAttributesCount: 0 };
  while (!r.done()) {
    const [field, wireType] = r.tag();
    if (field === 1) {
      r.expect(FIXED64, wireType, 'Span.Event.time_unix_nano');
      event.timeUnixNano = r.fixed64().toString();
    } else if (field === 2) {
      r.expect(LEN, wireType, 'Span.Event.name');
      event.name = r.string();
    } else if (field === 3) {
      r.expect(LEN, wireType, 'Span.Event.attributes');
      keyValue(r.message(), event.attributes, 0);
    } else if (field === 4) {
      r.expect(VARINT, wireType, 'Span.Event.dropped_attributes_count');
      event.droppedAttributesCount = r.varint();
    } else r.skip(wireType);
  }
  return event;
}

function decodeLink(r: ProtoReader): SpanLink {
  const link: SpanLink = { traceId: '', spanId: '', traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0 };
  while (!r.done()) {
    const [field, wireType] = r.tag();
    if (field === 1) {
      r.expect(LEN, wireType, 'Span.Link.trace_id');
      link.traceId = r.hex();
    } else if (field === 2) {
      r.expect(LEN, wireType, 'Span.Link.span_id');
      link.spanId = r.hex();
    } else if (field === 3) {
      r.expect(LEN, wireType, 'Span.Link.trace_state');
      link.traceState = r.string();
    } else if (field === 4) {
      r.expect(LEN, wireType, 'Span.Link.attributes');
      keyValue(r.message(), link.attributes, 0);
    } else if (field === 5) {
      r.expect(VARINT, wireType, 'Span.Link.dropped_attributes_count');
      link.droppedAttributesCount = r.varint();
    } else if (field === 6) {
      r.expect(FIXED32, wireType, 'Span.Link.flags');
      link.flags = r.fixed32();
    } else r.skip(wireType);
  }
  return link;
}

function decodeStatus(r: ProtoReader): { code: StatusCode; message: string } {
  const status = { code: 0 as StatusCode, message: '' };
  while (!r.done()) {
    const [field, wireType] = r.tag();
    if (field === 2) {
      r.expect(LEN, wireType, 'Status.message');
      status.message = r.string();
    } else if (field === 3) {
      r.expect(VARINT, wireType, 'Status.code');
      status.code = statusCode(r.varint());
    } else r.skip(wireType);
  }
  return status;
}

/** One KeyValue message, stored into `into` (a later duplicate key wins). */
function keyValue(r: ProtoReader, into: Attributes, depth: number): void {
  let key = '';
  let value: AttributeValue = null;
  while (!r.done()) {
    const [field, wireType] = r.tag();
    if (field === 1) {
      r.expect(LEN, wireType, 'KeyValue.key');
      key = r.string();
    } else if (field === 2) {
      r.expect(LEN, wireType, 'KeyValue.value');
      value = anyValue(r.message(), depth);
    } else r.skip(wireType);
  }
  setAttribute(into, key, value);
}

function anyValue(r: ProtoReader, depth: number): AttributeValue {
  if (depth >= MAX_VALUE_DEPTH) r.fail(`attribute value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  let value: AttributeValue = null;
  while (!r.done()) {
    const [field, wireType] = r.tag();
    switch (field) {
      case 1:
        r.expect(LEN, wireType, 'AnyValue.string_value');
        value = r.string();
        break;
      case 2:
        r.expect(VARINT, wireType, 'AnyValue.bool_value');
        value = r.varint() !== 0;
        break;
      case 3: {
        r.expect(VARINT, wireType, 'AnyValue.int_value');
        value = int64Value(r.int64());
        break;
      }
      case 4:
        r.expect(FIXED64, wireType, 'AnyValue.double_value');
        value = r.double();
        break;
      case 5: {
        r.expect(LEN, wireType, 'AnyValue.array_value');
        const array: AttributeValue[] = [];
        const inner = r.message();
        while (!inner.done()) {
          const [f, w] = inner.tag();
          if (f === 1) {
            inner.expect(LEN, w, 'ArrayValue.values');
            array.push(anyValue(inner.message(), depth + 1));
          } else inner.skip(w);
        }
        value = array;
        break;
      }
      case 6: {
        r.expect(LEN, wireType, 'AnyValue.kvlist_value');
        const object: Attributes = {};
        const inner = r.message();
        while (!inner.done()) {
          const [f, w] = inner.tag();
          if (f === 1) {
            inner.expect(LEN, w, 'KeyValueList.values');
            keyValue(inner.message(), object, depth + 1);
          } else inner.skip(w);
        }
        value = object;
        break;
      }
      case 7: {
        r.expect(LEN, wireType, 'AnyValue.bytes_value');
        const [start, end] = r.bytes();
        value = r.buf.toString('base64', start, end);
        break;
      }
      default:
        r.skip(wireType);
    }
  }
  return value;
}

/** int64 → number when exact, else its decimal string. */
export function int64Value(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}
